"""Assembly: approved parts per section label + the song's form -> one multi-track Song.

Inputs: ``sections`` in playing order (label, bars), repeats included (``verse, chorus, verse,
chorus``); ``approved``: part name -> label -> Part, each Part one phrase of that part for
that label, notes starting at quarter note 0.

Rules (documented here, tested in tests/render/test_assemble.py):

* A section lasts ``bars * meter.bar_qn`` quarter notes, so 3/4, 7/8, 12/8 ... are exact.
* A part's phrase loops to fill its section. The loop length is ``phrase_qn``, or, for a
  phrase with notes starting at or after ``phrase_qn``, its length rounded up to whole
  multiples of ``phrase_qn``. Notes are cut at the loop point and at the section end, so
  nothing overlaps the next repeat.
* A section label with no approved Part for a part name takes that part from the *nearest
  section* of the form whose label has one (distance in sections, the earlier on a tie);
  when no label of the form has one, the part's first approved label is used. The
  substitution is logged and recorded in arrangement.json (``substituted: true``).
* A part name with no approved label at all is left out of the song.
* Tracks: one per part, named by the part name, ordered chords, drums, bass, melody, then any
  others by name; each track's GM program is that of the first Part it plays (the phases
  set the orchestration's programs, see ``music.orchestration``); drums are on MIDI channel 10,
  their program choosing the GM kit.
* song.mid (DAW-ready): the key as a key-signature event, a marker at each section start
  named after the section (a repeat numbered: ``verse``, ``chorus``, ``verse 2``), and each
  track named ``"<part> - <GM instrument>"`` (``"drums - drum kit"``); tempo and meter in the
  conductor track.
* A phrase's lyric events (a sung melody's syllables) loop with its notes and land on the
  track as MIDI ``lyrics`` events, each on the note it is sung on.
* With a seed (the agent passes the proposal's), the song is shaped (:mod:`render.shaping`):
  repeats varied, intro and outro thinned, an energy curve, a final cadence on the tonic;
  arrangement.json records each section's role and energy.
* No sections given: :func:`default_form` (every approved label for 8 bars, the whole
  sequence twice: verse, chorus, verse, chorus for the usual two labels).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from music.keys import Key
from music.meter import Meter, qn_to_seconds
from music.midi_io import Song, write_midi
from music.notes import Note, Part, lyric_events, with_lyric_events
from render.audio_io import ensure_writable_dir, write_json
from render.energy import energy_curve, section_role
from render.errors import RenderError
from render.shaping import PlayedSection, SongShaper

logger = logging.getLogger(__name__)

PART_ORDER: Final = ("chords", "drums", "bass", "melody")
DEFAULT_SECTION_BARS: Final = 8
_EPS: Final = 1e-6


@dataclass(frozen=True, slots=True)
class PlacedSection:
    """One section of the arrangement: where it sits and which label each part plays."""

    index: int
    name: str
    bars: int
    start_qn: float
    end_qn: float
    #: (part name, label whose approved Part it plays, True when substituted)
    sources: tuple[tuple[str, str, bool], ...]


@dataclass(frozen=True, slots=True)
class Arrangement:
    """The form with every section placed in time (quarter notes) and its part sources."""

    sections: tuple[PlacedSection, ...]
    parts: tuple[str, ...]
    bpm: float
    meter: Meter
    phrase_qn: float

    @property
    def total_bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def total_qn(self) -> float:
        return self.total_bars * self.meter.bar_qn

    @property
    def seconds(self) -> float:
        return qn_to_seconds(self.total_qn, self.bpm)

    def to_dict(self) -> dict[str, Any]:
        sections = []
        bar = 0
        energy = energy_curve([s.name for s in self.sections])
        for s in self.sections:
            sections.append(
                {
                    "index": s.index,
                    "name": s.name,
                    "bars": s.bars,
                    "start_bar": bar,
                    "start_qn": s.start_qn,
                    "end_qn": s.end_qn,
                    "start_s": round(qn_to_seconds(s.start_qn, self.bpm), 6),
                    "end_s": round(qn_to_seconds(s.end_qn, self.bpm), 6),
                    "role": section_role(s.name),
                    "energy": energy[s.index],
                    "parts": {
                        part: {"label": label, "substituted": sub} for part, label, sub in s.sources
                    },
                }
            )
            bar += s.bars
        return {
            "bpm": self.bpm,
            "meter": str(self.meter),
            "bar_qn": self.meter.bar_qn,
            "phrase_qn": self.phrase_qn,
            "parts": list(self.parts),
            "sections": sections,
            "total_bars": self.total_bars,
            "total_qn": self.total_qn,
            "seconds": round(self.seconds, 6),
        }


def default_form(labels: Sequence[str]) -> list[tuple[str, int]]:
    """The form used when the proposal gives no sections: each label (first-approved order)
    for :data:`DEFAULT_SECTION_BARS` bars, the whole sequence played twice."""
    seen = list(dict.fromkeys(labels)) or ["verse", "chorus"]
    return [(label, DEFAULT_SECTION_BARS) for label in seen] * 2


def _ordered_parts(names: Sequence[str]) -> tuple[str, ...]:
    known = [p for p in PART_ORDER if p in names]
    return (*known, *sorted(n for n in names if n not in PART_ORDER))


def _check_inputs(
    sections: Sequence[tuple[str, int]], bpm: float, phrase_qn: float
) -> list[tuple[str, int]]:
    out = []
    for i, item in enumerate(sections):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"sections[{i}]: {item!r} -- a (label, bars) pair")
        name, bars = item
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"sections[{i}].name: {name!r} -- a non-empty label such as 'verse'")
        if isinstance(bars, bool) or not isinstance(bars, int) or bars < 1:
            raise ValueError(f"sections[{i}].bars: {bars!r} -- a whole number of bars >= 1")
        out.append((name, bars))
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive tempo in quarter notes per minute")
    if not (math.isfinite(phrase_qn) and phrase_qn > 0):
        raise ValueError(f"phrase_qn: {phrase_qn!r} -- a positive phrase length in quarter notes")
    return out


def _source_label(
    part_labels: Mapping[str, Part], form: Sequence[str], index: int
) -> tuple[str, bool]:
    """The label whose Part plays in section ``index`` (see the module rules)."""
    own = form[index]
    if own in part_labels:
        return own, False
    by_distance = sorted(range(len(form)), key=lambda j: (abs(j - index), j))
    for j in by_distance:
        if form[j] in part_labels:
            return form[j], True
    return next(iter(part_labels)), True


def plan_arrangement(
    sections: Sequence[tuple[str, int]],
    approved: Mapping[str, Mapping[str, Part]],
    *,
    bpm: float,
    meter: Meter,
    phrase_qn: float,
) -> Arrangement:
    """Place the sections in time and choose each part's label per section (no notes yet)."""
    labels = [label for by_label in approved.values() for label in by_label]
    checked = _check_inputs(list(sections) or default_form(labels), bpm, phrase_qn)
    parts = _ordered_parts([name for name, by_label in approved.items() if by_label])
    if not parts:
        raise RenderError("approved: no part has an approved section -- nothing to assemble")
    form = [name for name, _ in checked]
    placed = []
    start = 0.0
    for i, (name, bars) in enumerate(checked):
        end = start + bars * meter.bar_qn
        sources = []
        for part in parts:
            label, substituted = _source_label(approved[part], form, i)
            if substituted:
                logger.info("section %d (%s): no approved %s; using %s's", i, name, part, label)
            sources.append((part, label, substituted))
        placed.append(PlacedSection(i, name, bars, start, end, tuple(sources)))
        start = end
    return Arrangement(tuple(placed), parts, float(bpm), meter, float(phrase_qn))


