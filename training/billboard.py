"""The one reader of McGill Billboard ``salami_chords.txt`` files (CC0).

The format: ``# title:``/``# artist:``/``# metre:``/``# tonic:`` header lines (metre and tonic
may change mid-file), then one line per phrase: a timestamp, a tab, an optional section label
(``A, verse,``), bars between ``|`` holding Harte chord symbols (``.`` repeats the chord before;
``(2/4)`` changes one bar's metre), and trailing comments (``x4`` repeats the line's bars,
``(voice``, ``->``). ``silence``, ``end`` and ``Z`` lines mark breaks.

:func:`read_salami` turns a file into its :class:`Directive` and :class:`ChordLine` events in
order, and :func:`parse_harte` reads one chord symbol; what a song *means* (chord passages for
the transition model, realised clips for the scorer) is decided by their readers
(:mod:`training.chords.billboard`, :mod:`training.scorer.sources_billboard`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from music.keys import note_name_to_pc

#: Harte shorthand -> semitones above the root, and whether it is a suspension.
SHORTHAND: Final[dict[str, tuple[tuple[int, ...], bool]]] = {
    "maj": ((0, 4, 7), False), "min": ((0, 3, 7), False), "dim": ((0, 3, 6), False),
    "aug": ((0, 4, 8), False), "maj7": ((0, 4, 7, 11), False), "min7": ((0, 3, 7, 10), False),
    "7": ((0, 4, 7, 10), False), "dim7": ((0, 3, 6, 9), False),
    "hdim7": ((0, 3, 6, 10), False), "minmaj7": ((0, 3, 7, 11), False),
    "maj6": ((0, 4, 7, 9), False), "min6": ((0, 3, 7, 9), False),
    "9": ((0, 4, 7, 10, 14), False), "maj9": ((0, 4, 7, 11, 14), False),
    "min9": ((0, 3, 7, 10, 14), False), "11": ((0, 4, 7, 10, 14, 17), False),
    "min11": ((0, 3, 7, 10, 14, 17), False), "13": ((0, 4, 7, 10, 14, 21), False),
    "maj13": ((0, 4, 7, 11, 14, 21), False), "min13": ((0, 3, 7, 10, 14, 21), False),
    "sus2": ((0, 2, 7), True), "sus4": ((0, 5, 7), True), "5": ((0, 7), False),
    "1": ((0,), False),
}  # fmt: skip
#: Harte degrees -> semitones above the root.
DEGREES: Final[dict[str, int]] = {
    "1": 0, "b2": 1, "2": 2, "#2": 3, "b3": 3, "3": 4, "b4": 4, "4": 5, "#4": 6, "b5": 6,
    "5": 7, "#5": 8, "b6": 8, "6": 9, "bb7": 9, "b7": 10, "7": 11, "b9": 13, "9": 14,
    "#9": 15, "b11": 16, "11": 17, "#11": 18, "bb13": 19, "b13": 20, "13": 21, "#13": 22,
    "b1": 11,
}  # fmt: skip
_THIRDS: Final = ("3", "b3")
_FIFTHS: Final = ("5", "b5", "#5")
#: Symbols that sound no chord.
NO_CHORD: Final = frozenset({"N", "X", "&pause", "*"})
_SECTION_RE: Final = re.compile(r"^\s*([A-Z])'*\s*,\s*([a-z][a-z_-]*)?")
_BAR_METRE_RE: Final = re.compile(r"^\((\d+)/(\d+)\)$")
_REPEAT_RE: Final = re.compile(r"\bx(\d+)\b")
_BREAK_LABELS: Final = ("silence", "end", "Z")


@dataclass(frozen=True, slots=True)
class HarteChord:
    """A parsed Harte symbol: root pitch class, the chord's semitones above the root (sorted,
    with 0), its bass in semitones above the root, and the triad as written: ``third`` (3, 4
    or None) and ``fifth`` (6, 7, 8 or None) after added and omitted degrees, ``suspended``
    for a sus2/sus4 shorthand."""

    root: int
    intervals: tuple[int, ...]
    bass: int
    third: int | None
    fifth: int | None
    suspended: bool


def parse_harte(symbol: str) -> HarteChord:
    """``"D:min7/b7"`` -> root 2, intervals (0, 3, 7, 10), bass 10, third 3, fifth 7; a bare
    root is major. Raises ValueError for no-chord symbols and anything unreadable."""
    body, _, bass_s = symbol.partition("/")
    root_s, _, quality = body.partition(":")
    try:
        root = note_name_to_pc(root_s)
    except ValueError as exc:
        raise ValueError(f"Harte chord: {symbol!r} -- a root A-G[#b] then ':quality'") from exc
    shorthand, _, added = (quality or "maj").partition("(")
    if not shorthand:
        shorthand = "1"  # "C:(1,3,5)": degrees only
    if shorthand not in SHORTHAND:
        raise ValueError(f"Harte chord: {symbol!r} -- quality one of {sorted(SHORTHAND)}")
    base, suspended = SHORTHAND[shorthand]
    intervals = set(base)
    third = next((i for i in base if i in (3, 4)), None)
    fifth = next((i for i in base if i in (6, 7, 8)), None)
    for raw in added.rstrip(")").split(","):
        d = raw.strip()
        if not d:
            continue
        omit = d.startswith("*")
        degree = d.lstrip("*")
        semis = DEGREES.get(degree)
        if semis is None:
            raise ValueError(f"Harte chord: {symbol!r} -- unknown degree {d!r}")
        if omit:
            intervals.discard(semis)
        else:
            intervals.add(semis)
        if degree in _THIRDS:
            third = None if omit else semis
        elif degree in _FIFTHS:
            fifth = None if omit else semis
    intervals.add(0)
    bass = 0
    if bass_s:
        if bass_s not in DEGREES:
            raise ValueError(f"Harte chord: {symbol!r} -- unknown bass degree {bass_s!r}")
        bass = DEGREES[bass_s] % 12
    return HarteChord(root, tuple(sorted(intervals)), bass, third, fifth, suspended)


@dataclass(frozen=True, slots=True)
class Directive:
    """A ``# name: value`` header line (``title``, ``artist``, ``metre``, ``tonic``, ...):
    ``name`` lower-case; ``where`` is ``file:line`` for errors."""

    name: str
    value: str
    where: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar's symbols as written (Harte symbols, ``.``, no-chord marks) and its own metre
    ``(numerator, denominator)`` when the bar changes it, else None."""

    symbols: tuple[str, ...]
    metre: tuple[int, int] | None = None

    def length_qn(self, default_qn: float) -> float:
        """The bar's length in quarter notes: its own metre's, else ``default_qn`` (the song's)."""
        return default_qn if self.metre is None else self.metre[0] * 4.0 / self.metre[1]


