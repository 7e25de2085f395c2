"""McGill Billboard chord transcriptions (CC0) realised as MIDI, one clip per section.

Each ``salami_chords.txt`` is read with its full Harte chord symbols (sevenths, ninths, slash
basses), its section labels and its line timestamps. The tempo is the median over lines of
(quarter notes on the line) / (seconds to the next line); the key is the ``# tonic:`` in force
and its mode is read from the chords (the tonic triad's quality, weighted by duration; else the
tonic's minor vs major third). The decade comes from the chart date in the index csv.
Songs listed twice (same title and artist) are read once.
"""

from __future__ import annotations

import csv
import logging
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from music.keys import Key
from music.meter import Meter
from training.billboard import (
    NO_CHORD,
    ChordLine,
    find_songs,
    metre_of,
    parse_harte,
    read_salami,
    read_text,
    tonic_of,
)
from training.scorer.sources_common import (
    COMPING,
    ChordEvent,
    Clip,
    ClipInfo,
    realise_chords,
    split_of,
    windows,
)

logger = logging.getLogger(__name__)

SOURCE: Final = "billboard"
_SECTION_WORDS: Final = {
    "prechorus": "pre-chorus", "trans": "transition", "fadeout": "outro", "fadein": "intro",
    "intro-a": "intro", "intro-b": "intro", "pre-intro": "intro", "instrumental": "instrumental",
}  # fmt: skip
MAX_CLIPS_PER_SONG: Final = 8


@dataclass(frozen=True, slots=True)
class Section:
    """One labelled section of a song under one tonic: chords from 0 (quarter notes)."""

    label: str
    tonic: int
    meter: Meter
    chords: tuple[ChordEvent, ...]


@dataclass(frozen=True, slots=True)
class BillboardSong:
    song_id: str
    title: str | None
    artist: str | None
    bpm: float | None
    sections: tuple[Section, ...]


class _SectionBuilder:
    def __init__(self, label: str, tonic: int, meter: Meter) -> None:
        self.label, self.tonic, self.meter = label, tonic, meter
        self.chords: list[ChordEvent] = []
        self.now = 0.0

    def add(self, symbol: str | None, qn: float) -> None:
        """A chord symbol (None: no chord, ``"."``: the previous chord goes on)."""
        if (
            symbol == "."
            and self.chords
            and abs(self.chords[-1].start + self.chords[-1].qn - self.now) < 1e-9
        ):
            last = self.chords[-1]
            self.chords[-1] = ChordEvent(
                last.start, last.qn + qn, last.root, last.intervals, last.bass
            )
        elif symbol is not None and symbol != ".":
            c = parse_harte(symbol)
            self.chords.append(ChordEvent(self.now, qn, c.root, c.intervals, c.bass))
        self.now += qn

    def build(self) -> Section | None:
        if sum(c.qn for c in self.chords) < 4.0:
            return None
        return Section(self.label, self.tonic, self.meter, tuple(self.chords))


def _meter(text: str, where: str) -> Meter:
    num, den = metre_of(text, where=where)
    try:
        return Meter(num, den)
    except ValueError as exc:
        raise ValueError(f"{where}: metre {text!r} -- a time signature like 4/4") from exc


def parse_song(text: str, *, song_id: str) -> BillboardSong:
    """Parse one salami_chords file. Raises ValueError naming the line for bad content."""
    title = artist = None
    tonic: int | None = None
    meter = Meter(4, 4)
    sections: list[Section] = []
    builder: _SectionBuilder | None = None
    rates: list[float] = []
    pending: tuple[float, float] | None = None  # (timestamp, qn) of the last line with bars

    def close() -> None:
        nonlocal builder
        if builder is not None and (section := builder.build()) is not None:
            sections.append(section)
        builder = None

    for event in read_salami(text, song_id=song_id):
        if not isinstance(event, ChordLine):
            if event.name == "title":
                title = event.value
            elif event.name == "artist":
                artist = event.value
            elif event.name == "metre":
                meter = _meter(event.value, event.where)
            elif event.name == "tonic":
                new = tonic_of(event)
                if builder is not None and new != tonic:
                    label = builder.label
                    close()
                    builder = _SectionBuilder(label, new, meter)
                tonic = new
            continue
        stamp = event.stamp
        if pending is not None and stamp is not None and stamp > pending[0]:
            rates.append(pending[1] / (stamp - pending[0]) * 60.0)
        pending = None
        if event.section is not None or event.breaks:
            close()
            if event.section is not None and tonic is not None:
                word = event.section or "section"
                builder = _SectionBuilder(_SECTION_WORDS.get(word, word), tonic, meter)
        if not event.has_bars or tonic is None:
            continue
        if builder is None:
            builder = _SectionBuilder("section", tonic, meter)
        line_qn = 0.0
        for _ in range(event.repeat):
            for bar in event.bars:
                if not bar.symbols:
                    continue
                bar_qn = bar.length_qn(meter.bar_qn)
                for sym in bar.symbols:
                    try:
                        builder.add(None if sym in NO_CHORD else sym, bar_qn / len(bar.symbols))
                    except ValueError as exc:
                        raise ValueError(f"{event.where}: {exc}") from None
                line_qn += bar_qn
        if stamp is not None and line_qn > 0:
            pending = (stamp, line_qn)
    close()
    bpm = float(statistics.median(rates)) if rates else None
    if bpm is not None and not 40.0 <= bpm <= 240.0:
        bpm = None
    return BillboardSong(song_id, title, artist, bpm, tuple(sections))


