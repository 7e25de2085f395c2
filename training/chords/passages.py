"""Corpus-neutral chord passages: what both corpus readers produce and the counter consumes.

A *passage* is a run of chords in one key and mode with no break in the music: consecutive
identical tokens are merged into one chord (a transition needs a change) and their lengths add
up. Some positions are marked as cadences: the pair (chord before, chord at) ends a phrase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.chord_model import MODES, chord_token


def classify_triad(third: int | None, fifth: int | None, *, suspended: bool = False) -> str:
    """The triad family of a chord from its third and fifth above the root, in semitones.

    ``third`` 3 or 4 (``None``: no third), ``fifth`` 6, 7 or 8 (``None``: no fifth). A chord
    without a third is ``sus`` when it has a suspended 2nd/4th, else ``maj`` (power chords and
    bare roots count as major, as the token vocabulary specifies).
    """
    if third not in (None, 3, 4):
        raise ValueError(f"third: {third!r} -- 3 (minor), 4 (major) or None")
    if fifth not in (None, 6, 7, 8):
        raise ValueError(f"fifth: {fifth!r} -- 6 (diminished), 7 (perfect), 8 (augmented) or None")
    if third == 3:
        return "dim" if fifth == 6 else "min"
    if third == 4:
        return "aug" if fifth == 8 else "maj"
    return "sus" if suspended else "maj"


def mode_family(mode: str) -> str:
    """``"major"`` or ``"minor"``: the family of a mode by its third (dorian -> minor)."""
    m = mode.strip().lower()
    if m in ("major", "ionian", "lydian", "mixolydian"):
        return "major"
    if m in ("minor", "aeolian", "dorian", "phrygian", "locrian"):
        return "minor"
    raise ValueError(f"mode: {mode!r} -- major, minor or a church mode")


def duration_key(beats: float) -> str:
    """The ``duration_beats`` histogram key: quarter notes rounded to 3 decimals ("1.0")."""
    return str(float(round(beats, 3)))


@dataclass(frozen=True, slots=True)
class ChordEvent:
    """One merged chord: its model token and how long it lasts, in quarter notes."""

    token: str
    beats: float

    def __post_init__(self) -> None:
        if self.beats <= 0:
            raise ValueError(f"ChordEvent.beats: {self.beats!r} -- a positive quarter-note length")


@dataclass(frozen=True, slots=True)
class Passage:
    """Merged chords in one mode; ``cadences`` holds indices ``i >= 1`` whose pair
    ``(chords[i-1], chords[i])`` ends a phrase."""

    mode: str
    chords: tuple[ChordEvent, ...]
    cadences: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Passage.mode: {self.mode!r} -- one of {MODES}")
        if not self.chords:
            raise ValueError("Passage.chords: () -- a passage holds at least one chord")
        for a, b in zip(self.chords, self.chords[1:], strict=False):
            if a.token == b.token:
                raise ValueError(f"Passage.chords: repeated {a.token!r} -- repeats must be merged")
        bad = [i for i in self.cadences if not 1 <= i < len(self.chords)]
        if bad:
            raise ValueError(
                f"Passage.cadences: {sorted(bad)!r} -- indices 1..{len(self.chords) - 1}"
            )

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(c.token for c in self.chords)


@dataclass(frozen=True, slots=True)
class Piece:
    """One chorale or song: its id (folder name) and its passages in order."""

    piece_id: str
    passages: tuple[Passage, ...]

    @property
    def n_chords(self) -> int:
        return sum(len(p.chords) for p in self.passages)


@dataclass(slots=True)
class PassageBuilder:
    """Collects chords of one passage, merging repeats; ``close()`` hands back the passage."""

    mode: str
    _tokens: list[str] = field(default_factory=list)
    _beats: list[float] = field(default_factory=list)
    _cadences: set[int] = field(default_factory=set)

    def add(self, offset: int, triad: str, beats: float) -> None:
        """Append a chord ``offset`` semitones above the tonic; a repeat lengthens the last."""
        if beats <= 0:
            raise ValueError(f"beats: {beats!r} -- a positive quarter-note length")
        token = chord_token(offset % 12, triad)
        if self._tokens and self._tokens[-1] == token:
            self._beats[-1] += beats
        else:
            self._tokens.append(token)
            self._beats.append(beats)

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def last_token(self) -> str | None:
        return self._tokens[-1] if self._tokens else None

    def mark_cadence(self) -> None:
        """The last two chords so far end a phrase (ignored with fewer than two chords)."""
        if len(self._tokens) >= 2:
            self._cadences.add(len(self._tokens) - 1)

    def close(self, *, cadence: bool) -> Passage | None:
        """The finished passage (``cadence``: its last pair ends a phrase), or None if empty."""
        if cadence:
            self.mark_cadence()
        if not self._tokens:
            return None
        events = tuple(ChordEvent(t, b) for t, b in zip(self._tokens, self._beats, strict=True))
        return Passage(mode=self.mode, chords=events, cadences=frozenset(self._cadences))
