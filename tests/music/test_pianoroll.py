"""Piano rolls: beat-aligned [128, T] arrays that depend on quarter notes, never on tempo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from music.meter import Meter
from music.midi_io import Song, read_midi, write_midi
from music.notes import Note, Part
from music.pianoroll import STEPS_PER_QN, onset_roll, piano_roll


def _parts() -> tuple[Part, ...]:
    melody = Part(name="melody", notes=(Note(0.0, 1.0, 72, 127), Note(1.0, 1.5, 74, 64),
                                        Note(2.0, 4.0, 76, 100)))  # fmt: skip
    bass = Part(name="bass", notes=(Note(0.0, 2.0, 36, 90), Note(2.0, 4.0, 43, 90)), program=33)
    drums = Part(name="drums", notes=(Note(0.0, 0.25, 36, 110), Note(1.0, 1.25, 38, 110)),
                 is_drum=True)  # fmt: skip
    return (melody, bass, drums)


def test_shape_dtype_and_values() -> None:
    roll = piano_roll(_parts())
    assert roll.shape == (128, 4 * STEPS_PER_QN)
    assert roll.dtype == np.float32
    assert np.all(roll[72, 0:4] == np.float32(127 / 127))
    assert np.all(roll[74, 4:6] == np.float32(64 / 127))
    assert np.all(roll[74, 6:] == 0) and np.all(roll[74, :4] == 0)
    assert np.all(roll[76, 8:16] == np.float32(100 / 127))
    assert np.all(roll[36, 0:8] == np.float32(90 / 127))
    assert np.all(roll[43, 8:16] == np.float32(90 / 127))
    # Nothing else sounds: 4 + 2 + 8 + 8 + 8 steps lit.
    assert np.count_nonzero(roll) == 30
    assert roll.min() >= 0.0 and roll.max() <= 1.0


def test_drums_excluded_by_default() -> None:
    parts = _parts()
    assert piano_roll(parts)[38].sum() == 0
    with_drums = piano_roll(parts, include_drums=True)
    assert np.all(with_drums[38, 4:5] == np.float32(110 / 127))
    # Pitch 36 is both the bass (vel 90) and the kick (vel 110): the louder one wins.
    assert with_drums[36, 0] == np.float32(110 / 127)
    assert with_drums[36, 1] == np.float32(90 / 127)
    assert piano_roll([parts[2]]).shape == (128, 0)  # only drums, excluded -> no steps


@pytest.mark.parametrize("bpm", [60.0, 84.0, 120.0, 177.0])
def test_roll_is_tempo_independent_through_midi(tmp_path: Path, bpm: float) -> None:
    # The same parts give the same roll at any tempo: the roll is in quarter notes.
    song = Song(parts=_parts(), bpm=bpm, meter=Meter(4, 4))
    back = read_midi(write_midi(song, tmp_path / f"{bpm}.mid"))
    np.testing.assert_array_equal(piano_roll(back.parts), piano_roll(_parts()))
    np.testing.assert_array_equal(
        onset_roll(back.parts, length_steps=16), onset_roll(_parts(), length_steps=16)
    )


def test_steps_per_qn() -> None:
    roll = piano_roll(_parts(), steps_per_qn=12)
    assert roll.shape == (128, 48)
    assert np.count_nonzero(roll[74]) == 6  # half a quarter note at 12 steps/qn
    with pytest.raises(ValueError, match="steps_per_qn: 0"):
        piano_roll(_parts(), steps_per_qn=0)
    with pytest.raises(ValueError, match="steps_per_qn: -4"):
        onset_roll(_parts(), steps_per_qn=-4, length_steps=4)


def test_cutting_and_padding() -> None:
    full = piano_roll(_parts())
    cut = piano_roll(_parts(), length_steps=6)
    assert cut.shape == (128, 6)
    np.testing.assert_array_equal(cut, full[:, :6])
    padded = piano_roll(_parts(), length_steps=40)
    assert padded.shape == (128, 40)
    np.testing.assert_array_equal(padded[:, :16], full)
    assert not padded[:, 16:].any()
    assert piano_roll(_parts(), length_steps=0).shape == (128, 0)


def test_every_note_covers_at_least_one_step() -> None:
    short = Part(name="p", notes=(Note(0.0, 0.01, 60), Note(1.0, 1.05, 61)))
    roll = piano_roll([short])
    assert roll[60, 0] > 0 and roll[61, 4] > 0
    assert roll.shape[1] == 5


def test_a_short_last_note_is_not_cut_off() -> None:
    # Regression: the length came from ceil(end) while notes were rounded, so a note from
    # 0.9 to 1.0 qn at one step per qn landed on step 1 of a one-step roll and vanished.
    part = Part(name="p", notes=(Note(0.0, 0.5, 50), Note(0.9, 1.0, 60)))
    roll = piano_roll([part], steps_per_qn=1)
    assert roll[60].sum() > 0
    # ... and no empty step is added after the last note-off.
    triplet = Part(name="t", notes=(Note(0.0, 10 / 3, 64),))
    roll = piano_roll([triplet])
    assert roll.shape == (128, 13)
    assert roll[64, -1] > 0


def test_half_steps_round_up_consistently() -> None:
    # Regression: Python's round() sends 1.5 and 2.5 steps both to step 2, so two 32nd notes
    # at 4 steps per qn collided on one step and rhythms on half steps were uneven.
    notes = tuple(Note(k / 8, k / 8 + 0.125, 60 + k) for k in range(8))  # 32nd notes
    onsets = onset_roll([Part(name="p", notes=notes)], length_steps=8)
    steps = [int(np.flatnonzero(onsets[60 + k])[0]) for k in range(8)]
    assert steps == [0, 1, 1, 2, 2, 3, 3, 4]
    roll = piano_roll([Part(name="p", notes=notes)])
    starts = [int(np.flatnonzero(roll[60 + k])[0]) for k in range(8)]
    assert starts == steps


def test_onset_roll_marks_only_starts() -> None:
    onsets = onset_roll(_parts(), length_steps=16)
    assert onsets.shape == (128, 16) and onsets.dtype == np.float32
    assert onsets[72, 0] == np.float32(1.0) and onsets[72, 1:].sum() == 0
    assert onsets[76, 8] == np.float32(100 / 127)
    assert onsets[36, 0] == np.float32(110 / 127)  # drums included by default, louder kept
    assert onsets[38, 4] > 0
    assert np.count_nonzero(onsets) == 6  # the kick and the bass share (36, 0)
    no_drums = onset_roll(_parts(), length_steps=16, include_drums=False)
    assert no_drums[38].sum() == 0 and no_drums[36, 0] == np.float32(90 / 127)
    short = onset_roll(_parts(), length_steps=4)
    assert short[76].sum() == 0 and short.shape == (128, 4)


@given(
    st.lists(st.tuples(st.integers(0, 63), st.integers(1, 16), st.integers(0, 127),
                       st.integers(1, 127)), min_size=1, max_size=20),
    st.sampled_from([1, 2, 4, 12]),
)  # fmt: skip
def test_roll_matches_a_naive_grid_property(
    raw: list[tuple[int, int, int, int]], steps_per_qn: int
) -> None:
    # Notes on a 16th-note grid: the roll must equal a cell-by-cell construction.
    notes = tuple(Note(s / 4, (s + d) / 4, p, v) for s, d, p, v in raw)
    roll = piano_roll([Part(name="p", notes=notes)], steps_per_qn=steps_per_qn)
    scale = steps_per_qn / 4
    total = max(max(int(np.floor((s + d) * scale + 0.5)), int(np.floor(s * scale + 0.5)) + 1)
                for s, d, _, _ in raw)  # fmt: skip
    expected = np.zeros((128, total), dtype=np.float32)
    for s, d, p, v in raw:
        a = int(np.floor(s * scale + 0.5))
        b = max(a + 1, int(np.floor((s + d) * scale + 0.5)))
        expected[p, a:b] = np.maximum(expected[p, a:b], np.float32(v / 127))
    np.testing.assert_array_equal(roll, expected)
