"""Text for a clip, derived from its notes and its source's metadata (never from color rules).

:func:`measure` reads the notes (rhythmic activity, register, swing, syncopation, harmonic
colour against the stated key); :func:`describe` turns measurements plus metadata into words
(:class:`Description`); :func:`render` writes one of several templates with a random subset of
the optional attributes, so no single feature decides the text. Key/mode and tempo words are
always written when the source states them ("in D minor", "slow, 64 bpm").

Mood words follow from measurable properties only: mode (valence), tempo or activity (arousal)
and register, e.g. minor + slow + low -> "dark, somber"; major + fast + high -> "bright, lively".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.midi_features import is_triplet_onset
from training.scorer.sources_common import ChordEvent, Clip

#: Felt-beat tempo edges (beats per minute): below SLOW is slow, below MODERATE moderate, below
#: BRISK upbeat, else fast.
SLOW_BPM: Final = 76.0
MODERATE_BPM: Final = 108.0
BRISK_BPM: Final = 140.0
#: Distinct onset positions per quarter note (pitched music / drums alone).
SPARSE_ACTIVITY: Final = (0.9, 1.5)
BUSY_ACTIVITY: Final = (1.9, 3.0)
#: Mean pitch (MIDI, each pitched note counted once) edges of the low and high registers: about
#: the lower and upper thirds of the corpus built from ../shared/data (tertiles 57.7 and 61.0).
LOW_REGISTER: Final = 57.0
HIGH_REGISTER: Final = 62.0


@dataclass(frozen=True, slots=True)
class Measures:
    """Numbers read from a clip's notes."""

    length_qn: float
    pitched_activity: float  # distinct pitched onset steps (16ths) per quarter note
    drum_activity: float  # distinct drum onset steps per quarter note
    mean_pitch: float | None  # MIDI, each pitched note once; None without pitched notes
    triplets: float  # share of onsets on 8th-triplet positions (swing), simple meters only
    syncopation: float  # pitched: share of onsets off the felt beats; drums: on odd 16ths
    out_of_key: float | None  # share of pitched duration outside the key (None: no key)
    extended: float | None  # chord duration share of 7th/6th/9th chords (None: no chords)
    borrowed: float | None  # chord duration share with tones outside the key
    changes_per_bar: float | None
    distinct_chords: int


def _scale(key: Key) -> frozenset[int]:
    pcs = set(key.scale_pcs())
    if key.is_minor:  # harmonic and melodic minor are not "borrowed"
        pcs |= {(key.tonic + 9) % 12, (key.tonic + 11) % 12}
    return frozenset(pcs)


def measure(clip: Clip) -> Measures:
    """Measure a clip (see :class:`Measures`)."""
    meter = clip.meter
    pitched = [n for p in clip.parts if not p.is_drum for n in p.notes]
    drums = [n for p in clip.parts if p.is_drum for n in p.notes]
    end = max((n.end for n in pitched + drums), default=0.0)
    length = max(meter.bar_qn, math.ceil(end / meter.bar_qn - 1e-9) * meter.bar_qn)

    def activity(notes: Sequence[Note]) -> float:
        return len({math.floor(n.start * 4 + 0.5) for n in notes}) / length

    mean_pitch = None
    if pitched:
        mean_pitch = float(np.mean([n.pitch for n in pitched]))
    every = pitched + drums
    triplets = 0.0
    if every and not meter.is_compound:
        triplets = float(np.mean([is_triplet_onset(n.start) for n in every]))
    if pitched:
        sync = _off_beat_share(pitched, meter)
    elif drums and not meter.is_compound:
        steps = {math.floor(n.start * 4 + 0.5) for n in drums}
        sync = sum(1 for s in steps if s % 2 == 1) / len(steps)
    else:
        sync = 0.0
    key = clip.info.key
    out_of_key = None
    if key is not None and pitched:
        scale = _scale(key)
        total = sum(n.duration for n in pitched)
        out_of_key = sum(n.duration for n in pitched if n.pitch % 12 not in scale) / total
    chords = clip.info.chords
    extended = borrowed = changes = None
    if chords:
        total_qn = sum(c.qn for c in chords)
        extended = sum(c.qn for c in chords if c.is_extended) / total_qn
        if key is not None:
            scale = _scale(key)
            borrowed = sum(c.qn for c in chords if not c.pitch_classes <= scale) / total_qn
        changes = _changes(chords) / max(total_qn / meter.bar_qn, 1e-9)
    return Measures(
        length_qn=length,
        pitched_activity=activity(pitched),
        drum_activity=activity(drums),
        mean_pitch=mean_pitch,
        triplets=triplets,
        syncopation=sync,
        out_of_key=out_of_key,
        extended=extended,
        borrowed=borrowed,
        changes_per_bar=changes,
        distinct_chords=len({(c.root, c.intervals) for c in chords}),
    )


