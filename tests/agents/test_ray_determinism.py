"""The same seed gives the same song on a local Ray pool (2 actors) as in-process: every
candidate, preview and approved file of all four phases byte for byte, and the finished
song.mid. A local Ray listens on 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agents.builder import SCORER_SETTING, ScoringOptions
from agents.runner import start_run
from evolution.ray_executor import ray_session
from tests.agents.run_fixtures import write_proposal

PHASES = ("chords", "drums", "bass", "melody")
# An odd population, so the pool's batches (7 + 6 per generation) are cut unlike in-process.
SMALL = {"population_size": 24, "generations": 4, "top_n": 3}


@pytest.fixture(autouse=True)
def no_ray_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(SCORER_SETTING, raising=False)  # the shipped ChromaticScorer
    if ray.is_initialized():
        ray.shutdown()
    yield
    assert not ray.is_initialized()  # the run stopped the Ray it started


def _files(run_dir: Path) -> dict[str, bytes]:
    """Every file of every phase (review.yml without its time stamp) and song.mid."""
    out: dict[str, bytes] = {}
    for phase in PHASES:
        for path in sorted((run_dir / phase).rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if path.name == "review.yml":
                data = b"\n".join(
                    line for line in data.splitlines() if not line.startswith(b"generated:")
                )
            out[str(path.relative_to(run_dir))] = data
    out["song.mid"] = (run_dir / "song.mid").read_bytes()
    return out


def test_every_phase_on_ray_is_byte_identical_to_in_process(tmp_path: Path) -> None:
    proposal = write_proposal(tmp_path / "lamp.yml", evolution=SMALL)
    runs = {}
    pool = ScoringOptions(executor="ray", actors=2, batch_size=3)
    for name, scoring in (("local", None), ("ray", pool)):
        outcome = start_run(
            proposal_path=proposal, out_dir=tmp_path / name, auto_approve=True, scoring=scoring
        )
        assert outcome.status == "done"
        runs[name] = _files(outcome.run_dir)
    local, pooled = runs["local"], runs["ray"]
    for phase in PHASES:
        assert any(k.startswith(f"{phase}/candidates/") for k in local), phase
    assert sorted(pooled) == sorted(local)
    differ = [name for name in local if pooled[name] != local[name]]
    assert differ == []


def test_a_local_ray_listens_on_loopback_only() -> None:
    from ray._private import ray_constants

    before = ray_constants.ENABLE_RAY_CLUSTER
    with ray_session(num_cpus=1) as started:
        assert started
        assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
        assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}
    assert before == ray_constants.ENABLE_RAY_CLUSTER  # joining a cluster later still works
