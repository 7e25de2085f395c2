"""``chromatic train style``: read the corpora into metric rows, write each part's shipped
profiles (``style_<part>.json``) from the build split, and report how many windows and songs
each split holds."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from training.style.build import SHIPPED, payload, write_payload
from training.style.corpora import PART_CORPORA, corpus_rows
from training.style.rows import MetricRow

logger = logging.getLogger(__name__)

#: What one row of each part stands for.
UNITS: Final[dict[str, str]] = {
    "drums": "4-bar window",
    "melody": "8-bar segment",
    "chords": "song",
    "bass": "8-bar segment",
}
DEFAULT_CACHE: Final = Path.home() / ".cache" / "chromatic" / "style"


@dataclass(frozen=True, slots=True)
class StyleConfig:
    """Where the corpora are, where the profiles go, where rows are cached, which parts."""

    data: Path
    out: Path
    cache: Path | None = DEFAULT_CACHE
    parts: tuple[str, ...] = ("drums", "melody", "chords", "bass")
    limit: int | None = None
    #: Rows a profile needs (None: the defaults of :func:`training.style.build.payload`).
    min_rows: int | None = None


def part_rows(
    part: str,
    data: Path,
    *,
    cache: Path | None,
    limit: int | None = None,
    step: Callable[[str], None] | None = None,
) -> list[MetricRow]:
    """Every row of ``part`` from its corpora (shipped and evaluation-only)."""
    rows: list[MetricRow] = []
    for name in PART_CORPORA[part]:
        if step is not None:
            step(f"reading {name}")
        rows += [r for r in corpus_rows(name, data, cache_dir=cache, limit=limit) if r.part == part]
    return rows


def split_counts(rows: Sequence[MetricRow]) -> dict[str, dict[str, int]]:
    """Per corpus and split: rows and songs."""
    out: dict[str, dict[str, int]] = {}
    songs: dict[tuple[str, str], set[str]] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for r in rows:
        counts[(r.corpus, r.split)] += 1
        songs.setdefault((r.corpus, r.split), set()).add(r.song)
    for (corpus, split), n in sorted(counts.items()):
        out.setdefault(corpus, {})[f"{split}_rows"] = n
        out[corpus][f"{split}_songs"] = len(songs[(corpus, split)])
    return out


def main(config: StyleConfig, *, step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build and write the profiles of ``config.parts``; returns a summary per part."""
    summary: dict[str, Any] = {}
    for part in config.parts:
        if part not in SHIPPED:
            raise ValueError(f"part: {part!r} -- one of {', '.join(SHIPPED)}")
        rows = part_rows(part, config.data, cache=config.cache, limit=config.limit, step=step)
        if step is not None:
            step(f"building {part} profiles")
        unit = "song" if UNITS[part] == "song" else "window"
        data = payload(part, rows, unit=unit, min_rows=config.min_rows)
        if not data["profiles"]:
            raise ValueError(
                f"{part}: no profile has enough rows ({len(rows)} read) -- the data folder "
                "holds too little of its corpus"
            )
        path = write_payload(config.out, part, data)
        summary[part] = {
            "file": str(path),
            "profiles": len(data["profiles"]),
            "unit": UNITS[part],
            "splits": split_counts(rows),
        }
        logger.info("%s: %d profiles -> %s", part, len(data["profiles"]), path)
    return summary
