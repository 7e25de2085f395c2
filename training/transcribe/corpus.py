"""A Slakh-like multitrack corpus rendered from real MIDI through the product's SoundFont
synthesizer: songs of ``seconds`` length, each with one stem per :data:`CORPUS_STEMS`, every
stem's program drawn from its taxonomy range, its level (velocity scale) and the song's tempo
drawn at random, and its effects (:mod:`training.transcribe.effects`: reverb, EQ, compression,
chorus on guitar and pads; a share dry) drawn per song and stem. The drum kit (kick, snare,
toms) and the hats and cymbals are separate stems, as Slakh keeps them, each labelled.

Layout under ``out`` (as Slakh's, one folder per song)::

    <split>/<song>/metadata.json   stems: program, is_drum, stem, effects; patterns; tempo; sources
    <split>/<song>/stems/<stem>.flac   mono, 16 kHz
    <split>/<song>/MIDI/<stem>.mid     the stem's notes (60 bpm: a quarter note is a second)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

import numpy as np

from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part, clip_notes
from render.audio_io import write_audio, write_json
from render.synth import Synthesizer
from render.transcription.features import SAMPLE_RATE
from render.transcription.taxonomy import BY_NAME
from training.transcribe.effects import Effects, apply_effects, draw_effects
from training.transcribe.more_sources import (
    billboard_files,
    chorale_files,
    combine,
    openewld_files,
    read_billboard,
    read_chorale_chords,
    read_openewld_melody,
)
from training.transcribe.sources import (
    PATTERNS,
    SPLITS,
    Groove,
    Tune,
    bass_line,
    groove_files,
    guitar_part,
    is_core_kit,
    lead_line,
    nottingham_files,
    pad_part,
    piano_part,
    read_groove,
    read_tune,
    strings_part,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

CORPUS_STEMS: Final = (
    "bass",
    "piano",
    "guitar",
    "strings_ensemble",
    "synth_lead",
    "synth_pad_fx",
    "drums",
    "high_percs",
)
#: The stems played on the GM melodic channels, each from one of the tune's tracks.
PITCHED_STEMS: Final = tuple(s for s in CORPUS_STEMS if not BY_NAME[s].is_drum)
#: FluidR3's drum kits: standard, room, power, electronic, TR-808, jazz, brush.
DRUM_KITS: Final = (0, 8, 16, 24, 25, 32, 40)
#: Seconds of rendered time per quarter note of a stem's MIDI (written at 60 bpm).
MIDI_BPM: Final = 60.0


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    """Where the sources are, where the corpus goes, how many songs per split and how long.
    ``billboard``, ``bach`` (When in Rome) and ``openewld``: None leaves that source out."""

    nottingham: Path
    groove: Path
    out: Path
    billboard: Path | None = None
    bach: Path | None = None
    openewld: Path | None = None
    songs: tuple[int, int, int] = (240, 24, 30)
    seconds: float = 10.0
    seed: int = 0
    effects: bool = True

    def __post_init__(self) -> None:
        if min(self.songs) < 0 or not 1.0 <= self.seconds <= 60.0:
            raise ValueError(
                f"CorpusConfig: songs {self.songs!r}, seconds {self.seconds!r} -- counts >= 0 "
                "and 1..60 seconds"
            )


@dataclass(frozen=True, slots=True)
class SongDraw:
    """What was drawn for one song: tempo, tune window, groove window, programs, patterns,
    each stem's effects."""

    bpm: float
    tune_start_qn: float
    groove_start_s: float
    groove_stretch: float
    programs: dict[str, int]
    levels: dict[str, float]
    patterns: dict[str, str]
    effects: dict[str, Effects]


