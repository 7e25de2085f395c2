"""``chromatic kit build AUDIO... --out KIT_DIR``: a drum kit from recordings (render/kit/).

A bar over the files on a terminal, nothing when piped; then one line per skipped file and a
summary (hits per class, the separation used). Fatal (one ``error:`` line, exit code 2) only
when nothing usable remains, the output folder is taken, or a configured model is broken.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import err, fail, out, plain, setup
from render.audio_io import READ_ALLOWED

kit_app = typer.Typer(name="kit", help="Drum kits from your own recordings.", no_args_is_help=True)


@contextmanager
def _file_bar(enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[Any], None]]]:
    """``(on_start(total), on_file(report))`` that draw a rich bar over the files."""
    if not enabled:
        yield (lambda total: None), (lambda report: None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("[bold]kit"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        console=err,
    )
    task = bar.add_task("kit", total=None, note="")

    def on_start(total: int) -> None:
        bar.update(task, total=total)

    def on_file(report: Any) -> None:
        bar.update(task, advance=1, note=plain(Path(report.file).name))

    with bar:
        yield on_start, on_file


def build(
    audio: Annotated[
        list[Path],
        typer.Argument(help=f"Audio files ({READ_ALLOWED}) or folders holding them."),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="The kit folder to write.")],
    separation: Annotated[
        str,
        typer.Option(
            "--separation",
            help="Drum isolation: auto (Demucs with a checkpoint, else hpss), demucs, hpss "
            "(harmonic/percussive), or none (the audio is drums already).",
        ),
    ] = "auto",
    demucs: Annotated[
        Path | None,
        typer.Option(
            "--demucs",
            envvar="CHROMATIC_DEMUCS",
            help="A local Demucs checkpoint (.th, .safetensors, or a folder with a bag .yaml); "
            "nothing is downloaded. Default: $CHROMATIC_DEMUCS.",
        ),
    ] = None,
    clap: Annotated[
        Path | None,
        typer.Option(
            "--clap",
            envvar="CHROMATIC_CLAP",
            help="A local CLAP model folder (transformers layout) whose text-prompt scores are "
            "fused with the rule scores for roles. Default: $CHROMATIC_CLAP; none: rules only.",
        ),
    ] = None,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="CPU threads for Demucs and CLAP.")
    ] = 1,
    replace: Annotated[
        bool, typer.Option("--replace", help="Build again over a kit already in --out.")
    ] = False,
) -> None:
    """Build a drum kit: isolate the drums, cut the hits, drop near-duplicates, classify them
    (kick, snare, closed_hat, open_hat, tom, cymbal, clap, perc), give them roles, and write
    KIT_DIR/kit_manifest.json, role_pools.json and hits/*.wav."""
    setup()
    from music.errors import ChromaticError
    from render.kit.build import KitSettings, build_kit
    from render.kit.separate import METHODS, SeparationSettings

    if separation not in METHODS:
        raise fail(f"--separation: {separation!r} -- one of {', '.join(METHODS)}")
    try:
        settings = KitSettings(
            separation=SeparationSettings(
                method=separation,
                demucs_checkpoint=demucs,
                threads=threads,
            ),
            clap_checkpoint=clap,
        )
        with _file_bar(sys.stderr.isatty()) as (on_start, on_file):
            result = build_kit(
                audio,
                out_dir,
                settings=settings,
                replace=replace,
                on_start=on_start,
                on_file=on_file,
            )
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    for skipped in result.skipped:
        err.print(f"skipped {plain(skipped.file)}: {plain(skipped.reason)}")
    counts: dict[str, int] = {}
    for h in result.manifest.hits:
        counts[h.drum_class] = counts.get(h.drum_class, 0) + 1
    summary = ", ".join(f"{n} {c}" for c, n in counts.items())
    used = len(result.files) - len(result.skipped)
    out.print(
        f"[bold green]kit:[/] {plain(result.root)}: {len(result.manifest.hits)} hits ({summary}) "
        f"from {used} file(s), {len(result.skipped)} skipped; separation "
        f"{result.manifest.separation['method']}, roles {result.manifest.roles['method']}"
    )


def register(app: typer.Typer) -> None:
    """Add ``chromatic kit`` and its commands to ``app``."""
    kit_app.command("build")(build)
    app.add_typer(kit_app)