@dataclass(frozen=True, slots=True)
class ChordLine:
    """One timed line: its timestamp in seconds (None when unreadable), the section word of a
    label (``"verse"``; ``""`` for a letter alone; None when the line opens no section),
    whether it marks a break (``silence``/``end``/``Z``), whether it has anything after its
    label (``has_bars``), its bars, and how often they are played (``x4``)."""

    where: str
    stamp: float | None
    section: str | None
    breaks: bool
    has_bars: bool
    bars: tuple[Bar, ...]
    repeat: int


Event = Directive | ChordLine


def metre_of(text: str, *, where: str) -> tuple[int, int]:
    """``"3/4"`` -> (3, 4). Raises ValueError naming ``where`` for anything else."""
    num_s, _, den_s = text.strip().partition("/")
    try:
        num, den = int(num_s), int(den_s)
    except ValueError:
        raise ValueError(f"{where}: metre {text!r} -- a time signature like 4/4") from None
    if num <= 0 or den <= 0:
        raise ValueError(f"{where}: metre {text!r} -- a time signature like 4/4")
    return num, den


def tonic_of(directive: Directive) -> int:
    """The pitch class of a ``# tonic:`` line. Raises ValueError naming the line."""
    try:
        return note_name_to_pc(directive.value)
    except ValueError as exc:
        raise ValueError(f"{directive.where}: tonic {directive.value!r} -- a note name") from exc


def _bar(text: str) -> Bar:
    symbols: list[str] = []
    metre: tuple[int, int] | None = None
    for tok in text.split():
        m = _BAR_METRE_RE.match(tok)
        if m:
            metre = (int(m.group(1)), int(m.group(2)))
        else:
            symbols.append(tok)
    return Bar(tuple(symbols), metre)


def _chord_line(line: str, where: str) -> ChordLine:
    stamp_s, tab, content = line.partition("\t")
    try:
        stamp: float | None = float(stamp_s)
    except ValueError:
        stamp, content = None, line
    if not tab:
        content = line
    head, _, rest = content.partition("|")
    label = _SECTION_RE.match(head)
    parts = rest.split("|")
    bars, trailer = (parts[:-1], parts[-1]) if rest else ([], "")
    repeat = _REPEAT_RE.search(trailer)
    return ChordLine(
        where=where,
        stamp=stamp if stamp == stamp else None,  # NaN is unreadable too
        section=(label.group(2) or "") if label else None,
        breaks=head.strip().startswith(_BREAK_LABELS),
        has_bars=bool(rest),
        bars=tuple(_bar(b) for b in bars),
        repeat=int(repeat.group(1)) if repeat else 1,
    )


def read_salami(text: str, *, song_id: str) -> list[Event]:
    """The events of one salami_chords file, in order (blank lines dropped)."""
    events: list[Event] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{song_id}:{n}"
        if not line:
            continue
        if line.startswith("#"):
            name, _, value = line[1:].partition(":")
            events.append(Directive(name.strip().lower(), value.strip(), where))
        else:
            events.append(_chord_line(line, where))
    return events


def find_songs(root: Path) -> list[Path]:
    """Every ``salami_chords.txt`` under ``root``, sorted by path (the song ids)."""
    return sorted(p for p in root.rglob("salami_chords.txt") if p.is_file())


def read_text(path: Path) -> str:
    """A song file's text. Raises ValueError naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read salami_chords file -- {exc}") from exc
