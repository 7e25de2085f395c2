"""MIDI files: write parts (tempo, time signature, key signature, section markers, track names,
GM programs, lyrics) and read them back.

A part's lyric events (``music.notes.lyric_events``) are ``lyrics`` meta events on its track,
each just before the note-on it is sung on; reading collects a track's ``lyrics`` events back
into its part's meta.

The conductor track (the first) holds the tempo, the meter, the song's key as a
``key_signature`` event (other modes as their relative major's signature, see
:func:`music.keys.key_signature_name`) and one ``marker`` per section start. With
``instrument_names`` each part's track is named ``"<part> - <GM instrument>"`` (``"bass -
electric bass (finger)"``, ``"drums - drum kit"``) and carries an ``instrument_name`` event,
as a DAW shows them; reading strips that suffix again, so the part keeps its name.

Files are type 1 at 480 ticks per quarter note. Writes go to a temp file and are renamed, so a
crash never leaves a half-written MIDI file.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import mido

from music.errors import MidiFileError
from music.files import atomic_path
from music.gm import instrument_name
from music.keys import Key, key_from_signature, key_signature_name
from music.meter import Meter
from music.notes import DRUM_CHANNEL, Note, Part, lyric_events, with_lyric_events

TICKS_PER_QN = 480


@dataclass(frozen=True, slots=True)
class Song:
    """Parts plus the tempo (quarter notes per minute) and meter they are played in; the key
    (None: not stated) and named markers ``(start_qn, text)`` such as section starts."""

    parts: tuple[Part, ...]
    bpm: float
    meter: Meter
    key: Key | None = None
    markers: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.bpm) and self.bpm > 0):
            raise ValueError(f"Song.bpm: {self.bpm!r} -- a positive, finite tempo (qn per minute)")
        for qn, text in self.markers:
            if not (math.isfinite(qn) and qn >= 0) or not str(text).strip():
                raise ValueError(
                    f"Song.markers: {(qn, text)!r} -- (start >= 0 in quarter notes, a name)"
                )
        object.__setattr__(self, "markers", tuple(sorted(self.markers)))

    @property
    def end(self) -> float:
        """Last note-off of any part, in quarter notes."""
        return max((p.end for p in self.parts), default=0.0)


def _ticks(qn: float) -> int:
    return round(qn * TICKS_PER_QN)


def _tempo_to_bpm(tempo: int) -> float:
    """Microseconds per quarter note -> bpm. A file stores whole microseconds, so 84 bpm comes
    back as 83.99997...; the bpm rounded to 0.01 is returned when it encodes to the very same
    tempo, so a written bpm reads back exactly and no file tempo is changed."""
    exact = float(mido.tempo2bpm(tempo))
    rounded = round(exact, 2)
    return rounded if mido.bpm2tempo(rounded) == tempo else exact


def track_title(part: Part) -> str:
    """A track name that says part and instrument: ``"chords - electric piano 1"``."""
    return f"{part.name}{_TITLE_SEP}{instrument_name(part.program, is_drum=part.is_drum)}"


_TITLE_SEP = " - "


def song_to_midi(song: Song, *, instrument_names: bool = False) -> mido.MidiFile:
    """Build the mido file: a conductor track (tempo, meter, key, markers), then one track per
    part (named ``"<part> - <instrument>"`` with ``instrument_names``)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QN)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="conductor", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.bpm), time=0))
    conductor.append(
        mido.MetaMessage(
            "time_signature",
            numerator=song.meter.numerator,
            denominator=song.meter.denominator,
            time=0,
        )
    )
    if song.key is not None:
        conductor.append(mido.MetaMessage("key_signature", key=key_signature_name(song.key)))
    now = 0
    for qn, text in song.markers:
        conductor.append(mido.MetaMessage("marker", text=text, time=_ticks(qn) - now))
        now = _ticks(qn)
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(conductor)
    melodic_channels = [c for c in range(16) if c != DRUM_CHANNEL]
    for index, part in enumerate(song.parts):
        channel = DRUM_CHANNEL if part.is_drum else melodic_channels[index % len(melodic_channels)]
        track = mido.MidiTrack()
        if instrument_names:
            track.append(mido.MetaMessage("track_name", name=track_title(part), time=0))
            instrument = instrument_name(part.program, is_drum=part.is_drum)
            track.append(mido.MetaMessage("instrument_name", name=instrument, time=0))
        else:
            track.append(mido.MetaMessage("track_name", name=part.name, time=0))
        if not part.is_drum or part.program:
            # On channel 10 the program chooses the drum kit (0, the standard kit, is implied).
            track.append(mido.Message("program_change", program=part.program, channel=channel))
        # (tick, order, pitch, message): at one tick, note-offs, then lyrics, then note-ons.
        events: list[tuple[int, int, int, mido.Message | mido.MetaMessage]] = []
        for n in part.notes:
            on = mido.Message("note_on", note=n.pitch, velocity=n.velocity, channel=channel)
            off = mido.Message("note_off", note=n.pitch, velocity=0, channel=channel)
            start = _ticks(n.start)
            # A note shorter than half a tick still lasts one tick: at the same tick its off
            # would sort before its on and leave it hanging.
            end = max(_ticks(n.end), start + 1)
            events.append((start, 2, n.pitch, on))
            events.append((end, 0, n.pitch, off))
        for i, (qn, text) in enumerate(lyric_events(part)):
            events.append((_ticks(qn), 1, i, mido.MetaMessage("lyrics", text=text)))
        events.sort(key=lambda e: e[:3])
        now = 0
        for tick, _, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    return mid


