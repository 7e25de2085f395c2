"""Writes the disk refuses: a read-only --out and a file-size limit hit mid-run (EFBIG, the
stand-in for a full disk) are one line and exit 2, with nothing half-written."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.agents.run_fixtures import CLI, write_proposal

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _without_permission_override() -> None:
    """Run the child as a root without the capability to ignore file permissions (dropped from
    the bounding set before exec), so a 0555 folder is read-only for it as for anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run(
    args: list[str], cwd: Path, preexec: Callable[[], None] | None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=preexec,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_read_only_out_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    out.chmod(0o555)
    proposal = write_proposal(tmp_path / "lamp.yml")
    # Root ignores permissions: the command runs without that capability.
    strict = _without_permission_override if os.geteuid() == 0 else None
    line = _one_line(_run(["run", str(proposal), "--out", str(out)], tmp_path, strict))
    assert str(out / "lamp-song") in line and "Permission denied" in line
    assert "writable --out folder" in line
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("limit_kib", "reason"),
    [(16, "(disk I/O error)"), (64, "audio (")],  # the checkpoint db; a preview
)
def test_a_write_refused_mid_run_leaves_whole_files(
    tmp_path: Path, limit_kib: int, reason: str
) -> None:
    # Python ignores SIGXFSZ, so a write past the limit fails (EFBIG) instead of killing it.
    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
    proposal = write_proposal(tmp_path / "lamp.yml")
    out = tmp_path / "runs"

    def small_files() -> None:
        # No file may grow past the limit: the first bigger write fails as on a full disk.
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_kib * 1024, limit_kib * 1024))

    line = _one_line(_run(["run", str(proposal), "--out", str(out)], tmp_path, small_files))
    assert f"cannot write {reason}" in line
    run_dir = out / "lamp-song"
    # It failed before its first phase was written out: no half-made run folder is left.
    assert not run_dir.exists(), sorted(run_dir.rglob("*"))
