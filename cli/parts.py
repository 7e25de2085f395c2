"""``chromatic eval parts``: how the drums and melodies the agent makes compare with real music.

Drums: 4-bar 4/4 patterns evolved the way the drums phase evolves them (``DrumOps`` seeded with
style skeletons and drum-transformer grooves, scored by :class:`DrumEvaluator` with the drum
theory scores) against 4-bar windows of the Groove MIDI validation ``beat`` performances; the
drum transformer's and the skeletons' own samples are reported beside them
(``training.drums.evaluate``). Melodies: 8-bar melodies evolved with the melody operators and
theory scores (``training.melody_eval.generate_melodies``) against OpenEWLD lead sheets and
Nottingham folk tunes, cut to the same length (``training.melody_eval``).

Metrics are those of the literature (Yang & Lerch 2018; Dong et al. 2018; Wu & Yang 2020), defined
once in :mod:`scoring.metrics` (the style-fit scores read the same): pitch-class entropy, scale
consistency, chord-tone ratio, note density, empty-beat rate, grooving-pattern similarity and
drum polyphony, among others. For each, the report
gives the real 5th/50th/95th percentiles, our median and the share of ours inside the real
5-95 range, and says in words where ours falls inside or outside the real distribution.

The evolution here is theory-only: the ChromaticScorer ranks candidates by concept and color,
which a concept-free comparison with a corpus cannot stand in for.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.groups import eval_app

logger = logging.getLogger(__name__)

DEFAULT_GROOVE = Path("../shared/data/groove-midi")
DEFAULT_OPENEWLD = Path("../shared/data/openewld/dataset")
DEFAULT_NOTTINGHAM = Path("../shared/data/nottingham/MIDI")


def phase_drums(
    styles: Counter[str], n: int, *, seed: int, population: int, generations: int
) -> list[Any]:
    """``n`` 4-bar 4/4 patterns, each the best of one drums-phase evolution (theory scores,
    skeleton and transformer seeds) in a style matched to the real windows' styles."""
    import numpy as np

    from agents.phases.drums import section_seeds, transformer_bank
    from evolution.engine import EvolutionConfig, evolve
    from evolution.fitness.drums import DrumEvaluator
    from generators.drums.operators import DrumOps
    from generators.drums.transformer import DrumTransformer
    from music.meter import Meter
    from scoring.composite import Weights
    from scoring.style.select import song_profile
    from training.drums.evaluate import WINDOW_BARS, _style_plan

    skeleton_of = {"halftime": "half-time"}
    known = ("rock", "funk", "half-time", "shuffle", "breakbeat", "sparse")
    meter = Meter(4, 4)
    rng = np.random.default_rng(seed)
    transformer = DrumTransformer.load()
    out = []
    for style in _style_plan(styles, n):
        name = skeleton_of.get(style, style)
        chosen = (name if name in known else "rock", "half-time" if name != "half-time" else "rock")
        bank = transformer_bank(
            transformer=transformer, styles=chosen[:1], meter=meter, bars=WINDOW_BARS, rng=rng
        )
        ops = DrumOps(meter=meter, bars=WINDOW_BARS, styles=chosen, bank=bank)
        result = evolve(
            ops=ops,
            evaluate=DrumEvaluator(
                meter=meter,
                weights=Weights(),
                bpm=100.0,
                style=song_profile("drums", genres=(style,), mood=(), bpm=100.0, meter="4/4"),
            ),
            fitness=lambda card: card.fitness,
            config=EvolutionConfig(population_size=population, generations=generations, top_n=1),
            rng=rng,
            seeds=section_seeds(
                meter=meter, bars=WINDOW_BARS, styles=chosen, bank=bank, transition=True, rng=rng
            ),
        )
        out.append(result.top[0].genome)
    return out


def _where(p5: float, p95: float, median: float, inside: float) -> str:
    if median < p5:
        side = "below"
    elif median > p95:
        side = "above"
    else:
        side = "inside"
    return f"median {side} the real 5-95% range; {inside:.0%} of ours inside it"


def drums_report(
    groove: Path, *, samples: int, seed: int, population: int, generations: int
) -> dict[str, Any]:
    """Drums of the phase, of the transformer and of the skeletons against Groove validation."""
    import numpy as np

    from generators.drums.transformer import DrumTransformer
    from training.drums.evaluate import (
        compare,
        real_windows,
        skeleton_windows,
        table,
        transformer_windows,
    )

    rng = np.random.default_rng(seed)
    real, styles, bpms = real_windows(groove)
    if not real:
        raise typer.BadParameter(
            f"{groove}: no 4/4 validation beat performances -- the groove-midi folder "
            "(with info.csv and the drummer folders)",
            param_hint="--groove",
        )
    generated = {
        "phase": phase_drums(
            styles, samples, seed=seed, population=population, generations=generations
        ),
        "transformer": transformer_windows(DrumTransformer.load(), styles, samples, rng),
        "skeleton": skeleton_windows(styles, samples, rng),
    }
    rows = compare(real, generated, real_bpm=bpms)
    metrics: dict[str, Any] = {}
    for r in rows:
        metrics[r.metric] = {
            "real": {"p5": r.real_p5, "p50": r.real_p50, "p95": r.real_p95},
            **{n: {"median": m, "inside_share": i} for n, (m, i) in r.ours.items()},
            "phase_verdict": _where(r.real_p5, r.real_p95, *r.ours["phase"]),
        }
    return {
        "real_windows": len(real),
        "real_styles": dict(styles.most_common()),
        "samples": {k: len(v) for k, v in generated.items()},
        "evolution": {"population": population, "generations": generations},
        "metrics": metrics,
        "table": table(rows),
    }


