"""The array path of the scorer's features (``scoring.note_arrays``, ``scoring.symbolic``)
equals, bit for bit, the per-note definitions it replaced (kept below as a reference), for one
candidate and for a whole batch at once, and a backdrop computed once gives what the whole
texture gives."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.meter import Meter
from music.notes import Note, Part
from music.pianoroll import onset_roll, piano_roll
from scoring.midi_features import (
    _MAJOR_SCALE,
    _MINOR_SCALE,
    N_SYMBOLIC,
    ROLL_STEPS,
    STEPS_PER_QN,
    WINDOW_QN,
    KeyEstimate,
    MidiFeatures,
    _no_notes,
    estimate_key,
    features_batch,
    features_over,
    is_triplet_onset,
    midi_features,
    syncopation,
)
from scoring.note_arrays import Backdrop
from scoring.symbolic import _MAJOR_KEYS, _MINOR_KEYS, estimate_keys

# ---------------------------------------------------------------- the reference (old code)


def _ref_estimate_key(pc_hist: NDArray[np.float64]) -> KeyEstimate:
    """The best of the 24 major/minor keys for a 12-bin pitch-class histogram."""
    h = np.asarray(pc_hist, dtype=np.float64)
    if not np.any(h > 0) or np.allclose(h, h[0]):
        return KeyEstimate(tonic=0, mode="major", correlation=0.0, major_minus_minor=0.0)
    centred = h - h.mean()
    centred /= np.linalg.norm(centred)
    best: dict[str, tuple[float, int]] = {}
    for mode, profiles in (("major", _MAJOR_KEYS), ("minor", _MINOR_KEYS)):
        rs = profiles @ centred
        tonic = int(np.argmax(rs))
        best[mode] = (float(rs[tonic]), tonic)
    mode = "major" if best["major"][0] >= best["minor"][0] else "minor"
    return KeyEstimate(
        tonic=best[mode][1],
        mode=mode,
        correlation=best[mode][0],
        major_minus_minor=best["major"][0] - best["minor"][0],
    )


def _ref_window(parts: Sequence[Part], *, meter: Meter) -> tuple[Part, ...]:
    """The parts as they fill the 32-qn window: leading empty bars dropped, short music looped
    at whole bars, long music cut (notes crossing the end are shortened). Raises
    MidiFileError when there is no note."""
    starts = [n.start for p in parts for n in p.notes]
    if not starts:
        raise _no_notes()
    bar = meter.bar_qn
    offset = math.floor(min(starts) / bar + 1e-9) * bar
    end = max(n.end for p in parts for n in p.notes) - offset
    loop = max(bar, math.ceil(end / bar - 1e-9) * bar)
    copies = math.ceil(WINDOW_QN / loop) if loop < WINDOW_QN else 1
    out: list[Part] = []
    for p in parts:
        notes: list[Note] = []
        for k in range(copies):
            shift = k * loop - offset
            for n in p.notes:
                start, stop = n.start + shift, min(n.end + shift, WINDOW_QN)
                if start < WINDOW_QN and stop > start:
                    notes.append(Note(start=start, end=stop, pitch=n.pitch, velocity=n.velocity))
        if notes:
            out.append(
                Part(
                    name=p.name,
                    notes=tuple(notes),
                    program=p.program,
                    is_drum=p.is_drum,
                    meta=p.meta,
                )
            )
    if not out:
        raise _no_notes()
    return tuple(out)


def _ref_features(parts: Sequence[Part], *, bpm: float, meter: Meter) -> MidiFeatures:
    """Roll and symbolic features of ``parts`` played at ``bpm`` (qn per minute) in ``meter``.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo (qn per minute)")
    window = list(_ref_window(parts, meter=meter))
    roll = np.stack(
        [
            piano_roll(window, steps_per_qn=STEPS_PER_QN, length_steps=ROLL_STEPS),
            onset_roll(window, steps_per_qn=STEPS_PER_QN, length_steps=ROLL_STEPS),
        ]
    ).astype(np.float32)
    return MidiFeatures(roll=roll, symbolic=_ref_symbolic(window, roll, bpm=bpm, meter=meter))


