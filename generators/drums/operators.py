"""Random init, mutation and crossover of drum genomes (the :class:`GenomeOps` contract): pure
functions of their inputs and an explicit RNG. Random genomes come from the style skeletons or
from the drum transformer; one mutation regenerates a bar with the transformer.

Sampling the transformer live costs tens of milliseconds a bar, so :meth:`DrumOps.with_bank`
samples a bank of transformer patterns once, in batches, before evolution; random genomes and
bar regenerations then draw from the bank, and live sampling is used only without a bank.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from generators.drums.fills import add_fill, has_fill
from generators.drums.genome import DrumGenome, Hit
from generators.drums.genres import KEPT_TIME
from generators.drums.grid import (
    CLOSED_HH,
    KICK,
    RIDE,
    ROLES,
    SNARE,
    role_of,
)
from generators.drums.styles import check_style, humanize, skeleton, style_bar, template_hits
from generators.drums.transformer import BANK_STYLES, DEFAULT_TEMPERATURE, DrumTransformer
from generators.sampling import weighted_index
from generators.signature_grid import distances_to
from music.meter import Meter

_N_MUTATIONS = 8


def _bar_range(genome: DrumGenome, bar: int) -> tuple[int, int]:
    spb = genome.grid.steps_per_bar
    return bar * spb, (bar + 1) * spb


def _replace_bar(genome: DrumGenome, bar: int, source: DrumGenome, source_bar: int) -> DrumGenome:
    """``genome`` with bar ``bar`` replaced by bar ``source_bar`` of ``source`` (same grid)."""
    lo, hi = _bar_range(genome, bar)
    slo, _ = _bar_range(source, source_bar)
    kept = [h for h in genome.hits if not lo <= h.step < hi]
    moved = [h.moved(h.step - slo + lo) for h in source.bar_hits(source_bar)]
    return genome.with_hits([*kept, *moved])


@dataclass(frozen=True, slots=True)
class DrumOps:
    """Genome operators for ``bars`` bars of drums in ``meter`` in the given ``styles`` (best
    first; see :func:`generators.drums.styles.choose_styles`).

    ``transformer_rate`` is the share of random genomes drawn from the transformer (from the
    ``bank`` when there is one) where it samples the meter."""

    meter: Meter
    bars: int
    styles: tuple[str, ...]
    transformer: DrumTransformer | None = None
    bank: tuple[DrumGenome, ...] = ()
    transformer_rate: float = 0.35
    fill_rate: float = 0.5
    #: The song's tempo: humanised micro-timing keeps its milliseconds (None: in steps).
    bpm: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.bars, int) or self.bars < 1:
            raise ValueError(f"bars: {self.bars!r} -- at least 1 bar per drum pattern")
        if not self.styles:
            raise ValueError("styles: () -- at least one drum style")
        object.__setattr__(self, "styles", tuple(check_style(s) for s in self.styles))
        for name in ("transformer_rate", "fill_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: {value!r} -- a probability in [0, 1]")

    def with_bank(
        self,
        rng: np.random.Generator,
        *,
        per_style: int = 8,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> DrumOps:
        """A copy holding ``per_style`` transformer patterns for each style of
        :data:`~generators.drums.transformer.BANK_STYLES` (all styles' rows sampled in one
        batch); unchanged when there is no transformer, no such style or it cannot play the
        meter."""
        styles = tuple(s for s in self.styles if s in BANK_STYLES)
        if self.transformer is None or not styles or not self.transformer.supports(self.meter):
            return self
        bank = self.transformer.sample_styles(
            per_style, styles, self.meter, self.bars, rng, temperature
        )
        return replace(self, bank=tuple(bank))

    # ------------------------------------------------------------------ helpers
    @property
    def _uses_transformer(self) -> bool:
        return bool(self.bank) or (
            self.transformer is not None and self.transformer.supports(self.meter)
        )

    def _style(self, rng: np.random.Generator) -> str:
        weights = np.array([1.0 / (i + 1) for i in range(len(self.styles))])
        return self.styles[weighted_index(rng, weights / weights.sum())]

    def _from_transformer(self, rng: np.random.Generator) -> DrumGenome:
        if self.bank:
            return self.bank[int(rng.integers(len(self.bank)))]
        assert self.transformer is not None
        style = self._style(rng)
        if style not in BANK_STYLES:
            return skeleton(style, self.meter, self.bars, rng, bpm=self.bpm)
        return self.transformer.sample_bars(style, self.meter, self.bars, rng)

    def _regenerate_bar(self, genome: DrumGenome, bar: int, rng: np.random.Generator) -> DrumGenome:
        same_grid = [g for g in self.bank if g.grid == genome.grid]
        if same_grid and rng.random() < 0.7:
            source = same_grid[int(rng.integers(len(same_grid)))]
            return _replace_bar(genome, bar, source, int(rng.integers(source.bars)))
        if (
            not self.bank
            and self.transformer is not None
            and self.transformer.supports_genome(genome)
        ):
            return self.transformer.regenerate_bar(genome, bar, rng)
        base = genome.style.split(" ")[0]  # "rock (transformer)" -> "rock"
        style = base if base in self.styles else self._style(rng)
        lo, hi = _bar_range(genome, bar)
        kept = [h for h in genome.hits if not lo <= h.step < hi]
        template = style_bar(style, genome.grid, rng)
        new = template_hits(template, genome.grid, bar, rng, style, bpm=self.bpm)
        return genome.with_hits([*kept, *new])

    # ------------------------------------------------------------------ GenomeOps protocol
    def random(self, rng: np.random.Generator) -> DrumGenome:
        if self._uses_transformer and rng.random() < self.transformer_rate:
            genome = self._from_transformer(rng)
        else:
            genome = skeleton(self._style(rng), self.meter, self.bars, rng, bpm=self.bpm)
        if self.bars > 1 and rng.random() < self.fill_rate:
            genome = add_fill(genome, self.bars - 1, rng)
        return genome

    def mutate(self, genome: DrumGenome, rng: np.random.Generator) -> DrumGenome:
        grid = genome.grid
        spb = grid.steps_per_bar
        bar = int(rng.integers(genome.bars))
        kind = int(rng.integers(_N_MUTATIONS))
        played = sorted({h.voice for h in genome.hits}) or [KICK]
        if kind == 0:  # toggle one hit of a core or motion voice (or any voice played)
            voice = int(rng.choice([KICK, SNARE, *played]))
            step = bar * spb + int(rng.integers(spb))
            existing = [h for h in genome.hits if h.voice == voice and h.step == step]
            if existing:
                return genome.with_hits(h for h in genome.hits if h is not existing[0])
            base = [h.velocity for h in genome.voice_hits(voice)] or [90]
            vel, off = humanize(round(np.mean(base)), rng, 10.0, grid=grid, bpm=self.bpm)
            return genome.with_hits([*genome.hits, Hit(step, voice, vel, off)])
        if kind == 1 and genome.hits:  # shift one hit a step earlier or later
            h = genome.hits[int(rng.integers(len(genome.hits)))]
            step = h.step + (1 if rng.random() < 0.5 else -1)
            if not 0 <= step < genome.total_steps:
                return genome
            rest = [x for x in genome.hits if x is not h]
            return genome.with_hits([*rest, h.moved(step)])
        if kind == 2:  # velocity jitter of one voice
            voice = int(rng.choice(played))
            sd = float(rng.uniform(4, 12))
            return genome.with_hits(
                Hit(
                    h.step,
                    h.voice,
                    int(min(127, max(1, round(h.velocity + rng.normal(0, sd))))),
                    h.offset,
                )
                if h.voice == voice
                else h
                for h in genome.hits
            )
        if kind == 3:  # micro-timing: humanise one voice, or push/pull it
            voice = int(rng.choice(played))
            push = float(rng.normal(0, 0.06)) if rng.random() < 0.5 else 0.0
            return genome.with_hits(
                Hit(
                    h.step,
                    h.voice,
                    h.velocity,
                    float(min(0.45, max(-0.45, h.offset + push + rng.normal(0, 0.04)))),
                )
                if h.voice == voice
                else h
                for h in genome.hits
            )
        if kind == 4 and genome.bars > 1:  # copy one bar onto another (or swap two)
            other = int(rng.integers(genome.bars))
            if rng.random() < 0.5:
                return _replace_bar(genome, other, genome, bar)
            swapped = _replace_bar(genome, other, genome, bar)
            return _replace_bar(swapped, bar, genome, other)
        if kind == 5:  # regenerate one bar (transformer bank/live, else the style skeleton)
            return self._regenerate_bar(genome, bar, rng)
        if kind == 6 and genome.bars > 1:  # add a fill at the end, or take it out
            last = genome.bars - 1
            if has_fill(genome, last):
                return _replace_bar(genome, last, genome, int(rng.integers(last)))
            return add_fill(genome, last, rng)
        # kind 7 (and fallbacks): hats <-> ride (not where the style's idiom fixes the voice
        # that keeps time), or thin/thicken the motion voice
        if rng.random() < 0.5 and genome.style.split(" ")[0] not in KEPT_TIME:
            swap = {CLOSED_HH: RIDE, RIDE: CLOSED_HH}
            return genome.with_hits(
                Hit(h.step, swap[h.voice], h.velocity, h.offset) if h.voice in swap else h
                for h in genome.hits
            )
        motion = [h for h in genome.hits if role_of(h.voice) == "motion"]
        if not motion:
            return self._regenerate_bar(genome, bar, rng)
        voice = motion[0].voice
        on_8ths = [h for h in motion if h.voice == voice and (h.step % spb) % grid.eighth_steps]
        if on_8ths:  # 16ths -> 8ths
            drop = set(map(id, on_8ths))
            return genome.with_hits(h for h in genome.hits if id(h) not in drop)
        # The added 16ths are played, not programmed: softer than the 8ths, each humanised.
        vel = round(np.mean([h.velocity for h in motion])) - 15
        adds = [
            Hit(s, voice, *humanize(vel, rng, grid=grid, bpm=self.bpm))
            for s in range(genome.total_steps)
            if (s % spb) % grid.eighth_steps and grid.eighth_steps > 1
        ]
        return genome.with_hits([*genome.hits, *adds])

    def crossover(self, a: DrumGenome, b: DrumGenome, rng: np.random.Generator) -> DrumGenome:
        if a.grid != b.grid or a.bars != b.bars:
            return a if rng.random() < 0.5 else b
        if a.bars > 1 and rng.random() < 0.5:  # by bar
            cut = int(rng.integers(1, a.bars)) * a.grid.steps_per_bar
            hits = [h for h in a.hits if h.step < cut] + [h for h in b.hits if h.step >= cut]
            return a.with_hits(hits)
        roles = [r for r in ROLES if rng.random() < 0.5] or [ROLES[int(rng.integers(len(ROLES)))]]
        hits = [h for h in a.hits if h.role not in roles] + [h for h in b.hits if h.role in roles]
        return a.with_hits(hits)

    def identity(self, genome: DrumGenome) -> Hashable:
        return genome.key

    def distance(self, a: DrumGenome, b: DrumGenome) -> float:
        """0.85 x the Jaccard distance of the two onset sets (voice, time on a 1/12-quarter
        lattice that holds both 16ths and triplets) + 0.15 x the Jaccard distance of the onsets
        with their velocity in steps of 16 (same onsets played louder or softer)."""
        return _distance(a, b)

    def distances(self, genome: DrumGenome, others: Sequence[DrumGenome]) -> np.ndarray:
        """``[len(others)]`` float64: :meth:`distance` to each of ``others``, the same floats
        (see :meth:`signature_distances`)."""
        return distances_to(self, genome, others)

    def signatures(self, genomes: Sequence[DrumGenome]) -> np.ndarray | None:
        """``uint64 [len(genomes), 4, words]``: over every (voice, time) onset any of the
        genomes plays, the genome's onsets as bits (plane 0) and the three bits of each
        onset's velocity step, velocity // 16 (planes 1-3). None when a genome has two hits on
        one onset of the 1/12-quarter lattice (its onset and velocity sets then differ in
        size; :meth:`distance` handles it)."""
        cells = [_cells(g) for g in genomes]
        if any(c is None for c in cells):
            return None
        present = [c for c in cells if c is not None]
        keys = np.concatenate([np.zeros(0, np.int64), *(c[0] for c in present)])
        steps = np.concatenate([np.zeros(0, np.int8), *(c[1] for c in present)])
        rows = np.repeat(np.arange(len(present)), [len(c[0]) for c in present])
        columns, where = np.unique(keys, return_inverse=True)
        width = 64 * -(-len(columns) // 64)
        planes = np.zeros((len(present), 4, width), dtype=np.bool_)
        planes[rows, 0, where] = True
        for k in range(3):
            planes[rows, 1 + k, where] = (steps >> k) & 1 == 1
        packed = np.packbits(planes, axis=-1, bitorder="little")
        return packed.view(np.uint64)

    def signature_distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`distance` between the genomes of rows ``a`` and ``b`` (broadcast), the same
        floats: shared and total onsets, and shared onsets at the same velocity step, are
        integers (the velocity sets are as large as the onset sets), put through the pairwise
        formula."""
        on_a, on_b = a[..., 0, :], b[..., 0, :]
        both = on_a & on_b
        louder = (a[..., 1, :] ^ b[..., 1, :]) | (a[..., 2, :] ^ b[..., 2, :])
        louder |= a[..., 3, :] ^ b[..., 3, :]
        shared = _popcount(both)
        sizes = _popcount(on_a) + _popcount(on_b)
        same = _popcount(both & ~louder)
        union = sizes - shared
        with np.errstate(divide="ignore", invalid="ignore"):
            onsets = 1.0 - shared / union
            loud = 1.0 - same / (sizes - same)
        mixed = np.minimum(1.0, np.maximum(0.0, 0.85 * onsets + 0.15 * loud))
        out: np.ndarray = np.where(union > 0, mixed, 0.0)
        return out


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits over the last axis, ``int64``."""
    out: np.ndarray = np.bitwise_count(words).sum(axis=-1, dtype=np.int64)
    return out


@lru_cache(maxsize=65536)
def _distance(a: DrumGenome, b: DrumGenome) -> float:
    (sa, va), (sb, vb) = _onsets(a), _onsets(b)
    union = len(sa | sb)
    if not union:
        return 0.0
    onsets = 1.0 - len(sa & sb) / union
    loud = 1.0 - len(va & vb) / len(va | vb)
    return min(1.0, max(0.0, 0.85 * onsets + 0.15 * loud))


@lru_cache(maxsize=8192)
def _onsets(
    genome: DrumGenome,
) -> tuple[frozenset[tuple[int, int]], frozenset[tuple[int, int, int]]]:
    """The genome's onsets as ``(voice, time in 1/12 quarter notes)`` and the same with the
    velocity in steps of 16; cached (the diversity guard compares every survivor with every
    other)."""
    grid = genome.grid
    spb = grid.steps_per_bar
    bar_ticks = round(grid.meter.bar_qn * 12)
    step_ticks = grid.step_qn * 12
    plain = []
    loud = []
    for h in genome.hits:
        bar, s = divmod(h.step, spb)
        key = (h.voice, bar * bar_ticks + round(s * step_ticks))
        plain.append(key)
        loud.append((*key, h.velocity // 16))
    return frozenset(plain), frozenset(loud)


@lru_cache(maxsize=8192)
def _cells(genome: DrumGenome) -> tuple[np.ndarray, np.ndarray] | None:
    """The genome's onsets as int64 keys (voice and time on the 1/12-quarter lattice, as
    :func:`_onsets` computes them) and their velocity steps, or None when two hits share an
    onset key; cached per genome."""
    grid = genome.grid
    table = genome.hit_table.astype(np.int64)
    bar, step = np.divmod(table[:, 0], grid.steps_per_bar)
    ticks = bar * round(grid.meter.bar_qn * 12) + np.rint(step * (grid.step_qn * 12)).astype(
        np.int64
    )
    keys = (table[:, 1] << 32) + ticks
    if len(np.unique(keys)) != len(keys):
        return None
    return keys, (table[:, 2] // 16).astype(np.int8)


def seed_genomes(
    meter: Meter,
    bars: int,
    styles: Sequence[str],
    rng: np.random.Generator,
    *,
    bpm: float | None = None,
) -> tuple[DrumGenome, ...]:
    """One plain skeleton per style (humanised), to seed a population alongside random ones."""
    return tuple(skeleton(s, meter, bars, rng, bpm=bpm) for s in styles)
