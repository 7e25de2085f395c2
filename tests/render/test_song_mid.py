"""song.mid as a DAW takes it: key signature, a marker per section start, track names that
say part and instrument; read back by mido, pretty_midi and music21 (not only by our reader)."""

from __future__ import annotations

from pathlib import Path

import mido
import music21
import pretty_midi
import pytest
from conftest import four_parts

from music.keys import parse_key
from music.meter import Meter
from music.midi_io import TICKS_PER_QN, read_midi
from render.assemble import assemble_to_files

FORM = [("verse", 2), ("chorus", 2), ("verse", 2), ("chorus", 1)]


def _write(tmp_path: Path, key_text: str, meter: Meter) -> Path:
    verse = four_parts(meter, bars=2)
    chorus = four_parts(meter, bars=2)
    approved = {name: {"verse": verse[name], "chorus": chorus[name]} for name in verse}
    res = assemble_to_files(
        tmp_path,
        FORM,
        approved,
        bpm=100.0,
        meter=meter,
        phrase_qn=2 * meter.bar_qn,
        key=parse_key(key_text),
    )
    return res.song_mid


def _meta(path: Path, kind: str) -> list[tuple[int, mido.MetaMessage]]:
    out = []
    for track in mido.MidiFile(path).tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == kind:
                out.append((tick, msg))
    return out


@pytest.mark.parametrize("meter_text", ["4/4", "7/8"])
def test_key_signature_markers_and_track_names(tmp_path: Path, meter_text: str) -> None:
    meter = Meter.parse(meter_text)
    path = _write(tmp_path, "F# minor", meter)
    keys = _meta(path, "key_signature")
    assert [(t, m.key) for t, m in keys] == [(0, "F#m")]
    bar_ticks = round(meter.bar_qn * TICKS_PER_QN)
    markers = [(t, m.text) for t, m in _meta(path, "marker")]
    assert markers == [
        (0, "verse"),
        (2 * bar_ticks, "chorus"),
        (4 * bar_ticks, "verse 2"),
        (6 * bar_ticks, "chorus 2"),
    ]
    names = [t.name for t in mido.MidiFile(path).tracks]
    assert names == [
        "conductor",
        "chords - electric piano 1",
        "drums - drum kit",
        "bass - electric bass (finger)",
        "melody - flute",
    ]
    # The tempo map and meter as before.
    sigs = _meta(path, "time_signature")
    assert [(t, m.numerator, m.denominator) for t, m in sigs] == [
        (0, meter.numerator, meter.denominator)
    ]
    assert [(t, round(mido.tempo2bpm(m.tempo), 3)) for t, m in _meta(path, "set_tempo")] == [
        (0, 100.0)
    ]
    # pretty_midi reads the same key, meter and the named instruments (it has no markers).
    pm = pretty_midi.PrettyMIDI(str(path))
    assert [k.key_number for k in pm.key_signature_changes] == [
        pretty_midi.key_name_to_key_number("F# minor")
    ]
    assert [(t.numerator, t.denominator) for t in pm.time_signature_changes] == [
        (meter.numerator, meter.denominator)
    ]
    assert [i.name for i in pm.instruments] == names[1:]
    assert [i.is_drum for i in pm.instruments] == [False, True, False, False]
    # Our reader keeps the part names (the instrument suffix is stripped) and the key.
    song = read_midi(path)
    assert [p.name for p in song.parts] == ["chords", "drums", "bass", "melody"]
    assert song.key == parse_key("F# minor")
    assert [text for _, text in song.markers] == ["verse", "chorus", "verse 2", "chorus 2"]


def test_music21_reads_the_key_signature(tmp_path: Path) -> None:
    path = _write(tmp_path, "Bb major", Meter(4, 4))
    score = music21.converter.parse(str(path))
    sigs = list(score.recurse().getElementsByClass(music21.key.KeySignature))
    assert sigs and {s.sharps for s in sigs} == {-2}


def test_a_modal_key_writes_its_relative_majors_signature(tmp_path: Path) -> None:
    path = _write(tmp_path, "D dorian", Meter(3, 4))
    assert [m.key for _, m in _meta(path, "key_signature")] == ["C"]