def draw_song(
    tune: Tune, groove: Groove, rng: np.random.Generator, seconds: float, *, effects: bool = True
) -> SongDraw:
    """Random tempo, windows, programs (from each stem's range), levels, patterns and effects
    (all dry when ``effects`` is False)."""
    bpm = float(rng.uniform(80.0, 150.0))
    span_qn = seconds * bpm / 60.0
    last_bar = max(0.0, tune.chords[-1].end - span_qn) / tune.beats_per_bar
    groove_end = max(n.end for n in groove.notes)
    programs = {name: int(rng.choice(BY_NAME[name].programs)) for name in PITCHED_STEMS}
    kit = int(rng.choice(DRUM_KITS))
    return SongDraw(
        bpm=bpm,
        tune_start_qn=float(int(rng.integers(0, int(last_bar) + 1)) * tune.beats_per_bar),
        groove_start_s=float(rng.uniform(0.0, max(0.0, groove_end - seconds))),
        groove_stretch=float(rng.uniform(0.9, 1.1)),
        programs={**programs, "drums": kit, "high_percs": kit},
        levels={name: float(rng.uniform(0.6, 1.1)) for name in CORPUS_STEMS},
        patterns={name: str(rng.choice(choices)) for name, choices in PATTERNS.items()},
        effects={name: draw_effects(name, rng) if effects else Effects() for name in CORPUS_STEMS},
    )


def _leveled(notes: list[Note], level: float) -> list[Note]:
    return [
        Note(n.start, n.end, n.pitch, int(np.clip(round(n.velocity * level), 1, 127)))
        for n in notes
    ]


def _window_qn(notes: list[Note], start_qn: float, bpm: float, seconds: float) -> list[Note]:
    """Notes from ``start_qn`` on, moved to 0 and timed in seconds, cut at ``seconds``."""
    scale = 60.0 / bpm
    moved = [
        Note((n.start - start_qn) * scale, (n.end - start_qn) * scale, n.pitch, n.velocity)
        for n in notes
        if n.start >= start_qn
    ]
    return list(clip_notes(moved, seconds))


def song_parts(
    tune: Tune, groove: Groove, draw: SongDraw, rng: np.random.Generator, seconds: float
) -> dict[str, Part]:
    """One :class:`Part` per corpus stem, timed in seconds (render and write at 60 bpm)."""
    lines = {
        "bass": bass_line(tune, draw.patterns["bass"], rng),
        "piano": piano_part(tune, draw.patterns["piano"], rng),
        "guitar": guitar_part(tune, draw.patterns["guitar"], rng),
        "strings_ensemble": strings_part(tune, draw.patterns["strings_ensemble"], rng),
        "synth_lead": lead_line(tune, rng),
        "synth_pad_fx": pad_part(tune, draw.patterns["synth_pad_fx"], rng),
    }
    parts = {
        name: Part(
            name=name,
            notes=tuple(
                _leveled(
                    _window_qn(notes, draw.tune_start_qn, draw.bpm, seconds), draw.levels[name]
                )
            ),
            program=draw.programs[name],
        )
        for name, notes in lines.items()
    }
    hits = [
        Note(
            (n.start - draw.groove_start_s) * draw.groove_stretch,
            (n.end - draw.groove_start_s) * draw.groove_stretch,
            n.pitch,
            n.velocity,
        )
        for n in groove.notes
        if n.start >= draw.groove_start_s
    ]
    hits = list(clip_notes(hits, seconds))
    for name, core in (("drums", True), ("high_percs", False)):
        chosen = [n for n in hits if is_core_kit(n) == core]
        parts[name] = Part(
            name=name,
            notes=tuple(_leveled(chosen, draw.levels[name])),
            program=draw.programs[name],
            is_drum=True,
        )
    return parts


def write_song(
    folder: Path,
    parts: dict[str, Part],
    synth: Synthesizer,
    seconds: float,
    info: dict[str, Any],
    effects: dict[str, Effects] | None = None,
) -> None:
    """Render and write one song's stems (through their ``effects``; none: dry), MIDI and
    metadata.json into ``folder``."""
    stems: dict[str, dict[str, Any]] = {}
    for name, part in parts.items():
        fx = (effects or {}).get(name, Effects())
        audio = apply_effects(
            synth.render_part(part, MIDI_BPM, seconds=seconds, channels=1), SAMPLE_RATE, fx
        )
        write_audio(folder / "stems" / f"{name}.flac", audio, SAMPLE_RATE)
        song = Song(parts=(part,), bpm=MIDI_BPM, meter=Meter(4, 4))
        write_midi(song, folder / "MIDI" / f"{name}.mid")
        stems[name] = {
            "stem": name,
            "program": part.program,
            "is_drum": part.is_drum,
            "audio": f"stems/{name}.flac",
            "midi": f"MIDI/{name}.mid",
            "effects": fx.as_json(),
        }
    write_json(folder / "metadata.json", {**info, "seconds": seconds, "stems": stems})


