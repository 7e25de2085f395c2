"""``chromatic train realism`` and ``chromatic eval realism``: build the realism critic of each
part (``scoring/data/realism_<part>.onnx`` and its ``.json`` sidecar) from the real corpora and
the project's own generators (:mod:`training.realism`), and measure how it tells real passages
from ours on data it never learned from. Every error a person can fix prints one line and exits
with code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import PACKAGE_DATA, fail, out, plain, setup, status_steps
from cli.groups import eval_app, train_app

if TYPE_CHECKING:
    from training.realism.generated import PhaseParts

ALL_PARTS = ("drums", "melody", "chords", "bass")

DataOpt = Annotated[
    Path,
    typer.Option(
        "--data",
        help="The shared data folder (groove-midi/, openewld/, billboard/, nottingham/); the "
        "Bach chorales come from music21's bundled corpus.",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Folder caching each corpus's metric rows (shared with chromatic train style). "
        "Default: ~/.cache/chromatic/style.",
    ),
]
PartOpt = Annotated[
    list[str] | None,
    typer.Option("--part", help="Only this part (drums, melody, chords, bass); repeatable."),
]


def _check(data: Path, parts: list[str] | None) -> tuple[str, ...]:
    if not data.is_dir():
        raise fail(f"--data: {str(data)!r} -- no such folder; the shared data folder")
    chosen = tuple(parts or ALL_PARTS)
    for p in chosen:
        if p not in ALL_PARTS:
            raise fail(f"--part: {p!r} -- one of {', '.join(ALL_PARTS)}")
    return chosen


def phase_parts() -> PhaseParts:
    """What the generator runs reuse of the phases (see :class:`PhaseParts`)."""
    from agents.phases.chords import source_blend
    from agents.phases.drums import section_seeds, transformer_bank
    from training.realism.generated import PhaseParts

    return PhaseParts(
        chord_blend=source_blend, drum_bank=transformer_bank, drum_seeds=section_seeds
    )


def _errors() -> tuple[type[BaseException], ...]:
    """The errors a person can fix: each prints one line."""
    from inference.onnx import ModelFileError
    from music.errors import InputError
    from training.style.corpora import MissingCorpusError

    return (InputError, MissingCorpusError, ModelFileError, ValueError)


def _line(part: str, entry: dict[str, Any]) -> str:
    if "auc" not in entry:
        return f"{part}: too few held-out rows to measure"
    return (
        f"{part}: held-out accuracy {entry['accuracy']:.1%} (balanced "
        f"{entry['balanced_accuracy']:.1%}), AUC {entry['auc']:.3f}, "
        f"{entry['ranked_real_share']:.1%} real among the {entry['real_rows']} ranked most real"
    )


def _groups(entry: dict[str, Any]) -> None:
    for name, g in entry.get("groups", {}).items():
        if g.get("rows"):
            out.print(
                f"  {plain(name)}: {g['rows']} rows, mean P(real) {g['mean_p_real']:.3f}, "
                f"judged right {g['accuracy']:.1%}"
            )


def train_realism(
    data: DataOpt = Path("../shared/data"),
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where realism_<part>.onnx and .json go.")
    ] = PACKAGE_DATA,
    cache: CacheOpt = None,
    parts: PartOpt = None,
    runs: Annotated[
        int, typer.Option("--runs", min=2, help="Generator runs per part (the generated side).")
    ] = 48,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generator runs.")] = 0,
) -> None:
    """Rebuild the realism critic of each part from the real corpora and our generators."""
    setup()
    from training.realism.generated import GenConfig
    from training.realism.train import RealismConfig, main
    from training.style.train import DEFAULT_CACHE

    chosen = _check(data, parts)
    config = RealismConfig(
        data=data,
        out=out_dir,
        phase=phase_parts(),
        cache=cache or DEFAULT_CACHE,
        parts=chosen,
        gen=GenConfig(runs=runs, seed=seed),
    )
    with status_steps(_errors()) as step:
        summary = main(config, step=step)
    for part, entry in summary.items():
        out.print(f"{part}: L2 {entry['l2']} -> {plain(entry['file'])}")
        out.print(plain(_line(part, entry["heldout"])))
        _groups(entry["heldout"])


def eval_realism(
    data: DataOpt = Path("../shared/data"),
    models: Annotated[
        Path | None,
        typer.Option("--models", help="Folder of realism_<part>.onnx. Default: the shipped."),
    ] = None,
    cache: CacheOpt = None,
    parts: PartOpt = None,
    runs: Annotated[
        int, typer.Option("--runs", min=1, help="Fresh generator runs per part to judge.")
    ] = 24,
    seed: Annotated[int, typer.Option("--seed", help="Seed of those runs (training used 0).")] = 1,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON here.")
    ] = None,
) -> None:
    """How the realism critic tells held-out real passages from fresh generated ones."""
    setup()
    from music.files import write_text_atomic
    from training.realism.evaluate import EvalConfig, evaluate
    from training.realism.generated import GenConfig
    from training.style.train import DEFAULT_CACHE

    chosen = _check(data, parts)
    config = EvalConfig(
        data=data,
        phase=phase_parts(),
        models=models,
        cache=cache or DEFAULT_CACHE,
        parts=chosen,
        gen=GenConfig(runs=runs, seed=seed),
    )
    with status_steps(_errors()) as step:
        report = evaluate(config, step=step)
    for part in chosen:
        out.print(plain(_line(part, report[part])))
        _groups(report[part])
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(report, indent=2) + "\n")
        out.print(f"report: {plain(json_out)}")


def register(app: typer.Typer) -> None:
    """Add ``chromatic train realism`` and ``chromatic eval realism``."""
    del app
    train_app.command("realism")(train_realism)
    eval_app.command("realism")(eval_realism)
