"""Which run files the page may serve: a relative path inside the run directory, to a media
file, reached without leaving the folder (no ``..``, no absolute path, no symlink out)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Final

#: The files the page plays or offers for download, by suffix, with their media type.
MEDIA_TYPES: Final = {
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mid": "audio/midi",
}
MAX_PATH_CHARS: Final = 512


class FileRefused(ValueError):
    """A file request the page does not serve; ``status`` is the HTTP status to answer with
    (400 a malformed path, 403 one that leaves the run, 404 one that names no file)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def _allowed() -> str:
    return (
        "a path relative to the run folder, such as chords/previews/chord_001.mp3, to a "
        f"{', '.join(MEDIA_TYPES)} file inside it"
    )


def resolve_run_file(root: Path, relative: str) -> Path:
    """The file ``relative`` names inside the run folder ``root``, with every symlink resolved.
    Raises FileRefused naming the path, what is wrong and what is allowed."""
    shown = relative if len(relative) <= 80 else relative[:77] + "..."
    if not relative or len(relative) > MAX_PATH_CHARS or "\x00" in relative or "\\" in relative:
        raise FileRefused(f"path: {shown!r} -- {_allowed()}", status=400)
    pure = PurePosixPath(relative)
    if pure.is_absolute() or relative.startswith("~"):
        raise FileRefused(f"path: {shown!r} -- not an absolute path; {_allowed()}", status=400)
    if any(part in ("..", ".") for part in relative.split("/")) or "" in relative.split("/"):
        raise FileRefused(
            f"path: {shown!r} -- no '.', '..' or empty parts; {_allowed()}", status=400
        )
    if pure.suffix.lower() not in MEDIA_TYPES:
        raise FileRefused(f"path: {shown!r} -- {_allowed()}", status=403)
    base = root.resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise FileRefused(
            f"path: {shown!r} -- leads outside the run folder (a symlink out); {_allowed()}",
            status=403,
        )
    if not target.is_file():
        raise FileRefused(f"path: {shown!r} -- no such file in the run folder", status=404)
    return target


def media_type(path: Path) -> str:
    return MEDIA_TYPES[path.suffix.lower()]
