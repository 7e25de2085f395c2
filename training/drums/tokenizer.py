"""Groove MIDI performances to drum-transformer tokens and back.

The Groove MIDI Dataset was played on a Roland TD-11 kit; its notes are reduced to nine classes
with the mapping of Gillick et al. (2019, "Learning to Groove with Inverse Sequence
Transformations", table 2): kick 36; snare 38, 40 (rim), 37 (cross-stick); closed hi-hat 42,
22 (edge), 44 (pedal); open hi-hat 46, 26 (edge); floor tom 43, 58 (rim); low-mid tom 45, 47;
high tom 48, 50; crash 49, 55, 57, 52; ride 51, 59, 53 (bell). Onsets go to the nearest 16th
(120 ticks at 480 per quarter) with the remainder kept as micro-timing; two hits of one class
on one 16th keep the louder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import mido

from generators.drums.tokens import (
    CLASS_PITCH,
    EOS,
    BarHits,
    TokenHit,
    decode_bars,
    encode_bar,
    header,
    steps_per_bar,
)
from music.midi_io import open_midi

#: Roland TD-11 note -> drum class index (see :data:`generators.drums.tokens.DRUM_CLASSES`).
TD11_TO_CLASS: Final[dict[int, int]] = {
    36: 0,
    38: 1,
    40: 1,
    37: 1,
    42: 2,
    22: 2,
    44: 2,
    46: 3,
    26: 3,
    43: 4,
    58: 4,
    45: 5,
    47: 5,
    48: 6,
    50: 6,
    49: 7,
    55: 7,
    57: 7,
    52: 7,
    51: 8,
    59: 8,
    53: 8,
}


@dataclass(frozen=True, slots=True)
class Performance:
    """One drum performance on the 16th grid: its meter, tempo and bars of hits, plus the
    count of note-ons the class map does not cover."""

    numerator: int
    denominator: int
    bpm: float
    bars: tuple[BarHits, ...]
    unmapped: int = 0

    @property
    def steps_per_bar(self) -> int:
        return steps_per_bar(self.numerator, self.denominator)


def read_performance(path: Path) -> Performance:
    """Read a Groove MIDI file (or any drum MIDI in TD-11 or GM notes) into bars of hits.
    Raises MidiFileError for a missing or unparsable file."""
    mid = open_midi(path)
    tpq = mid.ticks_per_beat
    num, den, tempo = 4, 4, 500000
    onsets: list[tuple[int, int, int]] = []
    unmapped = 0
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature" and tick == 0:
                num, den = msg.numerator, msg.denominator
            elif msg.type == "set_tempo" and tick == 0:
                tempo = msg.tempo
            elif msg.type == "note_on" and msg.velocity > 0:
                cls = TD11_TO_CLASS.get(msg.note)
                if cls is None:
                    unmapped += 1
                else:
                    onsets.append((tick, cls, msg.velocity))
    return Performance(
        numerator=num,
        denominator=den,
        bpm=round(float(mido.tempo2bpm(tempo)), 3),
        bars=onsets_to_bars(onsets, tpq, num, den),
        unmapped=unmapped,
    )


def onsets_to_bars(
    onsets: list[tuple[int, int, int]], tpq: int, numerator: int, denominator: int
) -> tuple[BarHits, ...]:
    """``(tick, class, velocity)`` onsets -> bars of ``(step in bar, TokenHit)`` on 16ths.
    The number of bars runs to the bar holding the last onset."""
    ticks_per_step = tpq / 4
    spb = steps_per_bar(numerator, denominator)
    best: dict[tuple[int, int], tuple[int, float]] = {}
    for tick, cls, vel in onsets:
        exact = tick / ticks_per_step
        step = math.floor(exact + 0.5)
        off = max(-0.5, min(0.5, exact - step))
        key = (step, cls)
        if key not in best or vel > best[key][0]:
            best[key] = (vel, off)
    if not best:
        return ()
    n_bars = max(s for s, _ in best) // spb + 1
    bars: list[list[tuple[int, TokenHit]]] = [[] for _ in range(n_bars)]
    for (step, cls), (vel, off) in sorted(best.items()):
        bars[step // spb].append((step % spb, TokenHit(cls=cls, velocity=vel, offset=off)))
    return tuple(tuple(b) for b in bars)


def performance_tokens(perf: Performance, style: str, kind: str) -> list[list[int]]:
    """The header (as the first list) and one token list per bar; the last bar list ends with
    ``EOS``."""
    out = [header(style, perf.numerator, perf.denominator, kind)]
    out += [encode_bar(b) for b in perf.bars]
    if len(out) > 1:
        out[-1] = [*out[-1], EOS]
    return out


def tokens_to_midi(
    tokens: list[int], path: Path, *, numerator: int = 4, denominator: int = 4, bpm: float = 120.0
) -> Path:
    """Write a token sequence as a GM drum MIDI file (channel 10, 480 ticks per quarter, the
    classes' GM notes, 16th steps plus decoded micro-timing)."""
    tpq = 480
    spb = steps_per_bar(numerator, denominator)
    events: list[tuple[int, int, int]] = []
    for b, bar in enumerate(decode_bars(tokens)):
        for step, h in bar:
            tick = max(0, round((b * spb + step + h.offset) * tpq / 4))
            events.append((tick, CLASS_PITCH[h.cls], h.velocity))
    mid = mido.MidiFile(type=0, ticks_per_beat=tpq)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    track.append(
        mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0)
    )
    timeline: list[tuple[int, int, mido.Message]] = []
    for tick, pitch, vel in events:
        timeline.append((tick, 1, mido.Message("note_on", note=pitch, velocity=vel, channel=9)))
        timeline.append((tick + 60, 0, mido.Message("note_off", note=pitch, velocity=0, channel=9)))
    timeline.sort(key=lambda e: (e[0], e[1], e[2].note))
    now = 0
    for tick, _, msg in timeline:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.tracks.append(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    mid.save(path)
    return path


def groove_style(style: str) -> str:
    """A Groove ``info.csv`` style (``funk/purdieshuffle``) -> a transformer style token name
    (``shuffle``): half-time and shuffle/swing sub-styles first, then the main style's family."""
    s = style.lower()
    main = s.split("/")[0]
    if "halftime" in s:
        return "halftime"
    if "shuffle" in s or "swing" in s:
        return "shuffle"
    if main == "hiphop" or "breakbeat" in s:
        return "breakbeat"
    if main in ("rock", "punk", "pop", "country"):
        return "rock"
    if main in ("funk", "soul", "gospel", "dance") or s == "neworleans/funk":
        return "funk"
    if main == "jazz":
        return "jazz"
    if main in (
        "latin",
        "afrocuban",
        "afrobeat",
        "reggae",
        "neworleans",
        "middleeastern",
        "highlife",
        "blues",
    ):
        return "latin" if main != "blues" else "shuffle"
    return "any"
