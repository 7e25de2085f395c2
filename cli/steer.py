"""``chromatic regenerate`` and ``chromatic import``: steer one section of a run (agents/steer).

Each records the request in the run's checkpoint, then goes on as ``chromatic resume`` does:
to the gate of the regenerated phase, or of the next stale phase, or through the render. A
bad argument or file is one ``error:`` line and exit code 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import PhaseArg, RunDirArg, fail, out, plain, report, setup
from render.audio_io import READ_ALLOWED

SectionArg = Annotated[str, typer.Argument(help="The section label, e.g. verse.")]


def _go_on(run_dir: Path) -> None:
    """Continue the run from the recorded request, with progress on a terminal."""
    from agents.runner import resume_run
    from cli.progress import progress_hooks
    from music.errors import ChromaticError

    try:
        with progress_hooks() as hooks:
            outcome = resume_run(run_dir=run_dir, hooks=hooks)
    except ChromaticError as exc:
        raise fail(exc) from None
    report(outcome)


def regenerate(
    run_dir: RunDirArg,
    phase: PhaseArg,
    section: SectionArg,
    bars: Annotated[
        str | None,
        typer.Option(
            "--bars",
            help="Re-evolve only these bars of the section, e.g. 5-8 (the other bars keep "
            "the approved notes in every candidate). Default: the whole section.",
        ),
    ] = None,
) -> None:
    """Re-evolve one section of an approved PHASE (or some bars of it) over the parts
    approved beneath it, and stop at the phase's gate to approve again. Later phases that
    had approved a part for the section are stale: after that gate each re-evolves the
    section and stops at its own gate; then the song is rendered again."""
    setup()
    from agents.steer import parse_bars, request_regenerate
    from music.errors import ChromaticError

    try:
        result = request_regenerate(run_dir, phase, section, parse_bars(bars))
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    steer = result.steer
    what = str(steer.kept) if steer.kept else f"{plain(section)} (all bars)"
    out.print(f"[bold]regenerate:[/] {plain(phase)} {plain(what)}")
    if steer.stale:
        out.print(f"  stale, re-evolved for {plain(section)} after it: {', '.join(steer.stale)}")
    _go_on(run_dir)


def import_part(
    run_dir: RunDirArg,
    phase: PhaseArg,
    section: SectionArg,
    file: Annotated[
        Path,
        typer.Argument(
            help=f"The part: a MIDI file you wrote, or a recording of it ({READ_ALLOWED}) "
            "played at the song's tempo, transcribed by the model for the phase's instrument."
        ),
    ],
    offset: Annotated[
        float | None,
        typer.Option(
            "--offset",
            help="With a recording: the seconds into it where the section's first bar begins "
            "(default 0: the recording starts on beat 1).",
        ),
    ] = None,
) -> None:
    """Take a part you wrote or played (a MIDI file in the song's meter, or a recording at the
    song's tempo, at most the section's bars, notes in the part's instrument range) as
    SECTION's approved PHASE part. A recording is transcribed to MIDI in the run folder first.
    Later phases build on it: those that had approved a part for the section re-evolve it and
    stop at their gates; then the song is rendered with it."""
    setup()
    from agents.steer import import_part as do_import
    from music.errors import ChromaticError

    try:
        result = do_import(run_dir, phase, section, file, offset=offset)
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    part = result.imported
    assert part is not None
    heard = result.transcription
    if heard is not None:
        out.print(f"[bold]transcribed:[/] {plain(file)}: {plain(heard.describe())}")
        out.print(f"  midi: {plain(heard.midi)}")
    out.print(f"[bold green]imported:[/] {plain(file)} as {plain(phase)}/{plain(section)}")
    out.print(f"  bars: {part.bars}")
    if part.phase != "drums":
        key = part.heard_key or "no key"
        out.print(f"  key: music21 hears {plain(key)}; the song is in {plain(part.song_key)}")
    for name, value in part.summary.items():
        out.print(f"  {plain(name)}: {plain(value)}")
    if result.steer.stale:
        out.print(f"  stale, re-evolved for {plain(section)}: {', '.join(result.steer.stale)}")
    _go_on(run_dir)


def register(app: typer.Typer) -> None:
    app.command("regenerate")(regenerate)
    app.command("import")(import_part)
