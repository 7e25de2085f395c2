"""Random init, mutation and crossover of chord genomes: pure functions of a genome and an
explicit RNG, drawing chords from the learned transition model."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from generators.chord_model import ChordTransitionModel
from generators.chords.genome import (
    Bar,
    ChordGene,
    ChordGenome,
    bar_splits,
    quality_options,
)
from generators.signature_grid import distances_to, signature_grid
from music.keys import Key
from music.meter import Meter

# How likely a chord takes an extension instead of its plain triad, by triad family.
_EXTENSION_RATE = 0.3
_FIRST_INVERSION_RATE = 0.12
_SPLIT_RATE = 0.25


@dataclass(frozen=True, slots=True)
class ChordOps:
    """Genome operators for progressions of ``bars`` bars in ``key`` and ``meter``."""

    key: Key
    meter: Meter
    bars: int
    model: ChordTransitionModel
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.bars < 1:
            raise ValueError(f"bars: {self.bars!r} -- at least 1 bar per progression")

    # ------------------------------------------------------------------ building blocks
    def _gene(self, token: str, beats: float, rng: np.random.Generator) -> ChordGene:
        offset_s, triad = token.split(":")
        options = quality_options(triad)
        plain = {"maj": "maj", "min": "min", "dim": "dim", "aug": "aug", "sus": "sus4"}[triad]
        quality = plain
        if len(options) > 1 and rng.random() < _EXTENSION_RATE:
            extended = [q for q in options if q != plain]
            quality = extended[int(rng.integers(len(extended)))]
            if triad == "maj" and int(offset_s) == 7 and rng.random() < 0.7:
                quality = "7"  # the dominant seventh is by far the usual extension of V
        inversion = 0
        if rng.random() < _FIRST_INVERSION_RATE:
            inversion = 1
        return ChordGene(offset=int(offset_s), quality=quality, inversion=inversion, beats=beats)

    def _next_token(self, prev: str | None, rng: np.random.Generator) -> str:
        return self.model.sample_next(prev, self.key.family, rng, temperature=self.temperature)

    def _random_bar(self, prev: str | None, rng: np.random.Generator) -> Bar:
        splits = bar_splits(self.meter)
        lengths = splits[1] if len(splits) > 1 and rng.random() < _SPLIT_RATE else splits[0]
        genes = []
        for beats in lengths:
            token = self._next_token(prev, rng)
            genes.append(self._gene(token, beats, rng))
            prev = token
        return tuple(genes)

    # ------------------------------------------------------------------ GenomeOps protocol
    def random(self, rng: np.random.Generator) -> ChordGenome:
        bars: list[Bar] = []
        prev: str | None = None
        for _ in range(self.bars):
            bar = self._random_bar(prev, rng)
            bars.append(bar)
            prev = bar[-1].token
        return tuple(bars)

    def mutate(self, genome: ChordGenome, rng: np.random.Generator) -> ChordGenome:
        bars = list(genome)
        b = int(rng.integers(len(bars)))
        bar = list(bars[b])
        c = int(rng.integers(len(bar)))
        gene = bar[c]
        kind = int(rng.integers(7))
        if kind == 0:  # redraw one chord from the model, given the chord before it
            prev = bar[c - 1].token if c > 0 else (bars[b - 1][-1].token if b > 0 else None)
            bar[c] = self._gene(self._next_token(prev, rng), gene.beats, rng)
        elif kind == 1:  # another extension of the same triad
            options = quality_options(gene.roman.token.split(":")[1])
            bar[c] = gene.with_(quality=options[int(rng.integers(len(options)))], inversion=0)
        elif kind == 2:  # inversion
            bar[c] = gene.with_(inversion=0 if gene.inversion else 1)
        elif kind == 3:  # split a whole bar in two, or merge a split bar
            splits = bar_splits(self.meter)
            if len(bar) == 1 and len(splits) > 1:
                first, second = splits[1]
                prev_tok = gene.token
                bar = [
                    gene.with_(beats=first),
                    self._gene(self._next_token(prev_tok, rng), second, rng),
                ]
            else:
                bar = [bar[0].with_(beats=self.meter.bar_qn)]
        elif kind == 4 and len(bars) > 1:  # swap two bars
            other = int(rng.integers(len(bars)))
            bars[b], bars[other] = bars[other], bars[b]
            return tuple(bars)
        elif kind == 5 and len(bars) > 1:  # repeat a bar elsewhere (phrase structure)
            other = int(rng.integers(len(bars)))
            bars[other] = bars[b]
            return tuple(bars)
        else:  # relative substitution: major <-> its relative minor, or parallel borrow
            triad = gene.token.split(":")[1]
            if triad == "maj":
                new = gene.with_(offset=(gene.offset + 9) % 12, quality="min", inversion=0)
            elif triad == "min":
                new = gene.with_(offset=(gene.offset + 3) % 12, quality="maj", inversion=0)
            else:
                new = gene.with_(quality="maj", inversion=0)
            bar[c] = new
        bars[b] = tuple(bar)
        return tuple(bars)

    def crossover(self, a: ChordGenome, b: ChordGenome, rng: np.random.Generator) -> ChordGenome:
        if len(a) < 2:
            return a if rng.random() < 0.5 else b
        cut = int(rng.integers(1, len(a)))
        return a[:cut] + b[cut:]

    def identity(self, genome: ChordGenome) -> Hashable:
        return genome

    def distance(self, a: ChordGenome, b: ChordGenome) -> float:
        """Fraction of felt beats where the two progressions sound a different chord (3/4 of
        the weight), or the same chord with another extension or inversion (1/4)."""
        offsets = self.meter.beat_offsets_qn()
        beats = len(offsets)
        total = 0.0
        count = 0
        for bar_a, bar_b in zip(a, b, strict=False):
            count += beats
            if bar_a is bar_b or bar_a == bar_b:
                continue
            for (token_a, shape_a), (token_b, shape_b) in zip(
                _beat_chords(bar_a, offsets), _beat_chords(bar_b, offsets), strict=True
            ):
                if token_a != token_b:
                    total += 1.0
                elif shape_a != shape_b:
                    total += 0.25
        count += abs(len(a) - len(b)) * beats
        total += abs(len(a) - len(b)) * beats
        return total / count if count else 0.0

    def distances(self, genome: ChordGenome, others: Sequence[ChordGenome]) -> np.ndarray:
        """``[len(others)]`` float64: :meth:`distance` to each of ``others``, the same floats
        (see :meth:`signature_distances`)."""
        return distances_to(self, genome, others)

    def signatures(self, genomes: Sequence[ChordGenome]) -> np.ndarray | None:
        """``int32 [len(genomes), 2, bars, beats]``: per genome (made once) the code of the
        chord at each felt beat and of the chord with its shape; None when the genomes differ
        in length (see :meth:`distance`)."""
        offsets = self.meter.beat_offsets_qn()
        kind = repr(offsets)

        def tokens(g: ChordGenome) -> list[dict[int, str]]:
            return [{i: t for i, (t, _) in enumerate(_beat_chords(bar, offsets))} for bar in g]

        def chords(g: ChordGenome) -> list[dict[int, tuple[str, tuple[str, int]]]]:
            return [dict(enumerate(_beat_chords(bar, offsets))) for bar in g]

        shape = (len(genomes[0]), len(offsets)) if genomes else (0, 0)
        rows = np.zeros((len(genomes), 2, *shape), dtype=np.int32)
        for k, g in enumerate(genomes):
            token = signature_grid(g, tokens, "token" + kind)
            chord = signature_grid(g, chords, kind)
            if token is None or chord is None or token.shape != shape or chord.shape != shape:
                return None
            rows[k, 0] = token
            rows[k, 1] = chord
        return rows

    def signature_distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`distance` between the genomes of rows ``a`` and ``b`` (broadcast), the same
        floats: the counts of beats with another chord and with another shape are integers,
        and ``count_chord + 0.25 * count_shape`` is the exact sum the pairwise loop adds up."""
        other_token = np.count_nonzero(a[..., 0, :, :] != b[..., 0, :, :], axis=(-2, -1))
        other_shape = np.count_nonzero(a[..., 1, :, :] != b[..., 1, :, :], axis=(-2, -1))
        count = a.shape[-2] * a.shape[-1]
        if not count:
            return np.zeros(np.shape(other_token), dtype=np.float64)
        out: np.ndarray = (other_token + 0.25 * (other_shape - other_token)) / count
        return out


@lru_cache(maxsize=16384)
def _beat_chords(bar: Bar, offsets: tuple[float, ...]) -> tuple[tuple[str, tuple[str, int]], ...]:
    """The chord sounding at each felt beat of ``bar``: its token and (quality, inversion).
    Cached: the diversity guard compares the same bars many times."""
    return tuple((g.token, (g.quality, g.inversion)) for g in (_at(bar, pos) for pos in offsets))


def _at(bar: Bar, pos: float) -> ChordGene:
    t = 0.0
    for g in bar:
        if pos < t + g.beats - 1e-9:
            return g
        t += g.beats
    return bar[-1]