def _ref_symbolic(
    window: Sequence[Part], roll: NDArray[np.float32], *, bpm: float, meter: Meter
) -> NDArray[np.float32]:
    """The :data:`SYMBOLIC_NAMES` vector of windowed parts and their ``[2, 128, T]`` roll."""
    f = np.zeros(N_SYMBOLIC, dtype=np.float64)
    pitched = [n for p in window if not p.is_drum for n in p.notes]
    drums = [n for p in window if p.is_drum for n in p.notes]
    every = pitched + drums
    f[0] = min(bpm / 200.0, 1.5)
    f[1] = math.log2(meter.numerator) / 4.0
    f[2] = float(meter.is_compound)
    if pitched:
        f[3] = min(
            1.0, math.log2(1.0 + float(np.mean([n.duration for n in pitched]))) / math.log2(9)
        )
    f[4] = math.log1p(len(pitched) / WINDOW_QN) / math.log1p(16)
    f[5] = math.log1p(len(drums) / WINDOW_QN) / math.log1p(16)
    sounding = roll[0] > 0  # [128, T]
    weights = sounding.sum(axis=1).astype(np.float64)  # steps per pitch
    pcs: NDArray[np.float64] = np.zeros(12)
    if weights.sum() > 0:
        pitches = np.arange(128, dtype=np.float64)
        mean = float((weights * pitches).sum() / weights.sum())
        present = np.nonzero(weights)[0]
        f[6] = mean / 127.0
        f[7] = min(
            1.0, math.sqrt(float((weights * (pitches - mean) ** 2).sum() / weights.sum())) / 24
        )
        f[8] = present.min() / 127.0
        f[9] = present.max() / 127.0
        f[10] = min(1.0, (present.max() - present.min()) / 60.0)
        per_step = sounding.sum(axis=0)
        f[11] = min(1.0, float(per_step[per_step > 0].mean()) / 6.0)
        counts = np.bincount(np.arange(128) % 12, weights=weights, minlength=12)
        pcs = (counts / counts.sum()).astype(np.float64)
        f[12:24] = pcs
        f[29] = float((per_step == 0).mean())
    else:
        f[29] = 1.0
    key = _ref_estimate_key(pcs)
    f[24] = min(1.0, max(0.0, 0.5 + key.major_minus_minor / 2.0))
    f[25] = min(1.0, max(0.0, key.correlation))
    f[26] = float(np.mean([n.velocity for n in every])) / 127.0
    f[27] = syncopation(every, meter=meter)
    f[28] = len(drums) / len(every)
    f[30] = float(np.mean([is_triplet_onset(n.start) for n in every]))
    if pcs.sum() > 0:
        scale = _MAJOR_SCALE if key.mode == "major" else _MINOR_SCALE
        in_key = sum(pcs[(key.tonic + i) % 12] for i in scale)
        f[31] = max(0.0, 1.0 - in_key)
    return f.astype(np.float32)


# ---------------------------------------------------------------- cases


def _random_part(
    rng: np.random.Generator, name: str, *, drum: bool = False, span: float = 32.0
) -> Part:
    count = int(rng.integers(1, 40))
    grid = rng.choice([0.25, 1 / 3, 0.5, 0.1])
    notes = []
    for _ in range(count):
        start = float(rng.integers(0, int(span / grid))) * grid + float(rng.normal(0, 0.01)) ** 2
        length = float(rng.choice([0.25, 0.5, 1.0, 1.5, 3.0, 7.0])) + float(rng.random()) * 0.1
        notes.append(
            Note(
                start=start,
                end=start + length,
                pitch=int(rng.integers(30, 90)),
                velocity=int(rng.integers(1, 128)),
            )
        )
    return Part(name=name, notes=tuple(notes), is_drum=drum)


METERS = (Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(7, 8), Meter(5, 4))


def _assert_same(a: MidiFeatures, b: MidiFeatures) -> None:
    np.testing.assert_array_equal(a.roll, b.roll)
    assert a.symbolic.tobytes() == b.symbolic.tobytes()


@pytest.mark.parametrize("seed", range(60))
def test_features_equal_the_per_note_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    meter = METERS[seed % len(METERS)]
    span = float(rng.choice([2.0, 5.0, 12.0, 32.0, 70.0]))
    parts = [_random_part(rng, f"p{i}", drum=i == 2, span=span) for i in range(1 + seed % 3)]
    if seed % 7 == 0:  # late start: whole empty bars are dropped
        parts = [Part(name=p.name, notes=tuple(n.shifted(9.0) for n in p.notes)) for p in parts]
    bpm = float(rng.uniform(50, 180))
    _assert_same(
        midi_features(parts, bpm=bpm, meter=meter), _ref_features(parts, bpm=bpm, meter=meter)
    )


