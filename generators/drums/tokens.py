"""The drum-transformer vocabulary and grammar, shared by training (torch) and runtime
sampling (onnxruntime), so both read and write the same token sequences.

A sequence is ``BOS STYLE_<s> METER_<n>_<d> KIND_<beat|fill>`` and then bars: ``BAR`` followed
by the bar's onsets as ``POS_<step>`` and, at each position, one ``HIT_<class>_<vel>_<off>`` per
drum class in ascending class order; ``EOS`` ends a whole performance. Steps are 16ths (4 per
quarter note, 2 per eighth). Drums use the Groove MIDI Dataset's nine-class reduction; velocity
and micro-timing (the onset's distance from its 16th, in fractions of a step) are binned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from generators.drums.grid import (
    CLAP,
    CLOSED_HH,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HH,
    PEDAL_HH,
    RIDE,
    RIM,
    SNARE,
)

VOCAB_VERSION: Final = 2

#: The Groove MIDI Dataset's nine drum classes (Gillick et al. 2019, table 2).
DRUM_CLASSES: Final = (
    "kick",
    "snare",
    "closed_hh",
    "open_hh",
    "low_tom",
    "mid_tom",
    "high_tom",
    "crash",
    "ride",
)
#: The GM note each class is written as in MIDI (the paper's mapping: floor tom 43).
CLASS_PITCH: Final = (36, 38, 42, 46, 43, 47, 50, 49, 51)
#: The genome voice each class becomes (the genome's low tom is GM 45).
CLASS_VOICE: Final = (KICK, SNARE, CLOSED_HH, OPEN_HH, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE)
#: Genome voices folded onto a class when a genome is encoded (shaker, cowbell, tambourine: none).
VOICE_CLASS: Final[dict[int, int]] = {
    KICK: 0,
    SNARE: 1,
    RIM: 1,
    CLAP: 1,
    CLOSED_HH: 2,
    PEDAL_HH: 2,
    OPEN_HH: 3,
    LOW_TOM: 4,
    MID_TOM: 5,
    HIGH_TOM: 6,
    CRASH: 7,
    RIDE: 8,
}

#: Velocity bin edges (lower bounds) and the velocity each bin decodes to.
VELOCITY_EDGES: Final = (1, 40, 60, 80, 100, 116)
VELOCITY_CENTERS: Final = (28, 51, 70, 90, 107, 122)
#: Micro-timing bin edges (upper bounds, fractions of a step) and decoded offsets.
OFFSET_EDGES: Final = (-0.3, -0.1, 0.1, 0.3)
OFFSET_CENTERS: Final = (-0.4, -0.2, 0.0, 0.2, 0.4)

#: Style tokens: the Groove styles grouped into the families the generator knows.
STYLES: Final = ("rock", "funk", "halftime", "shuffle", "breakbeat", "jazz", "latin", "any")
#: Meter tokens: the meters the Groove data holds, then those its 4/4 beats are re-cut into for
#: training (:mod:`training.drums.augment`); every bar fits :data:`MAX_STEPS` 16ths.
METERS: Final = ((4, 4), (3, 4), (6, 8), (5, 4), (5, 8), (2, 4), (7, 8), (9, 8), (12, 8))
KINDS: Final = ("beat", "fill")
MAX_STEPS: Final = 24

SPECIALS: Final = ("PAD", "BOS", "EOS", "BAR")


def _build_vocab() -> tuple[str, ...]:
    out = list(SPECIALS)
    out += [f"STYLE_{s}" for s in STYLES]
    out += [f"METER_{n}_{d}" for n, d in METERS]
    out += [f"KIND_{k}" for k in KINDS]
    out += [f"POS_{p}" for p in range(MAX_STEPS)]
    out += [
        f"HIT_{c}_{v}_{o}"
        for c in range(len(DRUM_CLASSES))
        for v in range(len(VELOCITY_CENTERS))
        for o in range(len(OFFSET_CENTERS))
    ]
    return tuple(out)


VOCAB: Final[tuple[str, ...]] = _build_vocab()
INDEX: Final[dict[str, int]] = {t: i for i, t in enumerate(VOCAB)}
PAD: Final = INDEX["PAD"]
BOS: Final = INDEX["BOS"]
EOS: Final = INDEX["EOS"]
BAR: Final = INDEX["BAR"]
POS0: Final = INDEX["POS_0"]
HIT0: Final = INDEX["HIT_0_0_0"]
_PER_CLASS: Final = len(VELOCITY_CENTERS) * len(OFFSET_CENTERS)


def velocity_bin(velocity: int) -> int:
    return max(i for i, e in enumerate(VELOCITY_EDGES) if velocity >= e)


def offset_bin(offset: float) -> int:
    return sum(1 for e in OFFSET_EDGES if offset >= e)


def hit_token(cls: int, velocity: int, offset: float) -> int:
    if not 0 <= cls < len(DRUM_CLASSES):
        raise ValueError(f"drum class: {cls!r} -- 0..{len(DRUM_CLASSES) - 1}")
    return (
        HIT0 + cls * _PER_CLASS + velocity_bin(velocity) * len(OFFSET_CENTERS) + offset_bin(offset)
    )


@dataclass(frozen=True, slots=True)
class TokenHit:
    """A decoded hit: class index, velocity and micro-offset (fraction of a step)."""

    cls: int
    velocity: int
    offset: float


def decode_hit(token: int) -> TokenHit:
    i = token - HIT0
    if not 0 <= i < len(DRUM_CLASSES) * _PER_CLASS:
        raise ValueError(
            f"token: {token!r} ({VOCAB[token] if 0 <= token < len(VOCAB) else '?'}) -- a HIT token"
        )
    cls, rest = divmod(i, _PER_CLASS)
    v, o = divmod(rest, len(OFFSET_CENTERS))
    return TokenHit(cls=cls, velocity=VELOCITY_CENTERS[v], offset=OFFSET_CENTERS[o])


def is_hit(token: int) -> bool:
    return HIT0 <= token < HIT0 + len(DRUM_CLASSES) * _PER_CLASS


def is_pos(token: int) -> bool:
    return POS0 <= token < POS0 + MAX_STEPS


def style_token(style: str) -> int:
    if style not in STYLES:
        raise ValueError(f"transformer style: {style!r} -- one of {', '.join(STYLES)}")
    return INDEX[f"STYLE_{style}"]


def meter_token(numerator: int, denominator: int) -> int | None:
    """The meter's token, or None for a meter the vocabulary does not hold."""
    return INDEX.get(f"METER_{numerator}_{denominator}")


