"""Commands: ``chromatic render RUN`` (assemble and render a run again) and ``chromatic train
renderplan`` (train the RenderPlan models on a dataset of analysed tracks).

Errors a person can fix (a missing or broken SoundFont, an unwritable folder, a run with
nothing approved, a missing dataset) print one line and exit with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import fail, out, plain, setup
from cli.groups import train_app

SoundFontOption = Annotated[
    Path | None,
    typer.Option(
        "--soundfont",
        help="A General MIDI .sf2 file (default: $CHROMATIC_SOUNDFONT, else FluidR3 GM, else "
        "pretty_midi's TimGM6mb).",
    ),
]


# Render options of run, resume and render (the render after the last gate).
_RENDER = "Render (default: what the run was started with, else 44100 Hz, pcm24 stems)"
SampleRateOpt = Annotated[
    int | None,
    typer.Option(
        "--sample-rate",
        help="Sample rate of the stems and the master: 44100 or 48000 Hz.",
        rich_help_panel=_RENDER,
    ),
]
StemFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--stem-format",
        help="Stem WAVs as pcm24 (24-bit PCM, the default) or float32 (32-bit float).",
        rich_help_panel=_RENDER,
    ),
]
KitOpt = Annotated[
    str | None,
    typer.Option(
        "--kit",
        help="Also play the drums on this sample kit (a folder made by `chromatic kit build`), "
        "blended with the General MIDI drums; overrides the proposal's kit.",
        rich_help_panel=_RENDER,
    ),
]
KitPickOpt = Annotated[
    str | None,
    typer.Option(
        "--kit-pick",
        help="How the kit's hits are picked per note: round_robin (default), random (seeded) "
        "or fixed.",
        rich_help_panel=_RENDER,
    ),
]


MelodyTimbreOpt = Annotated[
    str | None,
    typer.Option(
        "--melody-timbre",
        help="Play the melody stem on a DDSP timbre instead of the SoundFont: trumpet (the "
        "shipped one) or an .onnx file made by `chromatic train timbre`.",
        rich_help_panel=_RENDER,
    ),
]


BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend", help="fluidsynth or tinysoundfont (default: the first one installed)."
    ),
]


def _approved_of(values: dict[str, Any], phases: list[str]) -> dict[str, list[str]]:
    got = values.get("phases", {})
    return {p: list(got.get(p, {}).get("approved", {})) for p in phases}


def render(
    run_dir: Annotated[Path, typer.Argument(help="The run directory, e.g. runs/night-watch.")],
    soundfont: SoundFontOption = None,
    backend: BackendOption = None,
    sample_rate: SampleRateOpt = None,
    stem_format: StemFormatOpt = None,
    kit: KitOpt = None,
    kit_pick: KitPickOpt = None,
    melody_timbre: MelodyTimbreOpt = None,
) -> None:
    """Assemble and render a run again (at least its chords approved): song.mid,
    arrangement.json, stems/<part>.wav (and stems/drums_kit.wav with a kit), analysis.json,
    render_plan.json, mix.wav, mix.mp3. Shows progress on a terminal."""
    setup()
    from agents.builder import RenderOptions, render_kit
    from agents.builder import melody_timbre as check_timbre
    from agents.errors import RunStateError
    from agents.graph import PHASE_RUNS
    from agents.phases.render import render_run
    from agents.proposal import load_proposal
    from agents.run_graph import run_status
    from agents.rundir import RunDir
    from cli.progress import progress_hooks
    from music.errors import ChromaticError
    from render.settings import RenderSettings

    try:
        run = RunDir(run_dir).require_existing()
        proposal = load_proposal(run.proposal)
        _, values = run_status(run_dir)
        form = values.get("plan")
        if not form:
            raise RunStateError(
                f"{run.root}: the run has no sections laid out yet -- resume it first"
            )
        base = RenderSettings().with_values(values.get("render_settings") or {})
        options = RenderOptions(
            sample_rate=sample_rate,
            stem_format=stem_format,
            kit=kit,
            kit_pick=kit_pick,
            melody_timbre=melody_timbre,
        )
        settings = options.settings(base) or base
        use_kit = render_kit(proposal, settings, proposal_file=run.proposal)
        with progress_hooks() as hooks:
            manifest = render_run(
                run=run,
                proposal=proposal,
                form=form,
                approved=_approved_of(values, list(PHASE_RUNS)),
                soundfont=soundfont,
                backend=backend,
                settings=settings,
                on_step=hooks.on_render_step,
                kit=use_kit,
                melody_timbre=check_timbre(proposal, settings, proposal_file=run.proposal),
            )
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    out.print(
        f"[bold green]rendered:[/] {plain(run.root / manifest['mix_wav'])} "
        f"({manifest['seconds']:.1f} s, {manifest['integrated_lufs']:.1f} LUFS, "
        f"{manifest['true_peak_dbtp']:.1f} dBTP, MP3 {manifest['mp3_true_peak_dbtp']:.1f} dBTP; "
        f"{manifest['sample_rate']} Hz; parts: {plain(', '.join(manifest['parts']))})"
    )
    if manifest.get("kit"):
        used = manifest["kit"]
        borrowed = ", ".join(f"{k} from {v}" for k, v in used["borrowed"].items())
        out.print(
            f"  drums also on the kit {plain(used['folder'])} ({used['pick']}; stems/"
            f"drums_kit.wav){'; borrowed: ' + plain(borrowed) if borrowed else ''}"
        )


def train_renderplan(
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset",
            help="A dataset root (tracks/<id>/, built into plan_dataset.jsonl when missing) or "
            "a plan_dataset.jsonl file.",
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the linear and MLP models and report.json.")
    ] = Path("models/renderplan"),
) -> None:
    """Train the RenderPlan models (linear and MLP) on real tracks: python -m
    training.renderplan train."""
    setup()
    from music.errors import ChromaticError
    from training.renderplan.__main__ import main

    if not dataset.exists():
        raise fail(
            FileNotFoundError(
                f"--dataset: {str(dataset)!r} -- no such file or folder (a dataset root with "
                "tracks/<id>/ or a plan_dataset.jsonl; see training/renderplan/dataset.py)"
            )
        )
    try:
        code = main(["train", "--dataset", str(dataset), "--out", str(out_dir)])
    except (ChromaticError, ValueError, OSError) as exc:
        raise fail(exc) from None
    raise typer.Exit(code=code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app`` and its groups."""
    app.command("render")(render)
    train_app.command("renderplan")(train_renderplan)
