"""Realise a melody genome as notes and a MIDI part (with lyric syllables attached), write lyric
meta events into a MIDI file, and describe a melody in words a musician reads."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from generators.melody.genome import MelodyGenome, MelodyNote, step_pitch
from generators.melody.lyrics import fit_syllables
from music.errors import MidiFileError
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, read_midi, write_midi
from music.notes import LYRIC_EVENTS_META, Note, Part, with_lyric_events

_EPS = 1e-6
_DEGREE_NAMES = ("tonic", "second", "third", "fourth", "fifth", "sixth", "seventh")
_DURATION_NAMES = {
    0.25: "sixteenths",
    0.5: "eighths",
    0.75: "dotted eighths",
    1.0: "quarters",
    1.5: "dotted quarters",
    2.0: "half notes",
    3.0: "dotted halves",
    4.0: "whole notes",
}


def melody_notes(
    genome: MelodyGenome, key: Key, meter: Meter, *, start_qn: float = 0.0
) -> tuple[Note, ...]:
    """The melody's notes, qn from ``start_qn``, bars laid end to end."""
    if len(_MADE) > _MADE_LIMIT:
        _MADE.clear()
    out = []
    base, mode = genome.base, key.mode
    for b, bar in enumerate(genome.bars):
        t0 = start_qn + b * meter.bar_qn
        for n in bar:
            # By the MelodyNote object (held in the entry, so its id is not reused while
            # kept): offspring share their parents' unchanged bars, and a Note is frozen.
            key_ = (id(n), t0, base, mode)
            made = _MADE.get(key_)
            if made is None or made[0] is not n:
                note = Note(
                    start=t0 + n.onset,
                    end=t0 + n.end,
                    pitch=step_pitch(n.step, base, mode),
                    velocity=n.velocity,
                )
                made = _MADE[key_] = (n, note)
            out.append(made[1])
    return tuple(out)


#: The Note made for each (melody note, bar start, base pitch, mode), with its melody note:
#: a phase turns thousands of genomes that share most of their notes into lines. Cleared past
#: :data:`_MADE_LIMIT` entries.
_MADE: dict[tuple[int, float, int, str], tuple[MelodyNote, Note]] = {}
_MADE_LIMIT = 30_000


def melody_part(
    genome: MelodyGenome,
    key: Key,
    meter: Meter,
    *,
    name: str = "melody",
    program: int = 73,
    syllables: Sequence[Sequence[str]] = (),
    start_qn: float = 0.0,
) -> Part:
    """The melody as a MIDI part. ``syllables`` (one sequence per phrase) are fitted one to a
    note (:func:`generators.melody.lyrics.fit_syllables`) and attached in ``Part.meta`` as
    ``("lyric_events", JSON [[start_qn, text], ...])`` and ``("lyrics", text)``."""
    notes = melody_notes(genome, key, meter, start_qn=start_qn)
    meta: tuple[tuple[str, str], ...] = ()
    if syllables:
        if len(syllables) != genome.phrases:
            raise ValueError(
                f"syllables: {len(syllables)} phrases -- one syllable list per phrase "
                f"({genome.phrases})"
            )
        events: list[tuple[float, str]] = []
        for p, syl in enumerate(syllables):
            phrase = genome.phrase_notes(p)
            texts = fit_syllables(len(phrase), syl)
            for (b, n), text in zip(phrase, texts, strict=True):
                events.append((round(start_qn + b * meter.bar_qn + n.onset, 6), text))
        meta = (
            ("lyrics", " / ".join(" ".join(s) for s in syllables)),
            (LYRIC_EVENTS_META, json.dumps(events)),
        )
    return Part(name=name, notes=notes, program=program, meta=meta)


def write_lyrics(path: Path, *, track: str, events: Sequence[tuple[float, str]]) -> Path:
    """Set the lyric events (times in qn; empty texts left out) of the track named ``track``
    of the MIDI file at ``path``, rewriting it atomically through ``music.midi_io``. Raises
    MidiFileError when the track is missing."""
    path = Path(path)
    song = read_midi(path)
    if track not in {p.name for p in song.parts}:
        raise MidiFileError(file=path, field="track", value=track, allowed="a track of the file")
    sung = [(t, text) for t, text in events if text]
    parts = tuple(with_lyric_events(p, sung) if p.name == track else p for p in song.parts)
    return write_midi(Song(parts=parts, bpm=song.bpm, meter=song.meter), path)


def _name(pitch: int, key: Key) -> str:
    return f"{key.pc_name(pitch % 12)}{pitch // 12 - 1}"


def _phrase_words(genome: MelodyGenome, key: Key, meter: Meter, p: int) -> str:
    placed = genome.phrase_notes(p)
    steps = [n.step for _, n in placed]
    peak = max(steps)
    peak_bar = next(b for b, n in placed if n.step == peak) + 1
    first, last = steps[0], steps[-1]
    end = _DEGREE_NAMES[last % 7]
    if peak == first and steps.count(peak) == 1:
        shape = f"starts at its peak in bar {peak_bar}"
    elif peak == last:
        shape = f"climbs to its peak at the end (bar {peak_bar})"
    else:
        shape = f"rises to a peak on bar {peak_bar}"
    fall = "falls to the tonic" if last % 7 == 0 else f"ends on the {end}"
    return f"{shape}, {fall}" if peak != last else shape


def describe(genome: MelodyGenome, key: Key, meter: Meter) -> dict[str, object]:
    """What a musician reads in review.yml: contour per phrase ("rises to a peak on bar 3,
    falls to the tonic"), range ("E4-C5"), rhythm density and the prevailing note value."""
    notes = melody_notes(genome, key, meter)
    lo = min(n.pitch for n in notes)
    hi = max(n.pitch for n in notes)
    contour = [_phrase_words(genome, key, meter, p) for p in range(genome.phrases)]
    durations = Counter(round(n.duration, 3) for n in notes)
    common = durations.most_common(1)[0][0]
    value = _DURATION_NAMES.get(common, f"{common:g}-quarter notes")
    density = len(notes) / len(genome.bars)
    rests = sum(1 for a, b in itertools.pairwise(notes) if b.start - a.end >= 0.5 - _EPS)
    rhythm = (
        f"{density:.1f} notes per bar, mostly {value}, {rests} breath{'s' if rests != 1 else ''}"
    )
    out: dict[str, object] = {
        "contour": "; ".join(f"phrase {i + 1} {c}" for i, c in enumerate(contour)),
        "range": f"{_name(lo, key)}-{_name(hi, key)}",
        "span_semitones": hi - lo,
        "rhythm": rhythm,
        "notes_per_bar": round(density, 2),
        "contour_intent": list(genome.contour),
    }
    out["summary"] = f"{contour[0]}; range {out['range']}; {rhythm}"
    return out
