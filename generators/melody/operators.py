"""Random init, mutation and crossover of melody genomes (the evolution engine's GenomeOps):
pure functions of a genome and an explicit RNG. The operators know the chords (for chord tones
on felt beats), the voice's range, the previous section's last pitch and, with lyrics, how many
notes each phrase must carry (one per syllable), which every operator preserves."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter

import numpy as np

from generators.harmony import Harmony
from generators.melody.genome import (
    CONTOURS,
    GRID_QN,
    MelodyBar,
    MelodyGenome,
    MelodyNote,
    normalise_bar,
    step_pitch,
)
from generators.melody.pace import DEFAULT_DENSITY
from generators.melody.phrase import RhythmNote, felt_beats, phrase_rhythm, phrase_steps
from generators.melody.ranges import DEFAULT_VOICE, VoiceRange
from generators.sampling import weighted_index
from generators.signature_grid import bar_distances, bit_planes, distances_to, signature_grid
from music.keys import Key
from music.meter import Meter

_EPS = 1e-6
_signature = attrgetter("signature")
_CONTOUR_P = {"arch": 0.5, "late-peak": 0.3, "early-peak": 0.2}
_MUTATIONS = (
    ("nudge", 3.0),
    ("snap", 2.0),
    ("transpose_bar", 1.0),
    ("rerhythm_bar", 1.2),
    ("split_merge", 1.2),
    ("repeat", 0.8),
    ("shift", 1.0),
    ("regenerate_phrase", 0.6),
    ("reshape", 0.8),
    ("fix_leap", 1.2),
)

Placed = tuple[int, MelodyNote]  # (bar index in the genome, note)


@lru_cache(maxsize=4096)
def _chord_steps(pcs: tuple[int, ...], base: int, mode: str, lo: int, hi: int) -> tuple[int, ...]:
    return tuple(s for s in range(lo, hi + 1) if step_pitch(s, base, mode) % 12 in pcs)


def _base_for(key: Key, voice: VoiceRange) -> int:
    """The key's tonic pitch nearest a third of the way up the voice's range."""
    target = voice.low + (voice.high - voice.low) * 0.3
    options = [p for p in range(voice.low - 12, voice.high + 1) if p % 12 == key.tonic]
    return min(options, key=lambda p: (abs(p - target), p))


@dataclass(frozen=True, slots=True)
class MelodyOps:
    """Genome operators for a melody of ``bars`` bars over ``harmony``.

    Attributes:
        key, meter: the song's key and meter.
        harmony: the section's chords (covering at least the melody's bars; it loops).
        bars: bars in a genome; phrases of ``phrase_bars`` bars.
        voice: the carrier's range (see :func:`generators.melody.ranges.voice_for`).
        previous_pitch: the previous section's last melody pitch (MIDI), for continuity.
        syllables: notes wanted per phrase (one per lyric syllable; 0 = free), or () when the
            melody has no lyrics.
        density: the range a free phrase's rhythm density is drawn from (by tempo and mood).
    """

    key: Key
    meter: Meter
    harmony: Harmony
    bars: int
    phrase_bars: int = 4
    voice: VoiceRange = DEFAULT_VOICE
    previous_pitch: int | None = None
    syllables: tuple[int, ...] = ()
    #: The range a free phrase's rhythm density is drawn from (see
    #: :func:`generators.melody.pace.melody_density`).
    density: tuple[float, float] = DEFAULT_DENSITY
    base: int = field(init=False)
    low_step: int = field(init=False)
    high_step: int = field(init=False)

    def __post_init__(self) -> None:
        if not 0 < self.density[0] <= self.density[1]:
            raise ValueError(f"density: {self.density!r} -- (low, high) with 0 < low <= high")
        if self.bars < 1 or self.phrase_bars < 1:
            raise ValueError(
                f"bars: {self.bars!r}, phrase_bars: {self.phrase_bars!r} -- at least 1 each"
            )
        if abs(self.harmony.bar_qn - self.meter.bar_qn) > _EPS:
            raise ValueError(
                f"harmony.bar_qn: {self.harmony.bar_qn!r} -- must match the meter's bar "
                f"({self.meter.bar_qn} qn of {self.meter})"
            )
        if self.syllables and len(self.syllables) != self.phrases:
            raise ValueError(
                f"syllables: {self.syllables!r} -- one count per phrase ({self.phrases})"
            )
        if self.previous_pitch is not None and not 0 <= self.previous_pitch <= 127:
            raise ValueError(f"previous_pitch: {self.previous_pitch!r} -- a MIDI pitch or None")
        base = _base_for(self.key, self.voice)
        steps = [
            s
            for s in range(-21, 36)
            if self.voice.low <= step_pitch(s, base, self.key.mode) <= self.voice.high
        ]
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "low_step", min(steps))
        object.__setattr__(self, "high_step", max(steps))

    # ------------------------------------------------------------------ helpers
    @property
    def phrases(self) -> int:
        return -(-self.bars // self.phrase_bars)

    def phrase_bar_count(self, p: int) -> int:
        return min(self.bars, (p + 1) * self.phrase_bars) - p * self.phrase_bars

    def target(self, p: int) -> int | None:
        """Notes phrase ``p`` must carry (None when free), capped at two per quarter note."""
        if not self.syllables or self.syllables[p] <= 0:
            return None
        cap = max(1, int(self.phrase_bar_count(p) * self.meter.bar_qn * 2))
        return min(self.syllables[p], cap)

    def pitch(self, step: int) -> int:
        return step_pitch(step, self.base, self.key.mode)

    def chord_steps(self, t: float) -> tuple[int, ...]:
        """Scale steps in range that are tones of the chord sounding at ``t`` (qn)."""
        pcs = tuple(sorted(set(self.harmony.at(t).pitch_classes)))
        return _chord_steps(pcs, self.base, self.key.mode, self.low_step, self.high_step)

    def _felt(self, onset: float) -> bool:
        return any(abs(onset - s) < _EPS for s, _ in felt_beats(self.meter))

    def _clamp(self, step: int) -> int:
        return max(self.low_step, min(self.high_step, step))

    def _start_step(self, p: int, t: float, prev: int | None, rng: np.random.Generator) -> int:
        chord = self.chord_steps(t)
        if p == 0 and self.previous_pitch is not None:
            near = [s for s in chord if abs(self.pitch(s) - self.previous_pitch) <= 5]
            pool = near or [
                min(
                    range(self.low_step, self.high_step + 1),
                    key=lambda s: abs(self.pitch(s) - (self.previous_pitch or 0)),
                )
            ]
        elif prev is not None:
            pool = [s for s in chord if abs(s - prev) <= 3] or [self._clamp(prev)]
        else:
            top = self.low_step + 0.6 * (self.high_step - self.low_step)
            pool = [s for s in chord if s <= top] or [self.low_step]
        return int(pool[int(rng.integers(len(pool)))])

    def _pitch_phrase(
        self,
        p: int,
        rhythm: list[RhythmNote],
        contour: str,
        prev: int | None,
        rng: np.random.Generator,
    ) -> list[Placed]:
        first_bar = p * self.phrase_bars
        bar_qn = self.meter.bar_qn
        times = [(first_bar + r.bar) * bar_qn + r.onset for r in rhythm]
        start = self._start_step(p, times[0], prev, rng)
        peak = min(self.high_step, start + int(rng.integers(3, 7)))
        if peak - start < 2:
            start = max(self.low_step, peak - 3)
        last = p == self.phrases - 1
        finals = (
            [s for s in range(self.low_step, self.high_step + 1) if s % 7 == 0]
            if last
            else list(self.chord_steps(times[-1]))
        )
        lo, hi = CONTOURS[contour]
        steps = phrase_steps(
            times,
            [self._felt(r.onset) for r in rhythm],
            chord_steps=self.chord_steps,
            low=self.low_step,
            high=self.high_step,
            start=start,
            peak=peak,
            finals=finals,
            climax=float(rng.uniform(lo, hi)),
            rng=rng,
        )
        out = []
        for r, s in zip(rhythm, steps, strict=True):
            velocity = 96 if r.onset < _EPS else (88 if self._felt(r.onset) else 80)
            out.append((first_bar + r.bar, MelodyNote(r.onset, r.duration, s, velocity)))
        return out

    def _rhythm(self, p: int, rng: np.random.Generator) -> list[RhythmNote]:
        n_bars = self.phrase_bar_count(p)
        target = self.target(p)
        beats = len(felt_beats(self.meter)) * n_bars
        density = (
            float(np.clip(target / beats, 0.5, 2.5))
            if target is not None
            else float(rng.uniform(*self.density))
        )
        return phrase_rhythm(self.meter, n_bars, rng, density=density, target=target)

    def _contour(self, rng: np.random.Generator) -> str:
        names = list(_CONTOUR_P)
        p = np.array([_CONTOUR_P[n] for n in names])
        return names[weighted_index(rng, p / p.sum())]

    def _assemble(self, placed: list[Placed], contour: tuple[str, ...]) -> MelodyGenome:
        bars: list[list[MelodyNote]] = [[] for _ in range(self.bars)]
        for b, n in placed:
            bars[b].append(n)
        return MelodyGenome(
            bars=tuple(normalise_bar(bar, self.meter) for bar in bars),
            phrase_bars=self.phrase_bars,
            base=self.base,
            contour=contour,
        )

    @staticmethod
    def _rhythm_of(placed: list[Placed], first_bar: int) -> list[RhythmNote]:
        return [RhythmNote(b - first_bar, n.onset, n.duration) for b, n in placed]

    # ------------------------------------------------------------------ GenomeOps protocol
    def random(self, rng: np.random.Generator) -> MelodyGenome:
        placed: list[Placed] = []
        contours: list[str] = []
        first_rhythm: list[RhythmNote] | None = None
        prev: int | None = None
        for p in range(self.phrases):
            rhythm = self._rhythm(p, rng)
            if (
                first_rhythm is not None
                and self.phrase_bar_count(p) == self.phrase_bar_count(0)
                and (self.target(p) is None or self.target(p) == len(first_rhythm))
                and rng.random() < 0.45
            ):
                rhythm = list(first_rhythm)  # the phrase answers the first in its rhythm
            if first_rhythm is None:
                first_rhythm = rhythm
            contour = self._contour(rng)
            notes = self._pitch_phrase(p, rhythm, contour, prev, rng)
            prev = notes[-1][1].step
            placed.extend(notes)
            contours.append(contour)
        return self._assemble(placed, tuple(contours))

    def mutate(self, genome: MelodyGenome, rng: np.random.Generator) -> MelodyGenome:
        names = [n for n, _ in _MUTATIONS]
        w = np.array([x for _, x in _MUTATIONS])
        kind = names[weighted_index(rng, w / w.sum())]
        phrases = [genome.phrase_notes(p) for p in range(genome.phrases)]
        contour = list(genome.contour)
        p = int(rng.integers(len(phrases)))
        notes = list(phrases[p])
        first_bar = p * self.phrase_bars
        if kind in ("regenerate_phrase", "reshape"):
            prev = phrases[p - 1][-1][1].step if p > 0 else None
            rhythm = self._rhythm(p, rng) if kind == "regenerate_phrase" else None
            contour[p] = self._contour(rng)
            phrases[p] = self._pitch_phrase(
                p, rhythm or self._rhythm_of(notes, first_bar), contour[p], prev, rng
            )
        elif kind == "repeat":
            phrases = self._repeat(genome, phrases, p, rng)
        elif kind == "rerhythm_bar":
            phrases[p] = self._rerhythm(notes, p, rng)
        elif kind == "split_merge":
            phrases[p] = self._split_merge(notes, p, rng)
        elif kind == "shift":
            phrases[p] = self._shift(notes, rng)
        elif kind == "transpose_bar":
            b = first_bar + int(rng.integers(self.phrase_bar_count(p)))
            delta = int(rng.choice([-2, -1, 1, 2]))
            moved = [(bb, n.with_(step=n.step + delta)) if bb == b else (bb, n) for bb, n in notes]
            if all(self.low_step <= n.step <= self.high_step for _, n in moved):
                phrases[p] = moved
        elif kind == "fix_leap" and len(notes) >= 2:
            k = max(
                range(1, len(notes)), key=lambda i: abs(notes[i][1].step - notes[i - 1][1].step)
            )
            a, (b, n) = notes[k - 1][1].step, notes[k]
            if abs(n.step - a) >= 3:
                notes[k] = (b, n.with_(step=n.step - int(np.sign(n.step - a))))
            phrases[p] = notes
        else:
            i = int(rng.integers(len(notes)))
            b, n = notes[i]
            if kind == "snap" and self._felt(n.onset):
                t = b * self.meter.bar_qn + n.onset
                chord = self.chord_steps(t) or (n.step,)
                step = min(chord, key=lambda s: (abs(s - n.step), s))
            else:  # nudge
                step = n.step + int(rng.choice([-2, -1, -1, 1, 1, 2]))
            notes[i] = (b, n.with_(step=self._clamp(step)))
            phrases[p] = notes
        return self._assemble([x for ph in phrases for x in ph], tuple(contour))

    def _repeat(
        self,
        genome: MelodyGenome,
        phrases: list[list[Placed]],
        p: int,
        rng: np.random.Generator,
    ) -> list[list[Placed]]:
        """Copy one bar of another phrase (same place in the phrase) into phrase ``p``, when
        that keeps the phrase's note count or no count is required."""
        q = int(rng.integers(len(phrases)))
        k = int(rng.integers(min(self.phrase_bar_count(p), self.phrase_bar_count(q))))
        src, dst = q * self.phrase_bars + k, p * self.phrase_bars + k
        if src == dst:
            return phrases
        new_bar = genome.bars[src]
        if self.target(p) is not None and len(new_bar) != len(genome.bars[dst]):
            return phrases
        if not new_bar and all(b == dst for b, _ in phrases[p]):
            return phrases
        kept = [(b, n) for b, n in phrases[p] if b != dst]
        phrases[p] = sorted([*kept, *((dst, n) for n in new_bar)], key=lambda x: (x[0], x[1].onset))
        return phrases

    def _rerhythm(self, notes: list[Placed], p: int, rng: np.random.Generator) -> list[Placed]:
        k = int(rng.integers(self.phrase_bar_count(p)))
        b = p * self.phrase_bars + k
        old = [n for bb, n in notes if bb == b]
        count = len(old) if self.target(p) is not None else None
        if count == 0:
            return notes
        last_bar = k == self.phrase_bar_count(p) - 1
        rhythm = phrase_rhythm(self.meter, 1, rng, target=count, breath=last_bar)
        if count is not None and len(rhythm) != count:
            return notes
        fallback = next((n.step for bb, n in reversed(notes) if bb < b), notes[0][1].step)
        steps = [n.step for n in old] or [fallback]
        new = []
        for j, r in enumerate(rhythm):
            src = round(j * (len(steps) - 1) / max(1, len(rhythm) - 1))
            new.append(
                (b, MelodyNote(r.onset, r.duration, steps[src], 96 if r.onset < _EPS else 84))
            )
        return sorted(
            [*((bb, n) for bb, n in notes if bb != b), *new], key=lambda x: (x[0], x[1].onset)
        )

    def _split_merge(self, notes: list[Placed], p: int, rng: np.random.Generator) -> list[Placed]:
        locked = self.target(p) is not None
        out = list(notes)
        if locked or rng.random() < 0.5:
            long = [i for i, (_, n) in enumerate(out) if n.duration >= 2 * GRID_QN - _EPS]
            if not long:
                return notes
            i = long[int(rng.integers(len(long)))]
            b, n = out[i]
            first = max(GRID_QN, float(np.floor(n.duration / 2 / GRID_QN)) * GRID_QN)
            second = n.with_(onset=n.onset + first, duration=n.duration - first, velocity=82)
            second = second.with_(step=self._clamp(n.step + int(rng.choice([-1, 1]))))
            out[i : i + 1] = [(b, n.with_(duration=first)), (b, second)]
            if not locked:
                return out
        joinable = [i for i in range(1, len(out)) if out[i][0] == out[i - 1][0]]
        if not joinable:
            return notes if locked else out
        i = joinable[int(rng.integers(len(joinable)))]
        (b, prev), (_, n) = out[i - 1], out[i]
        out[i - 1] = (b, prev.with_(duration=n.end - prev.onset))
        del out[i]
        return out

    def _shift(self, notes: list[Placed], rng: np.random.Generator) -> list[Placed]:
        """Move one note a sixteenth earlier or later inside the gap its neighbours leave."""
        i = int(rng.integers(len(notes)))
        b, n = notes[i]
        delta = GRID_QN if rng.random() < 0.5 else -GRID_QN
        onset = n.onset + delta
        prev = notes[i - 1] if i > 0 and notes[i - 1][0] == b else None
        if onset < 0 or n.duration - delta < GRID_QN - _EPS:
            return notes
        out = list(notes)
        if prev is not None and onset < prev[1].end - _EPS:
            if onset - prev[1].onset < GRID_QN - _EPS:
                return notes
            out[i - 1] = (b, prev[1].with_(duration=onset - prev[1].onset))
        out[i] = (b, n.with_(onset=onset, duration=n.duration - delta))
        return out

    def crossover(self, a: MelodyGenome, b: MelodyGenome, rng: np.random.Generator) -> MelodyGenome:
        if a.phrases != b.phrases or len(a.bars) != len(b.bars):
            return a
        if a.phrases == 1:
            if self.syllables or len(a.bars) < 2:
                return a if rng.random() < 0.5 else b
            cut = int(rng.integers(1, len(a.bars)))
            return MelodyGenome(a.bars[:cut] + b.bars[cut:], a.phrase_bars, a.base, a.contour)
        take = rng.random(a.phrases) < 0.5
        bars: list[MelodyBar] = []
        contour = []
        for p in range(a.phrases):
            src = b if take[p] else a
            bars.extend(src.bars[i] for i in src.phrase_range(p))
            contour.append(src.contour[p])
        return MelodyGenome(tuple(bars), a.phrase_bars, a.base, tuple(contour))

    def identity(self, genome: MelodyGenome) -> Hashable:
        return genome

    def distance(self, a: MelodyGenome, b: MelodyGenome) -> float:
        """Per bar: half the Jaccard distance of the onset sets, half the share of shared
        onsets with another pitch; averaged over bars."""
        n = max(len(a.bars), len(b.bars))
        total = 0.0
        for i in range(n):
            if i >= len(a.bars) or i >= len(b.bars):
                total += 1.0
                continue
            if a.bars[i] is b.bars[i]:
                continue
            xa, xb = a.signature[i], b.signature[i]
            shared = xa.keys() & xb.keys()
            union = len(xa) + len(xb) - len(shared)
            if not union:
                continue
            rhythm = 1 - len(shared) / union
            pitch = sum(xa[s] != xb[s] for s in shared) / len(shared) if shared else 1.0
            total += 0.5 * rhythm + 0.5 * pitch
        return total / n

    def distances(self, genome: MelodyGenome, others: Sequence[MelodyGenome]) -> np.ndarray:
        """``[len(others)]`` float64: :meth:`distance` to each of ``others``, the same floats
        (see :meth:`signature_distances`)."""
        return distances_to(self, genome, others)

    def signatures(self, genomes: Sequence[MelodyGenome]) -> np.ndarray | None:
        """``uint64 [len(genomes), planes, bars]``: each genome's onset grid (made once per
        genome) as bit planes, or None when the genomes differ in length (see
        :meth:`distance`)."""
        return bit_planes([signature_grid(g, _signature) for g in genomes])

    def signature_distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`distance` between the genomes of rows ``a`` and ``b`` (broadcast), the same
        floats (see :func:`generators.signature_grid.bar_distances`)."""
        return bar_distances(a, b, onsets=0.5, values=0.5)
