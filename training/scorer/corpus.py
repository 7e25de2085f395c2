"""The scorer's contrastive training corpus, built from real music.

Sources (folders under ``--data``; see each ``sources_*`` module): Billboard chord transcriptions
realised as MIDI (``billboard/``), music21's bundled Bach chorales, OpenEWLD lead sheets
(``openewld/``), Nottingham folk tunes (``nottingham/``, read by path only) and Groove MIDI drum
performances (``groove-midi/``). Each clip is 32 quarter notes in the beat-aligned representation
of :mod:`scoring.midi_features`, paired with text derived from its notes and metadata
(:mod:`training.scorer.text`) and that text's MiniLM embedding. Splits are by song.

Output: one ``.npz`` (``rolls`` uint8 [N, 2, 128, 128] = roll x 127, ``symbolic`` float16
[N, 32], ``text_emb`` float16 [N, 384], ``texts``, ``tags``, ``song_ids``, ``sources``,
``splits``) plus a JSON summary beside it (``<out>.json``).

CLI: ``python -m training.scorer.corpus --data ../shared/data --out build/scorer_corpus.npz``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.files import atomic_path, write_text_atomic
from scoring.midi_features import N_SYMBOLIC, ROLL_STEPS, midi_features
from scoring.text_encoder import EMBED_DIM, TextEncoder
from training.scorer import sources_billboard, sources_midi, sources_music21
from training.scorer.corpus_cli import corpus_parser, parse_corpus_args, print_summary
from training.scorer.sources_common import SPLITS, Clip
from training.scorer.text import clip_text

logger = logging.getLogger(__name__)

SOURCES: Final = ("billboard", "bach", "openewld", "nottingham", "groove")
_FOLDERS: Final = {
    "billboard": "billboard",
    "bach": None,  # music21's bundled corpus
    "openewld": "openewld",
    "nottingham": "nottingham",
    "groove": "groove-midi",
}
_EXAMPLES_PER_SOURCE: Final = 4


@dataclass(frozen=True, slots=True)
class Corpus:
    """A loaded corpus (arrays as saved; see the module docstring)."""

    rolls: NDArray[np.uint8]  # [N, 2, 128, ROLL_STEPS], roll x 127
    symbolic: NDArray[np.float16]  # [N, N_SYMBOLIC]
    text_emb: NDArray[np.float16]  # [N, 384]
    texts: NDArray[np.str_]  # [N]
    tags: NDArray[np.str_]  # [N] "mode=minor;tempo=slow;..."
    song_ids: NDArray[np.str_]  # [N]
    sources: NDArray[np.str_]  # [N]
    splits: NDArray[np.str_]  # [N] train / val / test
    #: [N] what each clip presents: "whole" (a song's parts together) or a part view's kind
    #: (:mod:`training.scorer.part_views`); rolls then have a third channel, the part.
    kinds: NDArray[np.str_] | None = None

    def __len__(self) -> int:
        return int(self.rolls.shape[0])

    def indices(self, split: str) -> NDArray[np.int64]:
        """Row numbers of one split."""
        if split not in SPLITS:
            raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)}")
        return np.nonzero(self.splits == split)[0]

    @classmethod
    def of_rows(
        cls,
        rolls: Sequence[NDArray[np.uint8]],
        symbolic: Sequence[NDArray[np.float32]],
        text_emb: NDArray[np.float32],
        columns: dict[str, list[str]],
    ) -> Corpus:
        """A corpus of per-clip rows: rolls, symbolic features, text embeddings and the string
        columns (``texts``, ``tags``, ``song_ids``, ``sources``, ``splits``, and ``kinds``
        when given), stored as the saved arrays are."""
        strings = {k: np.array(v, dtype=np.str_) for k, v in columns.items()}
        return cls(
            rolls=np.stack(rolls),
            symbolic=np.stack(symbolic).astype(np.float16),
            text_emb=text_emb.astype(np.float16),
            **strings,
        )

    def rolls_float(self, rows: NDArray[np.int64] | Sequence[int]) -> NDArray[np.float32]:
        """Rolls of ``rows`` as float32 in [0, 1]: ``[n, 2, 128, ROLL_STEPS]``."""
        return self.rolls[np.asarray(rows)].astype(np.float32) / 127.0


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    """Counts and examples of a built corpus (also written as JSON)."""

    path: str
    clips: int
    songs: int
    seconds: float
    per_source: dict[str, int]
    songs_per_source: dict[str, int]
    per_split: dict[str, int]
    per_source_split: dict[str, dict[str, int]]
    skipped: dict[str, int]
    missing_sources: list[str]
    tag_counts: dict[str, dict[str, int]]
    examples: dict[str, list[str]]


def source_clips(name: str, data_dir: Path, rng: np.random.Generator) -> Iterator[Clip]:
    """The clips of one source (see :data:`SOURCES`) under ``data_dir``, in the source's order."""
    folder = _FOLDERS[name]
    path = data_dir / folder if folder else data_dir
    if name == "billboard":
        return sources_billboard.clips(path, rng=rng)
    if name == "bach":
        return sources_music21.chorale_clips(rng=rng)
    if name == "openewld":
        return sources_music21.leadsheet_clips(path, rng=rng)
    if name == "nottingham":
        return sources_midi.nottingham_clips(path, rng=rng)
    return sources_midi.groove_clips(path, rng=rng)


