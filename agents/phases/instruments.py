"""Which instrument plays each part of the song (see :mod:`music.orchestration`), and what
that means for each phase: the chords' program and register, the bass's register, the
melody's range and program, the drum kit."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from agents.proposal import Proposal
from generators.chords.comping import Comping, comp_style
from generators.chords.voicing import ChordRegister, register_for
from generators.melody.lyrics import lyric_lines
from generators.melody.ranges import VoiceRange
from music.notes import Part
from music.orchestration import Orchestration, orchestrate

#: The bass part spans at most this many semitones up from its instrument's lowest note.
BASS_SPAN = 27


def orchestration_of(proposal: Proposal) -> Orchestration:
    """The proposal's instruments assigned to the parts (genre and color fill the rest); the
    same words give the same (shared) answer, so an unknown word is warned about once."""
    return _orchestrate(
        tuple(proposal.instruments),
        tuple(proposal.genres),
        proposal.color,
        bool(lyric_lines(proposal.lyrics)),
    )


@lru_cache(maxsize=64)
def _orchestrate(
    instruments: tuple[str, ...], genres: tuple[str, ...], color: str, has_lyrics: bool
) -> Orchestration:
    return orchestrate(instruments, genres=genres, color=color, has_lyrics=has_lyrics)


def chord_register(orch: Orchestration) -> ChordRegister:
    """Where the chord instrument voices its chords: under the melody's floor."""
    return register_for(orch.chords, ceiling=orch.chords_ceiling)


def comping_of(proposal: Proposal, orch: Orchestration) -> Comping:
    """The rhythm the chord instrument plays in: chosen by the proposal's genres, held when
    the instrument sustains (a pad)."""
    sustain = chord_register(orch).sustain
    return Comping(comp_style(proposal.genres, sustain=sustain), proposal.meter)


def bass_register(orch: Orchestration) -> tuple[int, int]:
    """The bass part's (low, high) MIDI pitches: its instrument's lowest note and at most
    :data:`BASS_SPAN` above, under the melody's floor."""
    low = orch.bass.low
    high = max(low + 12, min(orch.bass.high, low + BASS_SPAN, orch.melody_floor - 1))
    return (low, high)


def melody_voice(orch: Orchestration) -> VoiceRange:
    """The melody's carrier: its instrument's program, its range from the melody's floor up."""
    inst = orch.melody
    return VoiceRange(inst.name, orch.melody_floor, inst.high, inst.program)


def with_program(part: Part, program: int) -> Part:
    """``part`` played on GM ``program`` (a drum part: that kit)."""
    return replace(part, program=program)
