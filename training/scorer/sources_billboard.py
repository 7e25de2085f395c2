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
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from music.keys import Key, note_name_to_pc
from music.meter import Meter
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
#: Harte shorthand -> semitones above the root.
SHORTHAND: Final[dict[str, tuple[int, ...]]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "7": (0, 4, 7, 10), "dim7": (0, 3, 6, 9),
    "hdim7": (0, 3, 6, 10), "minmaj7": (0, 3, 7, 11), "maj6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9), "9": (0, 4, 7, 10, 14), "maj9": (0, 4, 7, 11, 14),
    "min9": (0, 3, 7, 10, 14), "11": (0, 4, 7, 10, 14, 17), "min11": (0, 3, 7, 10, 14, 17),
    "13": (0, 4, 7, 10, 14, 21), "maj13": (0, 4, 7, 11, 14, 21),
    "min13": (0, 3, 7, 10, 14, 21), "sus2": (0, 2, 7), "sus4": (0, 5, 7), "5": (0, 7),
    "1": (0,),
}  # fmt: skip
#: Harte degrees -> semitones above the root.
DEGREES: Final[dict[str, int]] = {
    "1": 0, "b2": 1, "2": 2, "#2": 3, "b3": 3, "3": 4, "b4": 4, "4": 5, "#4": 6, "b5": 6,
    "5": 7, "#5": 8, "b6": 8, "6": 9, "bb7": 9, "b7": 10, "7": 11, "b9": 13, "9": 14,
    "#9": 15, "b11": 16, "11": 17, "#11": 18, "bb13": 19, "b13": 20, "13": 21, "#13": 22,
    "b1": 11,
}  # fmt: skip
_NO_CHORD: Final = frozenset({"N", "X", "&pause", "*"})
_SECTION_RE: Final = re.compile(r"^\s*([A-Z])'*\s*,\s*([a-z][a-z_-]*)?")
_BAR_METRE_RE: Final = re.compile(r"^\((\d+)/(\d+)\)$")
_REPEAT_RE: Final = re.compile(r"\bx(\d+)\b")
_SECTION_WORDS: Final = {
    "prechorus": "pre-chorus", "trans": "transition", "fadeout": "outro", "fadein": "intro",
    "intro-a": "intro", "intro-b": "intro", "pre-intro": "intro", "instrumental": "instrumental",
}  # fmt: skip
MAX_CLIPS_PER_SONG: Final = 8


def parse_harte(symbol: str) -> tuple[int, tuple[int, ...], int]:
    """``"D:min7/b7"`` -> (root 2, intervals (0, 3, 7, 10), bass 10). Raises ValueError."""
    body, _, bass_s = symbol.partition("/")
    root_s, _, quality = body.partition(":")
    try:
        root = note_name_to_pc(root_s)
    except ValueError as exc:
        raise ValueError(f"Harte chord: {symbol!r} -- a root A-G[#b] then ':quality'") from exc
    shorthand, _, added = (quality or "maj").partition("(")
    if not shorthand:
        shorthand = "1"
    if shorthand not in SHORTHAND:
        raise ValueError(f"Harte chord: {symbol!r} -- quality one of {sorted(SHORTHAND)}")
    intervals = set(SHORTHAND[shorthand])
    for raw in added.rstrip(")").split(","):
        d = raw.strip()
        if not d:
            continue
        omit = d.startswith("*")
        semis = DEGREES.get(d.lstrip("*"))
        if semis is None:
            raise ValueError(f"Harte chord: {symbol!r} -- unknown degree {d!r}")
        if omit:
            intervals.discard(semis)
        else:
            intervals.add(semis)
    intervals.add(0)
    bass = 0
    if bass_s:
        if bass_s not in DEGREES:
            raise ValueError(f"Harte chord: {symbol!r} -- unknown bass degree {bass_s!r}")
        bass = DEGREES[bass_s] % 12
    return root, tuple(sorted(intervals)), bass


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
            root, intervals, bass = parse_harte(symbol)
            self.chords.append(ChordEvent(self.now, qn, root, intervals, bass))
        self.now += qn

    def build(self) -> Section | None:
        if sum(c.qn for c in self.chords) < 4.0:
            return None
        return Section(self.label, self.tonic, self.meter, tuple(self.chords))


def _meter(text: str, where: str) -> Meter:
    try:
        return Meter.parse(text)
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

    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{song_id}:{n}"
        if not line:
            continue
        if line.startswith("#"):
            name, _, value = line[1:].partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "title":
                title = value
            elif name == "artist":
                artist = value
            elif name == "metre":
                meter = _meter(value, where)
            elif name == "tonic":
                new = note_name_to_pc(value)
                if builder is not None and new != tonic:
                    label = builder.label
                    close()
                    builder = _SectionBuilder(label, new, meter)
                tonic = new
            continue
        stamp_s, _, content = line.partition("\t")
        try:
            stamp = float(stamp_s)
        except ValueError:
            stamp, content = float("nan"), line
        if pending is not None and stamp == stamp and stamp > pending[0]:
            rates.append(pending[1] / (stamp - pending[0]) * 60.0)
        pending = None
        head, _, rest = content.partition("|")
        label_match = _SECTION_RE.match(head)
        if label_match or head.strip().startswith(("silence", "end", "Z")):
            close()
            if label_match and tonic is not None:
                word = label_match.group(2) or "section"
                builder = _SectionBuilder(_SECTION_WORDS.get(word, word), tonic, meter)
        if not rest or tonic is None:
            continue
        if builder is None:
            builder = _SectionBuilder("section", tonic, meter)
        bars, trailer = rest.split("|")[:-1], rest.split("|")[-1]
        repeat = _REPEAT_RE.search(trailer)
        times = int(repeat.group(1)) if repeat else 1
        line_qn = 0.0
        for _ in range(times):
            for bar in bars:
                bar_qn = meter.bar_qn
                symbols = []
                for tok in bar.split():
                    m = _BAR_METRE_RE.match(tok)
                    if m:
                        bar_qn = int(m.group(1)) * 4.0 / int(m.group(2))
                    else:
                        symbols.append(tok)
                if not symbols:
                    continue
                for sym in symbols:
                    try:
                        builder.add(None if sym in _NO_CHORD else sym, bar_qn / len(symbols))
                    except ValueError as exc:
                        raise ValueError(f"{where}: {exc}") from None
                line_qn += bar_qn
        if stamp == stamp and line_qn > 0:
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


def find_songs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("salami_chords.txt") if p.is_file())


def clips(root: Path, *, rng: np.random.Generator, max_songs: int | None = None) -> Iterator[Clip]:
    """Clips of every (deduplicated) song under ``root`` (the billboard folder)."""
    years = read_years(root / "billboard-2.0-index.csv")
    seen: set[tuple[str, str]] = set()
    songs = 0
    for path in find_songs(root):
        folder = path.parent.name
        try:
            song = parse_song(path.read_text(encoding="utf-8", errors="replace"), song_id=folder)
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
