"""Beat-aligned MIDI features: tempo-invariant roll, looping, cutting, symbolic entries, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from scoring.midi_features import (
    N_SYMBOLIC,
    ROLL_STEPS,
    SYMBOLIC_NAMES,
    MidiFeatures,
    estimate_key,
    features_from_midi_file,
    midi_features,
    stack,
)

IDX = {name: i for i, name in enumerate(SYMBOLIC_NAMES)}
FOUR = Meter(4, 4)


def _chords(pitch_sets: list[tuple[int, ...]], *, qn: float = 4.0, velocity: int = 80) -> Part:
    notes = [
        Note(start=i * qn, end=(i + 1) * qn, pitch=p, velocity=velocity)
        for i, chord in enumerate(pitch_sets)
        for p in chord
    ]
    return Part(name="chords", notes=tuple(notes))


C_MAJOR = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)] * 2  # 32 qn
A_MINOR = [(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)] * 2


def test_names_and_shapes() -> None:
    assert len(SYMBOLIC_NAMES) == N_SYMBOLIC == 32
    f = midi_features([_chords(C_MAJOR)], bpm=100, meter=FOUR)
    assert f.roll.shape == (2, 128, ROLL_STEPS) and f.roll.dtype == np.float32
    assert f.symbolic.shape == (N_SYMBOLIC,) and f.symbolic.dtype == np.float32
    assert np.all(f.symbolic >= 0) and np.all(f.symbolic <= 1.5)


def test_tempo_changes_only_the_tempo_entry() -> None:
    drums = Part(
        "drums", tuple(Note(i * 0.5, i * 0.5 + 0.1, 42, 90) for i in range(64)), is_drum=True
    )
    slow = midi_features([_chords(C_MAJOR), drums], bpm=60, meter=FOUR)
    fast = midi_features([_chords(C_MAJOR), drums], bpm=160, meter=FOUR)
    np.testing.assert_array_equal(slow.roll, fast.roll)
    diff = np.nonzero(slow.symbolic != fast.symbolic)[0]
    assert diff.tolist() == [IDX["tempo_bpm"]]
    assert slow.symbolic[IDX["tempo_bpm"]] == pytest.approx(0.3)


def test_roll_channels() -> None:
    chords = _chords([(60, 64, 67)], qn=2.0, velocity=127)
    kick = Part("drums", (Note(0.0, 0.25, 36, 127),), is_drum=True)
    f = midi_features([chords, kick], bpm=120, meter=FOUR)
    # channel 0: sustained pitched notes only (8 steps of 2 qn, looped every 4 qn bar)
    assert f.roll[0, 60, 0:8].tolist() == [1.0] * 8
    assert f.roll[0, 60, 8:16].sum() == 0
    assert f.roll[0, 60, 16] == 1.0
    assert f.roll[0, 36].sum() == 0  # the kick is not a sustained pitched note
    # channel 1: onsets, drums at their GM pitch
    assert f.roll[1, 36, 0] == 1.0 and f.roll[1, 36, 1:16].sum() == 0
    assert f.roll[1, 60, 0] == 1.0 and f.roll[1, 60, 1] == 0.0


def test_short_music_is_looped_and_long_music_cut() -> None:
    one_bar = midi_features([_chords([(60,)], qn=4.0)], bpm=100, meter=FOUR)
    assert one_bar.roll[1, 60].nonzero()[0].tolist() == list(range(0, ROLL_STEPS, 16))
    long = _chords([(60 + i % 12,) for i in range(20)], qn=4.0)  # 80 qn
    cut = midi_features([long], bpm=100, meter=FOUR)
    assert cut.roll[1].sum() == pytest.approx(8 * 80 / 127)  # 8 onsets in 32 qn
    late = Part("late", (Note(40.0, 44.0, 62, 80),))  # leading empty bars are dropped
    assert midi_features([late], bpm=100, meter=FOUR).roll[1, 62, 0] > 0


def test_loop_keeps_bars_in_three_four() -> None:
    # 2.5 bars of 3/4 loop at 3 bars (9 qn): onsets at 0, 9, 18, 27 qn
    part = Part("m", (Note(0.0, 7.5, 64, 80),))
    f = midi_features([part], bpm=90, meter=Meter(3, 4))
    assert f.roll[1, 64].nonzero()[0].tolist() == [0, 36, 72, 108]


def test_mode_register_and_density_entries() -> None:
    major = midi_features([_chords(C_MAJOR)], bpm=100, meter=FOUR).symbolic
    minor = midi_features([_chords(A_MINOR)], bpm=100, meter=FOUR).symbolic
    assert major[IDX["major_vs_minor"]] > 0.5 > minor[IDX["major_vs_minor"]]
    low = midi_features(
        [_chords([tuple(p - 24 for p in c) for c in C_MAJOR])], bpm=100, meter=FOUR
    ).symbolic
    assert low[IDX["mean_pitch"]] < major[IDX["mean_pitch"]]
    busy = Part("m", tuple(Note(i * 0.25, i * 0.25 + 0.25, 60 + i % 7, 80) for i in range(128)))
    busy_f = midi_features([busy], bpm=100, meter=FOUR).symbolic
    assert busy_f[IDX["pitched_density"]] > major[IDX["pitched_density"]]
    assert busy_f[IDX["syncopation"]] == pytest.approx(0.75)  # 3 of 4 sixteenths off the beat
    assert major[IDX["syncopation"]] == 0.0
    assert major[IDX["drum_share"]] == 0.0 and major[IDX["silence"]] == 0.0
    assert np.isclose(major[12:24].sum(), 1.0)
    swung = Part(
        "m", tuple(Note(i + d, i + d + 0.3, 60, 80) for i in range(32) for d in (0, 2 / 3))
    )
    assert midi_features([swung], bpm=100, meter=FOUR).symbolic[IDX["triplet_share"]] == 0.5


def test_compound_and_odd_meters() -> None:
    part = _chords([(60, 64, 67)], qn=3.0)
    six_eight = midi_features([part], bpm=100, meter=Meter(6, 8)).symbolic
    seven_eight = midi_features([part], bpm=100, meter=Meter(7, 8)).symbolic
    assert six_eight[IDX["is_compound"]] == 1.0 and seven_eight[IDX["is_compound"]] == 0.0
    assert seven_eight[IDX["meter_numerator"]] > six_eight[IDX["meter_numerator"]]


def test_estimate_key() -> None:
    hist = np.zeros(12)
    for pc, w in ((9, 4), (0, 2), (4, 3), (2, 1), (11, 1), (5, 1), (8, 1)):
        hist[pc] = w
    key = estimate_key(hist)
    assert (key.tonic, key.mode) == (9, "minor")


def test_no_notes_is_an_error_not_a_zero() -> None:
    with pytest.raises(MidiFileError) as info:
        midi_features([], bpm=100, meter=FOUR)
    assert info.value.field == "notes" and info.value.value == 0
    with pytest.raises(MidiFileError):
        midi_features([Part("empty", ())], bpm=100, meter=FOUR)
    with pytest.raises(ValueError, match="bpm"):
        midi_features([_chords(C_MAJOR)], bpm=0.0, meter=FOUR)


def test_from_file_and_bad_files(tmp_path: Path) -> None:
    path = write_midi(
        Song(parts=(_chords(A_MINOR),), bpm=72, meter=Meter(3, 4)), tmp_path / "a.mid"
    )
    f = features_from_midi_file(path)
    direct = midi_features([_chords(A_MINOR)], bpm=72, meter=Meter(3, 4))
    np.testing.assert_array_equal(f.roll, direct.roll)
    np.testing.assert_allclose(f.symbolic, direct.symbolic, atol=1e-6)
    garbage = tmp_path / "bad.mid"
    garbage.write_bytes(b"not a midi file")
    with pytest.raises(MidiFileError, match=r"bad\.mid"):
        features_from_midi_file(garbage)
    empty = write_midi(Song(parts=(Part("x", ()),), bpm=100, meter=FOUR), tmp_path / "e.mid")
    with pytest.raises(MidiFileError, match="notes"):
        features_from_midi_file(empty)


def test_stack() -> None:
    a = midi_features([_chords(C_MAJOR)], bpm=100, meter=FOUR)
    b = midi_features([_chords(A_MINOR)], bpm=70, meter=FOUR)
    rolls, sym = stack([a, b])
    assert rolls.shape == (2, 2, 128, ROLL_STEPS) and sym.shape == (2, N_SYMBOLIC)
    np.testing.assert_array_equal(rolls[1], b.roll)
    with pytest.raises(ValueError, match="empty"):
        stack([])
    with pytest.raises(ValueError, match="shape"):
        MidiFeatures(roll=np.zeros((2, 128, 64), np.float32), symbolic=np.zeros(32, np.float32))


def test_own_channel_marks_the_part_over_its_backdrop() -> None:
    from scoring.midi_features import features_over, own_channel, roll_views
    from scoring.note_arrays import Backdrop

    chords = _chords(C_MAJOR)
    bass = Part("bass", tuple(Note(i * 4.0, i * 4.0 + 2.0, 36 + i % 3, 100) for i in range(8)))
    over = features_over([bass], Backdrop.of([chords]), bpm=100, meter=FOUR)
    alone = midi_features([bass], bpm=100, meter=FOUR)
    whole = midi_features([bass, chords], bpm=100, meter=FOUR)
    # the roll and symbolic are those of the parts together; the own channel is the bass alone
    np.testing.assert_array_equal(over.roll, whole.roll)
    np.testing.assert_array_equal(over.symbolic, whole.symbolic)
    assert over.own is not None and alone.own is None
    np.testing.assert_array_equal(over.own, own_channel(alone.roll))
    assert over.own[60].sum() == 0 and over.own[36].sum() > 0  # no chord tone, the bass
    # a model reading 3 channels gets the own channel; music heard whole is all its own
    rolls = roll_views([over, whole], 3, rows=3)
    assert rolls.shape == (3, 3, 128, ROLL_STEPS)
    np.testing.assert_array_equal(rolls[0, 2], over.own)
    np.testing.assert_array_equal(rolls[1, 2], np.maximum(whole.roll[0], whole.roll[1]))
    np.testing.assert_array_equal(rolls[2], rolls[1])  # padded with the last row
    np.testing.assert_array_equal(roll_views([over], 2), stack([over])[0])
    with pytest.raises(ValueError, match="channels"):
        roll_views([over], 4)
    with pytest.raises(ValueError, match="own"):
        MidiFeatures(roll=over.roll, symbolic=over.symbolic, own=np.zeros((128, 64), np.float32))
