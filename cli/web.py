"""``chromatic review RUN --web`` (the review page's server), ``chromatic play`` and
``chromatic previews``.

The page's code lives in :mod:`web`; this module only parses options, prints the page's URL
on one line of stdout, and turns errors into the CLI's one-line message.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Final

import typer

from cli.common import (
    CandidateArg,
    PhaseArg,
    RunDirArg,
    err,
    fail,
    out,
    plain,
    setup,
    status_steps,
)

#: Players tried in order, each with the arguments that play one file and exit.
PLAYERS: Final = (
    ("mpv", ("--no-video", "--really-quiet")),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "quiet")),
    ("mpg123", ("-q",)),
    ("afplay", ()),
)
#: Desktop openers, tried last and only where a desktop session runs.
OPENERS: Final = ("xdg-open", "open")
LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")


def serve_review(run_dir: Path, *, host: str, port: int, scorer: str | None) -> None:
    """Serve the review page until Ctrl-C; print its URL (with the token) on one line."""
    from music.errors import ChromaticError
    from web.server import ServerSettings, serve

    def announce(url: str) -> None:
        print(url, flush=True)
        err.print("review page: open the URL above in a browser; Ctrl-C stops the server")
        if host not in LOOPBACK:
            err.print(
                f"[yellow]note:[/] serving on {plain(host)}: anyone who can reach it and has "
                "the URL can change this run"
            )

    settings = ServerSettings(run_dir=run_dir, host=host, port=port, scorer=scorer)
    try:
        serve(settings, announce=announce)
    except ChromaticError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        pass


def find_player(given: str | None) -> list[str] | None:
    """The command that plays a file: ``given`` (split like a shell line), else the first
    player on PATH, else a desktop opener when a desktop session runs; None when none."""
    if given:
        return shlex.split(given)
    for name, args in PLAYERS:
        if shutil.which(name):
            return [name, *args]
    if (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.uname().sysname == "Darwin"
    ):
        for name in OPENERS:
            if shutil.which(name):
                return [name]
    return None


def preview_path(run_dir: Path, phase: str, candidate: str) -> Path:
    """The candidate's preview file, written first when review.yml names it but it is not on
    disk yet (an auto-approved run writes the others on demand). Raises ReviewError for an id
    the phase's review.yml does not list, RunStateError when it has no preview."""
    from agents.errors import RunStateError
    from agents.phases.previews_on_demand import write_missing_previews
    from agents.rundir import RunDir

    run = RunDir(run_dir).require_existing()
    write_missing_previews(run, phase, [candidate])
    preview = run.preview(phase, candidate)
    if not preview.is_file():
        raise RunStateError(
            f"{preview}: no preview for {candidate} -- previews are made for the first "
            f"candidates of each section; `chromatic review {run_dir} {phase}` lists them"
        )
    return preview


def previews(
    run_dir: RunDirArg,
    phase: Annotated[
        str | None,
        typer.Argument(help="Phase: chords, drums, bass or melody (default: every phase)."),
    ] = None,
) -> None:
    """Write the previews review.yml names that are not on disk yet (an auto-approved run
    writes only the approved candidates' previews), and print how many were written."""
    setup()
    from agents.phases.previews_on_demand import write_missing_previews
    from agents.rundir import PHASES, RunDir, check_phase
    from music.errors import ChromaticError

    with status_steps((ChromaticError, ValueError)) as step:
        run = RunDir(run_dir).require_existing()
        phases = [check_phase(phase)] if phase is not None else PHASES
        phases = [p for p in phases if run.review(p).is_file()]
        if not phases:
            raise fail(
                f"{run_dir}: no review.yml for {phase or 'any phase'} yet -- nothing to write"
            )
        for name in phases:
            step(f"writing {name} previews")
            written = write_missing_previews(run, name)
            out.print(f"{name}: {len(written)} previews written")


def play(
    run_dir: RunDirArg,
    phase: PhaseArg,
    candidate: CandidateArg,
    player: Annotated[
        str | None,
        typer.Option(
            "--player",
            envvar="CHROMATIC_PLAYER",
            help="The command to play with, e.g. 'vlc --play-and-exit' (default: mpv, ffplay, "
            "mpg123 or afplay on PATH, else the desktop's opener).",
        ),
    ] = None,
    path_only: Annotated[
        bool, typer.Option("--path", help="Only print the preview's path.")
    ] = False,
) -> None:
    """Play a candidate's preview through the system's player, or print its path when there
    is none."""
    setup()
    from agents.rundir import check_phase, check_safe_name
    from music.errors import ChromaticError

    try:
        check_phase(phase)
        check_safe_name(candidate, what="id")
        preview = preview_path(run_dir, phase, candidate)
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    command = None if path_only else find_player(player)
    if command is None:
        out.print(plain(preview))
        return
    err.print(f"playing {plain(preview)} with {plain(command[0])}")
    try:
        done = subprocess.run([*command, str(preview)], check=False)
    except OSError as exc:
        raise fail(f"{command[0]}: cannot run ({exc.strerror or exc}) -- {preview}") from None
    if done.returncode != 0:
        raise fail(f"{command[0]} exited with {done.returncode} -- the file is {preview}")


def register(app: typer.Typer) -> None:
    app.command()(play)
    app.command()(previews)
