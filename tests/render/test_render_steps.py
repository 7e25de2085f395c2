"""The render reports each step as it finishes: one per stem (its file already written), then
analysis, mix, master and write, numbered against a total known from the start."""

from __future__ import annotations

from pathlib import Path

from conftest import four_parts

from music.meter import Meter
from music.midi_io import Song
from render.pipeline import STEPS_AFTER_STEMS, RenderPaths, RenderStep, render_song
from render.synth import shared_synthesizer


def test_render_song_reports_every_stem_then_each_later_step(tmp_path: Path) -> None:
    meter = Meter(4, 4)
    parts = four_parts(meter, bars=1)
    song = Song(parts=tuple(parts.values()), bpm=120.0, meter=meter)
    paths = RenderPaths(tmp_path)
    steps: list[RenderStep] = []
    stem_written: list[bool] = []

    def on_step(step: RenderStep) -> None:
        steps.append(step)
        if step.name.startswith("stem "):
            stem_written.append((paths.stems_dir / f"{step.name[5:]}.wav").is_file())

    render_song(tmp_path, song, synth=shared_synthesizer(), write_mp3=False, on_step=on_step)
    names = [f"stem {name}" for name in parts] + list(STEPS_AFTER_STEMS)
    assert [s.name for s in steps] == names
    assert [s.index for s in steps] == list(range(1, len(names) + 1))
    assert {s.total for s in steps} == {len(names)}
    assert stem_written == [True] * len(parts)
