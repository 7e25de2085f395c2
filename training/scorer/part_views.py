"""Part views: one part of a multi-part source heard over the rest, as the critic hears a
candidate in a phase.

At run time a candidate is one part (a bass line, a drum groove) laid over the parts approved
under it, with its own notes marked in the roll's third channel
(:func:`scoring.midi_features.table_views`). A critic trained only on whole songs, with
in-batch negatives that mostly differ in the kind of music, learns "which kind of music" and
barely tells two bass lines apart. A part view is the same situation in real data:

- the **focus** is one part of a source clip: Billboard's realised bass or chords, a Bach
  chorale's bass or soprano voice, an OpenEWLD or Nottingham melody or chords, a Groove drum
  performance;
- the **backdrop** is what the phases would have approved under it (:data:`PHASE_ORDER`: chords,
  then drums, bass, melody), taken from the same clip; inner chorale voices count as chords.
  Groove performances have nothing under them, so they borrow the chords of another song of
  the same meter and split (and bass lines borrow a drum groove half of the time), as drums
  and bass are heard over chords from another generator at run time;
- every view comes with a counterfactual over the same backdrop (:func:`variants`): a realised
  chord chart's bass (Billboard, OpenEWLD) in two figures and octaves (:func:`refigured`), its
  chords comped two ways, any other part also thinned to its notes on the beat; so bass lines
  of one chart differ as bass lines do, and a batch holds parts that differ only in themselves;
- the **text** describes the focus part alone (its density, register against other parts of
  its kind, feel, the song's key, tempo and style) and names its kind ("a dark folk bass
  line, in A minor, sparse, ..."), so the contrast the critic learns is between parts of one
  kind (:func:`view_text`), and training batches hold one kind each
  (:func:`training.scorer.train.kind_batches`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from music.meter import Meter
from music.notes import Note, Part
from training.scorer.sources_common import COMPING, ChordEvent, Clip, realise_chords
from training.scorer.text import clip_text

#: The phases' order: a part is heard over the parts of the kinds before it.
PHASE_ORDER: Final = ("chords", "drums", "bass", "melody")
#: Words that name each kind of part in a view's text.
KIND_NOUNS: Final[dict[str, tuple[str, ...]]] = {
    "chords": ("chord part", "chord accompaniment", "comping chords", "chord progression"),
    "drums": ("drum groove", "drum pattern", "beat", "drum part"),
    "bass": ("bass line", "bass part", "bassline"),
    "melody": ("melody", "lead line", "tune", "melodic line"),
}
#: Low and high register edges (mean MIDI pitch) of each pitched kind: a part is low or high
#: against other parts of its kind, not against whole songs.
KIND_REGISTERS: Final[dict[str, tuple[float, float]]] = {
    "chords": (57.0, 64.0),
    "bass": (40.0, 47.0),
    "melody": (64.0, 71.0),
}
_ROLES: Final = {"bass": "bass", "chords": "chords", "melody": "melody", "soprano": "melody"}
#: Sources whose bass is realised from a chord chart (:func:`refigured`).
_CHARTS: Final = frozenset({"billboard", "openewld"})
#: How many borrowed parts to keep per (meter, split, kind).
_POOL: Final = 64


@dataclass(frozen=True, slots=True)
class PartView:
    """One part of ``clip`` (``focus``, of ``kind``) over ``backdrop``."""

    kind: str
    focus: Part
    backdrop: tuple[Part, ...]
    clip: Clip


def kind_of(part: Part) -> str | None:
    """The kind of a source part (None: an inner voice, heard only as accompaniment)."""
    if part.is_drum:
        return "drums"
    return _ROLES.get(part.name)


def _role(part: Part) -> str:
    """Where a part sits in :data:`PHASE_ORDER` as a backdrop (inner voices are chords)."""
    return kind_of(part) or "chords"


@dataclass
class Borrowed:
    """Parts kept for views whose own clip has nothing of that kind: the chords under a drum
    groove, the groove under a bass line; by meter and split, so no part crosses splits."""

    pools: dict[tuple[str, str, str], deque[Part]] = dataclasses.field(default_factory=dict)

    def keep(self, clip: Clip) -> None:
        for part in clip.parts:
            kind = kind_of(part)
            if kind in ("chords", "drums"):
                key = (str(clip.meter), clip.split, kind)
                self.pools.setdefault(key, deque(maxlen=_POOL)).append(part)

    def draw(self, clip: Clip, kind: str, rng: np.random.Generator) -> Part | None:
        pool = self.pools.get((str(clip.meter), clip.split, kind))
        if not pool:
            return None
        return pool[int(rng.integers(len(pool)))]


def views(clip: Clip, borrowed: Borrowed, rng: np.random.Generator) -> list[PartView]:
    """The part views of one clip: each part with a kind, over the parts before it in
    :data:`PHASE_ORDER` (borrowed chords under a lone drum part; a borrowed groove under a
    bass line half of the time)."""
    out = []
    for focus in clip.parts:
        kind = kind_of(focus)
        if kind is None or not focus.notes:
            continue
        rank = PHASE_ORDER.index(kind)
        backdrop = [p for p in clip.parts if p is not focus and PHASE_ORDER.index(_role(p)) < rank]
        if kind == "drums" and not backdrop:
            chords = borrowed.draw(clip, "chords", rng)
            backdrop = [chords] if chords is not None else []
        if kind == "bass" and rng.random() < 0.5:
            groove = borrowed.draw(clip, "drums", rng)
            if groove is not None:
                backdrop.append(groove)
        out.append(PartView(kind, focus, tuple(backdrop), clip))
    return out


def all_views(
    clips: Iterable[Clip], rng: np.random.Generator, *, borrowed: Borrowed | None = None
) -> Iterator[PartView]:
    """:func:`views` of every clip, in order; clips of a lone drum part wait until every other
    clip has lent its chords (Groove performances have none of their own)."""
    pool = borrowed or Borrowed()
    waiting: list[Clip] = []
    for clip in clips:
        pool.keep(clip)
        if all(p.is_drum for p in clip.parts):
            waiting.append(clip)
            continue
        yield from views(clip, pool, rng)
    for clip in waiting:
        yield from views(clip, pool, rng)


#: Bass figures a realised chord chart is played with in a bass view (beat positions are the
#: meter's felt beats): the root on each change, on every beat, root and fifth, octaves in
#: eighths, a pedal in eighths, half notes, or anticipations pushed off the beat.
BASS_FIGURES: Final = (
    "changes",
    "beats",
    "root-fifth",
    "octaves",
    "pedal",
    "halves",
    "pushed",
)


def bass_figure(
    chords: Sequence[ChordEvent], meter: Meter, *, figure: str, low: int, velocity: int = 96
) -> Part:
    """A bass line for chord events in one of :data:`BASS_FIGURES`, its roots (or slash basses)
    in the octave from MIDI pitch ``low``."""
    if figure not in BASS_FIGURES:
        raise ValueError(f"figure: {figure!r} -- one of {', '.join(BASS_FIGURES)}")
    beats = meter.beat_offsets_qn()
    bar = meter.bar_qn
    notes: list[Note] = []
    for c in chords:
        root = low + ((c.root + c.bass) % 12 - low) % 12
        fifth = root + 7 if root + 7 <= low + 14 else root - 5
        end = c.start + c.qn
        if figure == "changes":
            hits = [(c.start, root)]
        elif figure in ("octaves", "pedal"):
            steps = np.arange(c.start, end - 1e-9, 0.5)
            hits = [
                (float(t), root + 12 * (figure == "octaves" and k % 2 == 1))
                for k, t in enumerate(steps)
            ]
        else:
            grid = [
                b0 + b
                for b0 in np.arange(math.floor(c.start / bar) * bar, end, bar)
                for b in beats
                if c.start - 1e-9 <= b0 + b < end - 1e-9
            ]
            grid = grid or [c.start]
            if figure == "halves":
                grid = grid[::2]
            if figure == "pushed":  # the first beat, then off-beat pushes
                grid = [grid[0]] + [t - 0.5 for t in grid[1:] if t - 0.5 > grid[0]]
            hits = [
                (float(t), fifth if figure == "root-fifth" and k % 2 == 1 else root)
                for k, t in enumerate(grid)
            ]
        for k, (t, pitch) in enumerate(hits):
            stop = hits[k + 1][0] if k + 1 < len(hits) else end
            notes.append(Note(t, max(t + 0.25, stop * 0.98 + t * 0.02), pitch, velocity))
    return Part("bass", tuple(notes), program=33)


def refigured(view: PartView, rng: np.random.Generator, *, copies: int = 2) -> list[PartView]:
    """A bass view of a realised chord chart (its bass is the chords' roots, the same figure
    through a whole song) played ``copies`` times, each with a random figure and octave over
    the same backdrop, so bass views of one chart differ as bass lines do, and a batch holds
    bass lines that differ only in themselves; any other view as it is."""
    chords = view.clip.info.chords
    if view.kind != "bass" or not chords or view.clip.info.source not in _CHARTS:
        return [view]
    out = []
    for figure in rng.choice(BASS_FIGURES, size=copies, replace=False):
        low = int(rng.integers(26, 41))
        part = bass_figure(chords, view.clip.meter, figure=str(figure), low=low)
        out.append(dataclasses.replace(view, focus=part))
    return out


#: General MIDI kick and snare notes (what a thinned groove keeps).
_BACKBEAT: Final = frozenset({35, 36, 37, 38, 40})


def thinned(part: Part, meter: Meter) -> Part | None:
    """The part with only its notes that start on a felt beat (a drum part: its kicks and
    snares there): the same line, sparser and straighter. None when nothing, or everything,
    is left."""
    bar = meter.bar_qn
    beats = meter.beat_offsets_qn()

    def on_beat(t: float) -> bool:
        pos = t % bar
        return any(abs(pos - b) < 1e-6 or abs(pos - b - bar) < 1e-6 for b in beats)

    kept = tuple(
        n for n in part.notes if on_beat(n.start) and (not part.is_drum or n.pitch in _BACKBEAT)
    )
    if not kept or len(kept) == len(part.notes):
        return None
    return dataclasses.replace(part, notes=kept)


def variants(view: PartView, rng: np.random.Generator) -> list[PartView]:
    """A view and a counterfactual of it over the same backdrop, so a batch holds parts that
    differ only in themselves (their texts re-measured from the notes): a chart's bass in two
    figures (:func:`refigured`); a chart's chords comped two ways; any other part as it is and
    :func:`thinned`."""
    chords = view.clip.info.chords
    charted = bool(chords) and view.clip.info.source in _CHARTS
    if view.kind == "bass" and charted:
        return refigured(view, rng)
    if view.kind == "chords" and charted:
        comping = str(rng.choice(COMPING))
        centre = float(rng.uniform(54.0, 70.0))
        part, _ = realise_chords(
            chords, view.clip.meter, comping=comping, bass_every_beat=False, centre=centre
        )
        return [view, dataclasses.replace(view, focus=part)]
    sparse = thinned(view.focus, view.clip.meter)
    return [view] if sparse is None else [view, dataclasses.replace(view, focus=sparse)]


def view_text(view: PartView, rng: np.random.Generator) -> tuple[str, str]:
    """(text, tags) of a view: its focus part measured alone (registers against its kind),
    the song's key, tempo, meter and style, and the kind's name. Chord words only for a chord
    part (a bass line or melody does not carry the harmony's name)."""
    clip = view.clip
    noun = str(rng.choice(KIND_NOUNS[view.kind]))
    style = tuple(f"{s} {noun}" for s in clip.info.style) or (noun,)
    info = dataclasses.replace(
        clip.info,
        style=style,
        ensemble=(),
        section=None,
        chords=clip.info.chords if view.kind == "chords" else (),
    )
    alone = Clip((view.focus,), clip.bpm, clip.meter, info, clip.split)
    text, tags = clip_text(alone, rng, register_edges=KIND_REGISTERS.get(view.kind))
    return text, f"part={view.kind};{tags}"


__all__ = [
    "BASS_FIGURES",
    "KIND_NOUNS",
    "KIND_REGISTERS",
    "PHASE_ORDER",
    "Borrowed",
    "PartView",
    "all_views",
    "bass_figure",
    "kind_of",
    "refigured",
    "thinned",
    "variants",
    "view_text",
    "views",
]
