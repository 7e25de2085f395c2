"""Which instrument plays each part of a song: a proposal's ``instruments`` words assigned to
the chords, bass and melody parts and the drum kit, the genre's or color's instruments for
the parts the words leave open, and where the accompaniment stops so the melody sits on top.

Rules (tested in tests/music/test_orchestration.py):

* Each word is read by :func:`music.instruments.identify`; a word it does not know is listed
  in ``unknown`` (and logged), never dropped silently.
* The first kit word chooses the drum kit; a generic one ("drums", "Schlagzeug") takes the
  genre's kit. A named voice (or, with lyrics, the default voice) takes the melody.
* The other instruments are shared out among chords, bass and melody so that as many named
  instruments play as possible, then each plays the part most natural to it (its roles in
  order; "lead"/"solo" put the melody first), then the earlier-listed wins. Named
  instruments no part took are ``leftovers``.
* A part nobody named takes the instrument of the proposal's first genre that the table
  knows, else of its color.
* The melody plays at or above :attr:`Orchestration.melody_floor` (inside its instrument's
  range) and the chord voicing stays at or below :attr:`Orchestration.chords_ceiling`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from music.instruments import Instrument, Kit, Role, identify, load_table, normalise, prefers

logger = logging.getLogger(__name__)

#: The melody's preferred lowest note (D4) when its instrument reaches above it.
MELODY_FLOOR: Final = 62
#: The melody keeps at least this many semitones of its range above the floor.
MELODY_SPAN: Final = 14
#: The chord voicing keeps at least this many semitones below its ceiling.
CHORDS_SPAN: Final = 12
_VOICES: Final = ("voice", "male vocal")
_PITCHED: Final[tuple[Role, ...]] = ("chords", "bass", "melody")


@dataclass(frozen=True, slots=True)
class Orchestration:
    """The instrument of each part, the proposal word that named it (None: the genre's or
    color's default), the words no part took and the words nobody knows."""

    chords: Instrument
    bass: Instrument
    melody: Instrument
    drums: Kit
    named: tuple[tuple[str, str | None], ...]  # (part, word) for chords, bass, melody, drums
    leftovers: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def drum_program(self) -> int:
        return 0 if self.drums.program is None else self.drums.program

    @property
    def chords_ceiling(self) -> int:
        """The highest pitch a chord voicing may use: just under the melody's floor, but at
        least an octave above the chord instrument's lowest note."""
        return max(self.melody_floor - 1, self.chords.low + CHORDS_SPAN)

    @property
    def melody_floor(self) -> int:
        """The melody's lowest pitch: D4 or its instrument's lowest note, whichever is higher,
        leaving at least :data:`MELODY_SPAN` semitones of its range."""
        return min(max(self.melody.low, MELODY_FLOOR), self.melody.high - MELODY_SPAN)

    def program(self, part: str) -> int:
        """The GM program of ``part`` (the kit's program for ``"drums"``)."""
        if part == "drums":
            return self.drum_program
        inst: Instrument = getattr(self, part)
        return inst.program

    def describe(self) -> dict[str, Any]:
        """What review.yml shows: each part's instrument, program and the word that chose it;
        leftovers and unknown words."""
        words = dict(self.named)
        out: dict[str, Any] = {}
        for part in ("chords", "bass", "melody", "drums"):
            name = self.drums.name if part == "drums" else getattr(self, part).name
            entry: dict[str, Any] = {"instrument": name, "program": self.program(part)}
            entry["from"] = words.get(part) or "default for the genre and color"
            out[part] = entry
        if self.leftovers:
            out["not_used"] = list(self.leftovers)
        if self.unknown:
            out["unknown"] = list(self.unknown)
        return out


def default_parts(genres: Sequence[str], color: str) -> dict[str, str]:
    """Instrument (or kit) name per part for the first genre the table knows, else the color
    (White's when the color has no entry)."""
    table = load_table()
    for genre in genres:
        text = f" {normalise(genre)} "
        for words, parts in table.genres:
            if any(f" {w} " in text for w in words):
                return parts
    return table.colors.get(color, table.colors["White"])


def _best_assignment(
    pitched: Sequence[tuple[str, Instrument, tuple[Role, ...]]], parts: Sequence[Role]
) -> dict[Role, int]:
    """Part -> index into ``pitched``: most instruments playing, then the most natural parts,
    then the earliest listed."""
    best: tuple[tuple[int, int, int], dict[Role, int]] | None = None
    options = [(None, *range(len(pitched)))] * len(parts)
    for combo in itertools.product(*options):
        chosen = [i for i in combo if i is not None]
        if len(set(chosen)) != len(chosen):
            continue
        pairs = [(p, i) for p, i in zip(parts, combo, strict=True) if i is not None]
        if any(p not in pitched[i][2] for p, i in pairs):
            continue
        rank = sum(pitched[i][2].index(p) for p, i in pairs)
        key = (len(chosen), -rank, -sum(chosen))
        if best is None or key > best[0]:
            best = (key, dict(pairs))
    return {} if best is None else best[1]


def orchestrate(
    instruments: Sequence[str], *, genres: Sequence[str], color: str, has_lyrics: bool = False
) -> Orchestration:
    """Assign ``instruments`` (a proposal's words) to the parts (module rules)."""
    table = load_table()
    unknown: list[str] = []
    kits: list[tuple[str, Kit]] = []
    pitched: list[tuple[str, Instrument, tuple[Role, ...]]] = []
    for word in instruments:
        entry = identify(word)
        if entry is None:
            unknown.append(word)
        elif isinstance(entry, Kit):
            kits.append((word, entry))
        else:
            pitched.append((word, entry, prefers(word, entry)))
    if unknown:
        logger.warning("instruments not known, not played: %s", ", ".join(unknown))
    defaults = default_parts(genres, color)
    chosen: dict[str, tuple[str | None, Instrument]] = {}
    voice = next((i for i, (_, inst, _r) in enumerate(pitched) if inst.name in _VOICES), None)
    if voice is not None:
        chosen["melody"] = (pitched[voice][0], pitched[voice][1])
    elif has_lyrics:
        chosen["melody"] = (None, table.instrument("voice"))
    rest = [p for i, p in enumerate(pitched) if i != voice]
    open_parts = [p for p in _PITCHED if p not in chosen]
    for part, i in _best_assignment(rest, open_parts).items():
        chosen[part] = (rest[i][0], rest[i][1])
    for part in _PITCHED:
        chosen.setdefault(part, (None, table.instrument(defaults[part])))
    used = {word for word, _ in chosen.values() if word is not None}
    kit_word, kit = kits[0] if kits else (None, table.kit(defaults["drums"]))
    if kit.program is None:
        kit = table.kit(defaults["drums"])
    leftovers = [w for w, *_ in pitched if w not in used] + [w for w, _ in kits[1:]]
    return Orchestration(
        chords=chosen["chords"][1],
        bass=chosen["bass"][1],
        melody=chosen["melody"][1],
        drums=kit,
        named=(*((p, chosen[p][0]) for p in _PITCHED), ("drums", kit_word)),
        leftovers=tuple(leftovers),
        unknown=tuple(unknown),
    )
