"""A crafted checkpoint runs nothing: a stored call of ``os.system`` (or any type this program
never writes) planted in a real run's checkpoints.sqlite is refused by ``status``, ``review``
and ``resume`` with one line and exit 2, and the command it holds never runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import ormsgpack
import pytest
from langgraph.checkpoint.serde.jsonplus import (
    EXT_CONSTRUCTOR_POS_ARGS,
    EXT_METHOD_SINGLE_ARG,
)

from agents.checkpoints import CheckpointError, StrictSerializer
from agents.run_graph import run_status
from tests.agents.run_fixtures import cli, copy_run, make_gated_run


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gated_run(tmp_path_factory.mktemp("gated"))


def _plant(db: Path, payload: ormsgpack.Ext) -> None:
    """Put ``payload`` into the state of the newest checkpoint (as an attacker with write
    access to the file would), keeping the rest of the row as LangGraph wrote it."""
    with sqlite3.connect(db) as conn:
        rowid, kind, blob = conn.execute(
            "SELECT rowid, type, checkpoint FROM checkpoints ORDER BY checkpoint_id DESC LIMIT 1"
        ).fetchone()
        assert kind == "msgpack"
        # Stored objects stay packed (nothing in the file is rebuilt here either).
        checkpoint = ormsgpack.unpackb(
            blob, ext_hook=ormsgpack.Ext, option=ormsgpack.OPT_NON_STR_KEYS
        )
        checkpoint["channel_values"]["run_dir"] = payload
        crafted = ormsgpack.packb(checkpoint, option=ormsgpack.OPT_NON_STR_KEYS)
        conn.execute("UPDATE checkpoints SET checkpoint = ? WHERE rowid = ?", (crafted, rowid))


def _system_call(marker: Path) -> ormsgpack.Ext:
    args = ormsgpack.packb(["os", "system", [f"touch {marker}"]])
    return ormsgpack.Ext(EXT_CONSTRUCTOR_POS_ARGS, args)


@pytest.mark.parametrize("command", ["status", "review", "resume"])
def test_planted_system_call_is_refused_and_never_runs(
    gated_run: Path, tmp_path: Path, command: str
) -> None:
    run_dir = copy_run(gated_run, tmp_path)
    marker = tmp_path / "pwned"
    _plant(run_dir / "checkpoints.sqlite", _system_call(marker))
    result = cli(command, str(run_dir), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert not marker.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "checkpoints.sqlite" in lines[0] and "os.system" in lines[0]


def test_nested_and_method_payloads_are_refused(gated_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(gated_run, tmp_path)
    marker = tmp_path / "pwned"
    # Hidden as the argument of an allowed type: checked before its parent is rebuilt.
    nested = ormsgpack.Ext(
        EXT_CONSTRUCTOR_POS_ARGS, ormsgpack.packb(["builtins", "set", [[_system_call(marker)]]])
    )
    _plant(run_dir / "checkpoints.sqlite", nested)
    with pytest.raises(CheckpointError, match=r"os\.system"):
        run_status(run_dir)
    method = ormsgpack.Ext(
        EXT_METHOD_SINGLE_ARG, ormsgpack.packb(["os", "path", f"{marker}", "exists"])
    )
    _plant(run_dir / "checkpoints.sqlite", method)
    with pytest.raises(CheckpointError, match=r"os\.path\.exists"):
        run_status(run_dir)
    assert not marker.exists()


def test_pickle_rows_are_refused(tmp_path: Path) -> None:
    serde = StrictSerializer(tmp_path / "checkpoints.sqlite")
    with pytest.raises(CheckpointError, match="'pickle' form"):
        serde.loads_typed(("pickle", b"cos\nsystem\n(S'true'\ntR."))


def test_a_real_run_still_reads_back(gated_run: Path) -> None:
    outcome, values = run_status(gated_run)
    assert outcome.status == "awaiting_review" and outcome.phase == "chords"
    assert list(values["phases"]["chords"]["candidates"])
