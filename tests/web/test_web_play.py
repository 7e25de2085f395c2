"""`chromatic play RUN PHASE ID` plays a preview through the system's player (the first found,
or the one named), or prints its path when there is none, writing it first when it is not on
disk yet; `chromatic review RUN --web` refuses a folder that is not a run and a port that is
taken, in one line with exit code 2."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

from agents.rundir import RunDir
from tests.web.conftest import ROOT, copy_run, env


def _chromatic(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**env(), "COLUMNS": "200", **extra_env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def _fake_player(folder: Path, name: str, *, code: int = 0) -> Path:
    """A stand-in for a player on PATH: it writes the arguments it was given to ``played``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$@" > "{folder / "played"}"\nexit {code}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_without_a_player_play_prints_the_preview_path(gated_run: Path, tmp_path: Path) -> None:
    done = _chromatic("play", str(gated_run), "chords", "chord_002", PATH=str(tmp_path), DISPLAY="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(RunDir(gated_run).preview("chords", "chord_002"))


def test_play_uses_the_first_player_on_path(gated_run: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake_player(bin_dir, "mpg123")
    done = _chromatic("play", str(gated_run), "chords", "chord_001", PATH=str(bin_dir))
    assert done.returncode == 0, done.stderr
    preview = RunDir(gated_run).preview("chords", "chord_001")
    assert (bin_dir / "played").read_text().split() == ["-q", str(preview)]
    assert "playing" in done.stderr and "mpg123" in done.stderr


def test_play_uses_the_named_player_and_reports_its_failure(
    gated_run: Path, tmp_path: Path
) -> None:
    player = _fake_player(tmp_path / "mine", "myplayer", code=3)
    done = _chromatic(
        "play", str(gated_run), "chords", "chord_003", CHROMATIC_PLAYER=f"{player} --loud"
    )
    assert done.returncode == 2
    assert "myplayer exited with 3" in done.stderr
    preview = RunDir(gated_run).preview("chords", "chord_003")
    assert (tmp_path / "mine" / "played").read_text().split() == ["--loud", str(preview)]


def test_play_refuses_an_unknown_candidate_or_phase(gated_run: Path) -> None:
    unknown = _chromatic("play", str(gated_run), "chords", "chord_042", "--path")
    assert unknown.returncode == 2
    assert "id: 'chord_042' -- one of chord_001, chord_002, chord_003" in unknown.stderr
    typo = _chromatic("play", str(gated_run), "chrods", "chord_001", "--path")
    assert typo.returncode == 2 and "did you mean chords" in typo.stderr
    sneaky = _chromatic("play", str(gated_run), "chords", "../../etc/passwd", "--path")
    assert sneaky.returncode == 2 and "lower-case letters" in sneaky.stderr


def test_review_web_refuses_a_folder_that_is_not_a_run_or_a_taken_port(
    gated_run: Path, tmp_path: Path
) -> None:
    missing = _chromatic("review", str(tmp_path), "--web", "--port", "0")
    assert missing.returncode == 2
    assert "not a run directory" in missing.stderr and missing.stdout == ""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = _chromatic("review", str(gated_run), "--web", "--port", str(port))
    assert busy.returncode == 2
    assert f"127.0.0.1:{port}" in busy.stderr and "--port 0 picks a free one" in busy.stderr


def test_play_writes_a_preview_that_is_not_on_disk_yet(gated_run: Path, tmp_path: Path) -> None:
    run = copy_run(gated_run, tmp_path / "copy")
    preview = RunDir(run).preview("chords", "chord_003")
    made_at_the_gate = preview.read_bytes()
    preview.unlink()
    done = _chromatic("play", str(run), "chords", "chord_003", "--path")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(preview) and preview.read_bytes() == made_at_the_gate
