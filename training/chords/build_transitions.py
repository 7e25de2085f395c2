"""Count chord transitions in the Bach chorales and the Billboard songs; write the model artifact.

    python -m training.chords.build_transitions \\
        --bach ../shared/data/when-in-rome-bach --billboard ../shared/data/billboard \\
        --out generators/data/chord_transitions.json

Counts use every piece. The calibration reference of each source and mode (what
``normalized_likelihood`` maps to 0 and 1) comes from a model counted without every 10th piece,
scoring windows of 4-8 chords of those held-out pieces against uniformly random token strings:
0 is the random median, 1 the held-out real 95th percentile.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generators.chord_model import ALL_TOKENS, FORMAT_VERSION, MODES, ChordTransitionModel
from music.files import write_text_atomic
from training.chords.bach import find_chorales, read_chorale
from training.chords.billboard import find_songs, read_song
from training.chords.passages import Passage, Piece, duration_key

log = logging.getLogger(__name__)

SOURCE_CREDITS = {
    "bach": (
        "When in Rome (CC BY-SA 4.0): Roman-numeral analyses of the 371 Bach chorales, "
        "M. Gotham et al., github.com/MarkGotham/When-in-Rome"
    ),
    "billboard": (
        "McGill Billboard 2.0 (CC0): J. A. Burgoyne, J. Wild, I. Fujinaga, 'An Expert Ground "
        "Truth Set for Audio Chord Recognition and Music Analysis', ISMIR 2011"
    ),
}
HOLDOUT_EVERY = 10
HOLDOUT_PHASE = 5
WINDOW_MIN, WINDOW_MAX = 4, 8
RANDOM_SEQUENCES = 2000
REFERENCE_SEED = 20240607
PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(slots=True)
class ModeCounts:
    """Raw counts of one source in one mode (the artifact's ``sources.<src>.<mode>``)."""

    start: Counter[str] = field(default_factory=Counter)
    transition: dict[str, Counter[str]] = field(default_factory=dict)
    cadence: Counter[str] = field(default_factory=Counter)
    unigram: Counter[str] = field(default_factory=Counter)
    duration_beats: Counter[str] = field(default_factory=Counter)

    def add(self, passage: Passage) -> None:
        tokens = passage.tokens
        self.start[tokens[0]] += 1
        for chord in passage.chords:
            self.unigram[chord.token] += 1
            self.duration_beats[duration_key(chord.beats)] += 1
        for prev, nxt in itertools.pairwise(tokens):
            self.transition.setdefault(prev, Counter())[nxt] += 1
        for i in passage.cadences:
            self.cadence[f"{tokens[i - 1]}>{tokens[i]}"] += 1

    @property
    def n_chords(self) -> int:
        return sum(self.unigram.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "start": dict(sorted(self.start.items())),
            "transition": {p: dict(sorted(r.items())) for p, r in sorted(self.transition.items())},
            "cadence": dict(sorted(self.cadence.items())),
            "unigram": dict(sorted(self.unigram.items())),
            "duration_beats": dict(
                sorted(self.duration_beats.items(), key=lambda kv: float(kv[0]))
            ),
        }


def count_pieces(pieces: Iterable[Piece]) -> dict[str, ModeCounts]:
    """Counts per mode over every passage of ``pieces``."""
    counts = {mode: ModeCounts() for mode in MODES}
    for piece in pieces:
        for passage in piece.passages:
            counts[passage.mode].add(passage)
    return counts


def real_windows(pieces: Iterable[Piece], mode: str, rng: np.random.Generator) -> list[list[str]]:
    """Windows of 4-8 chords (every 4th chord a window start) of the ``mode`` passages."""
    windows: list[list[str]] = []
    for piece in pieces:
        for passage in piece.passages:
            toks = list(passage.tokens)
            if passage.mode != mode or len(toks) < WINDOW_MIN:
                continue
            for start in range(0, len(toks) - WINDOW_MIN + 1, WINDOW_MIN):
                length = int(rng.integers(WINDOW_MIN, WINDOW_MAX + 1))
                window = toks[start : start + length]
                if len(window) >= WINDOW_MIN:
                    windows.append(window)
    return windows


def random_sequences(n: int, rng: np.random.Generator) -> list[list[str]]:
    """``n`` uniformly random token strings of 4-8 chords with no immediate repeats."""
    out: list[list[str]] = []
    for _ in range(n):
        length = int(rng.integers(WINDOW_MIN, WINDOW_MAX + 1))
        seq = [ALL_TOKENS[int(rng.integers(len(ALL_TOKENS)))]]
        while len(seq) < length:
            tok = ALL_TOKENS[int(rng.integers(len(ALL_TOKENS)))]
            if tok != seq[-1]:
                seq.append(tok)
        out.append(seq)
    return out


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {f"p{q}": round(float(np.percentile(arr, q)), 4) for q in PERCENTILES}


def reference_for(pieces: Sequence[Piece], *, source: str) -> dict[str, dict[str, Any]]:
    """Per mode: mean log-likelihood percentiles of held-out real windows and of random strings
    under a model counted without the held-out pieces (with fewer than 10 pieces nothing is
    held out: in-sample). ``low`` is the random median (half of random strings score 0),
    ``high`` the real 95th percentile (so typical real progressions score ~0.8-0.9, not a
    saturated 1.0, and the evolutionary search keeps a gradient among plausible ones)."""
    held_out = len(pieces) >= HOLDOUT_EVERY
    if held_out:
        held = [p for i, p in enumerate(pieces) if i % HOLDOUT_EVERY == HOLDOUT_PHASE]
        train = [p for i, p in enumerate(pieces) if i % HOLDOUT_EVERY != HOLDOUT_PHASE]
    else:
        held, train = list(pieces), list(pieces)
    counts = count_pieces(train)
    payload = {
        "version": FORMAT_VERSION,
        "sources": {source: {m: c.to_json() for m, c in counts.items()}},
    }
    model = ChordTransitionModel.from_payload(payload, origin=f"{source} (training split)")
    out: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        rng = np.random.default_rng(REFERENCE_SEED)
        windows = real_windows(held, mode, rng)
        if not windows or counts[mode].n_chords == 0:
            log.warning("%s %s: no held-out windows of %d+ chords; no reference", source, mode, 4)
            continue
        real = [model.mean_log_likelihood(w, mode) for w in windows]
        rand = [model.mean_log_likelihood(s, mode) for s in random_sequences(RANDOM_SEQUENCES, rng)]
        real_p, rand_p = _percentiles(real), _percentiles(rand)
        low, high = rand_p["p50"], real_p["p95"]
        if not high > low:
            log.warning("%s %s: real p95 %.3f <= random median %.3f", source, mode, high, low)
            high = low + 1.0
        out[mode] = {
            "low": low,
            "high": high,
            "real": real_p,
            "random": rand_p,
            "windows": len(windows),
            "held_out": f"every {HOLDOUT_EVERY}th piece" if held_out else "none (in-sample)",
        }
    return out


def read_bach(bach_dir: Path) -> list[Piece]:
    paths = find_chorales(bach_dir)
    if not paths:
        raise ValueError(f"--bach {bach_dir}: no analysis.txt files -- the When-in-Rome folder")
    pieces = []
    for i, path in enumerate(paths, start=1):
        pieces.append(read_chorale(path))
        if i % 50 == 0:
            log.info("bach: %d/%d chorales", i, len(paths))
    return pieces


def read_billboard(billboard_dir: Path) -> tuple[list[Piece], int]:
    """Unique songs (first of each title + artist) and how many duplicates were skipped."""
    paths = find_songs(billboard_dir)
    if not paths:
        raise ValueError(
            f"--billboard {billboard_dir}: no salami_chords.txt files -- "
            "the McGill Billboard folder"
        )
    seen: set[tuple[str, str]] = set()
    pieces: list[Piece] = []
    duplicates = 0
    for path in paths:
        header, piece = read_song(path)
        key = header.dedupe_key
        if key is not None and key in seen:
            duplicates += 1
            continue
        if key is not None:
            seen.add(key)
        pieces.append(piece)
    return pieces, duplicates


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """What one corpus contributed: pieces (chorales or songs), merged chords per mode and the
    calibration anchors per mode."""

    pieces: int
    chords: dict[str, int]
    reference: dict[str, tuple[float, float]]

    @property
    def total_chords(self) -> int:
        return sum(self.chords.values())


@dataclass(frozen=True, slots=True)
class BuildSummary:
    out: Path
    sources: dict[str, SourceSummary]
    payload: dict[str, Any]


def build_payload(
    corpora: dict[str, list[Piece]], extra: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The artifact's JSON object from the pieces of each source."""
    built_from: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for source, pieces in corpora.items():
        counts = count_pieces(pieces)
        refs = reference_for(pieces, source=source)
        sources[source] = {}
        for mode, c in counts.items():
            table = c.to_json()
            if mode in refs:
                table["reference"] = refs[mode]
            sources[source][mode] = table
        unit = "pieces" if source == "bach" else "songs"
        built_from[source] = {
            unit: len(pieces),
            "chords": sum(c.n_chords for c in counts.values()),
            "chords_by_mode": {m: c.n_chords for m, c in counts.items()},
            "source": SOURCE_CREDITS.get(source, source),
            **extra.get(source, {}),
        }
    return {"version": FORMAT_VERSION, "built_from": built_from, "sources": sources}


def main(*, bach_dir: Path | None, billboard_dir: Path | None, out: Path) -> BuildSummary:
    """Read the corpora given, write the artifact to ``out`` and return what went into it."""
    if bach_dir is None and billboard_dir is None:
        raise ValueError("--bach / --billboard: neither given -- at least one corpus folder")
    corpora: dict[str, list[Piece]] = {}
    extra: dict[str, dict[str, Any]] = {}
    if bach_dir is not None:
        corpora["bach"] = read_bach(Path(bach_dir))
    if billboard_dir is not None:
        songs, duplicates = read_billboard(Path(billboard_dir))
        corpora["billboard"] = songs
        extra["billboard"] = {"duplicates_skipped": duplicates}
    payload = build_payload(corpora, extra)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps(payload, indent=1, sort_keys=False) + "\n")
    summaries: dict[str, SourceSummary] = {}
    for source, modes in payload["sources"].items():
        summaries[source] = SourceSummary(
            pieces=len(corpora[source]),
            chords=dict(payload["built_from"][source]["chords_by_mode"]),
            reference={
                m: (float(t["reference"]["low"]), float(t["reference"]["high"]))
                for m, t in modes.items()
                if "reference" in t
            },
        )
    log.info("wrote %s (%d bytes)", out, out.stat().st_size)
    return BuildSummary(out=out, sources=summaries, payload=payload)


def cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.chords.build_transitions",
        description="Build the chord-transition model artifact from real corpora.",
    )
    parser.add_argument("--bach", type=Path, default=None, help="When-in-Rome Bach chorales folder")
    parser.add_argument("--billboard", type=Path, default=None, help="McGill Billboard folder")
    parser.add_argument("--out", type=Path, required=True, help="JSON artifact to write")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    try:
        summary = main(bach_dir=args.bach, billboard_dir=args.billboard, out=args.out)
    except ValueError as exc:
        parser.exit(2, f"error: {exc}\n")
    for source, s in summary.sources.items():
        refs = ", ".join(f"{m} [{lo:.3f}, {hi:.3f}]" for m, (lo, hi) in s.reference.items())
        unit = "songs" if source == "billboard" else "pieces"
        print(f"{source}: {s.pieces} {unit}, {s.total_chords} chords {s.chords}; reference {refs}")
    print(f"wrote {summary.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
