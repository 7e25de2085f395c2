"""Pictures of candidates, drawn from their MIDI with Pillow: a piano roll (time across,
pitch up) for chords, bass and melody, and a drum grid (one row per drum, one column per
sixteenth) for drums.

The picture spans the candidate rounded up to whole bars, as its preview does
(:func:`render.previews.preview_song`), so a playhead at ``seconds * bpm / 60`` quarter notes
lines up with what is heard. Every note's rectangle is kept in :attr:`Picture.boxes` (the
geometry the drawing used), so a test can check it against the MIDI file and the pixels.
:class:`PictureCache` keeps the PNG per candidate file, redrawn when the file changes.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from music.keys import pitch_name
from music.midi_io import Song, read_midi
from music.notes import Note

WIDTH: Final = 760
TOP: Final = 6
BOTTOM: Final = 16
RIGHT: Final = 6
ROLL_LEFT: Final = 36
DRUM_LEFT: Final = 70
#: Roll rows: at least two octaves shown, rows 4..12 px high, about 240 px of plot.
MIN_SPAN: Final = 24
ROLL_PLOT_HEIGHT: Final = 240
DRUM_ROW: Final = 18
STEPS_PER_QN: Final = 4

BACKGROUND: Final = (24, 26, 33)
WHITE_ROW: Final = (33, 36, 45)
BLACK_ROW: Final = (27, 29, 37)
BEAT_LINE: Final = (48, 52, 64)
BAR_LINE: Final = (92, 98, 118)
LABEL: Final = (150, 156, 175)
#: The part's colour at full velocity (a note's fill darkens toward the background as its
#: velocity falls, never below 45 %).
PART_COLOURS: Final = {
    "chords": (240, 166, 64),
    "drums": (236, 92, 108),
    "bass": (68, 200, 140),
    "melody": (96, 170, 255),
}

#: Drum rows top to bottom: cymbals, hats, toms, snares, kicks (others follow by number).
DRUM_ORDER: Final = (49, 57, 55, 52, 51, 59, 53, 46, 42, 44, 50, 48, 47, 45, 43, 41)
DRUM_ORDER_LOW: Final = (39, 37, 40, 38, 36, 35)
DRUM_NAMES: Final = {
    35: "kick 2", 36: "kick", 37: "rim", 38: "snare", 39: "clap", 40: "snare 2",
    41: "floor tom 2", 42: "closed hat", 43: "floor tom", 44: "pedal hat", 45: "low tom",
    46: "open hat", 47: "mid tom", 48: "high tom", 49: "crash", 50: "high tom 2",
    51: "ride", 52: "china", 53: "ride bell", 54: "tambourine", 55: "splash", 56: "cowbell",
    57: "crash 2", 59: "ride 2",
}  # fmt: skip
NOTE_NAMES: Final = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True, slots=True)
class NoteBox:
    """A drawn note: its MIDI pitch (a GM drum note in a drum grid), start and end in quarter
    notes, velocity, and the filled rectangle ``(x0, y0, x1, y1)`` in pixels (inclusive)."""

    pitch: int
    start_qn: float
    end_qn: float
    velocity: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Picture:
    """A candidate's picture and the geometry it was drawn with.

    ``kind``: ``roll`` or ``drums``; ``plot``: the note area ``(left, top, right, bottom)``
    in pixels, time 0 at ``left`` and ``length_qn`` at ``right``; ``rows``: the pitch (drum
    note) of each row, top to bottom, ``row_height`` px each; ``seconds``: the length in
    seconds at the file's tempo."""

    kind: str
    width: int
    height: int
    plot: tuple[int, int, int, int]
    length_qn: float
    bar_qn: float
    seconds: float
    rows: tuple[int, ...]
    row_height: int
    boxes: tuple[NoteBox, ...]
    png: bytes


def note_name(pitch: int) -> str:
    """MIDI 60 -> ``C4``."""
    return pitch_name(pitch, NOTE_NAMES)


RGB = tuple[int, int, int]


def _shade(colour: RGB, velocity: int) -> RGB:
    """A note's fill: the part's colour, toward the background as the velocity falls."""
    amount = 0.45 + 0.55 * min(127, max(1, velocity)) / 127
    r, g, b = (round(bg + (c - bg) * amount) for c, bg in zip(colour, BACKGROUND, strict=True))
    return r, g, b


def _edge(fill: RGB) -> RGB:
    """A note's outline: its fill, brighter."""
    r, g, b = (min(255, round(c * 1.25 + 20)) for c in fill)
    return r, g, b


def _length_qn(song: Song) -> float:
    """The song rounded up to whole bars (at least one), as its preview is."""
    bar = song.meter.bar_qn
    return bar * max(1, math.ceil(song.end / bar - 1e-6))


