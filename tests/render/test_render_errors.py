"""Bad input gives clear errors naming the path, and leaves no half-written files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import four_parts

from music.errors import StorageError
from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part
from render.errors import RenderError, SoundFontError
from render.pipeline import render_song
from render.previews import render_preview
from render.soundfont import SOUNDFONT_ENV, bundled_soundfont
from render.synth import Synthesizer, shared_synthesizer

BACKENDS = ["fluidsynth", "tinysoundfont"]


def _song() -> Song:
    parts = four_parts(Meter(4, 4), bars=1)
    return Song(tuple(parts.values()), 120.0, Meter(4, 4))


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_soundfont_names_the_path(tmp_path: Path, backend: str) -> None:
    missing = tmp_path / "nope.sf2"
    with pytest.raises(SoundFontError, match=r"nope\.sf2: soundfont argument: no such file") as err:
        Synthesizer(missing, backend=backend)
    assert err.value.path == str(missing)


def test_missing_soundfont_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SOUNDFONT_ENV, str(tmp_path / "gone.sf2"))
    with pytest.raises(SoundFontError, match=r"gone.sf2: \$CHROMATIC_SOUNDFONT: no such file"):
        shared_synthesizer()


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_a_soundfont_is_refused(tmp_path: Path, backend: str) -> None:
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"this is not a soundfont at all")
    with pytest.raises(SoundFontError, match=r"junk\.sf2.*not a SoundFont 2 file"):
        Synthesizer(junk, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_soundfont_is_refused_by_the_engine(tmp_path: Path, backend: str) -> None:
    bundled = bundled_soundfont()
    assert bundled is not None
    cut = tmp_path / "cut.sf2"
    with open(bundled, "rb") as src:
        cut.write_bytes(src.read(50_000))  # a valid header, then nothing
    with pytest.raises(SoundFontError, match=r"cut\.sf2.*could not load"):
        Synthesizer(cut, backend=backend)


def test_a_directory_is_not_a_soundfont(tmp_path: Path) -> None:
    with pytest.raises(SoundFontError, match="not a file"):
        Synthesizer(tmp_path)


def test_an_empty_song_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    empty = Song((Part("chords", ()), Part("drums", (), is_drum=True)), 120.0, Meter(4, 4))
    out = tmp_path / "run"
    with pytest.raises(RenderError, match="no part has any notes"):
        render_song(out, empty, synth=shared_synthesizer())
    assert not out.exists()
    with pytest.raises(RenderError, match="no notes"):
        render_preview(empty, tmp_path / "p.ogg")
    assert not (tmp_path / "p.ogg").exists()


def test_a_part_without_notes_still_renders_a_song(tmp_path: Path) -> None:
    song = Song(
        (Part("chords", (Note(0, 4, 60),), program=4), Part("melody", ())), 120.0, Meter(4, 4)
    )
    result = render_song(tmp_path, song, synth=shared_synthesizer(), write_mp3=False)
    assert set(result.stems) == {"chords", "melody"}
    assert result.mix_wav.is_file() and result.mix_mp3 is None


def test_unwritable_output_folder_is_named_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(RenderError, match="a-file/run: output folder cannot be written") as err:
        render_song(blocker / "run", _song(), synth=shared_synthesizer())
    assert err.value.path == str(blocker / "run")
    with pytest.raises(RenderError, match="output folder cannot be written"):
        render_preview(_song(), blocker / "previews" / "c1.ogg")


def test_a_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soundfile

    def boom(*args: object, **kwargs: object) -> None:
        Path(str(args[0])).write_bytes(b"half")  # the encoder wrote part of the file ...
        raise OSError(28, "No space left on device")  # ... then the disk filled up

    monkeypatch.setattr(soundfile, "write", boom)
    with pytest.raises(StorageError, match="No space left"):
        render_song(tmp_path / "run", _song(), synth=shared_synthesizer())
    leftovers = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert leftovers == []
    shutil.rmtree(tmp_path / "run")


def test_loading_fluidsynth_prints_nothing_even_under_ci(tmp_path: Path) -> None:
    """pyfluidsynth prints where it found its library when CI is set; our stdout stays ours."""
    code = "from render.backends import available_backends; available_backends()"
    env = {**os.environ, "CI": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout == ""
