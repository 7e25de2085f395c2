"""Progress of a batch: the small Ray actor tasks report their phase and generations to, the
hooks that report to it, and the live rich display (one row per proposal) the driver draws."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from agents.batch_result import BatchResult
from agents.runner import Hooks
from evolution.engine import GenerationStats


def board_hooks(board: Any, name: str) -> Hooks:
    """Hooks that report a task's phase and generations to the progress board actor."""

    def on_phase_start(phase: str, generations: int) -> None:
        board.phase.remote(name, phase, generations)

    def on_generation(stats: GenerationStats) -> None:
        board.generation.remote(name, stats.generation, stats.best)

    return Hooks(on_phase_start=on_phase_start, on_generation=on_generation)


class Board:
    """Progress of every task (a small Ray actor the tasks report to)."""

    def __init__(self) -> None:
        self.state: dict[str, dict[str, Any]] = {}

    def phase(self, name: str, phase: str, generations: int) -> None:
        self.state[name] = {"phase": phase, "generation": 0, "total": generations, "best": None}

    def generation(self, name: str, generation: int, best: float) -> None:
        entry = self.state.setdefault(name, {"phase": "?", "total": None})
        entry.update(generation=generation, best=best)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return self.state


@cache
def remote_board() -> Any:
    import ray

    return ray.remote(num_cpus=0)(Board)


@contextmanager
def display(
    enabled: bool, names: dict[str, str]
) -> Iterator[Callable[[str, dict[str, Any] | None, BatchResult | None], None]]:
    """A live display (one row per proposal, keyed by ``names``' keys, plus a total) when
    enabled, else a no-op."""
    if not enabled:
        yield lambda name, entry, result: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    total = bar.add_task("[bold]proposals", total=len(names), note="")
    rows = {
        key: bar.add_task(escape(name), total=None, note="queued") for key, name in names.items()
    }
    finished: set[str] = set()

    def show(key: str, entry: dict[str, Any] | None, result: BatchResult | None) -> None:
        if result is not None:
            finished.add(key)
            best = f" best {result.best_composite:.3f}" if result.best_composite is not None else ""
            done = escape(f"{result.status} ({result.phase}){best}")
            note = "[red]error[/]" if not result.ok else done
            bar.update(rows[key], total=1, completed=1, note=note)
            bar.update(total, completed=len(finished))
        elif entry is not None and key in rows and key not in finished:
            best = f" best {entry['best']:.3f}" if entry.get("best") is not None else ""
            gens = f"gen {entry.get('generation', 0)}/{entry.get('total')}"
            bar.update(
                rows[key],
                total=entry.get("total"),
                completed=entry.get("generation", 0),
                note=escape(f"{entry.get('phase')} {gens}{best}"),
            )

    with bar:
        yield show
