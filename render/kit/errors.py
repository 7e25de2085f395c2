"""Errors of the kit package: each names the file or folder and says what to do."""

from __future__ import annotations

from render.errors import RenderError


class KitError(RenderError):
    """A kit cannot be built or used: no usable audio, a missing or broken kit folder or
    model, a checkpoint that is not what it claims. ``path`` is the file or folder concerned."""
