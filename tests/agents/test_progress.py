"""Progress display: bars on a terminal (phases and the render), nothing when piped."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from cli.progress import progress_hooks
from evolution.engine import GenerationStats
from render.pipeline import RenderStep

ROOT = Path(__file__).resolve().parents[2]


def test_progress_is_quiet_when_stderr_is_piped() -> None:
    code = (
        "from cli.progress import progress_hooks\n"
        "with progress_hooks() as hooks:\n"
        "    print(hooks.on_phase_start, hooks.on_generation, hooks.on_render_step)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None None"
    assert done.stderr == ""


def test_on_a_terminal_the_render_bar_follows_each_step() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with progress_hooks(enabled=True, console=console) as hooks:
        assert hooks.on_phase_start and hooks.on_generation and hooks.on_render_step
        hooks.on_phase_start("chords", 4)
        hooks.on_generation(
            GenerationStats(
                generation=2, best=0.8, mean=0.5, diversity=0.3, unique=8, size=8, evaluated=8
            )
        )
        for i, name in enumerate(["stem chords", "analysis", "stem [drums]"], start=1):
            hooks.on_render_step(RenderStep(name=name, index=i, total=3))
    shown = buffer.getvalue()
    assert "chords" in shown and "gen 2/4" in shown
    # The last step is on screen when the bar closes, its name as it is (not read as markup).
    assert "render" in shown and "stem [drums]" in shown
