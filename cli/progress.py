"""Progress display: a rich bar per phase and one for the render on a terminal, nothing when
output is piped."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agents.runner import Hooks
from evolution.engine import GenerationStats
from render.pipeline import RenderStep


@contextmanager
def progress_hooks(
    *, enabled: bool | None = None, console: Console | None = None
) -> Iterator[Hooks]:
    """Hooks that draw a progress bar per phase and one for the render (a step per stem,
    then analysis, mix, master, write); plain Hooks when stderr is not a terminal.
    ``console``: where to draw (default stderr)."""
    console = console or Console(stderr=True)
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield Hooks()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}
    totals: dict[str, int] = {}
    current: list[str] = []

    def on_phase_start(phase: str, generations: int) -> None:
        tasks[phase] = bar.add_task(escape(phase), total=generations, note=f"gen 0/{generations}")
        totals[phase] = generations
        current[:] = [phase]

    def on_generation(stats: GenerationStats) -> None:
        if current:
            bar.update(
                tasks[current[0]],
                completed=stats.generation,
                note=f"gen {stats.generation}/{totals[current[0]]}  best {stats.best:.3f}  "
                f"mean {stats.mean:.3f}",
            )

    def on_render_step(step: RenderStep) -> None:
        if "render" not in tasks:
            tasks["render"] = bar.add_task("render", total=step.total, note="")
        bar.update(tasks["render"], completed=step.index, total=step.total, note=escape(step.name))

    with bar:
        yield Hooks(
            on_phase_start=on_phase_start,
            on_generation=on_generation,
            on_render_step=on_render_step,
        )
