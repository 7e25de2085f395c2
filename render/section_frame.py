"""One section's notes as the assembly varies them: where the section's bars and phrases lie,
how two playings of it compare (:func:`note_overlap`), and the small pitch helpers variation
uses. Times are section-local quarter notes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from music.keys import Key
from music.notes import Note

#: Onsets closer than this (quarter notes) are the same onset.
ONSET_TOL: Final = 1e-3

Edit = Callable[[list[Note]], list[Note]]


@dataclass(frozen=True, slots=True)
class SectionFrame:
    """Where a section's notes sit: its length, bar and phrase (quarter notes) and the key."""

    length_qn: float
    bar_qn: float
    phrase_qn: float
    key: Key

    @property
    def bars(self) -> int:
        return max(1, round(self.length_qn / self.bar_qn))

    def phrase_ends(self) -> list[float]:
        """Starts of the phrase-end bars, the section's last bar first, then earlier phrases'."""
        phrases = max(1, round(self.length_qn / self.phrase_qn))
        ends = [min(self.length_qn, (p + 1) * self.phrase_qn) - self.bar_qn for p in range(phrases)]
        return sorted({round(e, 6) for e in ends if e >= 0}, reverse=True)


def onset_key(q: float) -> int:
    return round(q / ONSET_TOL)


def note_overlap(a: Sequence[Note], b: Sequence[Note]) -> float:
    """The share of notes matching in onset and pitch: matched pairs (one to one) over the
    larger count; 1.0 when both are empty."""
    if not a and not b:
        return 1.0
    ca = Counter((onset_key(n.start), n.pitch) for n in a)
    cb = Counter((onset_key(n.start), n.pitch) for n in b)
    return sum((ca & cb).values()) / max(len(a), len(b))


def in_span(n: Note, start: float, end: float) -> bool:
    return start - ONSET_TOL <= n.start < end - ONSET_TOL


def scale_step(key: Key, pitch: int, step: int) -> int:
    """The scale tone ``step`` scale steps from ``pitch`` (+1 up, -1 down); a pitch outside the
    scale moves to the nearest scale tone that way first."""
    p = pitch
    for _ in range(abs(step)):
        p += 1 if step > 0 else -1
        while not key.contains(p):
            p += 1 if step > 0 else -1
    return p


def clamp_pitch(p: int) -> int:
    return max(0, min(127, p))
