"""Melody genomes from the mood melody transformer: samples conditioned on the song's mood
target, tempo and meter, those the model wrote in the song's mode family made valid genomes of
the section's length in the song's key and the carrier's range.

A sample's steps are scale steps from the reference tonic (:func:`reference_tonic`), so the
genome's steps are the same steps from its base moved by the octaves between the two; the
melody is then moved by whole octaves to leave the fewest notes outside the voice's range and
any note still outside folded in by octaves. Notes on felt beats a step from a tone of the
sounding chord move onto it (the approved chords are not in the model's input), each bar is
normalised (:func:`generators.melody.genome.normalise_bar`) and each phrase's contour intent
is read from where its highest note falls. With lyrics, each phrase's rhythm is then matched
to its syllable count (long notes split, short ones merged into the note before). A sample
leaving a phrase without notes, or whose phrase cannot hold its count, is dropped.
"""

from __future__ import annotations

import numpy as np

from generators.melody.compound import GRID_QN, reference_tonic
from generators.melody.genome import MelodyBar, MelodyGenome, MelodyNote, normalise_bar
from generators.melody.mood_transformer import MoodMelodyTransformer, MoodSample
from generators.melody.operators import MelodyOps
from generators.melody.phrase import RhythmNote, felt_beats, match_count

_EPS = 1e-6


def _octave_shift(steps: list[int], low: int, high: int) -> int:
    """The whole-octave move (in steps) leaving the fewest steps outside ``low..high``,
    the smallest move among equals."""

    def outside(shift: int) -> int:
        return sum(1 for s in steps if not low <= s + shift <= high)

    return min(range(-21, 22, 7), key=lambda m: (outside(m), abs(m)))


def _fold(step: int, low: int, high: int) -> int:
    while step < low:
        step += 7
    while step > high:
        step -= 7
    return max(low, step)


def _contour(steps: list[int]) -> str:
    """The contour intent whose climax window holds the highest note's place in the phrase."""
    if len(steps) < 2:
        return "arch"
    at = steps.index(max(steps)) / (len(steps) - 1)
    return "early-peak" if at < 0.4 else "late-peak" if at > 0.65 else "arch"


def _with_syllables(bars: tuple[MelodyBar, ...], ops: MelodyOps) -> tuple[MelodyBar, ...] | None:
    """``bars`` with each phrase carrying the notes its lyrics ask for (:meth:`MelodyOps.target`):
    its rhythm matched to the count (:func:`generators.melody.phrase.match_count`), each new
    note on the step of the sampled note sounding at its onset. None where the grid cannot
    hold the count."""
    out = [list(b) for b in bars]
    for p in range(ops.phrases):
        target = ops.target(p)
        first = p * ops.phrase_bars
        span = range(first, first + ops.phrase_bar_count(p))
        placed = [(b - first, n) for b in span for n in bars[b]]
        if target is None or len(placed) == target:
            continue
        if not placed:
            return None
        rhythm = [RhythmNote(b, n.onset, n.duration) for b, n in placed]
        fitted = match_count(rhythm, target, ops.meter, len(span), breath=False)
        if len(fitted) != target:
            return None
        for b in span:
            out[b] = []
        for r in fitted:
            source = [n for b, n in placed if (b, n.onset) <= (r.bar, r.onset + _EPS)]
            src = source[-1] if source else placed[0][1]
            out[first + r.bar].append(MelodyNote(r.onset, r.duration, src.step, src.velocity))
    return tuple(normalise_bar(b, ops.meter) for b in out)


def sample_genome(sample: MoodSample, ops: MelodyOps, *, snap: bool = True) -> MelodyGenome | None:
    """``sample`` as a genome of ``ops.bars`` bars on ``ops``'s base and range; None when a
    phrase is left without notes."""
    notes = [n for n in sample.notes if n.bar < ops.bars]
    if not notes:
        return None
    octaves = (ops.base - reference_tonic(ops.key.tonic)) // 12
    steps = [n.step - 7 * octaves for n in notes]
    shift = _octave_shift(steps, ops.low_step, ops.high_step)
    felt = {round(s / GRID_QN) for s, _ in felt_beats(ops.meter)}
    bars: list[list[MelodyNote]] = [[] for _ in range(ops.bars)]
    for n, s in zip(notes, steps, strict=True):
        step = _fold(s + shift, ops.low_step, ops.high_step)
        onset = n.onset * GRID_QN
        if snap and n.onset in felt:
            chord = ops.chord_steps(n.bar * ops.meter.bar_qn + onset)
            near = [c for c in chord if abs(c - step) <= 1]
            if near:
                step = min(near, key=lambda c: (abs(c - step), c))
        bars[n.bar].append(
            MelodyNote(onset=onset, duration=n.duration * GRID_QN, step=step, velocity=n.velocity)
        )
    genome_bars = tuple(normalise_bar(b, ops.meter) for b in bars)
    if ops.syllables:
        counted = _with_syllables(genome_bars, ops)
        if counted is None:
            return None
        genome_bars = counted
    contours = []
    for p in range(ops.phrases):
        phrase = [
            n.step
            for b in range(p * ops.phrase_bars, min(ops.bars, (p + 1) * ops.phrase_bars))
            for n in genome_bars[b]
        ]
        if not phrase:
            return None
        contours.append(_contour(phrase))
    return MelodyGenome(
        bars=genome_bars, phrase_bars=ops.phrase_bars, base=ops.base, contour=tuple(contours)
    )


def mood_genomes(
    model: MoodMelodyTransformer,
    ops: MelodyOps,
    *,
    valence: float,
    arousal: float,
    bpm: float,
    n: int,
    rng: np.random.Generator,
) -> list[MelodyGenome]:
    """Up to ``n`` genomes sampled for the mood target in ``ops``'s meter and section length,
    in one batch of ``2 n`` whose mode the model draws: only the samples in the song's mode
    family are kept (the mode is the label's strongest valence cue, so a sad target in a major
    key keeps few, and the phase's own genomes fill the population as before); none where the
    model does not sample the meter."""
    if n < 1 or not model.supports(ops.meter):
        return []
    samples = model.sample(
        2 * n,
        valence=valence,
        arousal=arousal,
        bpm=bpm,
        meter=ops.meter,
        bars=ops.bars,
        rng=rng,
    )
    agreeing = (s for s in samples if s.mode == ops.key.family)
    made = (sample_genome(s, ops) for s in agreeing)
    return [g for g in made if g is not None][:n]