def write_midi(song: Song, path: Path, *, instrument_names: bool = False) -> Path:
    """Write ``song`` to ``path`` atomically (:func:`music.files.atomic_path`);
    ``instrument_names``: see :func:`song_to_midi`."""
    path = Path(path)
    mid = song_to_midi(song, instrument_names=instrument_names)
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        mid.save(file=fh)
    return path


def open_midi(path: Path) -> mido.MidiFile:
    """Parse a MIDI file with mido, refusing what no reader here can time: a missing or
    unparsable file, type 2, SMPTE time division (frames per second instead of ticks per
    quarter note) and a division of 0 ticks. Raises MidiFileError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise MidiFileError(
            file=path, field="file", value=str(path), allowed="an existing MIDI file"
        )
    try:
        mid = mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MidiFileError(
            file=path,
            field="contents",
            value=f"{type(exc).__name__}: {exc}",
            allowed="a standard MIDI file (type 0 or 1)",
        ) from exc
    if mid.type == 2:
        raise MidiFileError(file=path, field="type", value=2, allowed="MIDI file type 0 or 1")
    division = mid.ticks_per_beat
    if division < 0:
        # mido reads the header's division as signed: SMPTE timing is negative.
        fps, per_frame = -((division >> 8) | ~0xFF), division & 0xFF
        raise MidiFileError(
            file=path,
            field="time division",
            value=f"SMPTE {fps} fps x {per_frame} ticks per frame",
            allowed="ticks per quarter note (metrical timing, 1..32767), as DAWs export",
        )
    if division == 0:
        raise MidiFileError(
            file=path,
            field="ticks per beat",
            value=0,
            allowed="1..32767 ticks per quarter note (480 or 960 as DAWs export)",
        )
    return mid


def read_midi(path: Path) -> Song:
    """Read a MIDI file into a :class:`Song`. Times are converted to quarter notes.

    Raises MidiFileError (naming the file) for a missing, unparsable or note-less file.
    """
    mid = open_midi(path)
    tpq = mid.ticks_per_beat
    bpm = 120.0
    meter: Meter | None = None
    key: Key | None = None
    markers: list[tuple[float, str]] = []
    parts: list[Part] = []
    for t_index, track in enumerate(mid.tracks):
        name = f"track{t_index}"
        instrument = ""
        program = 0
        is_drum = False
        # Sounding notes per (channel, pitch), oldest first: a repeated note-on before the
        # note-off stacks instead of overwriting (and losing) the earlier note.
        active: dict[tuple[int, int], deque[tuple[int, int]]] = {}
        notes: list[Note] = []
        lyrics: list[tuple[float, str]] = []
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "lyrics":
                lyrics.append((tick / tpq, msg.text))
            elif msg.type == "track_name":
                name = msg.name or name
            elif msg.type == "instrument_name":
                instrument = msg.name
            elif msg.type == "marker" and msg.text.strip():
                markers.append((tick / tpq, msg.text))
            elif msg.type == "key_signature" and key is None:
                key = key_from_signature(msg.key)
            elif msg.type == "set_tempo" and tick == 0:
                bpm = _tempo_to_bpm(msg.tempo)
            elif msg.type == "time_signature" and meter is None:
                try:
                    meter = Meter(msg.numerator, msg.denominator)
                except ValueError as exc:
                    raise MidiFileError(
                        file=path,
                        field="time_signature",
                        value=f"{msg.numerator}/{msg.denominator}",
                        allowed=f"a meter this program can use ({exc})",
                    ) from exc
            elif msg.type == "program_change":
                program = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                is_drum = is_drum or msg.channel == DRUM_CHANNEL
                active.setdefault((msg.channel, msg.note), deque()).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                sounding = active.get((msg.channel, msg.note))
                started = sounding.popleft() if sounding else None
                if started is not None and tick > started[0]:
                    notes.append(
                        Note(
                            start=started[0] / tpq,
                            end=tick / tpq,
                            pitch=msg.note,
                            velocity=max(1, started[1]),
                        )
                    )
        suffix = f"{_TITLE_SEP}{instrument}"
        if instrument and name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]  # "bass - electric bass (finger)" -> "bass"
        if notes:
            part = Part(name=name, notes=tuple(notes), program=program, is_drum=is_drum)
            parts.append(with_lyric_events(part, lyrics) if lyrics else part)
    if not parts:
        raise MidiFileError(file=path, field="notes", value=0, allowed="at least one note")
    return Song(
        parts=tuple(parts), bpm=bpm, meter=meter or Meter(4, 4), key=key, markers=tuple(markers)
    )
