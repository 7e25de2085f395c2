"""Atomic file writes, the one way every layer writes a file: a temp file beside the target,
then a rename, so a file is never half-written and a failed write leaves the previous one whole.

A refused write (full disk, read-only or not writable folder, file too large, ...) is one
:class:`~music.errors.StorageError` naming the file, never a traceback, and removes its temp
file. Temp files are named ``.<name>.<pid>.<hex>.tmp<suffix>`` (the target's suffix kept, so a
writer that picks its format from the name, an audio encoder or numpy's ``savez``, writes the
right one); :data:`TEMP_GLOBS` finds those a killed process left behind.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from music.errors import StorageError

#: errno values that mean "the disk or folder will not take this write".
STORAGE_ERRNOS: Final = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)
#: Globs of temp files of writes killed before their rename (this module's, and the
#: ``.<name>.XXXX.tmp`` of earlier versions).
TEMP_GLOBS: Final = (".*.tmp", ".*.tmp.*")


def refused_write(path: Path, exc: OSError) -> StorageError:
    """One StorageError naming ``path`` for the refused write ``exc``, with what to do."""
    reason = exc.strerror or str(exc)
    if exc.errno in STORAGE_ERRNOS:
        hint = "free disk space or choose a writable folder"
    else:
        hint = "check that the folder exists and the path is not a folder"
    return StorageError(f"{path}: cannot write ({reason}) -- {hint}")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside ``path`` for the caller to write; on success it is renamed onto
    ``path``. On any failure the temp file is removed; an OSError becomes one StorageError
    naming ``path`` (:func:`refused_write`). Creates the parent folder."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise refused_write(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes_atomic(path, text.encode("utf-8"))