def _changes(chords: Sequence[ChordEvent]) -> int:
    return (
        sum(
            1
            for a, b in itertools.pairwise(chords)
            if (a.root, a.intervals) != (b.root, b.intervals)
        )
        + 1
    )


def _off_beat_share(notes: Sequence[Note], meter: Meter) -> float:
    steps = {math.floor(n.start * 4 + 0.5) for n in notes}
    bar_steps = round(meter.bar_qn * 4)
    beats = {round(o * 4) for o in meter.beat_offsets_qn()}
    return sum(1 for s in steps if s % bar_steps not in beats) / len(steps)


@dataclass(frozen=True, slots=True)
class Description:
    """Categorical words for a clip; ``None`` where there is nothing to say."""

    key: str | None  # "D minor"
    mode: str | None  # "major" / "minor"
    meter: str
    tempo: str | None  # "slow" / "moderate" / "upbeat" / "fast"
    bpm: int | None
    density: str  # "sparse" / "moderate" / "busy"
    register: str | None  # "low" / "middle" / "high"
    harmony: tuple[str, ...]  # "extended", "borrowed", "chromatic", "simple", "fast-changing"
    feel: str  # "swung" / "syncopated" / "straight"
    mood: str  # mood family, e.g. "dark"
    drums_only: bool

    def tags(self) -> str:
        """``name=value`` pairs joined by ``;`` (for evaluation filters)."""
        items = [
            ("mode", self.mode),
            ("meter", self.meter),
            ("tempo", self.tempo),
            ("density", self.density),
            ("register", self.register),
            ("harmony", ",".join(self.harmony) or None),
            ("feel", self.feel),
            ("mood", self.mood),
            ("drums_only", str(self.drums_only).lower()),
        ]
        return ";".join(f"{k}={v}" for k, v in items if v is not None)


def describe(
    clip: Clip, m: Measures, *, register_edges: tuple[float, float] | None = None
) -> Description:
    """Words for a clip from its measures and metadata. ``register_edges`` (MIDI pitch) are the
    low and high register edges (default those of whole clips: :data:`LOW_REGISTER`,
    :data:`HIGH_REGISTER`); one part is low or high against other parts of its kind."""
    low_edge, high_edge = register_edges or (LOW_REGISTER, HIGH_REGISTER)
    info = clip.info
    meter = clip.meter
    drums_only = m.mean_pitch is None
    tempo = bpm = None
    if info.tempo_known:
        felt = clip.bpm * meter.beats_per_bar / meter.bar_qn
        tempo = (
            "slow"
            if felt < SLOW_BPM
            else "moderate"
            if felt < MODERATE_BPM
            else "upbeat"
            if felt < BRISK_BPM
            else "fast"
        )
        bpm = round(clip.bpm)
    act = m.drum_activity if drums_only else m.pitched_activity
    sparse_edge, busy_edge = (
        (SPARSE_ACTIVITY[1], BUSY_ACTIVITY[1])
        if drums_only
        else (SPARSE_ACTIVITY[0], BUSY_ACTIVITY[0])
    )
    density = "sparse" if act < sparse_edge else "busy" if act >= busy_edge else "moderate"
    register = None
    if m.mean_pitch is not None:
        register = (
            "low" if m.mean_pitch < low_edge else "high" if m.mean_pitch > high_edge else "middle"
        )
    harmony: list[str] = []
    if m.extended is not None and m.extended >= 0.35:
        harmony.append("extended")
    if m.borrowed is not None and m.borrowed >= 0.2:
        harmony.append("borrowed")
    if m.out_of_key is not None and m.out_of_key >= 0.12:
        harmony.append("chromatic")
    if (
        m.extended is not None
        and m.extended < 0.1
        and "borrowed" not in harmony
        and "chromatic" not in harmony
    ):
        harmony.append("simple")
    if m.changes_per_bar is not None and m.changes_per_bar >= 2.0:
        harmony.append("fast-changing")
    elif m.changes_per_bar is not None and m.changes_per_bar <= 0.5:
        harmony.append("static")
    if info.swing or m.triplets >= 0.15:
        feel = "swung"
    elif m.syncopation >= (0.25 if drums_only else 0.45):
        feel = "syncopated"
    else:
        feel = "straight"
    mode = info.key.family if info.key is not None else None
    return Description(
        key=info.key.name if info.key is not None else None,
        mode=mode,
        meter=str(meter),
        tempo=tempo,
        bpm=bpm,
        density=density,
        register=register,
        harmony=tuple(harmony),
        feel=feel,
        mood=_mood(mode, tempo, density, register),
        drums_only=drums_only,
    )


