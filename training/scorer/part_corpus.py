"""The part-view corpus: one part of each multi-part source clip over the rest
(:mod:`training.scorer.part_views`), in the corpus format of :mod:`training.scorer.corpus`
with a third roll channel (the part itself) and a ``kinds`` array.

CLI::

    python -m training.scorer.part_corpus --data ../shared/data --out build/scorer_parts.npz

Training reads it beside the whole-song corpus (``python -m training.scorer.train --parts``).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.files import write_text_atomic
from scoring.midi_features import features_over, own_channel
from scoring.note_arrays import Backdrop
from scoring.text_encoder import TextEncoder
from training.scorer.corpus import (
    SOURCES,
    Corpus,
    save_corpus,
    source_available,
    source_clips,
)
from training.scorer.corpus_cli import corpus_parser, parse_corpus_args, print_summary
from training.scorer.part_views import PHASE_ORDER, all_views, variants, view_text
from training.scorer.sources_common import Clip

logger = logging.getLogger(__name__)


def _clips(
    data_dir: Path, sources: Sequence[str], seed: int, max_clips_per_source: int | None
) -> Iterator[Clip]:
    for index, name in enumerate(sources):
        if not source_available(name, data_dir):
            logger.warning("%s: not found under %s -- skipped", name, data_dir)
            continue
        for count, clip in enumerate(
            source_clips(name, data_dir, np.random.default_rng([seed, index]))
        ):
            if max_clips_per_source is not None and count >= max_clips_per_source:
                break
            yield clip


def build_part_corpus(
    *,
    data_dir: Path,
    out: Path,
    max_clips_per_source: int | None,
    max_views_per_kind: int | None,
    seed: int,
    sources: Sequence[str] = SOURCES,
    encoder: TextEncoder | None = None,
) -> dict[str, object]:
    """Write the part views of ``sources`` under ``data_dir`` to ``out`` (.npz) and a summary
    beside it (.json); returns the summary. Raises ValueError when no view results."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"sources: {unknown!r} -- any of {', '.join(SOURCES)}")
    started = time.perf_counter()
    rng = np.random.default_rng([seed, 2_000])
    columns: dict[str, list[str]] = {
        k: [] for k in ("texts", "tags", "song_ids", "sources", "splits", "kinds")
    }
    rolls: list[NDArray[np.uint8]] = []
    symbolic: list[NDArray[np.float32]] = []
    per_kind: Counter[str] = Counter()
    skipped = 0
    found = all_views(_clips(data_dir, sources, seed, max_clips_per_source), rng)
    for view in (v for f in found for v in variants(f, rng)):
        if max_views_per_kind is not None and per_kind[view.kind] >= max_views_per_kind:
            continue
        clip = view.clip
        try:
            feats = features_over(
                (view.focus,), Backdrop.of(view.backdrop), bpm=clip.bpm, meter=clip.meter
            )
        except MidiFileError:
            skipped += 1
            continue
        own = own_channel(feats.roll) if feats.own is None else feats.own
        rolls.append(np.rint(np.concatenate([feats.roll, own[None]]) * 127.0).astype(np.uint8))
        symbolic.append(feats.symbolic)
        text, tags = view_text(view, rng)
        for key, value in (
            ("texts", text),
            ("tags", f"source={clip.info.source};{tags}"),
            ("song_ids", clip.info.song_id),
            ("sources", clip.info.source),
            ("splits", clip.split),
            ("kinds", view.kind),
        ):
            columns[key].append(value)
        per_kind[view.kind] += 1
    if not rolls:
        raise ValueError(f"data_dir: {str(data_dir)!r} -- no part views could be made")
    emb = (encoder or TextEncoder.load()).encode(columns["texts"])
    save_corpus(out, Corpus.of_rows(rolls, symbolic, emb, columns))
    splits = Counter(columns["splits"])
    examples: dict[str, list[str]] = {}
    for text, kind in zip(columns["texts"], columns["kinds"], strict=True):
        if len(examples.setdefault(kind, [])) < 4:
            examples[kind].append(text)
    summary: dict[str, object] = {
        "path": str(out),
        "views": len(rolls),
        "per_kind": {k: per_kind[k] for k in PHASE_ORDER},
        "per_split": dict(splits),
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 1),
        "examples": examples,
    }
    write_text_atomic(out.with_suffix(".json"), json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = corpus_parser(
        "training.scorer.part_corpus", __doc__, out="build/scorer_parts.npz", sources=SOURCES
    )
    parser.add_argument("--max-clips-per-source", type=int, default=None)
    parser.add_argument("--max-views-per-kind", type=int, default=None)
    args = parse_corpus_args(parser, argv)
    made = build_part_corpus(
        data_dir=args.data,
        out=args.out,
        seed=args.seed,
        sources=args.sources,
        max_clips_per_source=args.max_clips_per_source,
        max_views_per_kind=args.max_views_per_kind,
    )
    return print_summary(made)


if __name__ == "__main__":
    raise SystemExit(main())
