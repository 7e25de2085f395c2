"""The chorale bass corpus: the harmony heard on each beat and bass rows of a four-part score
written here."""

from __future__ import annotations

import pytest

from music.meter import Meter
from music.notes import Note
from training.style.chorales import beat_harmony, best_triad, chorale_rows


def test_best_triad_reads_root_and_quality() -> None:
    assert best_triad({0, 4, 7}, 4) == (0, (0, 4, 7))  # C major over E: still C
    assert best_triad({9, 0, 4}, 9) == (9, (9, 0, 4))  # A minor
    assert best_triad({11, 2, 5}, 11) == (11, (11, 2, 5))  # B diminished
    # two notes shared by C major and A minor: the bass note decides
    assert best_triad({0, 4}, 9)[0] == 9 and best_triad({0, 4}, 0)[0] == 0


def test_beat_harmony_merges_and_holds() -> None:
    soprano = [Note(0.0, 2.0, 72), Note(2.0, 4.0, 71)]
    bass = [Note(0.0, 1.0, 48), Note(1.0, 2.0, 52), Note(2.0, 3.0, 43)]  # silent on beat 4
    alto = [Note(0.0, 2.0, 67), Note(2.0, 4.0, 62)]
    spans = beat_harmony([soprano, alto, bass], Meter(4, 4), 4.0)
    assert [(s.start, s.end, s.root) for s in spans] == [(0.0, 2.0, 0), (2.0, 4.0, 7)]


def test_a_four_part_score_gives_bass_rows() -> None:
    from music21 import meter, note, stream

    score = stream.Score()
    lines = {  # I IV V I per bar, 16 bars of half notes in 4/4
        "s": ("C5", "C5", "B4", "C5"),
        "a": ("G4", "A4", "G4", "G4"),
        "t": ("E4", "F4", "D4", "E4"),
        "b": ("C3", "F3", "G2", "C3"),
    }
    for name, pitches in lines.items():
        part = stream.Part(id=name)
        for b in range(16):
            m = stream.Measure(number=b + 1)
            if b == 0:
                m.append(meter.TimeSignature("4/4"))
            m.append(note.Note(pitches[(2 * b) % 4], quarterLength=2.0))
            m.append(note.Note(pitches[(2 * b + 1) % 4], quarterLength=2.0))
            part.append(m)
        score.insert(0, part)
    rows = chorale_rows("bach/test", score)
    assert len(rows) == 2  # 16 bars -> two 8-bar segments
    v = rows[0].values
    assert rows[0].style == "chorale" and rows[0].meter == "4/4" and rows[0].part == "bass"
    assert v["notes_per_qn"] == pytest.approx(0.5)
    assert v["beat_root_share"] == 1.0 and v["change_root_share"] == 1.0
    assert v["pitch_range"] == 10.0  # G2 to F3
