"""The checks on an approved candidate's MIDI file, on files built in code: what the phases
write passes (a last drum hit ringing past the section included), what a bad edit makes fails
naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.candidate_check import check_candidate_midi
from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part

SEVEN_EIGHT = Meter(7, 8)  # 3.5 quarter notes a bar


def _file(tmp_path: Path, notes: list[tuple[float, float]], meter: Meter = SEVEN_EIGHT) -> Path:
    part = Part("drums", tuple(Note(start=s, end=e, pitch=38, velocity=90) for s, e in notes))
    return write_midi(Song(parts=(part,), bpm=120, meter=meter), tmp_path / "c.mid")


def test_a_last_hit_ringing_or_pushed_a_little_past_the_end_passes(tmp_path: Path) -> None:
    # 4 bars of 7/8 = 14 qn; the generator's last hit, played a touch late, rings past it.
    path = _file(tmp_path, [(0.0, 0.25), (13.75, 14.0417), (14.04, 14.3)])
    song = check_candidate_midi(path, meter=SEVEN_EIGHT, bpm=120, bars=4)
    assert song.end == pytest.approx(14.3, abs=1e-3)


@pytest.mark.parametrize(
    ("notes", "field"),
    [
        ([(0.0, 0.5), (14.5, 15.0)], "length"),  # starts a beat after the section
        ([(0.0, 18.0)], "length"),  # rings more than a bar past it
    ],
)
def test_notes_beyond_the_section_are_refused(
    tmp_path: Path, notes: list[tuple[float, float]], field: str
) -> None:
    path = _file(tmp_path, notes)
    with pytest.raises(MidiFileError, match=rf"c\.mid: {field}: .* the section's 4 bars of 7/8"):
        check_candidate_midi(path, meter=SEVEN_EIGHT, bpm=120, bars=4)


def test_meter_and_tempo_must_be_the_songs(tmp_path: Path) -> None:
    path = _file(tmp_path, [(0.0, 1.0)], meter=Meter(4, 4))
    with pytest.raises(MidiFileError, match=r"time_signature: '4/4' -- the song's meter 7/8"):
        check_candidate_midi(path, meter=SEVEN_EIGHT, bpm=120, bars=4)
    path = _file(tmp_path, [(0.0, 1.0)])
    with pytest.raises(MidiFileError, match=r"tempo: '120 bpm' -- the song's 90 bpm"):
        check_candidate_midi(path, meter=SEVEN_EIGHT, bpm=90, bars=4)
