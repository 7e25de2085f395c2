"""McGill Billboard songs as chord passages for the transition model (the file format and its
reader: :mod:`training.billboard`). Every chord slot in a bar gets an equal share of the bar,
in quarter notes.

Passages break at section labels, ``silence``/``end``/``Z`` lines and tonic changes (their last
pair is a cadence), and at ``N``, ``X``, ``&pause`` and ``*`` (no cadence).

Mode is not annotated. Per song and tonic we call it minor when, weighted by duration, the tonic
triad sounds minor more than major; when the tonic triad never sounds with a third, when the
tonic's minor third (b3) sounds in more chord-beats than its major third (3); else major.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training.billboard import (
    NO_CHORD,
    ChordLine,
    HarteChord,
    find_songs,
    metre_of,
    parse_harte,
    read_salami,
    read_text,
    tonic_of,
)
from training.chords.passages import Passage, PassageBuilder, Piece, classify_triad

__all__ = ["SongHeader", "find_songs", "infer_minor", "parse_harte", "parse_salami", "read_song"]

#: Placeholder chord for a bar opening with ``.``: lengthens whatever sounded before.
_CONTINUE = HarteChord(root=-1, intervals=(0,), bass=0, third=None, fifth=None, suspended=False)
_TRIAD_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8)}


def triad_of(chord: HarteChord) -> str:
    """The chord's triad family (``maj``, ``min``, ``dim``, ``aug``, ``sus``)."""
    return classify_triad(chord.third, chord.fifth, suspended=chord.suspended)


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


def _line_slots(line: ChordLine, *, tonic: int | None, bar_beats: float) -> list[_Slot]:
    out: list[_Slot] = []
    for bar in line.bars:
        if not bar.symbols:
            continue
        beats = bar.length_qn(bar_beats)
        share = beats / len(bar.symbols)
        slots: list[_Slot] = []  # this bar's
        for sym in bar.symbols:
            if sym == ".":
                if slots:
                    prev = slots[-1]
                    slots[-1] = _Slot(prev.tonic, prev.chord, prev.beats + share)
                else:  # a bar opening with "." continues the chord before it
                    slots.append(_Slot(tonic, _CONTINUE, share))
            elif sym in NO_CHORD:
                slots.append(_Slot(tonic, None, share))
            else:
                try:
                    slots.append(_Slot(tonic, parse_harte(sym), share))
                except ValueError as exc:
                    raise ValueError(f"{line.where}: {exc}") from None
        out.extend(slots)
    return out


def read_slots(text: str, *, where: str) -> tuple[SongHeader, list[_Slot]]:
    """The header and the chord slots of one salami_chords file, in order."""
    title = artist = None
    tonic: int | None = None
    bar_beats = 4.0
    slots: list[_Slot] = []
    for event in read_salami(text, song_id=where):
        if not isinstance(event, ChordLine):
            if event.name == "title":
                title = event.value
            elif event.name == "artist":
                artist = event.value
            elif event.name == "metre":
                num, den = metre_of(event.value, where=event.where)
                bar_beats = num * 4.0 / den
            elif event.name == "tonic":
                new_tonic = tonic_of(event)
                if tonic is not None and new_tonic != tonic:
                    slots.append(_Slot(tonic, None, 0.0, boundary=True))
                tonic = new_tonic
            continue
        if event.section is not None or event.breaks:
            slots.append(_Slot(tonic, None, 0.0, boundary=True))
        line_slots = _line_slots(event, tonic=tonic, bar_beats=bar_beats)
        if line_slots and tonic is None:
            raise ValueError(
                f"{event.where}: chords before any '# tonic:' line -- add the tonic header"
            )
        slots.extend(line_slots * event.repeat)
    return SongHeader(title, artist), slots


def infer_minor(slots: list[_Slot], tonic: int) -> bool:
    """The mode rule of the module docstring, for the slots sounding under ``tonic``."""
    tonic_major = tonic_minor = third_major = third_minor = 0.0
    for s in slots:
        c = s.chord
        if s.tonic != tonic or c is None or c is _CONTINUE:
            continue
        if c.third is None:
            continue
        triad = triad_of(c)
        if c.root == tonic:
            if triad in ("maj", "aug"):
                tonic_major += s.beats
            elif triad in ("min", "dim"):
                tonic_minor += s.beats
        pcs = {(c.root + i) % 12 for i in _TRIAD_INTERVALS.get(triad, (0, 7))}
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
            builder.add(s.chord.root - s.tonic, triad_of(s.chord), s.beats)
    close(True)
    return header, Piece(piece_id=song_id, passages=tuple(passages))


def read_song(path: Path) -> tuple[SongHeader, Piece]:
    """One song file; its id is its folder name (``"0003"``)."""
    return parse_salami(read_text(path), song_id=path.parent.name)
