"""The run's files: review.yml and proposal YAML written atomically (``music.files``) with a
person's comments kept; refused writes of a run (disk full, read-only folder, the checkpoint
database) as one error naming the path; the temp files a killed write left behind."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from music.errors import StorageError
from music.files import STORAGE_ERRNOS, TEMP_GLOBS, write_text_atomic


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


def leftover_temp_files(folder: Path) -> list[Path]:
    """Temp files of writes that were killed before their rename (:data:`music.files.TEMP_GLOBS`),
    anywhere under ``folder``."""
    return sorted({p for glob in TEMP_GLOBS for p in folder.rglob(glob) if p.is_file()})


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
