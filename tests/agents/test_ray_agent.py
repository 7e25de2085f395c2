"""The real agent scoring on Ray (a local Ray with 2 CPUs, started once for this module): the
chords phase with the real ChromaticScorer gives exactly the review.yml and evolution log
of in-process scoring for the same seed, through ``chromatic run --executor ray``; each scoring
actor builds the ChromaticScorer's ONNX session once; bad scoring settings are one clear error
(exit 2) before anything is written."""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import ray
from typer.testing import CliRunner

from agents.builder import SCORER_SETTING
from agents.review import load_review_document
from agents.runner import Hooks, start_run
from cli.app import app
from evolution.fitness import chromatic as chromatic_module
from evolution.ray_executor import RayExecutor
from scoring import realism as realism_module

SMALL = {"population_size": 16, "generations": 3, "top_n": 4}


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    # Workers cannot import this test module by name: send its probe by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def shipped_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCORER_SETTING, raising=False)  # the real, shipped ChromaticScorer


def onnx_state(genomes: Sequence[object]) -> list[dict[str, int]]:
    """Per genome: this process's id, how many ChromaticScorers and realism critics it opened,
    and how many ONNX sessions are alive in it (run inside an actor after the phase)."""
    sessions = sum(type(o).__name__ == "InferenceSession" for o in gc.get_objects())
    built = chromatic_module._load.cache_info().misses
    critics = realism_module._open.cache_info().misses
    return [
        {"pid": os.getpid(), "scorers": built, "critics": critics, "sessions": sessions}
        for _ in genomes
    ]


def _phase_files(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """review.yml without its time stamp, and evolution.json."""
    review = load_review_document(run_dir / "chords" / "review.yml")
    header = {k: v for k, v in review.items() if k not in ("generated", "candidates")}
    history = json.loads((run_dir / "chords" / "evolution.json").read_text(encoding="utf-8"))
    return {"header": header, "candidates": review["candidates"]}, history


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "HF_HUB_OFFLINE": "1"})


def test_run_on_ray_gives_the_review_of_local_scoring(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal("lamp_song", evolution=SMALL)
    local = _cli("run", str(proposal), "--out", str(tmp_path / "local"))
    assert local.exit_code == 0, local.output
    remote = _cli(
        "run", str(proposal), "--out", str(tmp_path / "ray"), "--executor", "ray", "--actors", "2"
    )
    assert remote.exit_code == 0, remote.output
    assert ray.is_initialized()  # the command used the running Ray and left it alone

    (review, history), (ray_review, ray_history) = (
        _phase_files(tmp_path / name / "lamp-song") for name in ("local", "ray")
    )
    assert ray_review == review
    assert ray_history == history
    candidates = review["candidates"]
    assert len(candidates) == 4
    assert all(c["scores"]["chromatic"] is not None for c in candidates)  # scored by the model
    assert len({c["scores"]["chromatic"]["match"] for c in candidates}) > 1


def test_chromatic_scorer_session_loads_once_per_actor(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal("ember_song", color="Red", key="D major", evolution=SMALL, seed=5)
    local = start_run(proposal_path=proposal, out_dir=tmp_path / "local")
    with RayExecutor(num_actors=2, cpus_per_actor=1, batch_size=4) as pool:
        outcome = start_run(
            proposal_path=proposal, out_dir=tmp_path / "ray", hooks=Hooks(executor=pool)
        )
        infos = pool.actor_info()
        state = pool.map_fitness(onnx_state, [0, 1])  # one batch on each actor
    assert _phase_files(outcome.run_dir) == _phase_files(local.run_dir)
    assert [info["loads"] for info in infos] == [1, 1]  # the evaluator travelled once per actor
    assert all(info["batches"] >= 4 for info in infos)  # ... and scored every generation
    assert sorted(s["pid"] for s in state) == sorted(info["pid"] for info in infos)
    # one ChromaticScorer and one chords realism critic per actor, each opened once
    assert [(s["scorers"], s["critics"], s["sessions"]) for s in state] == [(1, 1, 2)] * 2


def test_bad_scoring_settings_are_one_error_and_write_nothing(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal("tide_song", evolution=SMALL)
    out = tmp_path / "runs"
    result = _cli("run", str(proposal), "--out", str(out), "--cpus-per-actor", "0")
    assert result.exit_code == 2
    assert "--cpus-per-actor: 0.0 -- a number > 0" in result.output
    result = _cli("run", str(proposal), "--out", str(out), "--executor", "ray", "--actors", "3")
    assert result.exit_code == 2
    assert "3 actors x cpus_per_actor need 3 CPU but the Ray cluster has 2" in result.output
    result = _cli("run", str(proposal), "--out", str(out), "--executor", "spark")
    assert result.exit_code == 2 and "'spark' is not one of 'local', 'ray'" in result.output
    assert not out.exists()

    # The proposal's evolution block is the default; the command line overrides it.
    crowded = make_proposal("crowd_song", evolution={**SMALL, "executor": "ray", "actors": 3})
    result = _cli("run", str(crowded), "--out", str(out))
    assert result.exit_code == 2 and "3 actors x cpus_per_actor need 3 CPU" in result.output
    result = _cli("run", str(crowded), "--out", str(out), "--executor", "local")
    assert result.exit_code == 0, result.output
    run_dir = out / "crowd-song"
    assert (run_dir / "chords" / "review.yml").is_file()
    # resume reads the run's proposal.yml the same way, and fails before anything runs.
    result = _cli("resume", str(run_dir), "--auto-approve")
    assert result.exit_code == 2 and "3 actors x cpus_per_actor need 3 CPU" in result.output
    result = _cli("status", str(run_dir))
    assert result.exit_code == 0 and "ready for review" in result.output
