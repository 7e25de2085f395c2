"""The run builder: typed options over the proposal, errors that name the option, the song's
ChromaticScorer chosen once, and executors that give evaluators their ONNX settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agents.builder import (
    SCORER_SETTING,
    RenderOptions,
    ScoringOptions,
    build_chromatic_scorer,
    executor_settings,
    local_executor,
)
from agents.proposal import Proposal, proposal_from_dict
from evolution.executor import LocalExecutor
from evolution.lazy import OnnxSettings, bind_onnx
from inference.onnx import ModelFileError
from music.errors import InputError


def _proposal(**evolution: Any) -> Proposal:
    data: dict[str, Any] = {
        "title": "Builder Song",
        "concept": "A lamp left on in an empty house.",
        "color": "Blue",
        "key": "A minor",
        "bpm": 100,
    }
    if evolution:
        data["evolution"] = evolution
    return proposal_from_dict(data)


def test_options_override_the_proposal_block_over_the_defaults() -> None:
    proposal = _proposal(executor="ray", actors=3, batch_size=16)
    settings = executor_settings(proposal, ScoringOptions())
    assert (settings.kind, settings.actors, settings.batch_size) == ("ray", 3, 16)
    settings = executor_settings(proposal, ScoringOptions(executor="local", actors=5))
    assert (settings.kind, settings.actors, settings.batch_size) == ("local", 5, 16)
    defaults = executor_settings(_proposal(), ScoringOptions())
    assert (defaults.kind, defaults.actors, defaults.cpus_per_actor) == ("local", 2, 1.0)


def test_an_address_alone_means_ray() -> None:
    settings = executor_settings(_proposal(), ScoringOptions(ray_address="10.0.0.1:6379"))
    assert (settings.kind, settings.address) == ("ray", "10.0.0.1:6379")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (ScoringOptions(cpus_per_actor=0), "--cpus-per-actor: 0 -- a number > 0"),
        (ScoringOptions(gpus_per_actor=-1.0), "--gpus-per-actor: -1.0 -- a number >= 0"),
        (ScoringOptions(actors=0), "--actors: 0 -- an integer >= 1"),
        (ScoringOptions(ray_address=""), "--ray-address: '' -- a Ray address"),
    ],
)
def test_a_bad_option_is_one_error_naming_it(options: ScoringOptions, named: str) -> None:
    with pytest.raises(InputError) as info:
        executor_settings(_proposal(), options)
    assert named in str(info.value)


def test_render_options() -> None:
    assert RenderOptions().settings() is None
    given = RenderOptions(sample_rate=48000).settings()
    assert given is not None and (given.sample_rate, given.stem_format) == (48000, "pcm24")
    with pytest.raises(InputError, match=r"--sample-rate: 12345 -- "):
        RenderOptions(sample_rate=12345).settings()
    with pytest.raises(InputError, match=r"--stem-format: 'mp3' -- "):
        RenderOptions(stem_format="mp3").settings()


def test_scorer_off_is_theory_only_and_a_missing_model_names_the_setting(tmp_path: Path) -> None:
    assert build_chromatic_scorer(_proposal(), ScoringOptions(scorer="off")) is None
    assert build_chromatic_scorer(_proposal(), ScoringOptions(scorer=" OFF ")) is None
    missing = tmp_path / "nowhere.onnx"
    with pytest.raises(ModelFileError) as info:
        build_chromatic_scorer(_proposal(), ScoringOptions(scorer=str(missing)))
    assert f"{SCORER_SETTING}={missing}" in str(info.value) and "=off" in str(info.value)


@dataclass(frozen=True, slots=True)
class Threads:
    """Scores each genome with the ONNX threads it was given."""

    onnx: OnnxSettings = field(default_factory=OnnxSettings)

    def with_onnx(self, onnx: OnnxSettings) -> Threads:
        return Threads(onnx=onnx)

    def __call__(self, genomes: Sequence[int]) -> list[int]:
        return [self.onnx.threads for _ in genomes]


def test_executors_give_evaluators_their_onnx_settings() -> None:
    assert LocalExecutor().map_fitness(Threads(), [1, 2]) == [1, 1]
    two = LocalExecutor(onnx=OnnxSettings(threads=2))
    assert two.map_fitness(Threads(), [1, 2, 3]) == [2, 2, 2]
    plain = [1, 2].copy
    assert bind_onnx(plain, OnnxSettings(threads=3)) is plain  # no with_onnx: left as it is
    batch_task = ScoringOptions(onnx=OnnxSettings(threads=4))
    local = local_executor(executor_settings(_proposal(batch_size=2), batch_task), batch_task)
    assert local.map_fitness(Threads(), [1, 2, 3]) == [4, 4, 4]
