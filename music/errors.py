"""Named errors of the layers below the agent. Each message names the file, the field, the bad
value and what is allowed. The run-level errors (proposal, review.yml, run folder) are in
:mod:`agents.errors`."""

from __future__ import annotations

from pathlib import Path


class ChromaticError(Exception):
    """Base of every error the program reports to a person (exit code 2 from the CLI)."""


class InputError(ChromaticError, ValueError):
    """Bad input in a file a person wrote or gave us.

    The message reads: ``<file>: <field>: <bad value> -- <what is allowed>``.
    """

    def __init__(
        self,
        *,
        file: Path | str | None,
        field: str,
        value: object,
        allowed: str,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.value = value
        self.allowed = allowed
        where = f"{self.file}: " if self.file else ""
        super().__init__(f"{where}{field}: {value!r} -- {allowed}")


class MidiFileError(InputError):
    """An empty, unreadable or unusable MIDI file."""


class StorageError(ChromaticError):
    """A write the disk or folder refused (full, read-only, not permitted, too large)."""
