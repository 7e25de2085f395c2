"""Note and Part: value types that refuse impossible states."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from music.notes import Note, Part, last_note, shared_note, sorted_notes


@pytest.mark.parametrize(("start", "end"), [(1.0, 1.0), (2.0, 1.5), (0.0, -1.0), (0.0, 0.0)])
def test_note_rejects_end_not_after_start(start: float, end: float) -> None:
    with pytest.raises(ValueError) as err:
        Note(start=start, end=end, pitch=60)
    assert f"Note.end: {end!r}" in str(err.value)
    assert repr(start) in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "field", "shown"),
    [({"pitch": -1}, "pitch", "-1"), ({"pitch": 128}, "pitch", "128"),
     ({"pitch": 60.5}, "pitch", "60.5"), ({"pitch": True}, "pitch", "True"),
     ({"velocity": 0}, "velocity", "0"), ({"velocity": 128}, "velocity", "128"),
     ({"velocity": 64.5}, "velocity", "64.5"), ({"start": -0.5}, "start", "-0.5"),
     ({"start": math.nan}, "start", "nan"), ({"end": math.nan}, "end", "nan"),
     ({"end": math.inf}, "end", "inf")],
)  # fmt: skip
def test_note_rejects_bad_values_with_the_value(
    kwargs: dict[str, object], field: str, shown: str
) -> None:
    args: dict[str, object] = {"start": 0.0, "end": 1.0, "pitch": 60, "velocity": 90, **kwargs}
    with pytest.raises(ValueError) as err:
        Note(**args)  # type: ignore[arg-type]
    assert f"Note.{field}: {shown}" in str(err.value)


def test_note_accepts_the_extremes() -> None:
    for pitch in (0, 127):
        for velocity in (1, 127):
            n = Note(start=0.0, end=1e-6, pitch=pitch, velocity=velocity)
            assert (n.pitch, n.velocity) == (pitch, velocity)
    assert Note(0, 1, 60).velocity == 90  # the default


def test_note_duration_and_shift() -> None:
    n = Note(start=1.0, end=2.5, pitch=64, velocity=70)
    assert n.duration == 1.5
    moved = n.shifted(2.0)
    assert moved == Note(start=3.0, end=4.5, pitch=64, velocity=70)
    assert n == Note(start=1.0, end=2.5, pitch=64, velocity=70)  # the original is unchanged
    with pytest.raises(ValueError):
        n.shifted(-2.0)  # would start before 0


def test_note_is_frozen() -> None:
    n = Note(0.0, 1.0, 60)
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.pitch = 61  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        n.extra = 1  # type: ignore[attr-defined]  # slots: no new attributes


def test_notes_order_by_start_then_end_then_pitch() -> None:
    a, b, c, d = Note(0, 1, 64), Note(0, 1, 60), Note(0, 0.5, 72), Note(0.25, 0.5, 10)
    assert sorted([a, b, c, d]) == [c, b, a, d]


def test_part_sorts_notes() -> None:
    notes = [Note(2, 3, 60), Note(0, 1, 67), Note(1, 2, 64), Note(0, 1, 60)]
    part = Part(name="chords", notes=tuple(notes))
    assert part.notes == (Note(0, 1, 60), Note(0, 1, 67), Note(1, 2, 64), Note(2, 3, 60))
    assert isinstance(part.notes, tuple)
    assert part.end == 3
    assert Part(name="x", notes=()).end == 0.0


@given(st.lists(st.tuples(st.integers(0, 64), st.integers(1, 8), st.integers(0, 127)), max_size=30))
def test_part_notes_are_always_sorted_property(raw: list[tuple[int, int, int]]) -> None:
    notes = [Note(start=s / 4, end=(s + d) / 4, pitch=p) for s, d, p in raw]
    part = Part(name="p", notes=tuple(notes))
    assert list(part.notes) == sorted(notes)
    assert part.end == max((n.end for n in notes), default=0.0)


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [({"program": 128}, "Part.program: 128"), ({"program": -1}, "Part.program: -1"),
     ({"program": 1.5}, "Part.program: 1.5"), ({"name": "  "}, "Part.name: '  '"),
     ({"name": ""}, "Part.name: ''")],
)  # fmt: skip
def test_part_rejects_bad_values(kwargs: dict[str, object], shown: str) -> None:
    args: dict[str, object] = {"name": "bass", "notes": (), **kwargs}
    with pytest.raises(ValueError) as err:
        Part(**args)  # type: ignore[arg-type]
    assert shown in str(err.value)


def test_part_is_frozen_and_renamed_copies() -> None:
    part = Part(name="bass", notes=(Note(0, 1, 40),), program=33, meta=(("role", "bass"),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.name = "x"  # type: ignore[misc]
    other = part.renamed("low")
    assert other == Part(name="low", notes=part.notes, program=33, meta=(("role", "bass"),))
    assert part.name == "bass"


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.5, 1.0, 1.25]),
            st.sampled_from([0.25, 0.5, 2.0]),
            st.integers(36, 40),
            st.integers(1, 3),
        ),
        max_size=30,
    )
)
def test_sorted_notes_is_the_order_of_the_note_comparison(
    rows: list[tuple[float, float, int, int]],
) -> None:
    notes = [Note(start=s, end=s + d, pitch=p, velocity=v) for s, d, p, v in rows]
    by_key = sorted_notes(notes)
    by_comparison = sorted(notes)
    assert by_key == by_comparison
    assert [id(n) for n in by_key] == [id(n) for n in by_comparison]  # ties keep input order


def test_shared_note_is_one_checked_object_per_typed_values() -> None:
    a = shared_note(1.0, 2.0, 60, 90)
    assert a == Note(start=1.0, end=2.0, pitch=60, velocity=90)
    assert shared_note(1.0, 2.0, 60, 90) is a
    assert type(shared_note(1, 2.0, 60, 90).start) is int  # 1 and 1.0 stay apart
    with pytest.raises(ValueError, match=r"Note\.end"):
        shared_note(2.0, 1.0, 60, 90)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.5, 1.0]),
            st.sampled_from([1.5, 2.0]),
            st.integers(58, 62),
            st.integers(80, 82),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_last_note_is_the_dataclass_maximum(values: list[tuple[float, float, int, int]]) -> None:
    notes = [Note(*v) for v in values]
    assert last_note(notes) == max(notes)
