"""The piano roll and the drum grid show the candidate's MIDI: every note read back from the
file by pretty_midi / mido (not by the project's reader) has its rectangle where its time and
pitch say, and the PNG's pixels there are the note's colour, the rows without notes the
background's."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest
from PIL import Image

from agents.rundir import RunDir
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import DRUM_CHANNEL, Note, Part
from web.pictures import BACKGROUND, BLACK_ROW, WHITE_ROW, Picture, PictureCache


def _pixels(picture: Picture) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(picture.png)).convert("RGB"))


def _qn(midi: pretty_midi.PrettyMIDI, seconds: float) -> float:
    return midi.time_to_tick(seconds) / midi.resolution


def _check_roll(picture: Picture, path: Path) -> None:
    """Each pretty_midi note has one rectangle at its start, end and pitch row."""
    midi = pretty_midi.PrettyMIDI(str(path))
    notes = sorted(
        (n.pitch, _qn(midi, n.start), _qn(midi, n.end))
        for inst in midi.instruments
        for n in inst.notes
    )
    assert notes, path
    left, top, right, _ = picture.plot
    scale = (right - left) / picture.length_qn
    assert picture.length_qn >= max(end for _, _, end in notes) - 1e-6
    drawn = sorted(picture.boxes, key=lambda b: (b.pitch, b.start_qn, b.end_qn))
    assert len(drawn) == len(notes)
    # Rows run from high to low pitch, one semitone each.
    assert list(picture.rows) == list(range(picture.rows[0], picture.rows[-1] - 1, -1))
    pixels = _pixels(picture)
    for (pitch, start, end), box in zip(notes, drawn, strict=True):
        assert box.pitch == pitch
        assert box.start_qn == pytest.approx(start, abs=1e-6)
        x0, y0, x1, y1 = box.box
        assert abs(x0 - (left + start * scale)) <= 1
        assert abs(x1 - (left + min(end, picture.length_qn) * scale)) <= 2
        row_top = top + (picture.rows[0] - pitch) * picture.row_height
        assert row_top <= y0 <= y1 < row_top + picture.row_height
        centre = pixels[(y0 + y1) // 2, (x0 + x1) // 2]
        assert tuple(centre) not in (BACKGROUND, WHITE_ROW, BLACK_ROW)
    # A row no note sounds in stays the row's own colour from end to end.
    silent = [p for p in picture.rows if p not in {n[0] for n in notes}]
    assert silent
    y = top + picture.rows.index(silent[0]) * picture.row_height + picture.row_height // 2
    colours = {tuple(pixels[y, x]) for x in range(left + 3, right - 3, 7)}
    assert colours & {WHITE_ROW, BLACK_ROW}
    assert all(sum(c) < 3 * 80 for c in colours)  # grid lines and the row: dark, no note colour


def test_the_piano_roll_matches_a_midi_file_built_here(tmp_path: Path) -> None:
    notes = (
        Note(0.0, 1.0, 60, 100),
        Note(1.0, 1.5, 64, 40),
        Note(1.5, 3.0, 67, 127),
        Note(3.0, 5.5, 48, 80),
        Note(4.0, 4.25, 79, 90),
    )
    song = Song(parts=(Part("melody", notes, program=73),), bpm=100.0, meter=Meter(3, 4))
    path = write_midi(song, tmp_path / "melody.mid")
    picture = PictureCache().get(path, phase="melody")
    assert picture.kind == "roll"
    assert picture.length_qn == 6.0  # 5.5 quarter notes round up to two bars of 3/4
    assert picture.seconds == pytest.approx(6.0 * 60 / 100)
    _check_roll(picture, path)
    # Louder notes are brighter.
    pixels = _pixels(picture)
    by_velocity = {}
    for b in picture.boxes:
        x0, y0, x1, y1 = b.box
        by_velocity[b.velocity] = int(pixels[(y0 + y1) // 2, (x0 + x1) // 2].sum())
    assert by_velocity[127] > by_velocity[100] > by_velocity[80] > by_velocity[40]


def test_the_piano_roll_of_a_generated_candidate_matches_its_midi(run_dir: Path) -> None:
    run = RunDir(run_dir)
    for cid in ("chord_001", "chord_002"):
        path = run.candidate_midi("chords", cid)
        _check_roll(PictureCache().get(path, phase="chords"), path)


def test_the_drum_grid_puts_each_hit_in_its_drum_row_and_sixteenth(tmp_path: Path) -> None:
    hits = [(0.0, 36), (0.0, 49), (0.5, 42), (1.0, 38), (1.02, 42), (1.75, 36), (3.5, 46)]
    part = Part(
        "drums",
        tuple(Note(t, t + 0.1, p, 100) for t, p in hits),
        is_drum=True,
    )
    path = write_midi(Song(parts=(part,), bpm=120.0, meter=Meter(4, 4)), tmp_path / "d.mid")
    picture = PictureCache().get(path, phase="drums")
    assert picture.kind == "drums"
    # Cymbals on top, then hats, snare, and the kick at the bottom.
    assert picture.rows == (49, 46, 42, 38, 36)
    midi = mido.MidiFile(path)
    read = []
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                assert msg.channel == DRUM_CHANNEL
                read.append((round(tick / midi.ticks_per_beat * 4), msg.note))
    left, top, right, _ = picture.plot
    cell = (right - left) / (picture.length_qn * 4)
    pixels = _pixels(picture)
    drawn = sorted((round((b.box[0] - 1 - left) / cell), b.pitch, b.box) for b in picture.boxes)
    assert [(step, pitch) for step, pitch, _ in drawn] == sorted(read)
    for step, pitch, (x0, y0, x1, y1) in drawn:
        assert abs(x0 - (left + step * cell + 1)) <= 1
        assert abs(x1 - (left + (step + 1) * cell - 1)) <= 1
        row_top = top + picture.rows.index(pitch) * picture.row_height
        assert row_top < y0 <= y1 < row_top + picture.row_height
        r, g, b = pixels[(y0 + y1) // 2, (x0 + x1) // 2]
        assert r > g and r > b and r > 150  # the drums' red
    # No hit in the kick row on the second beat: the cell stays dark.
    y = top + picture.rows.index(36) * picture.row_height + picture.row_height // 2
    x = round(left + 4.5 * cell)
    assert int(pixels[y, x].max()) < 80


def test_the_cache_draws_again_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "c.mid"
    meter = Meter(4, 4)
    write_midi(Song(parts=(Part("c", (Note(0, 4, 60),)),), bpm=90.0, meter=meter), path)
    cache = PictureCache()
    first = cache.get(path, phase="chords")
    assert cache.get(path, phase="chords") is first
    write_midi(
        Song(parts=(Part("c", (Note(0, 2, 62), Note(2, 4, 65))),), bpm=90.0, meter=meter), path
    )
    second = cache.get(path, phase="chords")
    assert [b.pitch for b in second.boxes] == [62, 65]