def melody_report(
    openewld: Path, nottingham: Path, *, limit: int | None, samples: int, seed: int
) -> dict[str, Any]:
    """Melodies made the phase's way against OpenEWLD and Nottingham segments."""
    from training.melody_eval import (
        evaluate_melodies,
        format_report,
        generate_melodies,
        load_nottingham,
        load_openewld,
    )

    real = {
        "openewld": load_openewld(openewld, limit=limit),
        "nottingham": load_nottingham(nottingham, limit=limit),
    }
    if not any(real.values()):
        raise typer.BadParameter(
            f"{openewld}, {nottingham}: no melodies read -- the OpenEWLD dataset folder "
            "(*.mxl) and the Nottingham MIDI folder",
            param_hint="--openewld/--nottingham",
        )
    report = evaluate_melodies(generate_melodies(samples, seed=seed), real)
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    for entry in metrics.values():
        ref, ours = entry["real_pooled"], entry.get("ours")
        if ours and ref.get("n"):
            entry["verdict"] = _where(
                ref["p5"], ref["p95"], ours["p50"], entry.get("ours_inside_share", 0.0)
            )
    report["table"] = format_report(report)
    return report


def summary(report: dict[str, Any]) -> str:
    """The report in words and tables, for a terminal."""
    lines = ["# Drums: ours vs Groove MIDI validation (4-bar 4/4 windows)", ""]
    drums = report["drums"]
    lines.append(f"real windows: {drums['real_windows']}; samples: {drums['samples']}")
    lines += ["", drums["table"], ""]
    for name, entry in drums["metrics"].items():
        lines.append(f"- {name}: phase {entry['phase_verdict']}")
    melody = report["melody"]
    lines += ["", "# Melodies: ours vs OpenEWLD and Nottingham (8-bar segments)", ""]
    lines += [melody["table"], ""]
    for name, entry in melody["metrics"].items():
        if "verdict" in entry:
            lines.append(f"- {name}: {entry['verdict']}")
    return "\n".join(lines)


def parts(
    groove: Annotated[Path, typer.Option(help="the Groove MIDI folder")] = DEFAULT_GROOVE,
    openewld: Annotated[Path, typer.Option(help="the OpenEWLD dataset folder")] = DEFAULT_OPENEWLD,
    nottingham: Annotated[
        Path, typer.Option(help="the Nottingham MIDI folder")
    ] = DEFAULT_NOTTINGHAM,
    out: Annotated[Path, typer.Option(help="JSON report to write")] = Path("parts_eval.json"),
    drum_samples: Annotated[int, typer.Option(min=4, help="generated drum windows")] = 48,
    melodies: Annotated[int, typer.Option(min=4, help="generated melodies")] = 24,
    limit: Annotated[int, typer.Option(min=1, help="files read per melody corpus")] = 150,
    population: Annotated[int, typer.Option(min=4, help="drum population")] = 32,
    generations: Annotated[int, typer.Option(min=1, help="drum generations")] = 12,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
) -> None:
    """Compare generated drums with Groove MIDI and melodies with OpenEWLD/Nottingham."""
    logging.basicConfig(level=logging.WARNING)
    from music.files import write_text_atomic

    for name, path in (
        ("--groove", groove),
        ("--openewld", openewld),
        ("--nottingham", nottingham),
    ):
        if not path.is_dir():
            raise typer.BadParameter(f"{path}: not a folder", param_hint=name)
    report = {
        "seed": seed,
        "drums": drums_report(
            groove, samples=drum_samples, seed=seed, population=population, generations=generations
        ),
        "melody": melody_report(openewld, nottingham, limit=limit, samples=melodies, seed=seed),
    }
    write_text_atomic(out, json.dumps(report, indent=2) + "\n")
    text = summary(report)
    write_text_atomic(out.with_suffix(".md"), text + "\n")
    typer.echo(text)
    typer.echo(f"\nwrote {out} and {out.with_suffix('.md')}")


def register(app: typer.Typer) -> None:
    """Add ``chromatic eval parts`` to the ``eval`` group."""
    eval_app.command("parts")(parts)
