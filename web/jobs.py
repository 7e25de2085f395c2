"""The page's "continue": one resume of the run at a time, in its own process
(:mod:`web.worker`, the code ``chromatic resume`` runs), followed through the progress lines it
prints. The worker holds the run folder's lock while it runs, so the page's own writes (and
any ``chromatic approve`` in a terminal) are refused with the lock's "in use" message until
it is done; the server never holds the lock longer than one write."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

#: Where the ``web`` package lives, so the worker imports the same code as the server.
_SOURCE_ROOT: Final = Path(__file__).resolve().parents[1]
STDERR_KEEP: Final = 40


class JobBusy(Exception):
    """A resume is already running from this page."""


@dataclass
class JobState:
    """What the page shows of the resume: ``state`` is ``idle``, ``running``, ``finished``
    or ``failed``; ``phase``/``generation``/``generations``/``best`` while a phase evolves,
    ``render``/``step``/``total`` while the song renders; ``outcome`` (where the run
    stopped) when finished, ``error`` (the text ``chromatic resume`` prints) when failed."""

    state: str = "idle"
    phase: str | None = None
    generation: int = 0
    generations: int = 0
    best: float | None = None
    render: str | None = None
    step: int = 0
    total: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class ResumeJob:
    """Runs ``python -m web.worker RUN`` on :meth:`start` and keeps its progress."""

    def __init__(self, run_dir: Path, *, scorer: str | None = None) -> None:
        self._run_dir = run_dir
        self._scorer = scorer
        self._lock = threading.Lock()
        self._state = JobState()
        self._process: subprocess.Popen[str] | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_KEEP)
        self._threads: list[threading.Thread] = []

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self._state.to_dict()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._state.state == "running"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "web.worker", str(self._run_dir)]
        return [*cmd, "--scorer", self._scorer] if self._scorer else cmd

    def start(self) -> None:
        """Start the resume; raises JobBusy while one runs."""
        with self._lock:
            if self._state.state == "running":
                raise JobBusy("a resume started from this page is still running")
            self._state = JobState(state="running")
            self._stderr.clear()
            path = os.pathsep.join(
                p for p in (str(_SOURCE_ROOT), os.environ.get("PYTHONPATH")) if p
            )
            env = {**os.environ, "PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}
            try:
                self._process = subprocess.Popen(
                    self.command(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    env=env,
                )
            except OSError as exc:
                self._state = JobState(state="failed", error=f"cannot start the resume: {exc}")
                return
        process = self._process
        self._threads = [
            threading.Thread(target=self._read_stderr, args=(process,), daemon=True),
            threading.Thread(target=self._follow, args=(process,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def wait(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def stop(self) -> None:
        """Stop a running resume (the server is shutting down): the run resumes from its last
        checkpoint next time."""
        process = self._process
        if process is not None and process.poll() is None:
            logger.warning("stopping the resume (pid %d); continue it later", process.pid)
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.wait()

    def _read_stderr(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.strip():
                self._stderr.append(line.rstrip())

    def _follow(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._apply(line)
        code = process.wait()
        self._threads[0].join()
        with self._lock:
            state = self._state
            if state.error is None and not state.outcome:
                tail = " | ".join(list(self._stderr)[-3:]) or "no message"
                state.error = f"the resume stopped (exit {code}): {tail}"
            state.state = "finished" if code == 0 and state.outcome else "failed"
        logger.info("resume: %s", self.snapshot())

    def _apply(self, line: str) -> None:
        """Take one progress line (other output is kept with stderr's)."""
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            if line.strip():
                self._stderr.append(line.rstrip())
            return
        kind = event.get("event")
        with self._lock:
            s = self._state
            if kind == "phase":
                s.phase, s.generations = event.get("phase"), int(event.get("generations", 0))
                s.generation, s.best = 0, None
            elif kind == "generation":
                s.generation, s.best = int(event.get("generation", 0)), event.get("best")
            elif kind == "render":
                s.render, s.step = str(event.get("step")), int(event.get("index", 0))
                s.total = int(event.get("total", 0))
            elif kind == "outcome":
                s.outcome = {"status": event.get("status"), "phase": event.get("phase")}
            elif kind == "error":
                s.error = str(event.get("message"))
