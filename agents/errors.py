"""Errors of a run: a proposal or review.yml that cannot be used, a run folder in the wrong
state. Each message names the file, the field, the bad value and what is allowed; every one is
a :class:`music.errors.ChromaticError`, so the CLI reports it in one line with exit code 2.

The errors the layers below raise (bad input files, unreadable MIDI, refused writes) stay in
:mod:`music.errors`."""

from __future__ import annotations

from music.errors import ChromaticError, InputError


class ProposalError(InputError):
    """A song proposal field that cannot be used."""


class ReviewError(InputError):
    """A review.yml entry that cannot be used."""


class RunStateError(ChromaticError):
    """A run directory that is missing, incomplete or in the wrong state for a command."""