def _grid(
    draw: ImageDraw.ImageDraw, song: Song, plot: tuple[int, int, int, int], length: float
) -> None:
    """Beat lines and bar lines over the plot, bar numbers under it."""
    left, top, right, bottom = plot
    font = ImageFont.load_default(size=10)
    scale = (right - left) / length
    bar = song.meter.bar_qn
    for n in range(round(length / bar)):
        for offset in song.meter.beat_offsets_qn()[1:]:
            x = left + round((n * bar + offset) * scale)
            draw.line([(x, top), (x, bottom)], fill=BEAT_LINE)
        x = left + round(n * bar * scale)
        draw.line([(x, top), (x, bottom)], fill=BAR_LINE)
        draw.text((x + 3, bottom + 2), str(n + 1), fill=LABEL, font=font)
    draw.line([(right, top), (right, bottom)], fill=BAR_LINE)


def _roll_rows(notes: list[Note]) -> tuple[int, ...]:
    low = min(n.pitch for n in notes) - 1
    high = max(n.pitch for n in notes) + 1
    if high - low + 1 < MIN_SPAN:
        grow = MIN_SPAN - (high - low + 1)
        low -= grow // 2
        high += grow - grow // 2
    low, high = max(0, low), min(127, high)
    return tuple(range(high, low - 1, -1))


def _drum_rows(notes: list[Note]) -> tuple[int, ...]:
    present = {n.pitch for n in notes}
    order = [p for p in DRUM_ORDER if p in present]
    rest = sorted(present - set(DRUM_ORDER) - set(DRUM_ORDER_LOW))
    return (*order, *rest, *(p for p in DRUM_ORDER_LOW if p in present))


def draw_picture(song: Song, *, phase: str) -> Picture:
    """The picture of a candidate ``song`` of ``phase`` (a drum grid for drums, else a piano
    roll). Raises ValueError for a song without notes."""
    notes = [n for p in song.parts for n in p.notes]
    if not notes:
        raise ValueError("song: no notes -- a candidate with at least one note")
    drums = phase == "drums" or all(p.is_drum for p in song.parts if p.notes)
    rows = _drum_rows(notes) if drums else _roll_rows(notes)
    row_h = DRUM_ROW if drums else max(4, min(12, ROLL_PLOT_HEIGHT // len(rows)))
    left = DRUM_LEFT if drums else ROLL_LEFT
    plot = (left, TOP, WIDTH - RIGHT, TOP + len(rows) * row_h - 1)
    height = plot[3] + 1 + BOTTOM
    length = _length_qn(song)
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=10)
    for i, pitch in enumerate(rows):
        y0 = TOP + i * row_h
        black = not drums and NOTE_NAMES[pitch % 12].endswith("#")
        draw.rectangle([left, y0, plot[2], y0 + row_h - 1], fill=BLACK_ROW if black else WHITE_ROW)
        if drums:
            draw.text((4, y0 + 1), DRUM_NAMES.get(pitch, f"drum {pitch}"), fill=LABEL, font=font)
        elif pitch % 12 == 0:
            draw.text((4, y0 + row_h // 2 - 6), note_name(pitch), fill=LABEL, font=font)
    _grid(draw, song, plot, length)
    scale = (plot[2] - left) / length
    colour = PART_COLOURS.get(phase, PART_COLOURS["chords"])
    boxes = []
    for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
        y0 = TOP + rows.index(n.pitch) * row_h
        if drums:
            step = math.floor(n.start * STEPS_PER_QN + 0.5) / STEPS_PER_QN
            x0 = left + round(step * scale) + 1
            x1 = left + round((step + 1 / STEPS_PER_QN) * scale) - 1
        else:
            x0 = left + round(n.start * scale)
            x1 = max(x0 + 1, left + round(min(n.end, length) * scale) - 1)
        box = (x0, y0 + (1 if drums else 0), min(x1, plot[2] - 1), y0 + row_h - 2)
        fill = _shade(colour, n.velocity)
        draw.rectangle(box, fill=fill, outline=_edge(fill))
        boxes.append(NoteBox(n.pitch, n.start, n.end, n.velocity, box))
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return Picture(
        kind="drums" if drums else "roll",
        width=WIDTH,
        height=height,
        plot=plot,
        length_qn=length,
        bar_qn=song.meter.bar_qn,
        seconds=length * 60.0 / song.bpm,
        rows=rows,
        row_height=row_h,
        boxes=tuple(boxes),
        png=buf.getvalue(),
    )


class PictureCache:
    """Pictures per candidate MIDI file, drawn once and again only when the file changes
    (its size or modification time); at most ``size`` kept, least recently used dropped."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int, int, str], Picture] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, midi: Path, *, phase: str) -> Picture:
        """The picture of ``midi``; raises MidiFileError for a file that cannot be read,
        ValueError for one without notes."""
        stat = midi.stat()
        key = (str(midi), stat.st_mtime_ns, stat.st_size, phase)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        picture = draw_picture(read_midi(midi), phase=phase)
        with self._lock:
            self._items[key] = picture
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return picture
