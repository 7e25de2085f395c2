"""Small proposals for agent tests: the real graph, checkpointer, scorers and evolution, with a
population and generation count small enough to run in seconds."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from agents.rundir import RunDir
from agents.runner import start_run
from tests.agents.run_fixtures import write_proposal


def _write(path: Path, data: dict[str, object]) -> Path:
    yaml = YAML(typ="safe")
    with path.open("w") as fh:
        yaml.dump(data, fh)
    return path


@pytest.fixture
def make_proposal(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "test_song", **overrides: object) -> Path:
        data: dict[str, object] = {
            "title": name.replace("_", " ").title(),
            "concept": "A lamp left burning in an empty house, waiting for someone to return.",
            "color": "Blue",
            "key": "A minor",
            "bpm": 90,
            "time_signature": "4/4",
            "mood": ["melancholic", "wistful"],
            "genres": ["folk rock"],
            "sections": [{"name": "verse", "bars": 8}, {"name": "chorus", "bars": 4}],
            "evolution": {"population_size": 16, "generations": 4, "top_n": 4},
            "seed": 3,
        }
        data.update(overrides)
        return _write(tmp_path / f"{name}.yml", data)

    return make


@pytest.fixture(scope="module")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small proposal run to the end, auto-approved (made once per test module)."""
    folder = tmp_path_factory.mktemp("done")
    outcome = start_run(
        proposal_path=write_proposal(folder / "lamp.yml"),
        out_dir=folder / "runs",
        auto_approve=True,
    )
    assert outcome.status == "done"
    return outcome.run_dir


@pytest.fixture
def run(done_run: Path, tmp_path: Path) -> RunDir:
    """A copy of :func:`done_run` for one test to steer (modules may define their own)."""
    return RunDir(Path(shutil.copytree(done_run, tmp_path / done_run.name)))
