"""Atomic file writes: a temp file in the same folder, then a rename, so nothing is ever
half-written and a failed write leaves the previous file intact; refused writes (disk full,
read-only folder) as one error naming the path; the temp files a killed write left behind."""

from __future__ import annotations

import errno
import io
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

from music.errors import StorageError


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def yaml_round_trip() -> YAML:
    """A YAML reader/writer that keeps a person's comments and order when we edit a file."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump_yaml(data: Any) -> str:
    buf = io.StringIO()
    yaml_round_trip().dump(data, buf)
    return buf.getvalue()


def write_yaml_atomic(path: Path, data: Any) -> Path:
    return write_text_atomic(path, dump_yaml(data))


#: errno values that mean "the disk or folder will not take this write".
STORAGE_ERRNOS: Final = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)


def leftover_temp_files(folder: Path) -> list[Path]:
    """Temp files of writes that were killed before their rename (``.<name>.*.tmp``, written by
    this module and :func:`music.midi_io.write_midi`), anywhere under ``folder``."""
    return sorted(p for p in folder.rglob(".*.tmp") if p.is_file())


@contextmanager
def storage_errors(root: Path) -> Iterator[None]:
    """Turn a refused write under ``root`` (disk full, read-only or not writable folder,
    file too large) into one StorageError naming the path. Every file is written by a rename,
    so what was written before stays whole."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in STORAGE_ERRNOS:
            raise
        where = exc.filename or root
        raise StorageError(
            f"{where}: cannot write ({exc.strerror or exc}) -- free disk space or choose a "
            f"writable --out folder; files already written are whole, and `chromatic resume "
            f"{root}` continues a run that has started"
        ) from None
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if not any(w in text for w in ("disk", "full", "readonly", "read-only", "unable to open")):
            raise
        raise StorageError(
            f"{root / 'checkpoints.sqlite'}: cannot write ({text}) -- free disk space or "
            "choose a writable --out folder; the last checkpoint is intact"
        ) from None