def source_available(name: str, data_dir: Path) -> bool:
    """Whether ``name``'s folder is under ``data_dir`` (music21's chorales always are)."""
    folder = _FOLDERS[name]
    return folder is None or (data_dir / folder).is_dir()


def build_corpus(
    *,
    data_dir: Path,
    out: Path,
    max_clips_per_source: int | None,
    seed: int,
    sources: Sequence[str] = SOURCES,
    encoder: TextEncoder | None = None,
    progress: Callable[[str], None] | None = None,
) -> CorpusSummary:
    """Build the corpus from ``data_dir`` into ``out`` (.npz) and ``out`` with ``.json``.

    ``sources`` picks a subset of :data:`SOURCES`; a source whose folder is missing is skipped
    and listed in the summary. Raises ValueError for an unknown source or when no clip results."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"sources: {unknown!r} -- any of {', '.join(SOURCES)}")
    if max_clips_per_source is not None and max_clips_per_source <= 0:
        raise ValueError(f"max_clips_per_source: {max_clips_per_source!r} -- a positive number")
    started = time.perf_counter()
    text_rng = np.random.default_rng([seed, 1_000])
    rolls: list[NDArray[np.uint8]] = []
    symbolic: list[NDArray[np.float32]] = []
    texts: list[str] = []
    tags: list[str] = []
    song_ids: list[str] = []
    source_of: list[str] = []
    splits: list[str] = []
    skipped: Counter[str] = Counter()
    missing: list[str] = []
    for index, name in enumerate(sources):
        if not source_available(name, data_dir):
            logger.warning(
                "%s: folder %s not found under %s -- skipped", name, _FOLDERS[name], data_dir
            )
            missing.append(name)
            continue
        t0 = time.perf_counter()
        count = 0
        for clip in source_clips(name, data_dir, np.random.default_rng([seed, index])):
            if max_clips_per_source is not None and count >= max_clips_per_source:
                break
            try:
                feats = midi_features(clip.parts, bpm=clip.bpm, meter=clip.meter)
            except MidiFileError:
                skipped[name] += 1
                continue
            text, tag = clip_text(clip, text_rng)
            rolls.append(np.rint(feats.roll * 127.0).astype(np.uint8))
            symbolic.append(feats.symbolic)
            texts.append(text)
            tags.append(f"source={name};{tag}")
            song_ids.append(clip.info.song_id)
            source_of.append(name)
            splits.append(clip.split)
            count += 1
        message = f"{name}: {count} clips in {time.perf_counter() - t0:.1f} s"
        logger.info(message)
        if progress is not None:
            progress(message)
    if not texts:
        raise ValueError(f"data_dir: {str(data_dir)!r} -- no clips could be made from {sources}")
    t0 = time.perf_counter()
    enc = encoder or TextEncoder.load()
    emb = enc.encode(texts)
    logger.info("text embeddings: %d texts in %.1f s", len(texts), time.perf_counter() - t0)
    columns = {
        "texts": texts,
        "tags": tags,
        "song_ids": song_ids,
        "sources": source_of,
        "splits": splits,
    }
    save_corpus(out, Corpus.of_rows(rolls, symbolic, emb, columns))
    summary = _summary(
        out,
        texts,
        tags,
        song_ids,
        source_of,
        splits,
        skipped,
        missing,
        time.perf_counter() - started,
    )
    summary_path = out.with_suffix(".json")
    write_text_atomic(summary_path, json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def save_corpus(out: Path, corpus: Corpus) -> None:
    """Write ``corpus`` to ``out`` (.npz, atomically); ``kinds`` only when it has them."""
    arrays = {f.name: getattr(corpus, f.name) for f in fields(corpus)}
    if arrays["kinds"] is None:
        del arrays["kinds"]
    with atomic_path(out) as tmp, open(tmp, "xb") as fh:
        np.savez_compressed(fh, **arrays)


def _summary(
    out: Path,
    texts: list[str],
    tags: list[str],
    song_ids: list[str],
    sources: list[str],
    splits: list[str],
    skipped: Counter[str],
    missing: list[str],
    seconds: float,
) -> CorpusSummary:
    per_source_split: dict[str, dict[str, int]] = {}
    examples: dict[str, list[str]] = {}
    songs: dict[str, set[str]] = {}
    for text, song, source, split in zip(texts, song_ids, sources, splits, strict=True):
        per_source_split.setdefault(source, dict.fromkeys(SPLITS, 0))[split] += 1
        songs.setdefault(source, set()).add(song)
        if len(examples.setdefault(source, [])) < _EXAMPLES_PER_SOURCE:
            examples[source].append(text)
    tag_counts: dict[str, Counter[str]] = {}
    for tag in tags:
        for item in tag.split(";"):
            k, _, v = item.partition("=")
            for value in v.split(",") if k == "harmony" else [v]:
                tag_counts.setdefault(k, Counter())[value] += 1
    return CorpusSummary(
        path=str(out),
        clips=len(texts),
        songs=len(set(song_ids)),
        seconds=round(seconds, 1),
        per_source=dict(Counter(sources)),
        songs_per_source={k: len(v) for k, v in songs.items()},
        per_split={s: splits.count(s) for s in SPLITS},
        per_source_split=per_source_split,
        skipped=dict(skipped),
        missing_sources=missing,
        tag_counts={k: dict(v.most_common()) for k, v in tag_counts.items()},
        examples=examples,
    )


def load_corpus(path: Path) -> Corpus:
    """Load a corpus written by :func:`build_corpus`. Raises ValueError for a file that is
    missing, not a corpus, or has inconsistent arrays."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"corpus: {str(path)!r} -- no such file; build it with python -m training.scorer.corpus"
        )
    with np.load(path, allow_pickle=False) as data:
        names = ("rolls", "symbolic", "text_emb", "texts", "tags", "song_ids", "sources", "splits")
        missing = [n for n in names if n not in data.files]
        if missing:
            raise ValueError(f"corpus {path}: arrays {missing} missing -- rebuild it")
        arrays = {n: data[n] for n in names}
        kinds = data["kinds"] if "kinds" in data.files else None
    n = arrays["rolls"].shape[0]
    if arrays["rolls"].shape[1:] not in ((2, 128, ROLL_STEPS), (3, 128, ROLL_STEPS)) or any(
        len(a) != n for a in arrays.values()
    ):
        raise ValueError(f"corpus {path}: inconsistent array shapes -- rebuild it")
    if arrays["symbolic"].shape[1:] != (N_SYMBOLIC,) or arrays["text_emb"].shape[1:] != (
        EMBED_DIM,
    ):
        raise ValueError(f"corpus {path}: feature sizes differ from this version -- rebuild it")
    if kinds is not None and len(kinds) != n:
        raise ValueError(f"corpus {path}: {len(kinds)} kinds for {n} clips -- rebuild it")
    return Corpus(**arrays, kinds=kinds)


