"""Drum theory scores and groove metrics on patterns with a known answer."""

from __future__ import annotations

import math

import pytest

from scoring.drums import (
    BASE_DENSITY,
    DRUM_WEIGHTS,
    DrumPattern,
    PatternHit,
    bar_similarity,
    density_fit,
    density_target,
    fill_bars,
    fill_placement,
    groove_consistency,
    role_balance,
    score_drums,
)

KICK, SNARE, HAT, CRASH, TOM, RIDE = 36, 38, 42, 49, 45, 51
ROLE = {KICK: "core", SNARE: "core", HAT: "motion", RIDE: "motion", CRASH: "accent", TOM: "fill"}
# 4/4 on 16ths: downbeat 1, beat 3 0.8, beats 2/4 0.6, 8ths 0.2, 16ths 0.
WEIGHTS = tuple(
    1.0 if s == 0 else 0.8 if s == 8 else 0.6 if s % 4 == 0 else 0.2 if s % 2 == 0 else 0.0
    for s in range(16)
)


def pattern(bars: int, hits: list[tuple[int, int, int]]) -> DrumPattern:
    """A 4/4 16th-grid pattern from (step, voice, velocity)."""
    return DrumPattern(
        bars=bars,
        steps_per_bar=16,
        steps_per_qn=4.0,
        beat_steps=(0, 4, 8, 12),
        strong_steps=(0, 8),
        pulse_steps=(0, 4, 8, 12),
        step_weights=WEIGHTS,
        hits=tuple(PatternHit(s, v, ROLE[v], vel) for s, v, vel in hits),
    )


def rock_bar(bar: int, *, extra_kick: int | None = None) -> list[tuple[int, int, int]]:
    b = bar * 16
    hits = [(b, KICK, 100), (b + 8, KICK, 100), (b + 4, SNARE, 100), (b + 12, SNARE, 100)]
    hits += [(b + s, HAT, 80) for s in range(0, 16, 2)]
    if extra_kick is not None:
        hits.append((b + extra_kick, KICK, 90))
    return hits


def rock(bars: int = 4, *, varied: bool = False) -> DrumPattern:
    hits = []
    for b in range(bars):
        hits += rock_bar(b, extra_kick=(b * 3 + 3) % 16 if varied and b % 2 else None)
    return pattern(bars, hits)


def test_groove_consistency_prefers_a_little_variation() -> None:
    identical = rock()
    assert bar_similarity(identical) == 1.0
    assert groove_consistency(identical) == pytest.approx(0.6)
    # Two bars share 10 of 14 onsets: inside the band real grooves show -> full marks.
    second = [(16, KICK, 100), (20, SNARE, 100), (23, SNARE, 40), (27, KICK, 90), (28, SNARE, 100)]
    second += [(16 + s, HAT, 80) for s in range(0, 14, 2)]  # no hat on the last 8th
    half = pattern(2, [*rock_bar(0), *second])
    assert 0.47 <= bar_similarity(half) <= 0.76
    assert groove_consistency(half) == 1.0
    disjoint = pattern(2, [(0, KICK, 100), (4, SNARE, 100), (16 + 2, HAT, 80)])
    assert groove_consistency(disjoint) == 0.0
    assert groove_consistency(pattern(1, rock_bar(0))) == 0.8
    assert groove_consistency(identical) < groove_consistency(rock(varied=True))


def test_role_balance_known_values() -> None:
    assert role_balance(rock()) == pytest.approx(1.0)
    hats_only = pattern(1, [(s, HAT, 80) for s in range(0, 16, 2)])
    assert role_balance(hats_only) == pytest.approx(0.65)  # no core on 1 and 3
    no_motion = pattern(1, [(0, KICK, 100), (8, KICK, 100), (4, SNARE, 100), (12, SNARE, 100)])
    assert role_balance(no_motion) == pytest.approx(0.7)
    crashes = pattern(1, rock_bar(0) + [(s, CRASH, 110) for s in range(16)])
    assert role_balance(crashes) == pytest.approx(0.8)  # 16 accents a bar lose that fifth
    toms = pattern(2, rock_bar(0) + rock_bar(1) + [(3, TOM, 90), (19, TOM, 90)])
    assert role_balance(toms) == pytest.approx(0.85)  # toms in every bar: not fills


def test_density_target_follows_words_and_tempo() -> None:
    assert density_target([], [], 100) == pytest.approx(BASE_DENSITY)
    sparse = density_target(["ominous", "dreamy"], ["ambient"], 100)
    dense = density_target(["intense", "chaotic"], ["funk"], 100)
    assert sparse == pytest.approx(BASE_DENSITY * 0.55**2)
    assert dense == pytest.approx(BASE_DENSITY * 1.3**2)
    assert density_target([], [], 400) == pytest.approx(BASE_DENSITY * 0.75)
    assert density_target([], [], 49) == pytest.approx(BASE_DENSITY * 1.25)
    with pytest.raises(ValueError, match="bpm"):
        density_target([], [], 0)


def test_density_fit_peaks_on_target() -> None:
    p = rock(1)  # 12 onsets in 4 quarter notes
    assert density_fit(p, 3.0) == pytest.approx(1.0)
    assert density_fit(p, 3.0 * math.exp(0.4)) == pytest.approx(math.exp(-0.5))
    assert density_fit(pattern(1, []), 3.0) == 0.0
    sparse_words = density_target(["sparse", "ambient"], [], 100)
    dense_words = density_target(["intense", "chaotic"], [], 100)
    assert density_fit(p, sparse_words) < density_fit(p, dense_words)


def fill_at(bar: int) -> list[tuple[int, int, int]]:
    b = bar * 16
    return [(b + 12, TOM, 90), (b + 13, TOM, 95), (b + 14, TOM, 100), (b + 15, TOM, 105)]


def test_fill_placement_known_values() -> None:
    base = [h for b in range(4) for h in rock_bar(b)]
    assert fill_placement(pattern(4, base + fill_at(3))) == 1.0
    assert fill_placement(pattern(4, base)) == 0.6
    assert fill_placement(pattern(4, base), wants_fill=False) == 1.0
    assert fill_placement(pattern(4, base + fill_at(1))) == pytest.approx(0.3)
    assert fill_placement(pattern(4, base + fill_at(1) + fill_at(3))) == pytest.approx(0.5)
    eight = [h for b in range(8) for h in rock_bar(b)]
    assert fill_placement(pattern(8, eight + fill_at(3) + fill_at(7))) == 1.0
    roll = [(48 + s, SNARE, 80) for s in range(8, 16)]
    assert fill_bars(pattern(4, base + roll)) == (3,)


def test_score_drums_totals_the_components() -> None:
    p = pattern(
        4, [h for b in range(4) for h in rock_bar(b, extra_kick=6 if b == 1 else None)] + fill_at(3)
    )
    card = score_drums(p, mood=["driving"], genres=["rock"], bpm=120)
    parts = card.as_dict()
    assert set(parts) == set(DRUM_WEIGHTS)
    expected = sum(parts[k] * w for k, w in DRUM_WEIGHTS.items()) / sum(DRUM_WEIGHTS.values())
    assert card.total == pytest.approx(expected)
    assert parts["fill_placement"] == 1.0
    empty = score_drums(pattern(4, []), bpm=120)
    assert empty.total < card.total
