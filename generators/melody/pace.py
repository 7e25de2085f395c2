"""How busy a melody's rhythm is, from the song's tempo and mood: the range the phrase
rhythm's density is drawn from (see :func:`generators.melody.phrase.phrase_rhythm`; 1.0 is
about one note a felt beat). A tender or sleepy mood sings fewer, longer notes, a driving one
more; a fast tempo fewer notes a beat, a slow one a few more, so the notes a second stay
singable. A pure function of its arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

#: The density range when nothing in the mood or genre points either way.
DEFAULT_DENSITY: Final = (0.7, 1.6)

#: Mood and genre words for a slower melody: fewer, longer notes.
CALM_WORDS: Final = (
    "tender",
    "sleepy",
    "sleepiness",
    "lullaby",
    "gentle",
    "calm",
    "relaxed",
    "relaxation",
    "peaceful",
    "serene",
    "meditative",
    "patient",
    "soft",
    "wistful",
    "melancholic",
    "sad",
    "dreamy",
    "ambient",
    "hymn",
    "intimate",
    "depressed",
    "nostalgic",
)
#: Mood and genre words for a busier melody.
BUSY_WORDS: Final = (
    "driving", "energetic", "excited", "excitement", "intense", "urgent", "playful", "upbeat",
    "frantic", "angry", "aggressive", "bouncy", "catchy", "joyful", "punk", "funk", "bebop",
    "dance", "aroused",
)  # fmt: skip

_CALM: Final = (0.35, 0.8)
_BUSY: Final = (1.3, 2.5)
_REFERENCE_BPM: Final = 100.0


def _count(text: str, words: Sequence[str]) -> int:
    return sum(w in text for w in words)


def melody_density(
    bpm: float, mood: Sequence[str], genres: Sequence[str] = ()
) -> tuple[float, float]:
    """The ``(low, high)`` density range for a melody at ``bpm`` in this mood and genre: the
    calm or busy range when more of the words point that way (the default otherwise), scaled by
    the square root of 100 / bpm within 0.8..1.15."""
    if bpm <= 0:
        raise ValueError(f"bpm: {bpm!r} -- a positive tempo")
    text = " ".join([*mood, *genres]).lower()
    calm, busy = _count(text, CALM_WORDS), _count(text, BUSY_WORDS)
    low, high = _CALM if calm > busy else _BUSY if busy > calm else DEFAULT_DENSITY
    scale = min(1.15, max(0.8, (_REFERENCE_BPM / bpm) ** 0.5))
    return (round(low * scale, 4), round(high * scale, 4))