def clip_kinds(corpus: Corpus) -> NDArray[np.str_]:
    """What each clip of ``corpus`` presents (``whole`` where the corpus does not say)."""
    if corpus.kinds is not None:
        return corpus.kinds
    return np.full(len(corpus), "whole")


def load_corpora(corpus: Path, parts: Path | None = None) -> Corpus:
    """The corpus at ``corpus``, merged with the part-view corpus at ``parts`` when given
    (:func:`merge_corpora`)."""
    whole = load_corpus(corpus)
    return whole if parts is None else merge_corpora([whole, load_corpus(parts)])


def merge_corpora(corpora: Sequence[Corpus]) -> Corpus:
    """One corpus of several (e.g. whole songs and part views); rolls get the most channels
    any of them has, a 2-channel roll's third channel being the larger of its two (the whole
    clip is its own part: :func:`scoring.midi_features.own_channel`)."""
    if not corpora:
        raise ValueError("corpora: none -- at least one corpus to merge")
    channels = max(c.rolls.shape[1] for c in corpora)
    rolls = []
    for c in corpora:
        r = c.rolls
        if r.shape[1] < channels:
            r = np.concatenate([r, np.maximum(r[:, 0], r[:, 1])[:, None]], axis=1)
        rolls.append(r)

    def cat(name: str) -> NDArray[Any]:
        return np.concatenate([getattr(c, name) for c in corpora])

    return Corpus(
        rolls=np.concatenate(rolls),
        symbolic=cat("symbolic"),
        text_emb=cat("text_emb"),
        texts=cat("texts"),
        tags=cat("tags"),
        song_ids=cat("song_ids"),
        sources=cat("sources"),
        splits=cat("splits"),
        kinds=np.concatenate([clip_kinds(c) for c in corpora]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = corpus_parser(
        "training.scorer.corpus", __doc__, out="build/scorer_corpus.npz", sources=SOURCES
    )
    parser.add_argument("--max-clips-per-source", type=int, default=None)
    args = parse_corpus_args(parser, argv)
    made = asdict(
        build_corpus(
            data_dir=args.data,
            out=args.out,
            seed=args.seed,
            sources=args.sources,
            max_clips_per_source=args.max_clips_per_source,
        )
    )
    return print_summary(made)


if __name__ == "__main__":
    raise SystemExit(main())
