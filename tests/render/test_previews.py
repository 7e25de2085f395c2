"""Previews: the candidate heard over the approved parts, whole (or cut when asked),
compressed, at -16 LUFS."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import bass_phrase, chords_phrase, drums_phrase
from pedalboard.io import AudioFile

from music.meter import Meter
from music.notes import Note, Part
from render.loudness import integrated_loudness
from render.previews import preview_song, render_preview
from render.synth import DEFAULT_TAIL_S


def test_preview_song_loops_the_parts_underneath_to_the_candidates_length() -> None:
    meter = Meter(3, 4)
    candidate = bass_phrase(meter, bars=4)
    under = [chords_phrase(meter, bars=1), drums_phrase(meter, bars=2)]
    song = preview_song(candidate, under, 100.0, meter)
    assert [p.name for p in song.parts] == ["chords", "drums", "bass"]
    assert song.parts[-1] == candidate
    assert song.parts[0].end == pytest.approx(4 * meter.bar_qn)
    assert len(song.parts[0].notes) == 4 * len(under[0].notes)
    with pytest.raises(ValueError, match="distinct names"):
        preview_song(candidate, [candidate], 100.0, meter)


def test_a_late_last_hit_adds_no_bar_of_silence() -> None:
    """A drummer's last hit played a little late rings past the bar line: the preview stays
    the candidate's bars long (the hit sounds in the release tail), not a bar longer."""
    meter = Meter(4, 4)
    late = Note(15.5 + 0.09, 16.09, 42, 90)
    drums = drums_phrase(meter, bars=4)
    candidate = Part("drums", (*drums.notes, late), is_drum=True)
    song = preview_song(candidate, [chords_phrase(meter, bars=1)], 90.0, meter)
    assert song.parts[0].end == pytest.approx(16.0)
    held = Part("bass", (Note(0.0, 16.5, 40, 90),), program=33)  # half a beat past: a bar more
    assert preview_song(held, [chords_phrase(meter, 1)], 90.0, meter).parts[0].end == 20.0


@pytest.mark.parametrize("suffix", [".ogg", ".mp3"])
def test_render_preview_writes_a_short_loudness_matched_file(tmp_path: Path, suffix: str) -> None:
    meter = Meter(4, 4)
    melody = Part("melody", tuple(Note(q, q + 0.9, 72 + q % 5, 90) for q in range(64)), program=73)
    song = preview_song(melody, [chords_phrase(meter, 4)], 120.0, meter)  # 32 s long
    out = render_preview(song, tmp_path / "previews" / f"c01{suffix}", max_seconds=8.0)
    assert out == tmp_path / "previews" / f"c01{suffix}"
    with AudioFile(str(out)) as fh:
        audio = fh.read(fh.frames).T
        sr = int(fh.samplerate)
    assert 7.9 < audio.shape[0] / sr < 8.2
    assert integrated_loudness(audio, sr) == pytest.approx(-16.0, abs=1.0)
    tail = audio[-sr // 20 :]
    assert np.sqrt(np.mean(tail**2)) < 0.01  # a cut preview fades out


def test_a_preview_plays_the_whole_song_to_its_ending(tmp_path: Path) -> None:
    meter = Meter(4, 4)
    bars = 12  # 48 s at 60 bpm: far past the 20 s previews used to be cut at
    chords = chords_phrase(meter, bars)
    last = Part("melody", (Note(4 * (bars - 1), 4 * bars, 84, 110),), program=73)
    song = preview_song(last, [chords], 60.0, meter)
    out = render_preview(song, tmp_path / "whole.mp3", channels=1)
    with AudioFile(str(out)) as fh:
        audio = fh.read(fh.frames).T
        sr = int(fh.samplerate)
    assert audio.shape[0] / sr == pytest.approx(48.0 + DEFAULT_TAIL_S, abs=0.1)
    # the last bar (44 s .. 48 s), where the melody's one note plays, is heard
    ending = audio[int(44.5 * sr) : int(47.5 * sr)]
    assert np.sqrt(np.mean(ending**2)) > 0.05


def test_a_cache_of_the_parts_underneath_gives_the_same_preview(tmp_path: Path) -> None:
    meter = Meter(4, 4)
    under = [chords_phrase(meter, 2), drums_phrase(meter, 2)]
    cache: dict[Hashable, np.ndarray] = {}
    for k, root in enumerate((36, 38)):
        bass = Part("bass", tuple(Note(q, q + 0.5, root, 90) for q in range(8)), program=33)
        song = preview_song(bass, under, 110.0, meter)
        # TinySoundFont: a part renders to the same samples whatever was rendered before
        # (FluidSynth's first notes differ slightly with its history; see agents/phases/previews).
        opts: dict[str, Any] = {"channels": 1, "backend": "tinysoundfont"}
        plain = render_preview(song, tmp_path / f"plain{k}.mp3", **opts)
        cached = render_preview(song, tmp_path / f"cached{k}.mp3", cache=cache, **opts)
        assert plain.read_bytes() == cached.read_bytes()
        assert len(cache) == 2  # the chords and drums, once; never the candidate
