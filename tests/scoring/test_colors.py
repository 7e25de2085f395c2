"""The chromatic taxonomy against DESIGN §3, with every expected vector written out by hand."""

from __future__ import annotations

import math

import pytest

from scoring.colors import (
    AXES,
    COLOR_NAMES,
    COLORS,
    MNEMONICS,
    ColorTarget,
    color_spec,
    descriptor,
    parse_color,
    target_vector,
)

H, L, U = 0.8, 0.1, 1 / 3  # the named mode, an unnamed mode, a uniform axis

# Read off the DESIGN §3 table by hand: (temporal, spatial, ontological) in the fixed order
# temporal [past, present, future], spatial [thing, place, person],
# ontological [imagined, forgotten, known].
EXPECTED: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {
    "Red": ((H, L, L), (H, L, L), (L, L, H)),  # Past, Thing, Known
    "Orange": ((H, L, L), (H, L, L), (H, L, L)),  # Past, Thing, Imagined
    "Yellow": ((L, L, H), (L, H, L), (H, L, L)),  # Future, Place, Imagined
    "Green": ((L, L, H), (L, H, L), (L, H, L)),  # Future, Place, Forgotten
    "Blue": ((L, H, L), (L, L, H), (L, H, L)),  # Present, Person, Forgotten
    "Indigo": ((U, U, U), (U, U, U), (1 / 9, 4 / 9, 4 / 9)),  # -, -, Known + Forgotten
    "Violet": ((L, H, L), (L, L, H), (L, L, H)),  # Present, Person, Known
    "Black": ((U, U, U), (U, U, U), (U, U, U)),
    "White": ((U, U, U), (U, U, U), (U, U, U)),
}


def test_the_nine_colors_in_order() -> None:
    assert COLOR_NAMES == (
        "Red",
        "Orange",
        "Yellow",
        "Green",
        "Blue",
        "Indigo",
        "Violet",
        "Black",
        "White",
    )
    assert set(EXPECTED) == set(COLOR_NAMES)


def test_axis_order_is_fixed() -> None:
    assert list(AXES) == ["temporal", "spatial", "ontological"]
    assert AXES["temporal"] == ("past", "present", "future")
    assert AXES["spatial"] == ("thing", "place", "person")
    assert AXES["ontological"] == ("imagined", "forgotten", "known")


@pytest.mark.parametrize("color", list(EXPECTED))
def test_target_vector_matches_the_design_table(color: str) -> None:
    target = target_vector(color)
    temporal, spatial, ontological = EXPECTED[color]
    assert target.temporal == pytest.approx(temporal, abs=1e-12)
    assert target.spatial == pytest.approx(spatial, abs=1e-12)
    assert target.ontological == pytest.approx(ontological, abs=1e-12)


@pytest.mark.parametrize("color", COLOR_NAMES)
def test_every_axis_sums_to_one_and_is_plain_floats(color: str) -> None:
    target = target_vector(color)
    for axis in AXES:
        values = target.axis(axis)
        assert len(values) == 3
        assert all(type(v) is float for v in values)
        assert math.isclose(sum(values), 1.0, abs_tol=1e-12)
    assert len(target.flat()) == 9


def test_single_mode_axes_are_exactly_point_eight_and_point_one() -> None:
    assert target_vector("Red").temporal == (0.8, 0.1, 0.1)
    assert target_vector("Violet").ontological == (0.1, 0.1, 0.8)


def test_indigo_is_normalised_from_point_four_point_four_point_one() -> None:
    imagined, forgotten, known = target_vector("Indigo").ontological
    assert forgotten == known
    assert forgotten / imagined == pytest.approx(4.0)
    assert known == pytest.approx(0.4 / 0.9)


def test_as_dict_names_every_mode() -> None:
    d = target_vector("Blue").as_dict()
    assert d["temporal"] == pytest.approx({"past": 0.1, "present": 0.8, "future": 0.1})
    assert d["spatial"]["person"] == pytest.approx(0.8)
    assert d["ontological"]["forgotten"] == pytest.approx(0.8)


def test_target_is_frozen() -> None:
    target = target_vector("Red")
    assert isinstance(target, ColorTarget)
    with pytest.raises(AttributeError):
        target.temporal = (1.0, 0.0, 0.0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("indigo", "Indigo"),
        ("INDIGO", "Indigo"),
        ("  Violet \n", "Violet"),
        ("bLuE", "Blue"),
        ({"color_name": "violet", "hex": "#8F00FF"}, "Violet"),
        ({"color_name": " GREEN "}, "Green"),
        ("Z", "Black"),
        ("a", "White"),
        (" I ", "Indigo"),
        ({"mnemonic_character_value": "V"}, "Violet"),
        (
            {
                "color_name": "Indigo",
                "hex_value": 4915330,
                "mnemonic_character_value": "I",
                "temporal_mode": "Future",
                "ontological_mode": ["Imagined", "Forgotten"],
                "objectional_mode": "Person",
            },
            "Indigo",
        ),
    ],
)
def test_parse_color_accepts_case_spaces_and_the_original_dict(raw: object, expected: str) -> None:
    assert parse_color(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Teal",
        "",
        "   ",
        None,
        3,
        {"hex": "#fff"},
        {"color_name": "Teal"},
        ["Red"],
        "Red Blue",
        "X",
        "RB",
        {"mnemonic_character_value": "Q"},
        {"color_name": "Red", "mnemonic_character_value": 7},
    ],
)
def test_bad_color_names_the_value_and_lists_every_allowed_color(raw: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_color(raw)
    message = str(info.value)
    assert repr(raw) in message
    for name in COLOR_NAMES:
        assert name in message


def test_every_color_has_one_mnemonic_letter() -> None:
    assert sorted(MNEMONICS.values()) == sorted(COLOR_NAMES)
    assert all(
        len(letter) == 1 and parse_color(letter) == name for letter, name in MNEMONICS.items()
    )


def test_a_mapping_whose_name_and_letter_disagree_is_refused() -> None:
    with pytest.raises(ValueError, match="they name Red and Blue"):
        parse_color({"color_name": "Red", "mnemonic_character_value": "B"})


def test_target_vector_accepts_any_form_and_rejects_unknown() -> None:
    assert target_vector({"color_name": "red"}) == target_vector("Red")
    with pytest.raises(ValueError, match="Teal"):
        target_vector("Teal")


@pytest.mark.parametrize("color", COLOR_NAMES)
def test_descriptor_is_built_from_modes_moods_and_genres(color: str) -> None:
    spec = color_spec(color)
    text = descriptor(color)
    assert text.startswith(f"{color} music:")
    if color == "White":
        return
    for mood in spec.moods:
        assert mood in text
    for genre in spec.genres:
        assert genre in text
    for axis in AXES:
        for mode in spec.modes(axis):
            assert mode in text


def test_descriptors_are_distinct() -> None:
    texts = [descriptor(c) for c in COLOR_NAMES]
    assert len(set(texts)) == len(texts)


def test_catalogue_examples_from_the_design_table() -> None:
    assert COLORS["Indigo"].ontological == ("known", "forgotten")
    assert COLORS["Black"].temporal == COLORS["Black"].spatial == COLORS["Black"].ontological == ()
    assert "kosmische" in COLORS["Yellow"].genres
    assert COLORS["Yellow"].instrumental and COLORS["Green"].instrumental
    assert not COLORS["Blue"].instrumental
    assert COLORS["Violet"].genres == ("pop", "soul")