def infer_mode(sections: tuple[Section, ...], tonic: int) -> str:
    """``"minor"`` or ``"major"`` for the sections under ``tonic`` (see the module docstring)."""
    tonic_major = tonic_minor = third_major = third_minor = 0.0
    for s in sections:
        if s.tonic != tonic:
            continue
        for c in s.chords:
            rel = {i % 12 for i in c.intervals}
            if c.root == tonic and 3 in rel and 4 not in rel:
                tonic_minor += c.qn
            elif c.root == tonic and 4 in rel:
                tonic_major += c.qn
            third_minor += c.qn * ((tonic + 3) % 12 in c.pitch_classes)
            third_major += c.qn * ((tonic + 4) % 12 in c.pitch_classes)
    if tonic_major or tonic_minor:
        return "minor" if tonic_minor > tonic_major else "major"
    return "minor" if third_minor > third_major else "major"


def read_years(index_csv: Path) -> dict[str, int]:
    """Folder id (``"0003"``) -> chart year, from ``billboard-2.0-index.csv``."""
    years: dict[str, int] = {}
    if not index_csv.is_file():
        return years
    with index_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            date = (row.get("chart_date") or "").strip()
            if row.get("id") and len(date) >= 4 and date[:4].isdigit():
                years[f"{int(row['id']):04d}"] = int(date[:4])
    return years


def clips(root: Path, *, rng: np.random.Generator, max_songs: int | None = None) -> Iterator[Clip]:
    """Clips of every (deduplicated) song under ``root`` (the billboard folder)."""
    years = read_years(root / "billboard-2.0-index.csv")
    seen: set[tuple[str, str]] = set()
    songs = 0
    for path in find_songs(root):
        folder = path.parent.name
        try:
            song = parse_song(read_text(path), song_id=folder)
        except ValueError as exc:
            logger.warning("billboard: skipped %s (%s)", path, exc)
            continue
        if song.title and song.artist:
            dedupe = (" ".join(song.title.lower().split()), " ".join(song.artist.lower().split()))
            if dedupe in seen:
                continue
            seen.add(dedupe)
        if max_songs is not None and songs >= max_songs:
            return
        songs += 1
        yield from _song_clips(song, years.get(folder), rng)


def _song_clips(song: BillboardSong, year: int | None, rng: np.random.Generator) -> Iterator[Clip]:
    song_id = f"{SOURCE}:{song.song_id}"
    split = split_of(song_id)
    modes = {t: infer_mode(song.sections, t) for t in {s.tonic for s in song.sections}}
    comping = str(rng.choice(COMPING))
    bass_every_beat = bool(rng.random() < 0.5)
    velocity = int(rng.integers(60, 90))
    centre = float(rng.uniform(54.0, 72.0))  # where the chords are voiced (MIDI pitch)
    era = f"{year // 10 * 10}s" if year else None
    seen: set[tuple[str, tuple[tuple[int, tuple[int, ...]], ...]]] = set()
    made = 0
    for section in song.sections:
        chords_part, bass_part = realise_chords(
            section.chords,
            section.meter,
            comping=comping,
            bass_every_beat=bass_every_beat,
            velocity=velocity,
            centre=centre,
        )
        for parts, chords in windows(
            (chords_part, bass_part), section.meter, max_windows=2, chords=section.chords
        ):
            signature = (section.label, tuple((c.root, c.intervals) for c in chords))
            if signature in seen or made >= MAX_CLIPS_PER_SONG:
                continue
            seen.add(signature)
            made += 1
            info = ClipInfo(
                source=SOURCE,
                song_id=song_id,
                key=Key(section.tonic, modes[section.tonic]),
                tempo_known=song.bpm is not None,
                style=("pop", "rock", "pop-rock", "chart pop", "classic pop and rock"),
                ensemble=(
                    "chords and bass",
                    "keyboard chords over a bass line",
                    "comping chords with a simple bass",
                ),
                section=section.label,
                era=era,
                chords=chords,
            )
            yield Clip(
                parts=parts, bpm=song.bpm or 100.0, meter=section.meter, info=info, split=split
            )
