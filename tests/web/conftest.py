"""A real run stopped at its chords gate (the real graph, scorer and evolution on a small
proposal), made once per test module and copied per test, and the review page served on it:
in-process (Starlette's test client) or as `chromatic review RUN --web` in its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.agents.run_fixtures import copy_run, make_gated_run
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gated_run(tmp_path_factory.mktemp("web-gate"))


@pytest.fixture
def run_dir(gated_run: Path, tmp_path: Path) -> Path:
    return copy_run(gated_run, tmp_path / "copy")


@pytest.fixture
def client(run_dir: Path) -> Iterator[TestClient]:
    """The page's app on a copy of the run; reads carry the token's cookie."""
    app = create_app(run_dir, token=TOKEN)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": path}


@dataclass
class Served:
    """`chromatic review RUN --web --port 0` running: its URL (with the token) and run."""

    url: str
    run_dir: Path
    process: subprocess.Popen[str]

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]


@pytest.fixture
def served(run_dir: Path) -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "review", str(run_dir), "--web", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=ROOT,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        yield Served(url=url, run_dir=run_dir, process=process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