def _loop_qn(phrase: Part, phrase_qn: float) -> float:
    """The loop length of ``phrase``: ``phrase_qn``, or the phrase rounded up to whole phrases
    when a note starts at or after ``phrase_qn``."""
    last_start = max(n.start for n in phrase.notes)
    return phrase_qn * max(1, math.ceil((last_start + _EPS) / phrase_qn))


def _repeats(loop: float, length_qn: float) -> range:
    return range(math.ceil(length_qn / loop - _EPS))


def loop_notes(
    phrase: Part, *, phrase_qn: float, length_qn: float, offset_qn: float = 0.0
) -> list[Note]:
    """``phrase``'s notes looped to fill ``length_qn`` quarter notes, shifted by ``offset_qn``.

    The loop is ``phrase_qn`` long, or, when a note starts at or after ``phrase_qn``, the
    phrase rounded up to whole phrases; a note ringing past the loop point is cut there."""
    if not phrase.notes or length_qn <= 0:
        return []
    loop = _loop_qn(phrase, phrase_qn)
    cut = [
        Note(n.start, min(n.end, loop), n.pitch, n.velocity)
        for n in phrase.notes
        if n.start < loop - _EPS
    ]
    out = []
    for k in _repeats(loop, length_qn):
        base = k * loop
        for n in cut:
            start = base + n.start
            if start >= length_qn - _EPS:
                continue
            end = min(base + n.end, length_qn)
            out.append(Note(start + offset_qn, end + offset_qn, n.pitch, n.velocity))
    return out


def loop_lyrics(
    phrase: Part, *, phrase_qn: float, length_qn: float, offset_qn: float = 0.0
) -> list[tuple[float, str]]:
    """``phrase``'s lyric events looped exactly as :func:`loop_notes` loops its notes, so each
    syllable stays on the note it was sung on."""
    events = lyric_events(phrase)
    if not events or not phrase.notes or length_qn <= 0:
        return []
    loop = _loop_qn(phrase, phrase_qn)
    kept = [(t, text) for t, text in events if t < loop - _EPS]
    return [
        (k * loop + t + offset_qn, text)
        for k in _repeats(loop, length_qn)
        for t, text in kept
        if k * loop + t < length_qn - _EPS
    ]


