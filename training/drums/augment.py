"""Meter augmentation: bars of the meters Groove hardly plays, cut from its real 4/4 beats.

The Groove MIDI Dataset is 96% 4/4; its few other bars (one or two performances per meter) are
too few to learn a meter from. Each 4/4 training beat is re-cut, bar by bar, along the beats a
drummer plays in the other meter, so every new bar is real played material (velocities and
micro-timing kept) with the meter's accents where the meter puts them (its groups,
:attr:`music.meter.Meter.groups`; the kick on the first group, the backbeat on the others as
:func:`music.meter.kick_snare_pulses` counts them):

- straight meters, on the 16ths: 3/4 from beats 1, 2 and 4 (kick on 1, the backbeats on 2 and
  3); 2/4 from beats 1-2 and 3-4 (two bars); 5/4 (3+2) from beats 1, 2, 4 and then 3, 4 (a kick
  on 1 and 4); 7/8 as 2+2+3 (group starts on eighths 1, 3 and 5) as a drummer plays it, kick,
  snare, snare: beat 1 (the kick's group), beat 2 (the backbeat on the second group), then
  beat 4 (the backbeat on the long group's start) lengthened by the off-beat eighth of beat 2
  (the hat's '&', rarely a kick) as the long group's third eighth; 5/8 (3+2) from beat 1 and
  its next eighth, then beat 4.
- compound meters, from the bars played with a triplet (shuffle, swing) feel: each beat's
  onsets go to its three eighths (the nearest third of the beat, the rest kept as
  micro-timing), so a shuffle bar is a 12/8 bar; 6/8 from beats 1-2 and 3-4 (kick on 1, the
  backbeat on 4); 9/8 (kick, snare, snare) from beats 1, 2 and 4, from beats 3, 4 and 2 and from
  beats 3, 2 and 4 (a kick beat, then the two backbeats in either order); 12/8 from the bar and
  from its halves swapped (beats 3-4 then 1-2: kick, snare, kick, snare either way). Triplet-feel
  bars are few (one in twenty of the 4/4 beats), so each gives several compound bars.

Only the ``train`` split is augmented for training; the validation split, cut the same way,
is what ``bench/drum_meter_fit.py`` measures the samples of those meters against.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from generators.drums.tokens import VOCAB, BarHits, TokenHit
from training.drums.dataset import GrooveRow, Piece
from training.drums.tokenizer import Performance, performance_tokens

#: A plan: the output bars made from one 4/4 bar, each a tuple of ``(start, length)`` segments of
#: the source bar (16th steps for straight plans, triplet-eighth halves for compound ones).
Plan = tuple[tuple[tuple[int, int], ...], ...]

STRAIGHT_PLANS: Final[dict[tuple[int, int], Plan]] = {
    (3, 4): (((0, 8), (12, 4)),),
    (2, 4): (((0, 8),), ((8, 8),)),
    (5, 4): (((0, 8), (12, 4), (8, 8)),),
    (7, 8): (((0, 8), (12, 4), (6, 2)),),
    (5, 8): (((0, 6), (12, 4)),),
}
#: Compound plans on the source bar as 24 steps (each beat six 16ths: three eighths).
COMPOUND_PLANS: Final[dict[tuple[int, int], Plan]] = {
    (6, 8): (((0, 12),), ((12, 12),)),
    (9, 8): (
        ((0, 12), (18, 6)),
        ((12, 12), (6, 6)),
        ((12, 6), (6, 6), (18, 6)),
    ),
    (12, 8): (((0, 24),), ((12, 12), (0, 12))),
}
AUGMENTED_METERS: Final = (*STRAIGHT_PLANS, *COMPOUND_PLANS)
#: A bar has a triplet feel when at least this many onsets sit off the beat nearer a third of a
#: beat than a 16th, and they are at least :data:`TRIPLET_SHARE` of its off-beat onsets.
MIN_TRIPLET_ONSETS: Final = 3
TRIPLET_SHARE: Final = 0.75
#: Runs of consecutive triplet-feel bars shorter than this are not used.
MIN_RUN: Final = 2


def _exact(step: int, hit: TokenHit) -> float:
    return step + hit.offset


def is_triplet_bar(bar: BarHits) -> bool:
    """True when the bar's off-beat onsets lie on the beat's thirds (a shuffle or swing feel),
    not on its 16ths."""
    triplet = straight = 0
    for step, h in bar:
        frac = (_exact(step, h) / 4.0) % 1.0
        d_beat = min(frac, 1.0 - frac)
        if d_beat < 0.1:
            continue
        d_third = abs(frac * 3 - round(frac * 3)) / 3
        d_16th = abs(frac * 4 - round(frac * 4)) / 4
        if d_third < d_16th:
            triplet += 1
        else:
            straight += 1
    return triplet >= MIN_TRIPLET_ONSETS and triplet >= TRIPLET_SHARE * (triplet + straight)


def to_compound(bar: BarHits) -> BarHits:
    """A 4/4 triplet-feel bar as 24 steps: every beat three eighths of two 16th steps, each
    onset on its nearest eighth with the remainder as micro-timing (onsets that round past the
    bar line are dropped; two of one class on one step keep the louder)."""
    best: dict[tuple[int, int], TokenHit] = {}
    for step, h in bar:
        thirds = _exact(step, h) / 4.0 * 3.0
        k = round(thirds)
        if not 0 <= k < 12:
            continue
        off = max(-0.5, min(0.5, (thirds - k) * 2.0))
        key = (2 * k, h.cls)
        if key not in best or h.velocity > best[key].velocity:
            best[key] = TokenHit(cls=h.cls, velocity=h.velocity, offset=off)
    return tuple((s, h) for (s, _), h in sorted(best.items()))


def cut(bar: BarHits, segments: tuple[tuple[int, int], ...]) -> BarHits:
    """The segments of ``bar`` played one after another as one bar."""
    out: list[tuple[int, TokenHit]] = []
    at = 0
    for start, length in segments:
        out += [(at + s - start, h) for s, h in bar if start <= s < start + length]
        at += length
    return tuple(sorted(out, key=lambda x: (x[0], x[1].cls)))


def _apply(bars: tuple[BarHits, ...], plan: Plan) -> tuple[BarHits, ...]:
    return tuple(cut(bar, segments) for bar in bars for segments in plan)


def _triplet_runs(bars: tuple[BarHits, ...]) -> list[tuple[BarHits, ...]]:
    runs: list[list[BarHits]] = [[]]
    for bar in bars:
        if is_triplet_bar(bar):
            runs[-1].append(to_compound(bar))
        elif runs[-1]:
            runs.append([])
    return [tuple(r) for r in runs if len(r) >= MIN_RUN]


def _piece(source: Piece, meter: tuple[int, int], bars: tuple[BarHits, ...]) -> Piece | None:
    if not any(bars):
        return None
    num, den = meter
    perf = Performance(numerator=num, denominator=den, bpm=source.performance.bpm, bars=bars)
    style = VOCAB[source.header[1]].removeprefix("STYLE_")
    toks = performance_tokens(perf, style, source.row.kind)
    row: GrooveRow = replace(source.row, numerator=num, denominator=den)
    return Piece(
        row=row,
        header=tuple(toks[0]),
        bars=tuple(tuple(b) for b in toks[1:]),
        performance=perf,
    )


def augment(pieces: list[Piece]) -> dict[tuple[int, int], list[Piece]]:
    """Pieces of every :data:`AUGMENTED_METERS` meter cut from the 4/4 beats of ``pieces``."""
    out: dict[tuple[int, int], list[Piece]] = {m: [] for m in AUGMENTED_METERS}
    for p in pieces:
        if p.row.kind != "beat" or (p.row.numerator, p.row.denominator) != (4, 4):
            continue
        bars = p.performance.bars
        made: list[tuple[tuple[int, int], tuple[BarHits, ...]]] = [
            (m, _apply(bars, plan)) for m, plan in STRAIGHT_PLANS.items()
        ]
        for run in _triplet_runs(bars):
            made += [(m, _apply(run, plan)) for m, plan in COMPOUND_PLANS.items()]
        for meter, new in made:
            piece = _piece(p, meter, new)
            if piece is not None:
                out[meter].append(piece)
    return out
