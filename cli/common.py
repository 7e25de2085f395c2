"""What every ``chromatic`` command shares: the consoles, start-up settings, and the one way an
error a person can fix is printed (one line, exit code 2).

Text that comes from files or exceptions (review.yml ids such as ``[chord_002]``, paths,
proposal values) is printed through :func:`plain`, so rich never reads it as markup.

Kept light on purpose: every command imports it, so it imports nothing heavy.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from agents.run_outcome import RunOutcome

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

#: The exit code of an error a person can fix (bad input, a run in the wrong state).
EXIT_USAGE = 2
#: The models shipped in the package (``scoring/data/``): the commands' default model folder.
PACKAGE_DATA = Path(__file__).resolve().parents[1] / "scoring" / "data"


def plain(value: object) -> str:
    """``value`` as text that rich prints as it is (square brackets kept, no styling)."""
    return escape(str(value))


def fail(exc: BaseException | str, *, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: <exc>`` on stderr (the text as it is) and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {plain(exc)}")
    return typer.Exit(code=code)


@contextmanager
def status_steps(
    errors: tuple[type[BaseException], ...],
) -> Iterator[Callable[[str], None]]:
    """A status line on stderr that ``step(message)`` updates while long work runs on a
    terminal (nothing when piped); an exception of ``errors`` becomes one ``error:`` line and
    exit code 2."""
    status = err.status("") if sys.stderr.isatty() else None

    def step(message: str) -> None:
        if status is not None:
            status.update(plain(message))

    try:
        if status is not None:
            status.start()
        yield step
    except errors as exc:
        raise fail(exc) from None
    finally:
        if status is not None:
            status.stop()


def setup() -> None:
    """Start-up settings of every command: no model-hub lookups, log level from
    $CHROMATIC_LOG (default WARNING)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=os.environ.get("CHROMATIC_LOG", "WARNING").upper())


RunDirArg = Annotated[Path, typer.Argument(help="The run directory, e.g. runs/night-watch.")]
PhaseArg = Annotated[str, typer.Argument(help="Phase: chords, drums, bass or melody.")]
CandidateArg = Annotated[str, typer.Argument(help="Candidate id, e.g. chord_003.")]
ScorerOpt = Annotated[
    str | None,
    typer.Option(
        "--scorer",
        envvar="CHROMATIC_SCORER",
        help="The exported scorer model to score with (a .onnx path), or off for a "
        "theory-only composite. Default: $CHROMATIC_SCORER, else the shipped model.",
    ),
]


def report(outcome: RunOutcome) -> None:
    """Say where a run stopped and what to do next."""
    run_dir = plain(outcome.run_dir)
    if outcome.status == "awaiting_review":
        out.print(
            f"[bold]{plain(outcome.phase)}[/] candidates are ready for review: "
            f"{plain(outcome.review)}\n"
            f"  listen, approve with `chromatic approve {run_dir} {plain(outcome.phase)} ID "
            f"--label verse`, then `chromatic resume {run_dir}`"
        )
    elif outcome.status == "done":
        out.print(f"[bold green]done:[/] {run_dir}")
    else:
        out.print(f"{run_dir}: {plain(outcome.status)} ({plain(outcome.phase)})")
