"""Lead-sheet melodies as melody metric rows: 8-bar segments of OpenEWLD (public domain; split
by a hash of the file name) and of the Nottingham folk tunes (GPL-3.0: read in place, used for
evaluation only, always ``heldout``, never in a shipped profile). Segments are cut by
:mod:`training.melody_eval`; the metrics are :mod:`scoring.metrics.melody`'s."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from training.melody_eval import MelodySample, load_nottingham, load_openewld, melody_metrics
from training.style.rows import MetricRow, split_of


def sample_rows(samples: Sequence[MelodySample], *, corpus: str, held_out: bool) -> list[MetricRow]:
    """One row per segment; ``held_out`` puts every song in the held-out split."""
    return [
        MetricRow(
            part="melody",
            corpus=corpus,
            song=s.song,
            split="heldout" if held_out else split_of(f"{corpus}/{s.song}"),
            style="any",
            meter=str(s.meter),
            bpm=None,
            values=melody_metrics(s),
        )
        for s in samples
    ]


def openewld_rows(folder: Path, *, limit: int | None = None) -> list[MetricRow]:
    """Rows of the OpenEWLD lead sheets under ``folder`` (``**/*.mxl``)."""
    return sample_rows(load_openewld(folder, limit=limit), corpus="openewld", held_out=False)


def nottingham_rows(folder: Path, *, limit: int | None = None) -> list[MetricRow]:
    """Rows of the Nottingham MIDI tunes in ``folder`` (evaluation only)."""
    return sample_rows(load_nottingham(folder, limit=limit), corpus="nottingham", held_out=True)
