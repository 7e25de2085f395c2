"""Start-up latency of the gate commands: ``chromatic status``, ``review`` and ``approve`` as a
person runs them (a new Python process each), on a small real run stopped at the chords gate.

    python -m bench.cli_startup     # prints the figures, writes bench/results/cli_startup.json

Each command runs ``REPEATS`` times; the figures are wall seconds per process (median, min,
max) and, for the median run, CPU seconds (user + system), which other work on a shared
machine inflates less. Goal: well under a second each. ``python -c pass`` is the floor.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bench.common import write_result

REPEATS = 7
ROOT = Path(__file__).resolve().parents[1]
PROPOSAL = {
    "title": "Startup Bench",
    "concept": "A lamp left burning in an empty house, waiting for someone to return.",
    "color": "Blue",
    "key": "A minor",
    "bpm": 90,
    "time_signature": "4/4",
    "mood": ["melancholic"],
    "genres": ["folk rock"],
    "sections": [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 4}],
    "evolution": {"population_size": 8, "generations": 2, "top_n": 3},
    "seed": 1,
}


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": path}


def _timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one process running ``args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _figures(args: list[str]) -> dict[str, float]:
    runs = sorted(_timed(args) for _ in range(REPEATS))
    walls = [w for w, _ in runs]
    median = runs[len(runs) // 2]
    return {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(walls[0], 3),
        "max_s": round(walls[-1], 3),
        "median_cpu_s": round(median[1], 3),
    }


def _make_run(folder: Path) -> Path:
    proposal = folder / "startup.yml"
    with proposal.open("w") as fh:
        YAML(typ="safe").dump(PROPOSAL, fh)
    out = folder / "runs"
    _timed([sys.executable, "-m", "cli", "run", str(proposal), "--out", str(out)])
    return out / "startup-bench"


def main() -> dict[str, Any]:
    cli = [sys.executable, "-m", "cli"]
    with tempfile.TemporaryDirectory() as tmp:
        run = str(_make_run(Path(tmp)))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "status": [*cli, "status", run],
            "review": [*cli, "review", run, "chords"],
            "approve": [*cli, "approve", run, "chords", "chord_001", "--label", "verse"],
        }
        figures = {name: _figures(args) for name, args in commands.items()}
    for name, f in figures.items():
        print(
            f"{name:>16}: median {f['median_s']:.3f} s (min {f['min_s']:.3f}, max "
            f"{f['max_s']:.3f}), cpu {f['median_cpu_s']:.3f} s"
        )
    path = write_result("cli_startup", {"repeats": REPEATS, "commands": figures})
    print(f"wrote {path}")
    return figures


if __name__ == "__main__":
    main()
