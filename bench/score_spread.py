"""Can evolution tell its candidates apart? Per phase, the spread of the final population's
composite (max - min over the candidates in the key, the ones ranked by their composite) and of
the top ten review.yml lists, over auto-approved songs.

Songs: the six example proposals plus two more (:data:`bench.corpus_fit.EXTRA`: 5/4 jazz-folk,
4/4 funk), across colors, genres and the meters 4/4, 3/4, 6/8, 7/8 and 5/4, each run as a person
runs it (``chromatic run --auto-approve``, the ChromaticScorer on) in a child process, with each
proposal's own evolution settings unless ``--population`` / ``--generations`` say otherwise. The
child watches each phase's evolution (it records what ``evolve`` returns; nothing is changed),
so ``--code DIR --label before`` measures another checkout (``git archive main``) the same way.

Goal (issue 12): in every phase the final population spreads by >= 0.05 and the top ten by
>= 0.02. ``python -m bench.score_spread`` prints per phase the median and the worst section, and
writes ``bench/results/score_spread_<label>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("chords", "drums", "bass", "melody")
GOAL_SPREAD = 0.05
GOAL_TOP_SPREAD = 0.02


def _spread(values: Sequence[float]) -> float:
    return round(max(values) - min(values), 4) if values else 0.0


def one_song(proposal: Path, out: Path) -> list[dict[str, Any]]:
    """Run one song auto-approved in this process; per phase and section, the composites of
    the final population and of the top N (watching ``evolve``, changing nothing)."""
    import agents.phases.generate as generate
    from cli.app import app

    evolve, write_review = generate.evolve, generate.write_review
    pending: list[Any] = []
    found: list[dict[str, Any]] = []

    def watched_evolve(**kwargs: Any) -> Any:
        result = evolve(**kwargs)
        pending.append(result)
        return result

    def watched_write(path: Path, document: Any) -> Path:
        sections = list(dict.fromkeys(c.get("section", "all") for c in document["candidates"]))
        for section, result in zip(sections, pending, strict=True):
            final = [s for s in result.population if s.fitness >= 0.0]
            found.append(
                {
                    "phase": document["phase"],
                    "section": section,
                    "population": len(result.population),
                    "in_key": len(final),
                    "spread": _spread([s.score.composite for s in final]),
                    "top": len(result.top),
                    "top_spread": _spread([s.score.composite for s in result.top]),
                    "best": round(max((s.score.composite for s in final), default=0.0), 4),
                }
            )
        pending.clear()
        return write_review(path, document)

    generate.evolve = watched_evolve  # type: ignore[assignment]
    generate.write_review = watched_write
    args = ["run", str(proposal), "--auto-approve", "--replace", "--out", str(out)]
    app(args, standalone_mode=False)
    return found


def proposal_files(folder: Path, *, population: int | None, generations: int | None) -> list[Path]:
    """The eight proposals, written into ``folder`` (evolution overridden where asked)."""
    from ruamel.yaml import YAML

    from bench.corpus_fit import EXTRA, PROPOSALS

    yaml = YAML(typ="safe")
    datas = [yaml.load((ROOT / "proposals" / n).read_text(encoding="utf-8")) for n in PROPOSALS]
    out: list[Path] = []
    for data in [*datas, *(dict(e) for e in EXTRA)]:
        evolution = dict(data.get("evolution") or {})
        if population is not None:
            evolution["population_size"] = population
            evolution["elite"] = min(evolution.get("elite", 4), population - 1)
            evolution["top_n"] = min(evolution.get("top_n", 10), population)
        if generations is not None:
            evolution["generations"] = generations
        data["evolution"] = evolution
        path = folder / f"{len(out):02d}.yml"
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
        out.append(path)
    return out


def run_song(proposal: Path, out: Path, *, code: Path) -> list[dict[str, Any]]:
    """One song with the checkout at ``code``, in a child process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["PYTHONPATH"] = str(code)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(proposal), str(out)]
    proc = subprocess.run(cmd, cwd=code, env=env, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("[")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{proposal}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    found: list[dict[str, Any]] = json.loads(lines[-1])
    return found


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per phase: median and minimum spread and top-ten spread, the median best composite (so
    a wider spread bought with a worse winner would show), and how many sections meet the
    goals."""
    out: dict[str, Any] = {}
    for phase in PHASES:
        mine = [r for r in rows if r["phase"] == phase]
        if not mine:
            continue
        spreads = [r["spread"] for r in mine]
        tops = [r["top_spread"] for r in mine]
        out[phase] = {
            "sections": len(mine),
            "spread_median": round(statistics.median(spreads), 4),
            "spread_min": min(spreads),
            "top_spread_median": round(statistics.median(tops), 4),
            "top_spread_min": min(tops),
            "best_median": round(statistics.median(r["best"] for r in mine), 4),
            "meet_spread_goal": sum(s >= GOAL_SPREAD for s in spreads),
            "meet_top_goal": sum(t >= GOAL_TOP_SPREAD for t in tops),
        }
    return out


def main(argv: Sequence[str] | None = None) -> Path:
    from bench.common import write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout that makes the songs")
    parser.add_argument("--label", default="after", help="names the result file")
    parser.add_argument(
        "--songs", default="0,1,2,3,4,5,6,7", help="which of the eight songs (0-7, commas)"
    )
    parser.add_argument("--population", type=int, default=None, help="override population")
    parser.add_argument("--generations", type=int, default=None, help="override generations")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = proposal_files(folder, population=args.population, generations=args.generations)
        for i in [int(n) for n in args.songs.split(",")]:
            proposal = files[i]
            found = run_song(proposal, folder / f"run{i:02d}", code=args.code.resolve())
            for row in found:
                rows.append({"song": i, **row})
                print(
                    f"song {i} {row['phase']:6s} {row['section']:8s} spread {row['spread']:.4f} "
                    f"top ten {row['top_spread']:.4f} ({row['in_key']}/{row['population']} in key)",
                    flush=True,
                )
    totals = summary(rows)
    for phase, s in totals.items():
        print(
            f"{phase:6s}: spread median {s['spread_median']:.4f} min {s['spread_min']:.4f}; "
            f"top ten median {s['top_spread_median']:.4f} min {s['top_spread_min']:.4f}; "
            f"goals met {s['meet_spread_goal']}/{s['sections']} and "
            f"{s['meet_top_goal']}/{s['sections']}"
        )
    data = {
        "label": args.label,
        "goals": {"spread": GOAL_SPREAD, "top_spread": GOAL_TOP_SPREAD},
        "evolution": {"population": args.population, "generations": args.generations},
        "songs": [int(n) for n in args.songs.split(",")],
        "phases": totals,
        "sections": rows,
    }
    path = write_result(f"score_spread_{args.label}", data)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        # Run as a file by path: its folder (bench/, whose render.py would hide the project's
        # render package) must not be on the import path; the checkout comes from PYTHONPATH.
        here = Path(__file__).resolve().parent
        sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != here]
        print(json.dumps(one_song(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
