"""``chromatic train mood-melody`` through the real CLI on lead sheets written here (songs named
into the build and tune splits), and its one-line error when no lead sheet is found."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from tests.training.lead_sheets import write_lead_sheet

SONGS = ("song1", "song2", "song3", "song4", "song9")  # build x3, tune x2


def test_train_mood_melody_writes_a_model(tmp_path: Path) -> None:
    for song in SONGS:
        write_lead_sheet(tmp_path / "openewld" / "dataset" / song / f"{song}.mxl")
    out = tmp_path / "model" / "mood.onnx"
    args = ["train", "mood-melody", "--data", str(tmp_path), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--steps", "3", "--max-minutes", "1"])
    assert result.exit_code == 0, result.output
    assert "held out" in result.output and str(out.name) in result.output
    side = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["data"]["build"]["songs"] == 3 and side["metrics"]["steps"] == 3
    assert (out.parent / "mood_step.onnx").is_file()


def test_train_mood_melody_without_lead_sheets_fails_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "mood-melody", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "OpenEWLD" in result.output
