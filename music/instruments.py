"""Instrument words to General MIDI: the shipped table ``music/instruments.json`` (instruments
with their programs, parts, ranges and chord idiom; drum kits; the instruments each genre and
color uses by default) and :func:`identify`, which reads one word of a proposal's
``instruments`` ("Kontrabass", "nylon guitar", "brushed drum kit", "piano droit")."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

Role = Literal["chords", "bass", "melody"]
Voicing = Literal["piano", "guitar", "pad", "close"]
ROLES: Final[tuple[Role, ...]] = ("chords", "bass", "melody")
VOICINGS: Final[tuple[Voicing, ...]] = ("piano", "guitar", "pad", "close")
TABLE: Final = Path(__file__).with_name("instruments.json")


@dataclass(frozen=True, slots=True)
class Instrument:
    """A pitched instrument: its name, GM program (0-based), the parts it can play (most
    natural first), its comfortable sounding range (MIDI pitches) and how it voices chords."""

    name: str
    program: int
    roles: tuple[Role, ...]
    low: int
    high: int
    voicing: Voicing

    def __post_init__(self) -> None:
        if not 0 <= self.program <= 127:
            raise ValueError(f"Instrument {self.name!r}.program: {self.program!r} -- 0..127")
        if not (self.low >= 0 and self.high <= 127 and self.high - self.low >= 12):
            raise ValueError(
                f"Instrument {self.name!r}.range: [{self.low}, {self.high}] -- MIDI pitches "
                "at least an octave apart"
            )
        if not self.roles or any(r not in ROLES for r in self.roles):
            raise ValueError(f"Instrument {self.name!r}.roles: {self.roles!r} -- some of {ROLES}")
        if self.voicing not in VOICINGS:
            raise ValueError(f"Instrument {self.name!r}.voicing: {self.voicing!r} -- {VOICINGS}")


@dataclass(frozen=True, slots=True)
class Kit:
    """A GM drum kit: its name and program on channel 10 (None: the genre's kit)."""

    name: str
    program: int | None


@dataclass(frozen=True, slots=True)
class Table:
    instruments: dict[str, Instrument]
    kits: dict[str, Kit]
    words: tuple[tuple[str, Instrument | Kit], ...]  # (normalised word, entry), table order
    generic_drums: tuple[str, ...]
    genres: tuple[tuple[tuple[str, ...], dict[str, str]], ...]
    colors: dict[str, dict[str, str]]

    def instrument(self, name: str) -> Instrument:
        return self.instruments[name]

    def kit(self, name: str) -> Kit:
        return self.kits[name]


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: ``"Flûte à bec"`` ->
    ``"flute a bec"``, ``"TR-808"`` -> ``"tr 808"``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def _table_error(field: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"{TABLE}: {field}: {value!r} -- {allowed}")


def _parts(
    where: str, parts: dict[str, str], instruments: dict[str, Instrument], kits: dict[str, Kit]
) -> dict[str, str]:
    if set(parts) != {*ROLES, "drums"}:
        raise _table_error(where, parts, "an instrument for chords, bass and melody and a kit")
    for role, name in parts.items():
        known: dict[str, Any] = kits if role == "drums" else instruments
        if name not in known:
            raise _table_error(f"{where}.{role}", name, f"one of {', '.join(known)}")
    return parts


@cache
def load_table(path: Path = TABLE) -> Table:
    """The instrument table (read once; a malformed entry raises ValueError naming it)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    instruments: dict[str, Instrument] = {}
    words: list[tuple[str, Instrument | Kit]] = []
    for i, e in enumerate(data["instruments"]):
        low, high = e["range"]
        inst = Instrument(e["name"], e["program"], tuple(e["roles"]), low, high, e["voicing"])
        if inst.name in instruments:
            raise _table_error(f"instruments[{i}].name", inst.name, "a name used once")
        instruments[inst.name] = inst
        words += [(normalise(w), inst) for w in e["words"]]
    kits: dict[str, Kit] = {}
    generic: list[str] = []
    for e in data["kits"]:
        kit = Kit(e["name"], e["program"])
        if kit.program is not None and not 0 <= kit.program <= 127:
            raise _table_error(f"kits.{kit.name}.program", kit.program, "0..127 or null")
        kits[kit.name] = kit
        if kit.program is None:
            generic += [normalise(w) for w in e["words"]]
        else:
            words += [(normalise(w), kit) for w in e["words"]]
    genres = tuple(
        (
            tuple(normalise(w) for w in g["words"]),
            _parts(f"genres[{i}].parts", g["parts"], instruments, kits),
        )
        for i, g in enumerate(data["genres"])
    )
    colors = {c: _parts(f"colors.{c}", p, instruments, kits) for c, p in data["colors"].items()}
    return Table(instruments, kits, tuple(words), tuple(generic), genres, colors)


def _contains(text: str, word: str) -> bool:
    return f" {word} " in f" {text} "


def identify(word: str) -> Instrument | Kit | None:
    """The instrument or kit ``word`` names: the entry with the longest matching table word
    (whole words; ties go to the earlier entry), a generic drum word (``"drums"``, ``"kit"``,
    ``"Schlagzeug"``) only when nothing more specific matched; None for an unknown word."""
    table = load_table()
    text = normalise(word)
    best: tuple[int, Instrument | Kit] | None = None
    for w, entry in table.words:
        if _contains(text, w) and (best is None or len(w) > best[0]):
            best = (len(w), entry)
    if best is not None:
        return best[1]
    if any(_contains(text, w) for w in table.generic_drums):
        return table.kits["drums"]
    return None


def prefers(word: str, inst: Instrument) -> tuple[Role, ...]:
    """``inst``'s roles as ``word`` asks for them: "lead"/"solo" put the melody first,
    "rhythm"/"comping" the chords (when the instrument can play that part)."""
    text = normalise(word)
    first: Role | None = None
    if any(_contains(text, w) for w in ("lead", "solo", "melody")):
        first = "melody"
    elif any(_contains(text, w) for w in ("rhythm", "comping", "chords")):
        first = "chords"
    if first is None or first not in inst.roles:
        return inst.roles
    return (first, *(r for r in inst.roles if r != first))
