"""The proposal's ``render: {melody_timbre: ...}`` and ``--melody-timbre``: read, kept in a
round trip, a relative file resolved against the proposal, the option over the proposal, and
a bad value refused naming the field, the value and what is allowed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.builder import melody_timbre
from agents.errors import ProposalError
from agents.proposal import load_proposal, proposal_from_dict, proposal_to_dict
from agents.rundir import RunDir
from agents.runner import start_run
from music.errors import InputError
from render.ddsp import SHIPPED
from render.settings import RenderSettings


def test_render_block_round_trips_and_is_left_out_when_absent(
    make_proposal: Callable[..., Path],
) -> None:
    plain = load_proposal(make_proposal())
    assert plain.render is None and "render" not in proposal_to_dict(plain)
    given = load_proposal(make_proposal(render={"melody_timbre": "trumpet"}))
    assert given.render is not None and given.render.melody_timbre == "trumpet"
    data = proposal_to_dict(given)
    assert data["render"] == {"melody_timbre": "trumpet"}
    assert proposal_from_dict(data) == given


def test_a_relative_timbre_file_is_read_against_the_proposal(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".onnx", ".json"):
        shutil.copy(SHIPPED["trumpet"].with_suffix(suffix), folder / f"mine{suffix}")
    path = make_proposal(render={"melody_timbre": "models/mine.onnx"})
    proposal = load_proposal(path)
    assert proposal.render is not None
    assert proposal.render.melody_timbre == str((folder / "mine.onnx").resolve())
    assert melody_timbre(proposal, None, proposal_file=path) == proposal.render.melody_timbre
    # The option wins over the proposal.
    settings = RenderSettings(melody_timbre="trumpet")
    assert melody_timbre(proposal, settings, proposal_file=path) == "trumpet"
    assert melody_timbre(load_proposal(make_proposal()), None) is None


@pytest.mark.parametrize(
    "value", [{"melody_timbre": ""}, {"timbre": "trumpet"}, "trumpet", {"melody_timbre": 3}]
)
def test_a_malformed_render_block_is_refused(
    make_proposal: Callable[..., Path], value: object
) -> None:
    with pytest.raises(ProposalError) as err:
        load_proposal(make_proposal(render=value))
    assert "render" in str(err.value)


def test_a_missing_timbre_file_is_refused_naming_its_field(
    make_proposal: Callable[..., Path],
) -> None:
    path = make_proposal(render={"melody_timbre": "gone.onnx"})
    proposal = load_proposal(path)
    with pytest.raises(ProposalError) as err:
        melody_timbre(proposal, None, proposal_file=path)
    text = str(err.value)
    assert str(path) in text and "render.melody_timbre" in text and "gone.onnx" in text
    assert "`chromatic train timbre`" in text
    with pytest.raises(InputError, match=r"--melody-timbre: 'nope\.onnx'"):
        melody_timbre(proposal, RenderSettings(melody_timbre="nope.onnx"))


def test_an_auto_approved_run_renders_the_proposals_melody_timbre(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_proposal(
        render={"melody_timbre": "trumpet"},
        sections=[{"name": "verse", "bars": 4}],
        evolution={"population_size": 12, "generations": 2, "top_n": 2},
    )
    outcome = start_run(proposal_path=path, out_dir=tmp_path / "runs", auto_approve=True)
    assert outcome.status == "done"
    run = RunDir(outcome.run_dir)
    manifest = json.loads(run.render_manifest.read_text())
    assert manifest["melody_timbre"] == "trumpet"
    assert "melody" in manifest["stems"]
