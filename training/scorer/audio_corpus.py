"""Audio for the scorer's training clips: real MIDI rendered through the SoundFont, and its
DSP features (:func:`scoring.audio_features.audio_features`, what the runtime computes from a
preview).

Every clip is rendered ``variants`` times, each time with its own General MIDI programs (drawn
per part from a palette for its role: lead, chords, bass, drums) and its own mix (each part's
gain drawn in dB), then levelled like a candidate preview (-16 LUFS, peaks under -1 dBFS,
:func:`render.limiter.gain_then_limit`). The clip's text (:func:`training.scorer.text.clip_text`)
may name the instruments it was rendered with, as the corpus texts name an ensemble, so the
audio carries what the notes cannot: timbre, kit, mix and loudness.

Output: one ``.npz`` (``rolls`` uint8, ``symbolic`` float16, ``audio`` float32 [N, 32],
``text_emb`` float16, ``texts``, ``song_ids``, ``sources``, ``splits``, ``programs``) that
:func:`training.scorer.audio_train.train_audio_branch` reads (:mod:`training.scorer.audio_rows`);
a JSON summary beside it.

CLI: ``python -m training.scorer.audio_corpus --data ../shared/data --out build/scorer_audio.npz``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.errors import InputError, MidiFileError
from music.files import write_text_atomic
from music.meter import qn_to_seconds
from music.notes import Part
from render.limiter import gain_then_limit
from render.previews import PREVIEW_LUFS, preview_backend
from render.synth import SAMPLE_RATE, shared_synthesizer
from scoring.audio_features import audio_features
from scoring.midi_features import midi_features
from scoring.text_encoder import TextEncoder
from training.scorer.audio_rows import (
    AudioCorpus,
    AudioRow,
    read_rows,
    save_audio_corpus,
    write_rows,
)
from training.scorer.corpus import SOURCES, source_available, source_clips
from training.scorer.corpus_cli import corpus_parser, parse_corpus_args, print_summary
from training.scorer.sources_common import Clip
from training.scorer.text import clip_text

logger = logging.getLogger(__name__)

#: (GM program, words) per part role; drums: (kit number in the drum bank, words).
PALETTES: Final[dict[str, tuple[tuple[int, str], ...]]] = {
    "lead": (
        (0, "piano"),
        (4, "electric piano"),
        (11, "vibraphone"),
        (24, "nylon guitar"),
        (40, "violin"),
        (56, "trumpet"),
        (65, "alto sax"),
        (71, "clarinet"),
        (73, "flute"),
        (80, "square-wave synth lead"),
        (81, "sawtooth synth lead"),
        (22, "harmonica"),
    ),
    "chords": (
        (0, "piano"),
        (4, "electric piano"),
        (6, "harpsichord"),
        (16, "organ"),
        (19, "church organ"),
        (21, "accordion"),
        (25, "acoustic guitar"),
        (27, "clean electric guitar"),
        (48, "strings"),
        (52, "choir"),
        (61, "brass section"),
        (89, "warm synth pad"),
    ),
    "bass": (
        (32, "acoustic bass"),
        (33, "electric bass"),
        (35, "fretless bass"),
        (38, "synth bass"),
        (42, "cello"),
        (58, "tuba"),
    ),
    "drums": (
        (0, "standard drum kit"),
        (8, "room drum kit"),
        (16, "power drum kit"),
        (24, "electronic drum kit"),
        (25, "808 drum machine"),
        (32, "jazz drum kit"),
        (40, "brushed drums"),
    ),
}
#: Each part's gain is drawn uniformly in this range (dB) before the preview levelling.
GAIN_DB: Final = (-9.0, 0.0)
#: Seconds rendered after the clip's last note-off (release tails).
TAIL_S: Final = 1.0


def part_role(part: Part) -> str:
    """``drums``, ``bass``, ``chords`` or ``lead`` (melody, or a voice of a chorale)."""
    if part.is_drum:
        return "drums"
    name = part.name.lower()
    if "bass" in name:
        return "bass"
    if "chord" in name or "comp" in name or "harmony" in name:
        return "chords"
    return "lead"


def instrumented(clip: Clip, rng: np.random.Generator) -> tuple[tuple[Part, ...], list[str]]:
    """The clip's parts with programs drawn from their roles' palettes, and the words of what
    each part now plays (in part order). The four voices of a chorale share one instrument
    above the bass, as an ensemble would."""
    parts: list[Part] = []
    words: list[str] = []
    shared: dict[str, tuple[int, str]] = {}
    for part in clip.parts:
        role = part_role(part)
        palette = PALETTES["chords" if role == "lead" and clip.info.source == "bach" else role]
        key = f"{clip.info.source}:{role}" if clip.info.source == "bach" else f"{id(part)}"
        if key not in shared:
            shared[key] = palette[int(rng.integers(len(palette)))]
        program, word = shared[key]
        parts.append(dataclasses.replace(part, program=program))
        if word not in words:
            words.append(word)
    return tuple(parts), words


def ensemble_words(words: Sequence[str]) -> tuple[str, ...]:
    """Ways a text names the instruments: "piano, strings and acoustic bass", ..."""
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    return (listed, f"played on {listed}", f"{listed} arrangement")


def render_mix(
    parts: Sequence[Part], bpm: float, length_qn: float, gains_db: Sequence[float]
) -> NDArray[np.float32]:
    """Mono float32 at :data:`render.synth.SAMPLE_RATE`: each part at its gain, summed over
    ``length_qn`` quarter notes plus :data:`TAIL_S`, levelled like a candidate preview, on the
    previews' engine (TinySoundFont when installed: a part renders to the same samples whatever
    was rendered before it, so the same seed gives the same features)."""
    synth = shared_synthesizer(backend=preview_backend())
    seconds = qn_to_seconds(length_qn, bpm) + TAIL_S
    frames = round(seconds * synth.sample_rate)
    mix = np.zeros(frames, dtype=np.float32)
    for part, gain in zip(parts, gains_db, strict=True):
        if part.notes:
            audio = synth.render_part(part, bpm, seconds=seconds, channels=1).reshape(frames)
            mix += np.float32(10.0 ** (gain / 20.0)) * audio
    levelled = gain_then_limit(mix[:, None], synth.sample_rate, target_lufs=PREVIEW_LUFS)
    out: NDArray[np.float32] = np.asarray(levelled[:, 0], dtype=np.float32)
    return out


def clip_rows(task: ClipTask) -> list[AudioRow]:
    """Every variant of one clip; no rows when its notes cannot be read or its audio is
    silent. With a cache folder, the rows are read from its file when it is there and written
    to it when they are made (so a stopped build goes on where it stopped)."""
    cached = read_rows(task.cache) if task.cache is not None else None
    if cached is not None:
        return cached
    rows = _render_rows(task.clip, task.variants, task.seed)
    if task.cache is not None:
        write_rows(task.cache, rows)
    return rows


def _render_rows(clip: Clip, variants: int, seed: tuple[int, ...]) -> list[AudioRow]:
    rng = np.random.default_rng(list(seed))
    try:
        feats = midi_features(clip.parts, bpm=clip.bpm, meter=clip.meter)
    except MidiFileError:
        return []
    length = max(p.end for p in clip.parts)
    rows: list[AudioRow] = []
    for _ in range(variants):
        parts, words = instrumented(clip, rng)
        gains = [float(g) for g in rng.uniform(*GAIN_DB, size=len(parts))]
        try:
            audio = audio_features(render_mix(parts, clip.bpm, length, gains), SAMPLE_RATE)
        except InputError:
            continue
        info = dataclasses.replace(clip.info, ensemble=ensemble_words(words))
        text, _ = clip_text(dataclasses.replace(clip, info=info), rng)
        rows.append(
            AudioRow(
                roll=np.rint(feats.roll * 127.0).astype(np.uint8),
                symbolic=feats.symbolic,
                audio=audio,
                text=text,
                song_id=clip.info.song_id,
                source=clip.info.source,
                split=clip.split,
                programs="/".join(f"{p.name}={p.program}" for p in parts),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class ClipTask:
    """One clip to render: ``variants`` times, from the seed ``seed``, cached in ``cache``."""

    clip: Clip
    variants: int
    seed: tuple[int, ...]
    cache: Path | None


def _tasks(
    data_dir: Path,
    sources: Sequence[str],
    clips_per_source: int,
    variants: int,
    seed: int,
    cache: Path | None,
) -> Iterator[ClipTask]:
    """One clip per song (the songs' first windows), up to ``clips_per_source`` per source,
    the sources taken in turn (a stopped build has some of each)."""
    streams = []
    for index, name in enumerate(sources):
        if not source_available(name, data_dir):
            logger.warning("%s: not found under %s -- skipped", name, data_dir)
            continue
        streams.append(
            _source_tasks(name, index, data_dir, clips_per_source, variants, seed, cache)
        )
    while streams:
        for stream in list(streams):
            task = next(stream, None)
            if task is None:
                streams.remove(stream)
            else:
                yield task


def _source_tasks(
    name: str,
    index: int,
    data_dir: Path,
    clips_per_source: int,
    variants: int,
    seed: int,
    cache: Path | None,
) -> Iterator[ClipTask]:
    songs: set[str] = set()
    for clip in source_clips(name, data_dir, np.random.default_rng([seed, index])):
        if len(songs) >= clips_per_source:
            return
        if clip.info.song_id in songs:
            continue
        songs.add(clip.info.song_id)
        n = len(songs)
        path = None if cache is None else cache / f"{name}-{n:05d}-seed{seed}-x{variants}.npz"
        yield ClipTask(clip, variants, (seed, index, n), path)


def build_audio_corpus(
    *,
    data_dir: Path,
    out: Path,
    clips_per_source: int,
    variants: int = 2,
    seed: int = 0,
    sources: Sequence[str] = SOURCES,
    workers: int = 1,
    cache: Path | None = None,
    encoder: TextEncoder | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Render and describe up to ``clips_per_source`` clips of each source, ``variants`` times
    each, into ``out`` (.npz) and its JSON summary. The same arguments give the same file
    (each clip's draws come from its own seed; ``workers`` only changes the speed). ``cache``:
    a folder keeping each clip's rows, so a stopped or smaller build reuses them."""
    if clips_per_source < 1 or variants < 1 or workers < 1:
        raise ValueError(
            f"clips_per_source={clips_per_source!r}, variants={variants!r}, "
            f"workers={workers!r} -- each at least 1"
        )
    started = time.perf_counter()
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    tasks = _tasks(data_dir, sources, clips_per_source, variants, seed, cache)
    rows: list[AudioRow] = []
    with contextlib.ExitStack() as stack:
        batches: Iterator[list[AudioRow]]
        if workers == 1:
            batches = map(clip_rows, tasks)
        else:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
            batches = pool.imap(clip_rows, tasks, chunksize=4)
        for batch in batches:
            rows.extend(batch)
            if progress is not None and len(rows) % 100 < len(batch):
                progress(f"{len(rows)} rendered clips")
    if not rows:
        raise ValueError(f"data_dir: {str(data_dir)!r} -- no clip of {list(sources)} rendered")
    texts = [r.text for r in rows]
    emb = (encoder or TextEncoder.load()).encode(texts)
    corpus = AudioCorpus(
        rolls=np.stack([r.roll for r in rows]),
        symbolic=np.stack([r.symbolic for r in rows]).astype(np.float16),
        audio=np.stack([r.audio for r in rows]).astype(np.float32),
        text_emb=emb.astype(np.float16),
        texts=np.array(texts, dtype=np.str_),
        song_ids=np.array([r.song_id for r in rows], dtype=np.str_),
        sources=np.array([r.source for r in rows], dtype=np.str_),
        splits=np.array([r.split for r in rows], dtype=np.str_),
        programs=np.array([r.programs for r in rows], dtype=np.str_),
    )
    save_audio_corpus(corpus, out)
    summary: dict[str, object] = {
        "path": str(out),
        "rows": len(rows),
        "songs": len({r.song_id for r in rows}),
        "variants": variants,
        "per_source": dict(Counter(r.source for r in rows)),
        "per_split": dict(Counter(r.split for r in rows)),
        "seconds": round(time.perf_counter() - started, 1),
        "examples": texts[:: max(1, len(texts) // 8)][:8],
    }
    write_text_atomic(out.with_suffix(".json"), json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = corpus_parser(
        "training.scorer.audio_corpus", __doc__, out="build/scorer_audio.npz", sources=SOURCES
    )
    parser.add_argument("--clips-per-source", type=int, default=240)
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--cache", type=Path, default=None, help="a folder keeping each clip's rendered rows"
    )
    args = parse_corpus_args(parser, argv)
    summary = build_audio_corpus(
        data_dir=args.data,
        out=args.out,
        clips_per_source=args.clips_per_source,
        variants=args.variants,
        seed=args.seed,
        sources=args.sources,
        workers=args.workers,
        cache=args.cache,
        progress=logger.info,
    )
    return print_summary(summary)


if __name__ == "__main__":
    raise SystemExit(main())