def _mood(mode: str | None, tempo: str | None, density: str, register: str | None) -> str:
    """Mood family from valence (mode), arousal (tempo, else activity) and register."""
    if tempo in ("upbeat", "fast"):
        arousal = "high"
    elif tempo == "slow":
        arousal = "low"
    else:
        arousal = {"busy": "high", "sparse": "low"}.get(density, "mid")
    if mode is None:
        return {"high": "energetic", "low": "laid-back", "mid": "steady"}[arousal]
    if mode == "minor":
        if arousal == "low":
            return "dark" if register == "low" else "somber"
        return "wistful" if arousal == "mid" else "tense"
    if arousal == "high":
        return "bright" if register in ("high", "middle") else "energetic"
    return "calm" if arousal == "low" else "warm"


MOOD_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "dark": ("dark", "somber", "brooding", "ominous", "gloomy"),
    "somber": ("somber", "melancholic", "mournful", "sad"),
    "wistful": ("wistful", "melancholic", "pensive", "bittersweet"),
    "tense": ("tense", "urgent", "restless", "driving"),
    "bright": ("bright", "lively", "joyful", "sunny", "cheerful"),
    "energetic": ("energetic", "upbeat", "driving", "punchy"),
    "warm": ("warm", "easygoing", "friendly", "relaxed"),
    "calm": ("calm", "gentle", "peaceful", "tender", "serene"),
    "laid-back": ("laid-back", "relaxed", "restrained", "unhurried"),
    "steady": ("steady", "groovy", "even"),
}
_TEMPO_WORDS: Final = {
    "slow": ("slow", "slow tempo", "a slow pulse"),
    "moderate": ("moderate tempo", "moderate pace", "moderate"),
    "upbeat": ("upbeat tempo", "upbeat", "brisk and upbeat"),
    "fast": ("fast", "fast tempo", "quick and fast"),
}
_DENSITY_WORDS: Final = {
    "sparse": ("sparse", "spacious", "few notes", "minimal"),
    "moderate": ("steady rhythm", "moderately active", "even rhythm"),
    "busy": ("busy", "dense", "lots of movement", "active rhythm"),
}
_REGISTER_WORDS: Final = {
    "low": ("low register", "deep, low voicing", "low-pitched"),
    "middle": ("middle register", "mid-range voicing"),
    "high": ("high register", "high, bright voicing", "high-pitched"),
}
_HARMONY_WORDS: Final = {
    "extended": ("extended chords", "seventh chords", "rich extended harmony"),
    "borrowed": ("borrowed chords", "non-diatonic chords", "modal borrowing"),
    "chromatic": ("chromatic", "chromatic harmony", "chromatic notes"),
    "simple": ("simple triads", "plain diatonic harmony", "basic triads"),
    "fast-changing": ("fast harmonic rhythm", "frequent chord changes"),
    "static": ("static harmony", "slow-moving chords", "few chord changes"),
}
_FEEL_WORDS: Final = {
    "swung": ("swung", "swing feel", "shuffled triplet feel"),
    "syncopated": ("syncopated", "syncopated rhythm", "off-beat accents"),
    "straight": ("straight rhythm", "straight feel", "on the beat"),
}
_METER_WORDS: Final = {
    "4/4": ("in 4/4", "in common time", "four beats to the bar"),
    "3/4": ("in 3/4", "in waltz time", "three beats to the bar"),
    "6/8": ("in 6/8", "in lilting 6/8", "compound duple 6/8"),
    "12/8": ("in 12/8", "in a rolling 12/8", "compound 12/8"),
    "9/8": ("in 9/8", "compound triple 9/8"),
    "2/2": ("in 2/2", "in cut time"),
    "2/4": ("in 2/4", "in a brisk two"),
}


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def render(d: Description, clip: Clip, rng: np.random.Generator) -> str:
    """One text for a clip: a random template over a random subset of optional attributes."""
    info = clip.info
    style = _pick(rng, info.style) if info.style else "music"
    moods = list(MOOD_WORDS[d.mood])
    rng.shuffle(moods)
    mood = ", ".join(moods[: 1 + int(rng.random() < 0.5)])
    key = f"in {d.key}" if d.key else None
    tempo = None
    if d.tempo:
        word = _pick(rng, _TEMPO_WORDS[d.tempo])
        tempo = f"{word}, {d.bpm} bpm" if rng.random() < 0.6 else word
    meter = _pick(rng, _METER_WORDS.get(d.meter, (f"in {d.meter}", f"in {d.meter} time")))
    optional = {
        "meter": (meter, 0.6 if d.meter == "4/4" else 0.9),
        "density": (_pick(rng, _DENSITY_WORDS[d.density]), 0.7),
        "register": (_pick(rng, _REGISTER_WORDS[d.register]) if d.register else None, 0.6),
        "harmony": (", ".join(_pick(rng, _HARMONY_WORDS[h]) for h in d.harmony) or None, 0.7),
        "feel": (_pick(rng, _FEEL_WORDS[d.feel]), 0.6 if d.feel == "straight" else 0.85),
        "ensemble": (_pick(rng, info.ensemble) if info.ensemble else None, 0.6),
        "era": (f"{info.era}" if info.era else None, 0.6),
        "section": (f"{info.section} section" if info.section else None, 0.5),
    }
    chosen = {k: v for k, (v, p) in optional.items() if v and rng.random() < p}
    template = int(rng.integers(4))
    if template == 0:  # a sentence
        head = " ".join(x for x in (mood, chosen.pop("era", None), style) if x)
        first = ", ".join(x for x in (f"{_article(head)} {head}", key, tempo) if x)
        rest = ", ".join(chosen.values())
        return f"{first}. {rest[:1].upper()}{rest[1:]}." if rest else f"{first}."
    if template == 1:  # a tag list
        candidates = [style, mood, key[3:] if key else None, tempo, *chosen.values()]
        tags = [t for t in candidates if t]
        order = rng.permutation(len(tags))
        return ", ".join(tags[int(i)] for i in order)
    if template == 2:  # descriptive, style first
        ensemble = chosen.pop("ensemble", None)
        section = chosen.pop("section", None)
        head = f"{style.capitalize()} {section}" if section else style.capitalize()
        if ensemble:
            head += f" for {ensemble}"
        parts = [x for x in (key, tempo, mood, *chosen.values()) if x]
        return f"{head}: {', '.join(parts)}."
    # template 3: mood-led, short
    parts = [x for x in (key, tempo, *list(chosen.values())[:2]) if x]
    head = f"{mood[:1].upper()}{mood[1:]} {style}"
    return f"{head}, {', '.join(parts)}" if parts else head


def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"


def clip_text(
    clip: Clip, rng: np.random.Generator, *, register_edges: tuple[float, float] | None = None
) -> tuple[str, str]:
    """(text, tags) of a clip (``register_edges``: see :func:`describe`)."""
    d = describe(clip, measure(clip), register_edges=register_edges)
    return render(d, clip, rng), d.tags()
