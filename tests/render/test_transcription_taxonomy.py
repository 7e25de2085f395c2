"""The stem taxonomy and the model resolver: program ranges, roles, and the fallback order
exact -> role -> other, with vocals as a slot that reports it has no model yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from music.errors import InputError
from render.transcription.taxonomy import (
    BY_NAME,
    STEMS,
    NoModelError,
    Role,
    drum_stem_for_note,
    find_stem,
    resolve_model,
    stem_for_program,
)

MODELS = {"bass": Path("bass.onnx"), "piano": Path("piano.onnx"), "drums": Path("drums.onnx")}


@pytest.mark.parametrize(
    ("program", "stem"),
    [
        *((p, "piano") for p in range(0, 8)),
        *((p, "piano") for p in range(16, 24)),
        *((p, "guitar") for p in range(24, 32)),
        *((p, "bass") for p in range(32, 40)),
        *((p, "strings_ensemble") for p in range(40, 52)),
        *((p, "synth_lead") for p in range(80, 88)),
        *((p, "synth_pad_fx") for p in range(88, 104)),
        (8, "other"),
        (56, "other"),
        (127, "other"),
    ],
)
def test_every_program_range_maps_to_its_stem(program: int, stem: str) -> None:
    assert stem_for_program(program).name == stem


def test_organs_are_other_when_not_keys() -> None:
    assert stem_for_program(19, organs_as_keys=False).name == "other"
    assert stem_for_program(19).name == "piano"


def test_program_ranges_do_not_overlap() -> None:
    seen: dict[int, str] = {}
    for stem in STEMS:
        for p in stem.programs:
            assert p not in seen, f"program {p} in {seen.get(p)} and {stem.name}"
            seen[p] = stem.name


def test_roles_as_the_seed_gives_them() -> None:
    roles = {s.name: s.role for s in STEMS}
    assert roles["bass"] is Role.MELODIC and roles["synth_lead"] is Role.MELODIC
    for name in ("piano", "guitar", "strings_ensemble", "synth_pad_fx"):
        assert roles[name] is Role.HARMONIC
    assert roles["drums"] is Role.PERCUSSIVE and roles["high_percs"] is Role.PERCUSSIVE


def test_drum_notes_split_core_kit_from_hats_and_cymbals() -> None:
    assert [drum_stem_for_note(n).name for n in (36, 38, 45, 50)] == ["drums"] * 4
    assert [drum_stem_for_note(n).name for n in (42, 46, 49, 51)] == ["high_percs"] * 4
    assert stem_for_program(0, is_drum=True).name == "drums"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("bass", "bass"),
        ("BASS", "bass"),
        ("Fretless Bass", "bass"),
        ("electric bass (finger)", "bass"),
        ("violin", "strings_ensemble"),
        ("keys", "piano"),
        ("synth-lead", "synth_lead"),
        ("voice", "vocals"),
    ],
)
def test_find_stem_reads_stem_alias_and_gm_names(name: str, stem: str) -> None:
    assert find_stem(name).name == stem


def test_unknown_stem_names_value_and_allowed() -> None:
    with pytest.raises(InputError) as info:
        find_stem("kazoo section")
    text = str(info.value)
    assert "stem: 'kazoo section'" in text and "bass" in text and "synth_pad_fx" in text


def test_exact_route() -> None:
    route = resolve_model("bass", MODELS)
    assert (route.served_by, route.via, route.model) == ("bass", "exact", Path("bass.onnx"))


def test_instrument_name_routes_exactly_to_its_stem() -> None:
    route = resolve_model("slap bass 1", MODELS)
    assert (route.requested.name, route.served_by, route.via) == ("bass", "bass", "exact")


def test_role_fallback() -> None:
    guitar = resolve_model("guitar", MODELS)
    assert (guitar.served_by, guitar.via) == ("piano", "role")
    hats = resolve_model("high_percs", MODELS)
    assert (hats.served_by, hats.via) == ("drums", "role")
    lead = resolve_model("synth_lead", MODELS)
    assert (lead.served_by, lead.via) == ("bass", "role")


@pytest.mark.parametrize(
    "name",
    [
        "trumpet",
        "trombone",
        "french horn",
        "horn",
        "alto sax",
        "sax",
        "flute",
        "clarinet",
        "oboe",
        "brass",
        "winds",
    ],
)
def test_brass_and_winds_route_to_the_lead_model(name: str) -> None:
    models = {**MODELS, "synth_lead": Path("synth_lead.onnx")}
    route = resolve_model(name, models)
    assert (route.requested.name, route.role) == ("other", Role.MELODIC)
    assert (route.served_by, route.via) == ("synth_lead", "role")
    assert "the synth_lead model stands in (a model of the same role)" in route.describe(name)
    # Without a lead model the bass model (melodic too) stands in, never a harmonic one.
    assert resolve_model(name, MODELS).served_by == "bass"
    # A model trained for ``other`` would serve it exactly.
    exact = resolve_model(name, {**models, "other": Path("other.onnx")})
    assert (exact.served_by, exact.via) == ("other", "exact")


def test_a_harmonic_other_instrument_keeps_its_role() -> None:
    route = resolve_model("steel drums", {**MODELS, "synth_lead": Path("synth_lead.onnx")})
    assert (route.requested.name, route.role, route.served_by) == ("other", Role.HARMONIC, "piano")


def test_other_fallback_when_no_role_model() -> None:
    models = {"bass": Path("bass.onnx"), "other": Path("other.onnx")}
    route = resolve_model("strings", models)
    assert (route.requested.name, route.served_by, route.via) == (
        "strings_ensemble",
        "other",
        "other",
    )


def test_no_model_names_what_is_installed() -> None:
    with pytest.raises(NoModelError, match="installed: bass"):
        resolve_model("drums", {"bass": Path("bass.onnx")})


def test_vocals_slot_reports_no_model_yet() -> None:
    with pytest.raises(NoModelError, match="no model yet"):
        resolve_model("vocals", MODELS)


def test_vocals_model_drops_in_without_code_changes() -> None:
    route = resolve_model("singer", {**MODELS, "vocals": Path("vocals.onnx")})
    assert (route.served_by, route.via) == ("vocals", "exact")
    assert BY_NAME["vocals"].role is Role.VOCAL
