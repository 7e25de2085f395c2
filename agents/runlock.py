"""One process per run folder: an exclusive ``flock`` on ``<run>/.lock`` held for the whole of
``run`` (with ``--replace``), ``resume``, ``approve`` and ``reject``.

The lock file records who holds it (pid, command, start time, UTC), so a second process gets
one line naming the holder and exits 2 instead of breaking the first one's files. The kernel
drops the lock when its process ends, however it ends, so a crash never leaves a stale lock;
the file itself stays (removing it would let two processes lock two different files).
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from agents.errors import RunStateError

LOCK_NAME: Final = ".lock"


class RunInUseError(RunStateError):
    """Another process holds the run folder's lock."""


def lock_path(root: Path) -> Path:
    return root / LOCK_NAME


def _holder(path: Path) -> str:
    """Who holds the lock, as its file says: ``pid N (chromatic run ..., started ...)``."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {int(info['pid'])} ({info['command']}, started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another chromatic process (just starting)"


def _command_line() -> str:
    argv = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    if argv[0] in ("cli.py", "__main__.py", "-m", "-c"):
        argv[0] = "chromatic"
    text = shlex.join(argv)
    return text if len(text) <= 200 else text[:197] + "..."


@contextmanager
def run_lock(root: Path, *, command: str) -> Iterator[Path]:
    """Hold ``root``'s lock (``root`` must exist) for the ``with`` block. ``command`` says
    what this process does (``run``, ``resume``, ``approve``...). Raises RunInUseError at once
    when another process holds it."""
    path = lock_path(root)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise RunStateError(
            f"{path}: cannot create the run lock ({exc.strerror or exc}) -- the run folder "
            "must be writable"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInUseError(
                f"{root}: in use by {_holder(path)} -- wait for it to finish or stop that "
                f"process, then run `chromatic {command}` again"
            ) from None
        info = {
            "pid": os.getpid(),
            "command": f"chromatic {command}: {_command_line()}",
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        yield path
    finally:
        os.close(fd)