@pytest.mark.parametrize("seed", range(30))
def test_backdrop_reused_across_candidates_equals_the_whole_texture(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    meter = METERS[seed % len(METERS)]
    under = [_random_part(rng, "chords", span=16.0), _random_part(rng, "kit", drum=True, span=8.0)]
    backdrop = Backdrop.of(under)
    for _ in range(4):  # candidates of different lengths place the backdrop differently
        own = [_random_part(rng, "line", span=float(rng.choice([3.0, 16.0, 40.0])))]
        fast = features_over(own, backdrop, bpm=90.0, meter=meter)
        _assert_same(fast, _ref_features([*own, *under], bpm=90.0, meter=meter))
    assert 1 <= len(backdrop._windows) <= 4


def test_clipped_notes_sort_like_a_part() -> None:
    """Two notes starting together, both cut at the window's end: a Part orders them by pitch
    once their ends are equal, and the mean duration must sum in that order."""
    notes = (
        Note(start=30.0, end=34.0, pitch=70),
        Note(start=30.0, end=33.0, pitch=40),
        Note(start=0.1, end=0.4, pitch=50),
        Note(start=0.3, end=0.7, pitch=51),
    )
    parts = [Part(name="p", notes=notes)]
    _assert_same(
        midi_features(parts, bpm=100, meter=Meter(4, 4)),
        _ref_features(parts, bpm=100, meter=Meter(4, 4)),
    )


def test_empty_candidate_over_an_empty_backdrop_fails_naming_notes() -> None:
    with pytest.raises(MidiFileError, match="notes"):
        features_over([Part(name="p", notes=())], Backdrop.of(()), bpm=100, meter=Meter(4, 4))


def test_empty_candidate_over_a_backdrop_is_the_backdrop_alone() -> None:
    under = [_random_part(np.random.default_rng(3), "chords")]
    fast = features_over([Part(name="p", notes=())], Backdrop.of(under), bpm=80, meter=Meter(3, 4))
    _assert_same(fast, _ref_features(under, bpm=80, meter=Meter(3, 4)))


@pytest.mark.parametrize("seed", range(12))
def test_a_batch_equals_each_candidate_by_the_reference(seed: int) -> None:
    """Candidates of different lengths (so different windows), some empty, some with a drum
    part, over a backdrop or none: every row is the reference of that candidate alone."""
    rng = np.random.default_rng(2000 + seed)
    meter = METERS[seed % len(METERS)]
    under = [] if seed % 3 == 0 else [_random_part(rng, "chords", span=16.0)]
    if seed % 4 == 1:
        under.append(_random_part(rng, "kit", drum=True, span=8.0))
    candidates: list[list[Part]] = []
    for i in range(int(rng.integers(1, 30))):
        span = float(rng.choice([3.0, 8.0, 16.0, 40.0]))
        own = [_random_part(rng, "line", span=span, drum=i % 5 == 4)]
        if i % 6 == 5:
            own.append(_random_part(rng, "other", span=span))
        if under and i % 7 == 3:
            own = [Part(name="line", notes=())]
        candidates.append(own)
    bpm = float(rng.uniform(50, 180))
    rolls, symbolic = features_batch(candidates, Backdrop.of(under), bpm=bpm, meter=meter)
    assert rolls.shape == (len(candidates), 2, 128, ROLL_STEPS)
    assert symbolic.shape == (len(candidates), N_SYMBOLIC)
    for i, own in enumerate(candidates):
        notes = [p for p in [*own, *under] if p.notes]
        _assert_same(
            MidiFeatures(roll=rolls[i], symbolic=symbolic[i]),
            _ref_features(notes, bpm=bpm, meter=meter),
        )


def test_a_batch_with_an_empty_candidate_and_nothing_underneath_fails_naming_notes() -> None:
    full = [_random_part(np.random.default_rng(4), "line")]
    with pytest.raises(MidiFileError, match="notes"):
        features_batch([full, [Part("line", ())]], Backdrop.of(()), bpm=90, meter=Meter(4, 4))


@pytest.mark.parametrize("seed", range(20))
def test_keys_of_many_histograms_equal_the_one_at_a_time_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hists = rng.random((50, 12)) * (rng.random((50, 12)) < 0.6)
    hists[0] = 0.0  # nothing sounds
    hists[1] = 0.25  # flat
    hists[2] = 1.0 + rng.random(12) * 1e-7  # flat within numpy.allclose
    hists[3, :] = 0.0
    hists[3, int(rng.integers(12))] = 1.0  # one pitch class
    hists /= np.maximum(hists.sum(axis=1, keepdims=True), 1e-12)
    assert estimate_keys(hists) == [_ref_estimate_key(h) for h in hists]
    assert estimate_key(hists[4]) == _ref_estimate_key(hists[4])
