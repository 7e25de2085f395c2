"""Progress display: a rich bar per phase on a terminal, nothing when output is piped."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agents.runner import Hooks
from evolution.engine import GenerationStats


@contextmanager
def progress_hooks(*, enabled: bool | None = None) -> Iterator[Hooks]:
    """Hooks that draw a progress bar per phase; plain Hooks when stderr is not a terminal."""
    console = Console(stderr=True)
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield Hooks()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("gen {task.completed:.0f}/{task.total:.0f}"),
        TextColumn("best {task.fields[best]:.3f}  mean {task.fields[mean]:.3f}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}
    current: list[str] = []

    def on_phase_start(phase: str, generations: int) -> None:
        tasks[phase] = bar.add_task(phase, total=generations, best=0.0, mean=0.0)
        current[:] = [phase]

    def on_generation(stats: GenerationStats) -> None:
        if current:
            bar.update(
                tasks[current[0]], completed=stats.generation, best=stats.best, mean=stats.mean
            )

    with bar:
        yield Hooks(on_phase_start=on_phase_start, on_generation=on_generation)
