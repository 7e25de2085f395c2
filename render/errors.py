"""Errors of the render package. Each names the file or folder and says what to do."""

from __future__ import annotations

from pathlib import Path

from music.errors import ChromaticError


class RenderError(ChromaticError):
    """Rendering cannot go on: a missing or broken SoundFont, an empty song, an unwritable
    output folder. ``path`` is the file or folder concerned (None when there is none)."""

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(message)


class SoundFontError(RenderError):
    """A SoundFont that is missing, unreadable or not a SoundFont 2 file."""