def steps_per_bar(numerator: int, denominator: int) -> int:
    """16th steps in a bar (4/4 -> 16, 6/8 -> 12)."""
    return numerator * max(1, 16 // denominator)


def header(style: str, numerator: int, denominator: int, kind: str = "beat") -> list[int]:
    """``[BOS, STYLE, METER, KIND]``. Raises ValueError for an unknown style, meter or kind."""
    meter = meter_token(numerator, denominator)
    if meter is None:
        raise ValueError(
            f"transformer meter: {numerator}/{denominator} -- one of "
            f"{', '.join(f'{n}/{d}' for n, d in METERS)}"
        )
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} -- one of {', '.join(KINDS)}")
    return [BOS, style_token(style), meter, INDEX[f"KIND_{kind}"]]


BarHits = tuple[tuple[int, TokenHit], ...]  # (step in bar, hit), sorted by step then class


def encode_bar(hits: BarHits) -> list[int]:
    """``BAR`` then ``POS``/``HIT`` tokens of one bar (hits sorted into canonical order)."""
    out = [BAR]
    last = -1
    for step, h in sorted(hits, key=lambda x: (x[0], x[1].cls)):
        if not 0 <= step < MAX_STEPS:
            raise ValueError(f"step in bar: {step!r} -- 0..{MAX_STEPS - 1}")
        if step != last:
            out.append(POS0 + step)
            last = step
        out.append(hit_token(h.cls, h.velocity, h.offset))
    return out


def decode_bars(tokens: list[int] | tuple[int, ...]) -> list[BarHits]:
    """Bars of a token sequence (header and specials skipped). Hits before any ``POS`` and
    repeated classes at one position are ignored."""
    bars: list[list[tuple[int, TokenHit]]] = []
    pos: int | None = None
    for t in tokens:
        if t == BAR:
            bars.append([])
            pos = None
        elif t == EOS:
            break
        elif is_pos(t) and bars:
            pos = t - POS0
        elif is_hit(t) and bars and pos is not None:
            h = decode_hit(t)
            if all(not (s == pos and x.cls == h.cls) for s, x in bars[-1]):
                bars[-1].append((pos, h))
    return [tuple(b) for b in bars]


def allowed_next(prev: int, pos: int | None, classes_at_pos: frozenset[int], spb: int) -> list[int]:
    """The tokens the grammar allows after ``prev``: after the header's ``KIND`` a ``BAR``; after
    ``BAR`` a position, another ``BAR`` or ``EOS``; after ``POS`` a hit; after a hit another
    hit of a higher class at the same position, a later position, ``BAR`` or ``EOS``."""
    if VOCAB[prev].startswith("KIND_"):
        return [BAR]
    if prev == BAR:
        return [POS0 + p for p in range(spb)] + [BAR, EOS]
    if is_pos(prev):
        return list(range(HIT0, HIT0 + len(DRUM_CLASSES) * _PER_CLASS))
    if is_hit(prev):
        top = max(classes_at_pos) if classes_at_pos else -1
        hits = list(range(HIT0 + (top + 1) * _PER_CLASS, HIT0 + len(DRUM_CLASSES) * _PER_CLASS))
        later = [POS0 + p for p in range((pos if pos is not None else -1) + 1, spb)]
        return hits + later + [BAR, EOS]
    return [EOS]
