"""The Groove MIDI Dataset as drum-transformer training windows.

Reads ``info.csv`` under the data folder; ``train`` rows train, ``validation`` rows tune and
evaluate (the ``test`` split is withheld from this copy and never read). Beats and fills are both
used, marked by the ``KIND_beat``/``KIND_fill`` token. A window is the header followed by whole
bars from some bar on, cut to the model's context; a window that reaches the performance's end
carries ``EOS``.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from generators.drums.tokens import PAD, STYLES, style_token
from music.errors import InputError
from training.drums.tokenizer import Performance, groove_style, performance_tokens, read_performance

logger = logging.getLogger(__name__)

SPLITS: Final = ("train", "validation")
#: Probability that a training window's style token is replaced by ``STYLE_any``, so the model
#: can also sample without a style.
STYLE_DROPOUT: Final = 0.1


@dataclass(frozen=True, slots=True)
class GrooveRow:
    """One ``info.csv`` row (the fields used)."""

    midi: Path
    style: str
    bpm: float
    kind: str
    numerator: int
    denominator: int
    split: str


@dataclass(frozen=True, slots=True)
class Piece:
    """A tokenised performance: header tokens, one token list per bar, and its row."""

    row: GrooveRow
    header: tuple[int, ...]
    bars: tuple[tuple[int, ...], ...]
    performance: Performance


def read_index(data_dir: Path, split: str) -> list[GrooveRow]:
    """Rows of ``info.csv`` in ``split``. Raises InputError for a missing file, a missing
    column or an unknown split."""
    if split not in SPLITS:
        raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)} (test is withheld)")
    index = data_dir / "info.csv"
    if not index.is_file():
        raise InputError(
            file=index,
            field="file",
            value=str(index),
            allowed="the Groove MIDI Dataset's info.csv (pass --data DIR)",
        )
    rows = []
    with index.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        needed = {"style", "bpm", "beat_type", "time_signature", "midi_filename", "split"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise InputError(
                file=index,
                field="columns",
                value=sorted(missing),
                allowed=f"columns {', '.join(sorted(needed))}",
            )
        for r in reader:
            if r["split"] != split:
                continue
            num, den = (int(x) for x in r["time_signature"].split("-"))
            rows.append(
                GrooveRow(
                    midi=data_dir / r["midi_filename"],
                    style=r["style"],
                    bpm=float(r["bpm"]),
                    kind=r["beat_type"],
                    numerator=num,
                    denominator=den,
                    split=split,
                )
            )
    return rows


def load_pieces(
    data_dir: Path,
    split: str,
    *,
    kinds: tuple[str, ...] = ("beat", "fill"),
    limit: int | None = None,
) -> list[Piece]:
    """Tokenised performances of ``split`` (beats and fills by default)."""
    out = []
    for row in read_index(data_dir, split):
        if row.kind not in kinds:
            continue
        perf = read_performance(row.midi)
        if not perf.bars:
            continue
        toks = performance_tokens(perf, groove_style(row.style), row.kind)
        out.append(
            Piece(
                row=row,
                header=tuple(toks[0]),
                bars=tuple(tuple(b) for b in toks[1:]),
                performance=perf,
            )
        )
        if limit is not None and len(out) >= limit:
            break
    logger.info("%s: %d performances, %d bars", split, len(out), sum(len(p.bars) for p in out))
    return out


def window(piece: Piece, start_bar: int, context: int, *, style_any: bool = False) -> list[int]:
    """Header plus whole bars from ``start_bar`` while they fit in ``context`` tokens (the first
    bar is cut to fit when it alone is too long)."""
    head = list(piece.header)
    if style_any:
        head[1] = style_token("any")
    out = head
    for i, bar in enumerate(piece.bars[start_bar:]):
        if len(out) + len(bar) > context:
            if i == 0:
                out = out + list(bar[: context - len(out)])
            break
        out = out + list(bar)
    return out


@dataclass(frozen=True, slots=True)
class WindowSampler:
    """Draws training batches of windows: ``[B, context]`` int64 ids, PAD-filled on the right.
    Pieces are drawn in proportion to their bar counts, so every bar is equally likely, or
    to ``weights`` (one per piece) where given."""

    pieces: tuple[Piece, ...]
    context: int
    weights: tuple[float, ...] | None = None

    def batch(
        self, size: int, rng: np.random.Generator, *, train: bool = True
    ) -> NDArray[np.int64]:
        weights = np.array(self.weights or [len(p.bars) for p in self.pieces], dtype=np.float64)
        chosen = rng.choice(len(self.pieces), size=size, p=weights / weights.sum())
        out = np.full((size, self.context), PAD, dtype=np.int64)
        for row, i in enumerate(chosen):
            piece = self.pieces[int(i)]
            start = int(rng.integers(len(piece.bars)))
            seq = window(
                piece, start, self.context, style_any=train and rng.random() < STYLE_DROPOUT
            )
            out[row, : len(seq)] = seq
        return out


def fixed_windows(pieces: list[Piece], context: int) -> NDArray[np.int64]:
    """Deterministic evaluation windows: each piece cut into consecutive windows of whole bars
    (no overlap), ``[N, context]``, PAD-filled."""
    rows = []
    for piece in pieces:
        start = 0
        while start < len(piece.bars):
            seq = window(piece, start, context)
            rows.append(seq)
            used = 0
            total = len(piece.header)
            for bar in piece.bars[start:]:
                if total + len(bar) > context:
                    break
                total += len(bar)
                used += 1
            start += max(1, used)
    out = np.full((len(rows), context), PAD, dtype=np.int64)
    for i, seq in enumerate(rows):
        out[i, : len(seq)] = seq
    return out


def group_weights(groups: list[list[Piece]], shares: list[float]) -> tuple[float, ...]:
    """Per-piece draw weights for the pieces of ``groups`` (concatenated in order) so that each
    group's bars are drawn with its share of ``shares`` and bars within a group equally."""
    if len(groups) != len(shares):
        raise ValueError(f"shares: {len(shares)} for {len(groups)} groups -- one per group")
    out: list[float] = []
    for group, share in zip(groups, shares, strict=True):
        total = sum(len(p.bars) for p in group)
        out += [share * len(p.bars) / total for p in group] if total else []
    return tuple(out)


def data_summary(pieces: list[Piece]) -> dict[str, object]:
    """Counts for the sidecar: performances, bars per meter, kind and style."""
    meters: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    styles: Counter[str] = Counter()
    for p in pieces:
        n = len(p.bars)
        meters[f"{p.row.numerator}/{p.row.denominator}"] += n
        kinds[p.row.kind] += n
        styles[groove_style(p.row.style)] += n
    return {
        "performances": len(pieces),
        "bars": sum(len(p.bars) for p in pieces),
        "bars_per_meter": dict(meters.most_common()),
        "bars_per_kind": dict(kinds.most_common()),
        "bars_per_style": {s: styles.get(s, 0) for s in STYLES},
    }