class _Loader(Generic[T]):
    """Files of one split read on first use (a split of Nottingham or Groove takes ~7 s to
    parse whole); :meth:`pick` draws files without repeats until all were used."""

    def __init__(self, files: list[Path], read: Callable[[Path], T | None]) -> None:
        if not files:
            raise ValueError("no source files in this split -- check the data folders")
        self.files = files
        self.read = read
        self.seen: dict[Path, T | None] = {}
        self._order: list[int] = []

    def pick(self, rng: np.random.Generator) -> T:
        for _ in range(4 * len(self.files)):
            if not self._order:
                self._order = [int(i) for i in rng.permutation(len(self.files))]
            path = self.files[self._order.pop()]
            if path not in self.seen:
                self.seen[path] = self.read(path)
            item = self.seen[path]
            if item is not None:
                return item
        raise ValueError(f"{self.files[0].parent}: no usable file in this split")


def _source_loaders(
    cfg: CorpusConfig, split: str, tunes: _Loader[Tune]
) -> tuple[dict[str, _Loader[Tune]], dict[str, _Loader[Tune]]]:
    """The harmony and melody sources of ``split`` by name (Nottingham's ``tunes`` in both)."""
    harmonies = {"nottingham": tunes}
    melodies = {"nottingham": tunes}
    if cfg.billboard is not None:
        harmonies["billboard"] = _Loader(billboard_files(cfg.billboard, split), read_billboard)
    if cfg.bach is not None:
        harmonies["bach"] = _Loader(chorale_files(cfg.bach, split), read_chorale_chords)
    if cfg.openewld is not None:
        melodies["openewld"] = _Loader(openewld_files(cfg.openewld, split), read_openewld_melody)
    return harmonies, melodies


def render_corpus(
    cfg: CorpusConfig, *, on_song: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Render the corpus ``cfg`` describes; returns the songs written per split."""
    written: dict[str, int] = {}
    with Synthesizer(sample_rate=SAMPLE_RATE) as synth:
        for index, (split, count) in enumerate(zip(SPLITS, cfg.songs, strict=True)):
            if count == 0:
                written[split] = 0
                continue
            tunes = _Loader(nottingham_files(cfg.nottingham, split), read_tune)
            harmonies, melodies = _source_loaders(cfg, split, tunes)
            grooves = _Loader(groove_files(cfg.groove, split), read_groove)
            rng = np.random.default_rng([cfg.seed, index])
            for i in range(count):
                harmony_from = str(rng.choice(sorted(harmonies)))
                melody_from = str(rng.choice(sorted(melodies)))
                harmony = harmonies[harmony_from].pick(rng)
                melody = harmony
                if (harmony_from, melody_from) != ("nottingham", "nottingham"):
                    melody = melodies[melody_from].pick(rng)
                tune = harmony if melody is harmony else combine(harmony, melody, rng)
                groove = grooves.pick(rng)
                draw = draw_song(tune, groove, rng, cfg.seconds, effects=cfg.effects)
                parts = song_parts(tune, groove, draw, rng, cfg.seconds)
                name = f"{split}_{i:04d}_{harmony.name}"
                info = {
                    "song": name,
                    "split": split,
                    "tune": harmony.name,
                    "melody": melody.name,
                    "sources": {"harmony": harmony_from, "melody": melody_from},
                    "groove": groove.name,
                    "bpm": round(draw.bpm, 2),
                    "patterns": draw.patterns,
                }
                write_song(cfg.out / split / name, parts, synth, cfg.seconds, info, draw.effects)
                if on_song is not None:
                    on_song(name)
            written[split] = count
            logger.info(
                "%s: %d songs from %s",
                split,
                count,
                ", ".join(
                    f"{len(loader.seen)} {name}"
                    for name, loader in {**harmonies, **melodies}.items()
                ),
            )
    return written