def section_markers(arrangement: Arrangement) -> tuple[tuple[float, str], ...]:
    """``(start_qn, name)`` of every section; a name's later repeats are numbered
    (``verse``, ``chorus``, ``verse 2``, ``chorus 2``)."""
    seen: dict[str, int] = {}
    out = []
    for sec in arrangement.sections:
        seen[sec.name] = seen.get(sec.name, 0) + 1
        count = seen[sec.name]
        out.append((sec.start_qn, sec.name if count == 1 else f"{sec.name} {count}"))
    return tuple(out)


def build_song(
    arrangement: Arrangement,
    approved: Mapping[str, Mapping[str, Part]],
    *,
    key: Key | None = None,
    seed: int | None = None,
) -> Song:
    """The notes of every part, section by section, as a Song (one Part per part name), in
    ``key`` (None: not stated), with a marker at each section start.

    With ``seed`` (and ``key``), the song is shaped as :mod:`render.shaping` says: repeats
    varied (deterministically per seed), intro and outro thinned, the energy curve heard and
    a final cadence on the tonic; without, each phrase loops as approved."""
    shaper = (
        SongShaper(
            names=tuple(s.name for s in arrangement.sections),
            key=key,
            seed=seed,
            bar_qn=arrangement.meter.bar_qn,
            phrase_qn=arrangement.phrase_qn,
        )
        if seed is not None and key is not None
        else None
    )
    tracks = []
    for part_index, part in enumerate(arrangement.parts):
        notes: list[Note] = []
        lyrics: list[tuple[float, str]] = []
        first: Part | None = None
        velocities = [n.velocity for phrase in approved[part].values() for n in phrase.notes]
        reference = sum(velocities) / max(1, len(velocities))
        for sec in arrangement.sections:
            label, borrowed = next((lab, sub) for p, lab, sub in sec.sources if p == part)
            phrase = approved[part][label]
            if first is None:
                first = phrase
            elif phrase.program != first.program and not phrase.is_drum:
                logger.info(
                    "%s: label %s uses program %d; the track keeps %d",
                    part,
                    label,
                    phrase.program,
                    first.program,
                )
            span = {"phrase_qn": arrangement.phrase_qn, "length_qn": sec.end_qn - sec.start_qn}
            local = loop_notes(phrase, **span)
            local_lyrics = loop_lyrics(phrase, **span)
            if shaper is not None and local:
                local, local_lyrics = shaper.play(
                    part=part,
                    part_index=part_index,
                    is_drum=phrase.is_drum,
                    section=PlayedSection(
                        sec.index, sec.name, sec.end_qn - sec.start_qn, label, borrowed
                    ),
                    loop_qn=_loop_qn(phrase, arrangement.phrase_qn),
                    notes=local,
                    lyrics=local_lyrics,
                    reference_velocity=reference,
                )
            notes += [n.shifted(sec.start_qn) for n in local]
            lyrics += [(t + sec.start_qn, text) for t, text in local_lyrics]
        assert first is not None  # every part has at least one section
        track = Part(name=part, notes=tuple(notes), program=first.program, is_drum=first.is_drum)
        tracks.append(with_lyric_events(track, lyrics) if lyrics else track)
    return Song(
        parts=tuple(tracks),
        bpm=arrangement.bpm,
        meter=arrangement.meter,
        key=key,
        markers=section_markers(arrangement),
    )


def assemble(
    sections: Sequence[tuple[str, int]],
    approved: Mapping[str, Mapping[str, Part]],
    *,
    bpm: float,
    meter: Meter,
    phrase_qn: float,
    key: Key | None = None,
    seed: int | None = None,
) -> Song:
    """The whole song: sections in order, each part's approved phrase looped to fill them
    (shaped with ``seed``: see :func:`build_song`)."""
    arrangement = plan_arrangement(sections, approved, bpm=bpm, meter=meter, phrase_qn=phrase_qn)
    return build_song(arrangement, approved, key=key, seed=seed)


@dataclass(frozen=True, slots=True)
class AssembleResult:
    song: Song
    arrangement: Arrangement
    song_mid: Path
    arrangement_json: Path


def assemble_to_files(
    out_dir: Path,
    sections: Sequence[tuple[str, int]],
    approved: Mapping[str, Mapping[str, Part]],
    *,
    bpm: float,
    meter: Meter,
    phrase_qn: float,
    key: Key | None = None,
    seed: int | None = None,
) -> AssembleResult:
    """Assemble and write ``out_dir/song.mid`` (tracks named by part and instrument, key
    signature, section markers) and ``out_dir/arrangement.json`` atomically (shaped with
    ``seed``: see :func:`build_song`)."""
    arrangement = plan_arrangement(sections, approved, bpm=bpm, meter=meter, phrase_qn=phrase_qn)
    song = build_song(arrangement, approved, key=key, seed=seed)
    ensure_writable_dir(out_dir)
    song_mid = write_midi(song, out_dir / "song.mid", instrument_names=True)
    arrangement_json = write_json(out_dir / "arrangement.json", arrangement.to_dict())
    return AssembleResult(song, arrangement, song_mid, arrangement_json)
