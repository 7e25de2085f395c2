"""``chromatic train style``: rebuild the style profiles the style-fit scores read
(``scoring/data/style_<part>.json``) from the real corpora in the shared data folder
(:mod:`training.style`); ``chromatic train drum-feel``: rebuild the drum styles' learned feels
(``generators/data/drum_feel.json``, :mod:`training.drums.feel`) from Groove MIDI. Every error
a person can fix prints one line and exits with code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import PACKAGE_DATA, fail, out, plain, setup, status_steps
from cli.groups import train_app

FEEL_FILE = Path(__file__).resolve().parents[1] / "generators" / "data" / "drum_feel.json"


def train_style(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="The shared data folder (groove-midi/, openewld/, billboard/, nottingham/); "
            "the Bach chorales come from music21's bundled corpus.",
        ),
    ] = Path("../shared/data"),
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the style_<part>.json files go.")
    ] = PACKAGE_DATA,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help="Folder caching each corpus's metric rows (read again when its files change). "
            "Default: ~/.cache/chromatic/style.",
        ),
    ] = None,
    parts: Annotated[
        list[str] | None,
        typer.Option("--part", help="Only this part (drums, melody, chords, bass); repeatable."),
    ] = None,
) -> None:
    """Rebuild the style profiles from Groove MIDI, OpenEWLD, Billboard and the Bach chorales."""
    setup()
    from music.errors import InputError
    from training.style.corpora import MissingCorpusError
    from training.style.train import DEFAULT_CACHE, StyleConfig, main

    if not data.is_dir():
        raise fail(f"--data: {str(data)!r} -- no such folder; the shared data folder")
    chosen = tuple(parts or ("drums", "melody", "chords", "bass"))
    config = StyleConfig(data=data, out=out_dir, cache=cache or DEFAULT_CACHE, parts=chosen)
    with status_steps((InputError, MissingCorpusError, ValueError)) as step:
        summary = main(config, step=step)
    for part, entry in summary.items():
        out.print(
            f"{part}: {entry['profiles']} profiles (per {entry['unit']}) -> {plain(entry['file'])}"
        )
        for corpus, counts in entry["splits"].items():
            text = ", ".join(f"{k} {v}" for k, v in counts.items())
            out.print(f"  {plain(corpus)}: {plain(text)}")


def train_drum_feel(
    data: Annotated[
        Path,
        typer.Option("--data", help="The Groove MIDI folder (info.csv, drummer*/)."),
    ] = Path("../shared/data/groove-midi"),
    out_file: Annotated[
        Path, typer.Option("--out", help="The drum_feel.json to write.")
    ] = FEEL_FILE,
) -> None:
    """Rebuild the drum styles' feels (onsets, velocities, swing, micro-timing per position)
    from Groove MIDI's style labels."""
    setup()
    import json

    from music.errors import InputError
    from music.files import write_text_atomic
    from training.drums.feel import build_feels

    if not (data / "info.csv").is_file():
        raise fail(f"--data: {str(data)!r} -- no info.csv there; the Groove MIDI folder")
    with status_steps((InputError, ValueError, OSError)) as step:
        feels = build_feels(data, tick=lambda style: step(f"drum feel: {style}"))
        write_text_atomic(out_file, json.dumps(feels, indent=1) + "\n")
    for style, entry in feels["styles"].items():
        out.print(
            f"{plain(style)}: {entry['bars']} bars of {entry['performances']} performances "
            f"({plain(', '.join(entry['groove_styles']))}), swing ratio {entry['swing_ratio']}"
        )
    out.print(f"-> {plain(out_file)}")


def register(app: typer.Typer) -> None:
    """Add ``chromatic train style`` and ``chromatic train drum-feel`` to the ``train``
    group."""
    del app
    train_app.command("style")(train_style)
    train_app.command("drum-feel")(train_drum_feel)
