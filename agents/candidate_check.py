"""Checks on a candidate's MIDI file before it is approved or promoted.

A person may swap or edit ``<phase>/candidates/<id>.mid`` before approving it. What is promoted
must still fit the song: a readable file in the proposal's meter and tempo, no note starting
after the end of the section it was made for (none ringing more than a bar past it), and a
playable number of notes. Anything else is one
MidiFileError naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from agents.rundir import RunDir
from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import Song, read_midi

#: Most notes a candidate may hold per bar, all tracks together (a busy 16th-note drum bar with
#: every voice is under 64; 256 leaves room for rolls and dense chords).
MAX_NOTES_PER_BAR: Final = 256
#: How late (quarter notes) a note may start after the section's end: a drummer's micro-timing
#: pushes the last hits a little late.
LATE_START_QN: Final = 1 / 8
#: How long (bars) a note started in the section may ring past its end (a last hit's tail).
RING_BARS: Final = 1
#: The file's tempo may differ from the proposal's by this much (bpm; a file stores whole us).
BPM_TOLERANCE: Final = 0.01


def candidate_bars(form: Mapping[str, Any], info: Mapping[str, Any], candidate_id: str) -> int:
    """Bars of the section a candidate was made for: its section's longest occurrence in the
    song's form (sectioned phases), else the chord phrase (chords). ``form``: the run's saved
    form (``plan.json``)."""
    for section, ids in (info.get("sections") or {}).items():
        if candidate_id in ids:
            bars = [int(s["bars"]) for s in form["sections"] if s["name"] == section]
            return max(bars) if bars else int(form["phrase_bars"])
    return int(form["phrase_bars"])


def check_meter(path: Path, song: Song, meter: Meter) -> Song:
    """``song`` (read from ``path``) if it is in ``meter``; else MidiFileError."""
    if (song.meter.numerator, song.meter.denominator) != (meter.numerator, meter.denominator):
        raise MidiFileError(
            file=path,
            field="time_signature",
            value=str(song.meter),
            allowed=f"the song's meter {meter} (a time signature event at the start)",
        )
    return song


def check_candidate_midi(path: Path, *, meter: Meter, bpm: float, bars: int) -> Song:
    """Read ``path`` and check it fits a section of ``bars`` bars of ``meter`` at ``bpm``.
    Returns the song; raises MidiFileError naming the file and what is wrong."""
    song = check_meter(path, read_midi(path), meter)
    if abs(song.bpm - bpm) > BPM_TOLERANCE:
        raise MidiFileError(
            file=path, field="tempo", value=f"{song.bpm:g} bpm", allowed=f"the song's {bpm:g} bpm"
        )
    length = bars * meter.bar_qn
    last_start = max(n.start for p in song.parts for n in p.notes)
    if last_start >= length + LATE_START_QN or song.end > length + RING_BARS * meter.bar_qn:
        raise MidiFileError(
            file=path,
            field="length",
            value=f"{song.end / meter.bar_qn:g} bars ({song.end:g} quarter notes)",
            allowed=f"the section's {bars} bars of {meter} ({length:g} quarter notes): no note "
            f"starting after its end, none ringing more than {RING_BARS} bar past it",
        )
    notes = sum(len(p.notes) for p in song.parts)
    if notes > MAX_NOTES_PER_BAR * bars:
        raise MidiFileError(
            file=path,
            field="notes",
            value=notes,
            allowed=f"at most {MAX_NOTES_PER_BAR} notes per bar ({MAX_NOTES_PER_BAR * bars} "
            f"in {bars} bars)",
        )
    return song


def check_approved_candidates(
    run: RunDir,
    phase: str,
    approvals: Mapping[str, str],
    *,
    form: Mapping[str, Any],
    info: Mapping[str, Any],
    meter: Meter,
    bpm: float,
) -> None:
    """Each approved candidate's MIDI file (``approvals``: label -> id) still fits its
    section; raises MidiFileError naming the first file that does not."""
    for cid in approvals.values():
        check_candidate_midi(
            run.candidate_midi(phase, cid),
            meter=meter,
            bpm=bpm,
            bars=candidate_bars(form, info, cid),
        )
