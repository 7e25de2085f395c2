"""A real run stopped at its chords gate, made once per test module and copied per test: the
run-folder safety tests tamper with copies of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from agents.runner import start_run

CLI = [sys.executable, "-m", "cli"]

SMALL_PROPOSAL: dict[str, object] = {
    "title": "Lamp Song",
    "concept": "A lamp left burning in an empty house, waiting for someone to return.",
    "color": "Blue",
    "key": "A minor",
    "bpm": 90,
    "time_signature": "4/4",
    "mood": ["melancholic"],
    "genres": ["folk rock"],
    "sections": [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 4}],
    "evolution": {"population_size": 12, "generations": 2, "top_n": 3},
    "seed": 5,
}


def write_proposal(path: Path, **overrides: object) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe").dump({**SMALL_PROPOSAL, **overrides}, fh)
    return path


def make_gated_run(folder: Path) -> Path:
    """Run the small proposal to its chords gate under ``folder``; return the run dir."""
    folder.mkdir(parents=True, exist_ok=True)
    outcome = start_run(proposal_path=write_proposal(folder / "lamp.yml"), out_dir=folder / "runs")
    assert outcome.status == "awaiting_review"
    return outcome.run_dir


def copy_run(run_dir: Path, dest: Path) -> Path:
    return Path(shutil.copytree(run_dir, dest / run_dir.name))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
