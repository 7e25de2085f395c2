"""Read McGill Billboard ``salami_chords.txt`` files into chord passages.

The format: ``# title:``/``# artist:``/``# metre:``/``# tonic:`` header lines (metre and tonic
may change mid-file), then one line per phrase: a timestamp, a tab, an optional section label
(``A, verse,``), bars between ``|`` holding Harte chord symbols (``.`` repeats the chord before;
``(2/4)`` changes one bar's metre), and trailing comments (``x4`` repeats the line's bars,
``(voice``, ``->``). Every chord slot in a bar gets an equal share of the bar, in quarter notes.

Passages break at section labels, ``silence``/``end``/``Z`` lines and tonic changes (their last
pair is a cadence), and at ``N``, ``X``, ``&pause`` and ``*`` (no cadence).

Mode is not annotated. Per song and tonic we call it minor when, weighted by duration, the tonic
triad sounds minor more than major; when the tonic triad never sounds with a third, when the
tonic's minor third (b3) sounds in more chord-beats than its major third (3); else major.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from music.keys import note_name_to_pc
from training.chords.passages import Passage, PassageBuilder, Piece, classify_triad

#: Harte shorthand -> (third, fifth) in semitones, and whether it is a suspension.
_SHORTHAND: dict[str, tuple[int | None, int | None, bool]] = {
    "maj": (4, 7, False), "min": (3, 7, False), "dim": (3, 6, False), "aug": (4, 8, False),
    "maj7": (4, 7, False), "min7": (3, 7, False), "7": (4, 7, False), "dim7": (3, 6, False),
    "hdim7": (3, 6, False), "minmaj7": (3, 7, False), "maj6": (4, 7, False),
    "min6": (3, 7, False), "9": (4, 7, False), "maj9": (4, 7, False), "min9": (3, 7, False),
    "11": (4, 7, False), "min11": (3, 7, False), "13": (4, 7, False), "maj13": (4, 7, False),
    "min13": (3, 7, False), "sus2": (None, 7, True), "sus4": (None, 7, True),
    "5": (None, 7, False), "1": (None, None, False),
}  # fmt: skip
_DEGREE_SEMITONES = {"3": 4, "b3": 3, "5": 7, "b5": 6, "#5": 8}
_NO_CHORD = frozenset({"N", "X", "&pause", "*"})
_SECTION_RE = re.compile(r"^\s*[A-Z]'*\s*,")
_BAR_METRE_RE = re.compile(r"^\((\d+)/(\d+)\)$")
_REPEAT_RE = re.compile(r"\bx(\d+)\b")
_BREAK_LABELS = ("silence", "end", "Z")


@dataclass(frozen=True, slots=True)
class HarteChord:
    """A parsed Harte symbol: root pitch class, triad family and whether it states a third."""

    root: int
    triad: str
    has_third: bool


def parse_harte(symbol: str) -> HarteChord:
    """``"A:min7"`` -> root 9, ``min``; ``"D:maj/3"`` -> 2, ``maj``; a bare root is major.
    Raises ValueError for no-chord symbols and anything unreadable."""
    body = symbol.split("/", 1)[0]
    root_s, _, quality = body.partition(":")
    try:
        root = note_name_to_pc(root_s)
    except ValueError as exc:
        raise ValueError(f"Harte chord: {symbol!r} -- a root A-G[#b] then ':quality'") from exc
    shorthand, _, added = (quality or "maj").partition("(")
    if shorthand == "" and added:
        shorthand = "1"  # "C:(1,3,5)": degrees only
    if shorthand not in _SHORTHAND:
        raise ValueError(f"Harte chord: {symbol!r} -- quality one of {sorted(_SHORTHAND)}")
    third, fifth, suspended = _SHORTHAND[shorthand]
    for degree in added.rstrip(")").split(","):
        d = degree.strip()
        if d.startswith("*"):  # an omitted degree
            if d[1:] in ("3", "b3"):
                third = None
            elif d[1:] in ("5", "b5", "#5"):
                fifth = None
        elif d in ("3", "b3"):
            third = _DEGREE_SEMITONES[d]
        elif d in ("5", "b5", "#5"):
            fifth = _DEGREE_SEMITONES[d]
    return HarteChord(root, classify_triad(third, fifth, suspended=suspended), third is not None)


#: Placeholder chord for a bar opening with ``.``: lengthens whatever sounded before.
_CONTINUE = HarteChord(root=-1, triad="maj", has_third=False)
_TRIAD_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8)}


@dataclass(frozen=True, slots=True)
class _Slot:
    """One chord slot as read (before the mode is known): ``chord`` None is a no-chord break;
    ``boundary`` ends a passage with a cadence (section, silence, tonic change)."""

    tonic: int | None
    chord: HarteChord | None
    beats: float
    boundary: bool = False


@dataclass(frozen=True, slots=True)
class SongHeader:
    title: str | None
    artist: str | None

    @property
    def dedupe_key(self) -> tuple[str, str] | None:
        if not self.title or not self.artist:
            return None
        return (" ".join(self.title.lower().split()), " ".join(self.artist.lower().split()))


def _metre_beats(text: str, *, where: str) -> float:
    num_s, _, den_s = text.strip().partition("/")
    try:
        num, den = int(num_s), int(den_s)
    except ValueError:
        raise ValueError(f"{where}: metre {text!r} -- a time signature like 4/4") from None
    if num <= 0 or den <= 0:
        raise ValueError(f"{where}: metre {text!r} -- a time signature like 4/4")
    return num * 4.0 / den


def _bar_slots(bar: str, *, tonic: int | None, bar_beats: float, where: str) -> list[_Slot]:
    symbols: list[str] = []
    for tok in bar.split():
        m = _BAR_METRE_RE.match(tok)
        if m:
            bar_beats = int(m.group(1)) * 4.0 / int(m.group(2))
        else:
            symbols.append(tok)
    if not symbols:
        return []
    share = bar_beats / len(symbols)
    slots: list[_Slot] = []
    for sym in symbols:
        if sym == ".":
            if slots:
                prev = slots[-1]
                slots[-1] = _Slot(prev.tonic, prev.chord, prev.beats + share)
            else:  # a bar opening with "." continues the chord before it
                slots.append(_Slot(tonic, _CONTINUE, share))
        elif sym in _NO_CHORD:
            slots.append(_Slot(tonic, None, share))
        else:
            try:
                slots.append(_Slot(tonic, parse_harte(sym), share))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
    return slots


def read_slots(text: str, *, where: str) -> tuple[SongHeader, list[_Slot]]:
    """The header and the chord slots of one salami_chords file, in order."""
    title = artist = None
    tonic: int | None = None
    bar_beats = 4.0
    slots: list[_Slot] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        here = f"{where}:{n}"
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
                bar_beats = _metre_beats(value, where=here)
            elif name == "tonic":
                try:
                    new_tonic = note_name_to_pc(value)
                except ValueError as exc:
                    raise ValueError(f"{here}: tonic {value!r} -- a note name") from exc
                if tonic is not None and new_tonic != tonic:
                    slots.append(_Slot(tonic, None, 0.0, boundary=True))
                tonic = new_tonic
            continue
        content = line.split("\t", 1)[1] if "\t" in line else line
        head, _, rest = content.partition("|")
        label = head.strip()
        if _SECTION_RE.match(head) or label.startswith(_BREAK_LABELS):
            slots.append(_Slot(tonic, None, 0.0, boundary=True))
        if not rest:
            continue
        parts = rest.split("|")
        bars, trailer = parts[:-1], parts[-1]
        repeat = _REPEAT_RE.search(trailer)
        times = int(repeat.group(1)) if repeat else 1
        line_slots: list[_Slot] = []
        for bar in bars:
            line_slots.extend(_bar_slots(bar, tonic=tonic, bar_beats=bar_beats, where=here))
        if line_slots and tonic is None:
            raise ValueError(f"{here}: chords before any '# tonic:' line -- add the tonic header")
        slots.extend(line_slots * times)
    return SongHeader(title, artist), slots


def infer_minor(slots: list[_Slot], tonic: int) -> bool:
    """The mode rule of the module docstring, for the slots sounding under ``tonic``."""
    tonic_major = tonic_minor = third_major = third_minor = 0.0
    for s in slots:
        c = s.chord
        if s.tonic != tonic or c is None or c is _CONTINUE:
            continue
        if c.root == tonic and c.has_third:
            if c.triad in ("maj", "aug"):
                tonic_major += s.beats
            elif c.triad in ("min", "dim"):
                tonic_minor += s.beats
        if not c.has_third:
            continue
        pcs = {(c.root + i) % 12 for i in _TRIAD_INTERVALS.get(c.triad, (0, 7))}
        third_minor += s.beats * ((tonic + 3) % 12 in pcs)
        third_major += s.beats * ((tonic + 4) % 12 in pcs)
    if tonic_major or tonic_minor:
        return tonic_minor > tonic_major
    return third_minor > third_major


def parse_salami(text: str, *, song_id: str) -> tuple[SongHeader, Piece]:
    """Parse one salami_chords file into its header and passages. Raises ValueError."""
    header, slots = read_slots(text, where=song_id)
    tonics = {s.tonic for s in slots if s.tonic is not None and s.chord is not None}
    modes = {t: ("minor" if infer_minor(slots, t) else "major") for t in tonics}
    passages: list[Passage] = []
    builder: PassageBuilder | None = None

    def close(cadence: bool) -> None:
        nonlocal builder
        if builder is not None:
            passage = builder.close(cadence=cadence)
            if passage is not None:
                passages.append(passage)
        builder = None

    for s in slots:
        if s.boundary:
            close(True)
        elif s.chord is None:
            close(False)
        elif s.chord is _CONTINUE:
            if builder is not None and builder.last_token is not None:
                offset_s, triad = builder.last_token.split(":")
                builder.add(int(offset_s), triad, s.beats)
        else:
            assert s.tonic is not None
            if builder is None:
                builder = PassageBuilder(mode=modes[s.tonic])
            builder.add(s.chord.root - s.tonic, s.chord.triad, s.beats)
    close(True)
    return header, Piece(piece_id=song_id, passages=tuple(passages))


def find_songs(root: Path) -> list[Path]:
    """Every ``salami_chords.txt`` under ``root``, sorted by path (the song ids)."""
    return sorted(p for p in root.rglob("salami_chords.txt") if p.is_file())


def read_song(path: Path) -> tuple[SongHeader, Piece]:
    """One song file; its id is its folder name (``"0003"``)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read salami_chords file -- {exc}") from exc
    return parse_salami(text, song_id=path.parent.name)
