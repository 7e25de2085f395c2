"""Melodic ranges: the voice or instrument that carries the melody, read from a proposal's
``instruments`` words, with a comfortable range and a General MIDI program."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class VoiceRange:
    """A melody carrier: name, comfortable lowest and highest MIDI pitch, GM program."""

    name: str
    low: int
    high: int
    program: int

    def __post_init__(self) -> None:
        if not (self.low >= 0 and self.high <= 127 and self.high - self.low >= 12):
            raise ValueError(
                f"VoiceRange {self.name!r}: low {self.low!r}, high {self.high!r} -- MIDI "
                "pitches at least an octave apart"
            )
        if not 0 <= self.program <= 127:
            raise ValueError(f"VoiceRange.program: {self.program!r} -- a GM program 0..127")


#: Ranges by carrier, with the words that name it; tiers are searched in order, so a singer
#: wins over a lead synth, which wins over a solo instrument, then mallets, keys and guitars.
VOICES: Final[dict[str, VoiceRange]] = {
    "voice": VoiceRange("voice", 57, 76, 53),  # A3..E5, GM voice oohs
    "male vocal": VoiceRange("male vocal", 48, 67, 53),  # C3..G4
    "synth lead": VoiceRange("synth lead", 55, 84, 80),
    "flute": VoiceRange("flute", 60, 88, 73),  # C4..E6
    "trumpet": VoiceRange("trumpet", 55, 79, 56),  # G3..G5
    "violin": VoiceRange("violin", 55, 88, 40),  # G3..E6
    "clarinet": VoiceRange("clarinet", 50, 82, 71),
    "saxophone": VoiceRange("saxophone", 49, 80, 65),
    "oboe": VoiceRange("oboe", 58, 86, 68),
    "cello": VoiceRange("cello", 48, 72, 42),
    "trombone": VoiceRange("trombone", 40, 72, 57),
    "horn": VoiceRange("horn", 53, 77, 60),
    "accordion": VoiceRange("accordion", 53, 81, 21),
    "whistle": VoiceRange("whistle", 72, 93, 78),
    "marimba": VoiceRange("marimba", 55, 84, 12),
    "vibraphone": VoiceRange("vibraphone", 53, 89, 11),
    "glockenspiel": VoiceRange("glockenspiel", 67, 91, 9),
    "piano": VoiceRange("piano", 55, 84, 0),
    "organ": VoiceRange("organ", 55, 84, 19),
    "guitar": VoiceRange("guitar", 52, 76, 27),
}

DEFAULT_VOICE: Final = VOICES["voice"]

_TIERS: Final[tuple[tuple[tuple[str, str], ...], ...]] = (
    (
        ("male vocal", r"\b(male|man's|men's)\s+(vocals?|voice|singer)|\btenor\b|\bbaritone\b"),
        ("voice", r"\bvocals?\b|\bvoice\b|\bsinger\b|\bsoprano\b|\balto\b|\bvocalist\b"),
    ),
    (("synth lead", r"\blead\b|\bmelody\b|\bsolo\b"),),
    (
        ("flute", r"\bflute|\bpiccolo\b|\brecorder\b"),
        ("trumpet", r"\btrumpet|\bcornet\b|\bflugelhorn\b"),
        ("violin", r"\bviolin|\bfiddle\b|\bviola\b"),
        ("clarinet", r"\bclarinet"),
        ("saxophone", r"\bsax"),
        ("oboe", r"\boboe\b"),
        ("cello", r"\bcello\b"),
        ("trombone", r"\btrombone|\blow brass\b|\bbrass\b"),
        ("horn", r"\bhorn\b"),
        ("accordion", r"\baccordion\b|\bharmonica\b|\bconcertina\b"),
        ("whistle", r"\bwhistle\b"),
    ),
    (
        ("marimba", r"\bmarimba\b|\bxylophone\b|\bkalimba\b"),
        ("vibraphone", r"\bvibraphone\b|\bvibes\b"),
        ("glockenspiel", r"\bglockenspiel\b|\bcelesta\b|\bmusic box\b|\bbells\b"),
    ),
    (
        ("synth lead", r"\bsynth\b|\bsynthesizer\b"),
        ("piano", r"\bpiano\b|\bkeys\b"),
        ("organ", r"\borgan\b"),
        ("guitar", r"\bguitar\b|\bmandolin\b|\bbanjo\b|\bukulele\b|\bpedal steel\b"),
    ),
)
# Instruments that never carry the melody.
_NOT_MELODIC: Final = re.compile(r"\bbass\b|\bdrums?\b|\bkick\b|\bpad\b|\bcymbal|\bpercussion\b")


def voice_for(instruments: Sequence[str], *, has_lyrics: bool = False) -> VoiceRange:
    """The melody carrier for a proposal: a named voice first (``"male vocal"`` -> C3..G4, any
    other voice -> A3..E5); with lyrics and no named voice, the default voice; else the first
    lead, solo wind/brass/string, mallet, keys or guitar instrument, in that order of tiers;
    the default voice when nothing matches."""
    words = [w.lower() for w in instruments]
    candidates = [w for w in words if not _NOT_MELODIC.search(w)]
    for name, pattern in _TIERS[0]:
        if any(re.search(pattern, w) for w in words):
            return VOICES[name]
    if has_lyrics:
        return DEFAULT_VOICE
    for tier in _TIERS[1:]:
        for w in candidates:
            for name, pattern in tier:
                if re.search(pattern, w):
                    return VOICES[name]
    return DEFAULT_VOICE
