"""Small proposals for agent tests: the real graph, checkpointer, scorers and evolution, with a
population and generation count small enough to run in seconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML


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
