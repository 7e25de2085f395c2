"""The Bach chorales (the scores bundled with music21, public domain) as bass metric rows: the
bass voice of every chorale cut into 8-bar segments from its first full bar, over the harmony
heard on each felt beat (the triad that best covers the four voices sounding there, the bass
note breaking ties). Split by a hash of the chorale's name; style ``chorale``.

The bass corpus is this one because it is the only real bass *line* (notes, not chord symbols)
whose licence lets its statistics ship: Billboard and OpenEWLD give chord roots only, which
fix nothing the approved chords do not already fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

from music.meter import Meter
from music.notes import Note
from scoring.metrics.bass import BASS_METRICS, bass_metrics
from scoring.metrics.chords import TRIAD_TONES
from scoring.style.windows import WINDOW_BARS, line_values, window
from scoring.timeline import EPS, ChordSpan
from training.style.rows import MetricRow, split_of

logger = logging.getLogger(__name__)

#: Triads matched to the sounding pitch classes, preferred in this order on a tie.
_TRIADS: Final = ("maj", "min", "dim", "aug")


def best_triad(pcs: set[int], bass_pc: int | None) -> tuple[int, tuple[int, ...]]:
    """The root and pitch classes of the triad covering most of ``pcs`` (ties: the one on the
    bass note, then major before minor before diminished before augmented, then the lowest
    root)."""
    best: tuple[tuple[int, int, int, int], int, tuple[int, ...]] | None = None
    for root in range(12):
        for rank, triad in enumerate(_TRIADS):
            tones = tuple((root + t) % 12 for t in TRIAD_TONES[triad])
            key = (len(pcs & set(tones)), int(root == bass_pc), -rank, -root)
            if best is None or key > best[0]:
                best = (key, root, tones)
    assert best is not None
    return best[1], best[2]


def beat_harmony(voices: Sequence[Sequence[Note]], meter: Meter, end: float) -> list[ChordSpan]:
    """One chord per felt beat from the notes sounding at its start (consecutive equal chords
    merged); a beat where nothing sounds keeps the chord before."""
    offsets = meter.beat_offsets_qn()
    starts: list[float] = []
    bar = 0.0
    while bar < end - EPS:
        starts += [bar + o for o in offsets if bar + o < end - EPS]
        bar += meter.bar_qn
    spans: list[ChordSpan] = []
    for i, t in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else end
        sounding = [n for v in voices for n in v if n.start <= t + EPS < n.end]
        if not sounding:
            if spans:
                last = spans[-1]
                spans[-1] = ChordSpan(last.start, stop, last.root, last.pitch_classes)
            continue
        low = min(sounding, key=lambda n: n.pitch).pitch % 12
        root, tones = best_triad({n.pitch % 12 for n in sounding}, low)
        if spans and (spans[-1].root, spans[-1].pitch_classes) == (root, tones):
            spans[-1] = ChordSpan(spans[-1].start, stop, root, tones)
        else:
            spans.append(ChordSpan(t, stop, root, tones))
    return spans


def _part_notes(part: Any, shift: float) -> list[Note]:
    from music21 import note

    out = []
    for el in part.stripTies().flatten().notes:
        if not isinstance(el, note.Note) or el.quarterLength <= 0:
            continue
        start = float(el.offset) - shift
        if start >= -EPS:
            out.append(Note(max(0.0, start), start + float(el.quarterLength), int(el.pitch.midi)))
    return out


def chorale_rows(name: str, score: Any) -> list[MetricRow]:
    """Bass rows of one parsed chorale (four parts, bass last)."""
    from music21 import meter as m21meter
    from music21 import stream

    parts = list(score.parts)
    if len(parts) != 4:
        return []
    ts = parts[-1].recurse().getElementsByClass(m21meter.TimeSignature).first()
    try:
        meter = Meter(ts.numerator, ts.denominator) if ts is not None else Meter(4, 4)
    except ValueError:
        return []
    measures = list(parts[-1].getElementsByClass(stream.Measure))
    full = [m for m in measures if abs(float(m.duration.quarterLength) - meter.bar_qn) < EPS]
    if not full:
        return []
    shift = float(full[0].offset)
    voices = [_part_notes(p, shift) for p in parts]
    if not voices[-1]:
        return []
    end = max(n.end for v in voices for n in v)
    harmony = beat_harmony(voices, meter, end)
    bars = int((end + EPS) // meter.bar_qn)
    rows = []
    for first in range(0, bars - WINDOW_BARS + 1, WINDOW_BARS):
        lo = first * meter.bar_qn
        notes, spans = window(voices[-1], harmony, lo, lo + WINDOW_BARS * meter.bar_qn)
        if len(notes) < 4:
            continue
        values = line_values(
            bass_metrics, notes, spans, meter=meter, length_qn=WINDOW_BARS * meter.bar_qn
        )
        rows.append(
            MetricRow(
                part="bass",
                corpus="chorales",
                song=name,
                split=split_of(f"chorales/{name}"),
                style="chorale",
                meter=str(meter),
                bpm=None,
                values={m: values[m] for m in BASS_METRICS},
            )
        )
    return rows


def chorales_rows(
    *, limit: int | None = None, tick: Callable[[], None] | None = None
) -> list[MetricRow]:
    """Bass rows of music21's bundled Bach chorales."""
    from music21 import corpus

    names = [str(n) for n in corpus.chorales.Iterator(returnType="filename")][:limit]
    out: list[MetricRow] = []
    for name in names:
        out.extend(chorale_rows(name, corpus.parse(name)))
        if tick is not None:
            tick()
    logger.info("chorales: %d bass segments from %d chorales", len(out), len(names))
    return out
