"""Groove MIDI beats as drum metric rows: every ``beat`` performance cut into non-overlapping
windows of :data:`WINDOW_BARS` bars, read as played (16th grid plus micro-timing, GM notes by
the dataset's 9-class reduction), with its style (the main style of ``info.csv``: ``rock``,
``funk``, ``jazz``, ...), meter and tempo. Fills are left out: they are what ``fill_placement``
judges, not the groove.

Splits: ``train`` performances are cut into build and tune by a hash of their name;
``validation`` is held out (the official ``test`` split is withheld from this copy).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np

from generators.drums.tokens import CLASS_VOICE
from music.meter import Meter
from scoring.metrics.drums import drum_metrics
from training.drums.dataset import GrooveRow, read_index
from training.drums.tokenizer import Performance, read_performance
from training.style.rows import TUNE_PERCENT, MetricRow

logger = logging.getLogger(__name__)

WINDOW_BARS: Final = 4


def performance_of(row: GrooveRow) -> str:
    """``drummer1/session1/1``: one performance (a piece of its own style and tempo; the
    dataset's unit of a song)."""
    number = row.midi.stem.split("_")[0]
    return f"{row.midi.parent.parent.name}/{row.midi.parent.name}/{number}"


def groove_split(row: GrooveRow) -> str:
    """``heldout`` for the validation split; train performances by a hash of their name."""
    if row.split == "validation":
        return "heldout"
    h = zlib.crc32(performance_of(row).encode("utf-8")) % 100
    return "tune" if h < TUNE_PERCENT else "build"


def window_rows(perf: Performance, row: GrooveRow) -> list[MetricRow]:
    """One row per non-overlapping window of :data:`WINDOW_BARS` bars with any hit."""
    meter = Meter(perf.numerator, perf.denominator)
    spb = perf.steps_per_bar
    out = []
    for first in range(0, len(perf.bars) - WINDOW_BARS + 1, WINDOW_BARS):
        hits = [
            ((b * spb + s + h.offset) / 4.0, CLASS_VOICE[h.cls], h.velocity)
            for b in range(WINDOW_BARS)
            for s, h in perf.bars[first + b]
        ]
        if not hits:
            continue
        onset, voice, velocity = (np.array(col) for col in zip(*hits, strict=True))
        values = drum_metrics(
            onset.astype(np.float64),
            voice.astype(np.int64),
            velocity.astype(np.int64),
            meter=meter,
            bars=WINDOW_BARS,
            bpm=perf.bpm,
        )
        out.append(
            MetricRow(
                part="drums",
                corpus="groove",
                song=performance_of(row),
                split=groove_split(row),
                style=row.style.split("/")[0].lower(),
                meter=str(meter),
                bpm=perf.bpm,
                values=values,
            )
        )
    return out


def groove_rows(data_dir: Path, *, tick: Callable[[], None] | None = None) -> list[MetricRow]:
    """Drum rows of every ``beat`` performance of the train and validation splits."""
    out: list[MetricRow] = []
    for split in ("train", "validation"):
        for row in read_index(data_dir, split):
            if row.kind != "beat":
                continue
            perf = read_performance(row.midi)
            out.extend(window_rows(perf, row))
            if tick is not None:
                tick()
    logger.info("groove: %d windows", len(out))
    return out


def groove_files(data_dir: Path) -> list[Path]:
    """The files the rows depend on (for the cache's fingerprint)."""
    return [data_dir / "info.csv", *sorted(data_dir.glob("drummer*/**/*_beat_*.mid"))]
