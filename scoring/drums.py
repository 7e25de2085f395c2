"""Music-theory scores for a drum pattern, each in [0, 1]. (The groove metrics of the
literature, which the style fit reads, are :mod:`scoring.metrics.drums`.)

The input is a plain :class:`DrumPattern` (steps, roles, velocities, the grid's beats); it is
built from any genome with ``grid``/``bars``/``hits`` attributes by :meth:`DrumPattern.of`, so
this module depends on nothing but the standard library.

Scores:
- groove_consistency: bars that resemble each other, with a little variation (Jaccard overlap
  of the bars' kick/snare/motion/other onsets; best inside the range real grooves show).
- role_balance: core (kick/snare) on the strong beats, motion filling the beats, accents sparse,
  fill voices kept to fills.
- density_fit: onsets per quarter note against a target from the mood and genre words and tempo.
- fill_placement: fills at the end of phrases and sections, not in the middle of a phrase.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from scoring.composite import TheoryScores

DRUM_WEIGHTS: Final[dict[str, float]] = {
    "groove_consistency": 0.3,
    "role_balance": 0.3,
    "density_fit": 0.25,
    "fill_placement": 0.15,
}
#: Weights with the style fit (:mod:`scoring.style.drums`) in place of groove consistency,
#: role balance and density.
DRUM_STYLE_WEIGHTS: Final[dict[str, float]] = {
    "style_density": 0.2,
    "style_balance": 0.2,
    "style_feel": 0.15,
    "style_repetition": 0.2,
    "fill_placement": 0.15,
}

KICK_NOTES: Final = frozenset({35, 36})
SNARE_NOTES: Final = frozenset({37, 38, 39, 40})

# Jaccard overlap of bars (:func:`bar_similarity`) in the Groove validation beats: 5th, 25th,
# 75th and 95th percentiles over 502 non-overlapping 4-bar 4/4 windows of the 48 validation beat
# files (measured with training.drums.evaluate.real_windows).
CONSISTENCY_BAND: Final = (0.30, 0.47, 0.76, 0.925)
#: Onsets per quarter note of an average groove at 100 bpm, before mood and genre words: between
#: a programmed 8th-note rock beat (3.0) and the Groove validation beats' median (4.6).
BASE_DENSITY: Final = 4.0
_SPARSE_WORDS: Final = (
    "sparse",
    "ambient",
    "ominous",
    "dreamy",
    "ethereal",
    "calm",
    "eerie",
    "minimal",
    "drone",
    "meditative",
    "kosmische",
    "mysterious",
    "sad",
    "melancholic",
    "wistful",
    "lonely",
    "quiet",
    "cosmic",
    "modern classical",
    "hypnotic",
)
_DENSE_WORDS: Final = (
    "intense",
    "chaotic",
    "funk",
    "energetic",
    "aggressive",
    "punk",
    "frantic",
    "driving",
    "breakbeat",
    "drum and bass",
    "jungle",
    "metal",
    "hardcore",
    "dance",
    "disco",
    "urgent",
    "angry",
    "fast",
)


# ---------------------------------------------------------------------- input
class _HitLike(Protocol):
    @property
    def step(self) -> int: ...
    @property
    def voice(self) -> int: ...
    @property
    def velocity(self) -> int: ...
    @property
    def role(self) -> str: ...


class _GridLike(Protocol):
    @property
    def steps_per_bar(self) -> int: ...
    @property
    def beat_steps(self) -> tuple[int, ...]: ...
    @property
    def strong_steps(self) -> tuple[int, ...]: ...
    @property
    def pulse_steps(self) -> tuple[int, ...]: ...
    @property
    def steps_per_qn(self) -> float: ...
    def weight(self, step: int) -> float: ...


class _GenomeLike(Protocol):
    @property
    def grid(self) -> _GridLike: ...
    @property
    def bars(self) -> int: ...
    @property
    def hits(self) -> Sequence[_HitLike]: ...


@dataclass(frozen=True, slots=True)
class PatternHit:
    """One onset: absolute step, GM drum note, role name and velocity."""

    step: int
    voice: int
    role: str
    velocity: int


#: What :meth:`DrumPattern.of` reads of a grid, kept per grid (a phase reads thousands of
#: genomes on one grid; a frozen grid cannot change).
_GRID_FACTS: dict[
    object, tuple[int, float, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[float, ...]]
] = {}


def _immutable(thing: object) -> bool:
    """A frozen dataclass (a key that cannot change under the cache)."""
    return _frozen_type(type(thing))


def _frozen_type(cls: type) -> bool:
    frozen = _FROZEN.get(cls)
    if frozen is None:
        params = getattr(cls, "__dataclass_params__", None)
        frozen = _FROZEN[cls] = bool(params is not None and params.frozen)
    return frozen


_FROZEN: dict[type, bool] = {}


@dataclass(frozen=True, slots=True)
class DrumPattern:
    """What the drum scores read: bars of a grid and the hits on it.

    ``step_weights`` is the metrical weight of each step in a bar (1 downbeat .. 0 finest);
    ``beat_steps``/``strong_steps``/``pulse_steps`` are steps inside a bar. ``hits`` are
    anything with ``step``, ``voice``, ``role`` and ``velocity`` that cannot change (a
    genome's frozen hits, or :class:`PatternHit`)."""

    bars: int
    steps_per_bar: int
    steps_per_qn: float
    beat_steps: tuple[int, ...]
    strong_steps: tuple[int, ...]
    pulse_steps: tuple[int, ...]
    step_weights: tuple[float, ...]
    hits: tuple[_HitLike, ...]
    _by_bar: tuple[tuple[_HitLike, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.bars < 1 or self.steps_per_bar < 1:
            raise ValueError(
                f"DrumPattern: bars {self.bars!r}, steps_per_bar {self.steps_per_bar!r} -- "
                "both at least 1"
            )
        if len(self.step_weights) != self.steps_per_bar:
            raise ValueError(
                f"DrumPattern.step_weights: {len(self.step_weights)} values -- one per step "
                f"({self.steps_per_bar})"
            )
        by_bar: list[list[_HitLike]] = [[] for _ in range(self.bars)]
        for h in self.hits:
            bar = h.step // self.steps_per_bar
            if 0 <= bar < self.bars:
                by_bar[bar].append(h)
        object.__setattr__(self, "_by_bar", tuple(tuple(b) for b in by_bar))

    @classmethod
    def of(cls, genome: _GenomeLike) -> DrumPattern:
        """Read a genome (``generators.drums.genome.DrumGenome`` or anything shaped like it)."""
        g = genome.grid
        facts = _GRID_FACTS.get(g) if _immutable(g) else None
        if facts is None:
            facts = (
                g.steps_per_bar,
                g.steps_per_qn,
                tuple(g.beat_steps),
                tuple(g.strong_steps),
                tuple(g.pulse_steps),
                tuple(g.weight(s) for s in range(g.steps_per_bar)),
            )
            if _immutable(g):
                if len(_GRID_FACTS) > 64:
                    _GRID_FACTS.clear()
                _GRID_FACTS[g] = facts
        hits: tuple[_HitLike, ...] = tuple(genome.hits)
        # Frozen hits (a DrumGenome's) carry what the scores read and cannot change: the
        # pattern holds them as they are. Others are copied, so the pattern cannot change.
        if not all(_frozen_type(t) for t in set(map(type, hits))):
            hits = tuple(PatternHit(h.step, h.voice, h.role, h.velocity) for h in hits)
        spb, spq, beats, strong, pulse, weights = facts
        return cls(
            bars=genome.bars,
            steps_per_bar=spb,
            steps_per_qn=spq,
            beat_steps=beats,
            strong_steps=strong,
            pulse_steps=pulse,
            step_weights=weights,
            hits=hits,
        )

    @property
    def bar_qn(self) -> float:
        return self.steps_per_bar / self.steps_per_qn

    def bar_hits(self, bar: int) -> tuple[_HitLike, ...]:
        return self._by_bar[bar]


def _stream(h: _HitLike) -> int:
    if h.voice in KICK_NOTES:
        return 0
    if h.voice in SNARE_NOTES:
        return 1
    return 2 if h.role == "motion" else 3


def bar_onsets(p: DrumPattern, bar: int) -> frozenset[tuple[int, int]]:
    """(stream, step in bar) of a bar's onsets; streams: kick, snare, motion, everything else."""
    lo = bar * p.steps_per_bar
    return frozenset((_stream(h), h.step - lo) for h in p.bar_hits(bar))


def onsets_per_qn(p: DrumPattern) -> float:
    return len(p.hits) / (p.bars * p.bar_qn)


# ---------------------------------------------------------------------- scores
def bar_similarity(p: DrumPattern) -> float:
    """Mean Jaccard overlap of the onset sets of all pairs of bars (1.0 for one bar)."""
    sets = [bar_onsets(p, b) for b in range(p.bars)]
    pairs = list(itertools.combinations(sets, 2))
    if not pairs:
        return 1.0
    total = 0.0
    for a, b in pairs:
        union = a | b
        total += len(a & b) / len(union) if union else 1.0
    return total / len(pairs)


def groove_consistency(p: DrumPattern) -> float:
    """1 when the bars resemble each other as much as real grooves' bars do (inside the 25-75
    percentile band of :data:`CONSISTENCY_BAND`), falling to 0.6 for identical bars (a loop
    with no variation at all) and to 0 for bars that share nothing. A one-bar pattern: 0.8."""
    if p.bars < 2:
        return 0.8
    sim = bar_similarity(p)
    p5, p25, p75, p95 = CONSISTENCY_BAND
    if p25 <= sim <= p75:
        return 1.0
    if sim > p75:
        if sim <= p95:
            return 1.0 - 0.2 * (sim - p75) / (p95 - p75)
        return 0.8 - 0.2 * (sim - p95) / (1.0 - p95)
    if sim >= p5:
        return 0.6 + 0.4 * (sim - p5) / (p25 - p5)
    return 0.6 * sim / p5


def role_balance(p: DrumPattern) -> float:
    """0.35 x core on the strong beats (share of strong steps with a kick or snare) + 0.3 x
    motion filling the beats (share of felt beats with a motion onset) + 0.2 x accents sparse
    (full marks up to 2 a bar, 0 from 6) + 0.15 x fill voices kept to fills (full marks while
    toms play in at most a quarter of the bars, 0 when in three quarters or more)."""
    spb = p.steps_per_bar
    strong_total = p.bars * len(p.strong_steps)
    core_steps = {h.step for h in p.hits if h.role == "core"}
    strong_hit = sum(1 for b in range(p.bars) for s in p.strong_steps if b * spb + s in core_steps)
    core_score = strong_hit / strong_total if strong_total else 0.0
    starts = [*p.beat_steps, spb]
    filled = 0
    for b in range(p.bars):
        motion = [h.step - b * spb for h in p.bar_hits(b) if h.role == "motion"]
        filled += sum(1 for a, e in itertools.pairwise(starts) if any(a <= s < e for s in motion))
    motion_score = filled / (p.bars * len(p.beat_steps))
    accents = sum(1 for h in p.hits if h.role == "accent") / p.bars
    accent_score = max(0.0, min(1.0, 1.0 - (accents - 2.0) / 4.0))
    tom_bars = sum(1 for b in range(p.bars) if any(h.role == "fill" for h in p.bar_hits(b)))
    fill_score = max(0.0, min(1.0, 1.0 - (tom_bars / p.bars - 0.25) / 0.5))
    return 0.35 * core_score + 0.3 * motion_score + 0.2 * accent_score + 0.15 * fill_score


def _word_hits(words: Sequence[str], vocabulary: Sequence[str]) -> int:
    text = " ".join(w.lower() for w in words)
    return sum(1 for v in vocabulary if v in text)


def density_target(mood: Sequence[str], genres: Sequence[str], bpm: float) -> float:
    """Target onsets per quarter note: :data:`BASE_DENSITY`, times 0.55 per net sparse word
    ("sparse", "ambient", "ominous", ...) or 1.3 per net dense word ("intense", "chaotic",
    "funk", ...), at most two steps either way, times ``sqrt(100 / bpm)`` kept in
    [0.75, 1.25] (fast songs play fewer notes per beat)."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo")
    words = [*mood, *genres]
    net = _word_hits(words, _DENSE_WORDS) - _word_hits(words, _SPARSE_WORDS)
    net = max(-2, min(2, net))
    factor = 1.3**net if net >= 0 else 0.55 ** (-net)
    tempo = max(0.75, min(1.25, math.sqrt(100.0 / bpm)))
    return BASE_DENSITY * factor * tempo


def density_fit(p: DrumPattern, target: float) -> float:
    """exp(-ln(density / target)^2 / (2 x 0.4^2)): 1 on target, ~0.5 at 1.6x or 0.62x,
    0 for an empty pattern."""
    if not target > 0:
        raise ValueError(f"target: {target!r} -- a positive density (onsets per quarter note)")
    d = onsets_per_qn(p)
    if d <= 0:
        return 0.0
    return math.exp(-(math.log(d / target) ** 2) / (2 * 0.4**2))


def fill_bars(p: DrumPattern) -> tuple[int, ...]:
    """Bars holding a fill: two or more fill-voice (tom) hits, or a snare roll (4+ snare hits
    at velocity >= 60 in the bar's last two pulses)."""
    out = []
    tail = p.pulse_steps[-min(2, len(p.pulse_steps))]
    for b in range(p.bars):
        hits = p.bar_hits(b)
        toms = sum(1 for h in hits if h.role == "fill")
        roll = sum(
            1
            for h in hits
            if h.voice in SNARE_NOTES and h.velocity >= 60 and h.step - b * p.steps_per_bar >= tail
        )
        if toms >= 2 or roll >= 4:
            out.append(b)
    return tuple(out)


def fill_placement(p: DrumPattern, *, phrase_bars: int = 4, wants_fill: bool = True) -> float:
    """1 when fills sit only at phrase ends (every ``phrase_bars`` bars and the last bar) and,
    if ``wants_fill`` (a section change follows), the last bar has one; 0.6 when a wanted fill
    is missing; each fill in the middle of a phrase halves the score."""
    if phrase_bars < 1:
        raise ValueError(f"phrase_bars: {phrase_bars!r} -- at least 1")
    fills = fill_bars(p)
    ends = {b for b in range(p.bars) if (b + 1) % phrase_bars == 0} | {p.bars - 1}
    mid = sum(1 for b in fills if b not in ends)
    base = 1.0 if (p.bars - 1) in fills or not wants_fill else 0.6
    return base * 0.5**mid


def score_drums(
    pattern: DrumPattern,
    *,
    mood: Sequence[str] = (),
    genres: Sequence[str] = (),
    bpm: float = 100.0,
    phrase_bars: int = 4,
    wants_fill: bool = True,
    weights: dict[str, float] | None = None,
    style: Mapping[str, float] | None = None,
) -> TheoryScores:
    """All drum theory components and their weighted total (:data:`DRUM_WEIGHTS`). With
    ``style`` (the style-fit components of :func:`scoring.style.drums.drum_style`) those
    replace groove consistency, role balance and density, under :data:`DRUM_STYLE_WEIGHTS`."""
    if style is not None:
        placement = fill_placement(pattern, phrase_bars=phrase_bars, wants_fill=wants_fill)
        return TheoryScores.weighted(
            {**style, "fill_placement": placement}, weights or DRUM_STYLE_WEIGHTS
        )
    scores = {
        "groove_consistency": groove_consistency(pattern),
        "role_balance": role_balance(pattern),
        "density_fit": density_fit(pattern, density_target(mood, genres, bpm)),
        "fill_placement": fill_placement(pattern, phrase_bars=phrase_bars, wants_fill=wants_fill),
    }
    return TheoryScores.weighted(scores, weights or DRUM_WEIGHTS)
