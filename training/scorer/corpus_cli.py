"""What the scorer's corpus commands share (``python -m training.scorer.corpus``,
``part_corpus``, ``audio_corpus``): their common options, and printing what was built."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def corpus_parser(
    module: str, doc: str | None, *, out: str, sources: Sequence[str]
) -> argparse.ArgumentParser:
    """A parser for ``python -m module`` (described by the first paragraph of ``doc``) with
    the options every corpus command takes: ``--data``, ``--out`` (default ``out``),
    ``--seed`` and ``--sources`` (of ``sources``, all by default)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}", description=(doc or "").split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path(out))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sources", nargs="+", default=list(sources), choices=sources)
    return parser


def parse_corpus_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """``argv`` parsed, with the build's log lines shown on the terminal."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    return args


def print_summary(summary: Mapping[str, Any]) -> int:
    """Print what was built (its example texts left out) as JSON; the command's exit code."""
    print(json.dumps({k: v for k, v in summary.items() if k != "examples"}, indent=2))
    return 0


__all__ = ["corpus_parser", "parse_corpus_args", "print_summary"]
