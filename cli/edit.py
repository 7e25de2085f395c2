"""``chromatic edit RUN drums SECTION OP [options]``: edit an approved drum part (agents/drum_edit).

Prints the pattern after the edit (one line per voice, ``X`` loud, ``x`` normal, ``o`` ghost);
``chromatic render RUN`` then renders the run with it. A bad option, section or operation is one
``error:`` line and exit code 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import RunDirArg, fail, out, plain, setup

_PARTS = ("drums",)


def edit(
    run_dir: RunDirArg,
    part: Annotated[str, typer.Argument(help="The part to edit: drums.")],
    section: Annotated[str, typer.Argument(help="The section label, e.g. verse.")],
    op: Annotated[
        str,
        typer.Argument(
            help="velocity, mute, shift, snap, swing, layers, show or restore (the original)."
        ),
    ],
    factor: Annotated[
        float | None, typer.Option("--factor", help="velocity: multiply velocities by this.")
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="velocity, mute, shift: only this role (core, accent, motion, fill, "
            "texture); repeatable.",
        ),
    ] = None,
    voice: Annotated[
        list[str] | None,
        typer.Option(
            "--voice",
            help="velocity, mute, shift: only this voice (kick, snare, closed_hat, "
            "... or a GM note); repeatable.",
        ),
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="shift: whole grid steps.")] = None,
    fraction: Annotated[
        float | None,
        typer.Option("--fraction", help="shift: a fraction of a step (+0.1 lays back)."),
    ] = None,
    wrap: Annotated[
        bool | None,
        typer.Option("--wrap/--no-wrap", help="shift: hits pushed past an end wrap around."),
    ] = None,
    strength: Annotated[
        float | None, typer.Option("--strength", help="snap: 1 hard quantise .. 0 none.")
    ] = None,
    swing: Annotated[
        float | None, typer.Option("--swing", help="swing: ratio 0.5 (straight) .. 0.75.")
    ] = None,
) -> None:
    """Edit the drums approved for SECTION (the original is kept under drums/edits/ and comes
    back with `restore`); then `chromatic render RUN` renders with the edited part."""
    setup()
    from agents.drum_edit import EditParams, edit_drums
    from music.errors import ChromaticError

    if part not in _PARTS:
        raise fail(f"part: {part!r} -- {' or '.join(_PARTS)} (the parts the editor knows)")
    params = EditParams(
        factor=factor,
        roles=tuple(role or ()),
        voices=tuple(voice or ()),
        steps=steps,
        fraction=fraction,
        wrap=wrap,
        strength=strength,
        swing=swing,
    )
    try:
        result = edit_drums(Path(run_dir), section, op, params)
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    width = max((len(v) for v in result.grid), default=0)
    for voice_name, line in result.grid.items():
        out.print(f"{plain(voice_name):>{width}}  {plain(line)}")
    if result.written:
        out.print(
            f"[bold green]{plain(op)}:[/] drums/{plain(section)} written; "
            f"`chromatic render {plain(run_dir)}` renders with it"
        )


def register(app: typer.Typer) -> None:
    app.command("edit")(edit)
