"""Batch evolution on a real local Ray (2 CPUs, started once for this module): proposals run as
Ray tasks through the real agent; a bad proposal or a failing task is reported with its file
name and never stops the others; the typer command prints the summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import ray
import typer
from typer.testing import CliRunner

from agents.batch import best_of_run, run_agent_task, run_batch
from agents.builder import ScoringOptions
from agents.graph import PHASE_RUNS
from agents.review import load_review_document
from agents.runner import start_run
from cli.batch import register
from evolution.lazy import OnnxSettings

SMALL = {"population_size": 16, "generations": 3, "top_n": 4}


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture
def three(make_proposal: Callable[..., Path]) -> list[Path]:
    return [
        make_proposal("lamp_song", evolution=SMALL),
        make_proposal("ember_song", color="Red", key="D major", evolution=SMALL, seed=5),
        make_proposal(
            "tide_song", color="Green", key="E minor", time_signature="3/4", evolution=SMALL, seed=8
        ),
    ]


def _best_in_review(run_dir: Path) -> float:
    doc = load_review_document(run_dir / "chords" / "review.yml")
    return max(float(c["scores"]["composite"]) for c in doc["candidates"])


def test_batch_runs_each_proposal_and_reports_a_bad_one(
    three: list[Path], make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    bad = make_proposal("broken_song", key="H minor", evolution=SMALL)
    proposals = [three[0], bad, three[1], three[2]]
    results = run_batch(proposals, out_dir=tmp_path / "runs", workers=2)

    assert [r.proposal for r in results] == proposals  # one result per proposal, in order
    failed = results[1]
    assert failed.status == "error" and not failed.ok
    assert failed.error is not None and str(bad) in failed.error and "'H minor'" in failed.error
    for result in (results[0], results[2], results[3]):
        assert result.ok, result.error
        assert (result.status, result.phase) == ("awaiting_review", "chords")
        assert result.run_dir is not None and (result.run_dir / "chords" / "review.yml").is_file()
        assert result.best_composite == _best_in_review(result.run_dir)
        assert 0.0 < result.best_composite <= 1.0
        assert result.seconds > 0
    assert {r.run_dir.name for r in results if r.run_dir} == {
        "lamp-song",
        "ember-song",
        "tide-song",
    }

    # The task ran the same agent as an in-process run: same seed, same best candidate.
    direct = start_run(proposal_path=three[1], out_dir=tmp_path / "direct")
    assert best_of_run(direct.run_dir) == ("chords", results[2].best_composite)


def test_failing_task_is_reported_and_the_rest_finish(three: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "runs"
    start_run(proposal_path=three[0], out_dir=out)  # its run folder exists: the task must fail
    results = run_batch(three[:2], out_dir=out, auto_approve=True, workers=2, progress=True)

    first, second = results
    assert first.status == "error"
    assert first.error is not None
    assert first.error.startswith(f"{three[0]}: RunStateError") and "already exists" in first.error
    assert second.ok and (second.status, second.phase) == ("done", list(PHASE_RUNS)[-1])
    assert second.run_dir is not None
    assert sorted(p.name for p in (second.run_dir / "chords" / "approved").glob("*.mid")) == [
        "chorus.mid",
        "verse.mid",
    ]


def test_same_title_twice_is_refused_before_running(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    a = make_proposal("twin", evolution=SMALL)
    b = make_proposal("twin_copy", title="Twin", evolution=SMALL)
    results = run_batch([a, b], out_dir=tmp_path / "runs", workers=1)
    assert results[0].ok and results[0].status == "awaiting_review"
    assert results[1].status == "error"
    assert results[1].error is not None and "another title" in results[1].error
    assert str(a) in results[1].error


def test_cli_command_prints_the_summary(
    three: list[Path], make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Standalone app holding only the batch command."""

    register(app)
    runner = CliRunner()
    out = tmp_path / "cli_runs"
    args = ["batch", *map(str, three), "--out", str(out), "--workers", "2"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("lamp_song.yml", "ember_song.yml", "tide_song.yml"):
        assert name in result.output
    assert result.output.count("awaiting_review") == 3
    assert sorted(p.name for p in out.iterdir()) == ["ember-song", "lamp-song", "tide-song"]

    bad = make_proposal("broken_song", bpm=900, evolution=SMALL)
    result = runner.invoke(app, ["batch", str(bad), "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "broken_song.yml" in result.output and "1 of 1 proposals failed" in result.output


def test_task_scores_in_process_whatever_the_proposal_says(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    # On the 2-CPU Ray a pool of 3 actors would be refused at once: the task must not open one.
    crowded = make_proposal("crowd_song", evolution={**SMALL, "executor": "ray", "actors": 3})
    data = run_agent_task(
        crowded.name,
        crowded.read_text(encoding="utf-8"),
        str(tmp_path / "runs"),
        False,
        scoring=ScoringOptions(onnx=OnnxSettings(threads=2)),
    )
    assert (data["status"], data["phase"]) == ("awaiting_review", "chords")
    direct = start_run(
        proposal_path=crowded, out_dir=tmp_path / "direct", scoring=ScoringOptions(executor="local")
    )
    assert best_of_run(direct.run_dir) == (data["phase"], data["best"])


def test_cli_refuses_tasks_the_cluster_cannot_run(three: list[Path], tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Standalone app holding only the batch command."""

    register(app)
    runner = CliRunner()
    out = tmp_path / "runs"
    for option, message in (
        ("0", "cpus_per_task = 0.0 is invalid; allowed: a number > 0"),
        ("3", "cpus_per_task = 3 is invalid; allowed: at most the 2 CPU of the Ray cluster"),
    ):
        args = ["batch", str(three[0]), "--out", str(out), "--cpus-per-task", option]
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert not out.exists()


def test_batch_runs_every_iteration_of_a_song_proposal_file(tmp_path: Path) -> None:
    original = Path(__file__).resolve().parents[1] / "fixtures" / "proposals-original"
    path = tmp_path / "tidewater_proposal.yml"
    text = (original / "tidewater_proposal.yml").read_text(encoding="utf-8")
    path.write_text(
        "evolution: {population_size: 12, generations: 2, top_n: 3}\n" + text, encoding="utf-8"
    )
    results = run_batch([path], out_dir=tmp_path / "runs", workers=2)
    assert [r.iteration for r in results] == [
        "tidewater_almanac_v1",
        "tidewater_almanac_v2",
        "tidewater_almanac_v3",
    ]
    assert all(r.ok and r.status == "awaiting_review" for r in results), results
    meters = []
    for r in results:
        assert r.run_dir is not None and r.iteration is not None
        assert r.run_dir.name == r.iteration.replace("_", "-")
        meters.append(load_review_document(r.run_dir / "chords" / "review.yml")["time_signature"])
    assert meters == ["4/4", "6/8", "3/4"]
