"""Meters: bar lengths, beat groups, strong beats and exact time conversions."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from music.meter import (
    ALLOWED_DENOMINATORS,
    Meter,
    bars_to_seconds,
    default_groups,
    qn_to_seconds,
)

# (meter, bar length in qn, default groups in denominator units, felt-beat offsets in qn)
TABLE = [
    ("2/4", 2.0, (1, 1), (0.0, 1.0)),
    ("3/4", 3.0, (1, 1, 1), (0.0, 1.0, 2.0)),
    ("4/4", 4.0, (1, 1, 1, 1), (0.0, 1.0, 2.0, 3.0)),
    ("5/4", 5.0, (3, 2), (0.0, 3.0)),
    ("6/8", 3.0, (3, 3), (0.0, 1.5)),
    ("7/8", 3.5, (2, 2, 3), (0.0, 1.0, 2.0)),
    ("9/8", 4.5, (3, 3, 3), (0.0, 1.5, 3.0)),
    ("12/8", 6.0, (3, 3, 3, 3), (0.0, 1.5, 3.0, 4.5)),
    ("5/8", 2.5, (3, 2), (0.0, 1.5)),
    ("3/8", 1.5, (3,), (0.0,)),
    ("2/2", 4.0, (1, 1), (0.0, 2.0)),
    ("3/16", 0.75, (1, 1, 1), (0.0, 0.25, 0.5)),
]


@pytest.mark.parametrize(("text", "bar_qn", "groups", "offsets"), TABLE)
def test_bar_length_groups_and_beats(
    text: str, bar_qn: float, groups: tuple[int, ...], offsets: tuple[float, ...]
) -> None:
    m = Meter.parse(text)
    assert str(m) == text
    assert m.bar_qn == bar_qn
    assert m.groups == groups
    assert m.beat_offsets_qn() == offsets
    assert m.beats_per_bar == len(groups)
    assert m == Meter(m.numerator, m.denominator)  # parsing adds nothing but the defaults


def test_compound_meters() -> None:
    assert [Meter.parse(t).is_compound for t in ("6/8", "9/8", "12/8", "3/8")] == [True] * 4
    assert [Meter.parse(t).is_compound for t in ("7/8", "5/8", "3/4", "4/4")] == [False] * 4


def test_custom_groups() -> None:
    m = Meter(7, 8, (3, 2, 2))
    assert m.beat_offsets_qn() == (0.0, 1.5, 2.5)
    assert m.bar_qn == 3.5
    assert Meter(7, 8, [2, 2, 3]) == Meter(7, 8)  # type: ignore[arg-type]
    assert hash(Meter(7, 8, [2, 2, 3])) == hash(Meter(7, 8))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(10, 8, (2, 2, 2, 2, 2)), (11, 8, (3, 3, 3, 2)), (13, 8, (2, 2, 2, 2, 2, 3)),
     (15, 8, (3, 3, 3, 3, 3)), (7, 4, (4, 3)), (6, 4, (1,) * 6), (2, 8, (1, 1))],
)  # fmt: skip
def test_default_groups_add_up(numerator: int, denominator: int, expected: tuple[int, ...]) -> None:
    assert default_groups(numerator, denominator) == expected
    assert sum(expected) == numerator


@given(st.integers(1, 32), st.sampled_from(ALLOWED_DENOMINATORS))
def test_every_valid_meter_has_consistent_groups(numerator: int, denominator: int) -> None:
    m = Meter(numerator, denominator)
    assert sum(m.groups) == numerator
    assert all(g > 0 for g in m.groups)
    offsets = m.beat_offsets_qn()
    assert offsets[0] == 0.0
    assert list(offsets) == sorted(set(offsets))
    assert offsets[-1] < m.bar_qn
    assert m.bar_qn == numerator * 4 / denominator


@pytest.mark.parametrize(
    ("meter", "strong", "weak"),
    [("4/4", (0.0, 2.0, 4.0, 6.0), (1.0, 3.0, 0.5, 2.5)),
     ("3/4", (0.0, 3.0, 6.0), (1.0, 2.0, 4.0)),
     ("12/8", (0.0, 3.0, 6.0), (1.5, 4.5, 1.0)),
     ("7/8", (0.0, 3.5, 7.0), (1.0, 2.0, 4.5)),
     ("6/8", (0.0, 3.0), (1.5, 0.5))],
)  # fmt: skip
def test_is_strong(meter: str, strong: tuple[float, ...], weak: tuple[float, ...]) -> None:
    m = Meter.parse(meter)
    assert all(m.is_strong(p) for p in strong)
    assert not any(m.is_strong(p) for p in weak)


def test_is_strong_just_before_the_bar_line() -> None:
    # Regression: 24 triplet eighths added one by one land at 7.9999999999999964, which the
    # modulo left at the end of bar 2 instead of on the downbeat of bar 3.
    position = 0.0
    for _ in range(24):
        position += 1 / 3
    assert position < 8.0
    assert Meter(4, 4).is_strong(position)
    assert Meter(3, 4).is_strong(position - 2.0)
    assert Meter(4, 4).is_strong(8.0 - 1e-9)
    assert not Meter(4, 4).is_strong(4.0 - 1e-3)


# ---------------------------------------------------------------- time conversions


def test_107_bars_of_3_4_at_120_bpm_is_exactly_160_5_seconds() -> None:
    # Regression: the original system drifted 45 s over this song.
    assert bars_to_seconds(Meter(3, 4), 107, 120) == 160.5


@pytest.mark.parametrize(("text", "bar_qn", "_g", "_o"), TABLE)
def test_bars_to_seconds_is_exact_for_every_meter(text: str, bar_qn: float, _g: object,
                                                  _o: object) -> None:  # fmt: skip
    m = Meter.parse(text)
    for bpm in (60, 84, 90, 120, 137.5):
        for bars in (1, 7, 107, 400):
            expected = Fraction(bars) * Fraction(bar_qn) * 60 / Fraction(bpm)
            assert math.isclose(bars_to_seconds(m, bars, bpm), float(expected), rel_tol=1e-12)


def test_seconds_scale_with_tempo_and_meter() -> None:
    assert bars_to_seconds(Meter(7, 8), 2, 60) == 7.0
    assert bars_to_seconds(Meter(6, 8), 4, 90) == 8.0
    assert qn_to_seconds(1.0, 60) == 1.0
    assert qn_to_seconds(3.0, 180) == 1.0


@pytest.mark.parametrize("bpm", [0, -120, math.nan, math.inf])
def test_bad_tempo_raises_with_the_value(bpm: float) -> None:
    with pytest.raises(ValueError) as err:
        qn_to_seconds(1.0, bpm)
    assert repr(bpm) in str(err.value)
    with pytest.raises(ValueError):
        bars_to_seconds(Meter(4, 4), 1, bpm)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "bad", ["", "4", "4/", "/4", "four/four", "4/4/4", "4:4", "-3/4", "3.5/4", "3 / 4 bar"]
)
def test_parse_errors_name_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        Meter.parse(bad)
    assert repr(bad) in str(err.value)


def test_parse_allows_spaces() -> None:
    assert Meter.parse(" 7 / 8 ") == Meter(7, 8)


@pytest.mark.parametrize(
    ("numerator", "denominator", "field", "shown"),
    [(0, 4, "numerator", "0"), (33, 4, "numerator", "33"), (4, 3, "denominator", "3"),
     (4, 32, "denominator", "32"), (4, 0, "denominator", "0"), (3.0, 4, "numerator", "3.0"),
     (4, 4.0, "denominator", "4.0")],
)  # fmt: skip
def test_bad_numerator_or_denominator(
    numerator: object, denominator: object, field: str, shown: str
) -> None:
    with pytest.raises(ValueError) as err:
        Meter(numerator, denominator)  # type: ignore[arg-type]
    assert f"time_signature.{field}: {shown}" in str(err.value)


@pytest.mark.parametrize(
    "groups", [(2, 2, 2), (4, 4), (3, 0, 4), (5, -1, 3), (2.5, 2.5, 2), (True, 3, 3)]
)
def test_groups_must_be_positive_whole_numbers_adding_up(groups: tuple[object, ...]) -> None:
    with pytest.raises(ValueError) as err:
        Meter(7, 8, groups)  # type: ignore[arg-type]
    assert "time_signature.groups" in str(err.value)
    assert repr(list(groups)) in str(err.value)


def test_meter_is_frozen() -> None:
    m = Meter(4, 4)
    with pytest.raises(AttributeError):
        m.numerator = 3  # type: ignore[misc]


def test_felt_beats_are_each_group_start_and_length() -> None:
    assert Meter(4, 4).felt_beats() == ((0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0))
    assert Meter(7, 8).felt_beats() == ((0.0, 1.0), (1.0, 1.0), (2.0, 1.5))
    assert Meter(6, 8).felt_beats() == ((0.0, 1.5), (1.5, 1.5))
    assert Meter(4, 4).felt_beats() is Meter(4, 4).felt_beats()  # computed once per meter
