"""Song proposals: both formats, messy input, one clear error per bad file, slugs, round trips."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.errors import ProposalError
from agents.proposal import (
    EvolutionSettings,
    Proposal,
    ScoringWeights,
    SectionSpec,
    dump_proposal,
    load_proposal,
    proposal_from_dict,
    proposal_to_dict,
    slugify,
)
from evolution.engine import EvolutionConfig
from music.keys import Key
from music.meter import Meter

PROPOSALS = Path(__file__).resolve().parents[2] / "proposals"
EXAMPLES = sorted(PROPOSALS.glob("*.yml"))
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

MINIMAL = """\
title: Test Song
concept: A short concept.
color: Blue
key: A minor
bpm: 100
"""


def _minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Test Song",
        "concept": "A short concept.",
        "color": "Blue",
        "key": "A minor",
        "bpm": 100,
    }
    data.update(changes)
    return data


def _write(tmp_path: Path, text: str, name: str = "song.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- the example proposals ------------------------------------------------------------------


def test_there_are_at_least_five_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert len(names) >= 5
    assert {
        "night_watch.yml",
        "harvest_waltz.yml",
        "glass_orbit.yml",
        "low_tide_letters.yml",
        "machine_hymn.yml",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    proposal = load_proposal(path)
    assert proposal.title
    assert len(proposal.concept.split()) >= 30  # a real paragraph, not a placeholder
    assert SLUG_RE.match(proposal.slug)


def test_night_watch_is_the_demo() -> None:
    p = load_proposal(PROPOSALS / "night_watch.yml")
    assert p.color == "Indigo"
    assert p.key == Key(tonic=9, mode="minor")
    assert p.bpm == 84.0
    assert p.meter == Meter(4, 4)
    assert p.sections == [SectionSpec(name="verse", bars=8), SectionSpec(name="chorus", bars=8)]
    assert (p.evolution.population_size, p.evolution.generations) == (64, 30)
    assert p.seed == 7


@pytest.mark.parametrize(
    ("name", "color", "key", "meter", "bpm"),
    [
        ("harvest_waltz.yml", "Red", "Eb major", "3/4", 96),
        ("glass_orbit.yml", "Yellow", "D dorian", "7/8", 132),
        ("low_tide_letters.yml", "Blue", "F# minor", "4/4", 70),  # written "Gb  minor"
        ("fog_engine.yml", "Green", "C# phrygian", "6/8", 60),
    ],
)
def test_example_fields(name: str, color: str, key: str, meter: str, bpm: int) -> None:
    d = proposal_to_dict(load_proposal(PROPOSALS / name))
    assert (d["color"], d["key"], d["time_signature"], d["bpm"]) == (color, key, meter, bpm)


def test_low_tide_letters_keeps_its_lyrics_and_messy_key() -> None:
    assert '"Gb  minor"' in (PROPOSALS / "low_tide_letters.yml").read_text(encoding="utf-8")
    p = load_proposal(PROPOSALS / "low_tide_letters.yml")
    assert p.lyrics is not None and "Low tide" in p.lyrics
    assert p.key == Key(tonic=6, mode="minor")


def test_the_original_format_example_normalises() -> None:
    p = load_proposal(PROPOSALS / "machine_hymn.yml")
    assert p.color == "Violet"
    assert p.key == Key(tonic=10, mode="major")
    assert p.bpm == 110.0
    assert p.meter == Meter(4, 4)
    assert p.mood == ["melancholic", "ironic", "catchy"]
    assert p.genres == ["pop", "soul"]
    assert "\n" in p.concept
    assert p.lyrics is not None
    assert p.sections == []
    assert p.singer == "Shirley" and p.iteration_id == "machine_hymn_v2"
    d = proposal_to_dict(p)
    assert "rainbow_color" not in d and "tempo" not in d and "agent_name" not in d
    assert d["key"] == "Bb major" and d["time_signature"] == "4/4" and d["color"] == "Violet"


# ---- formats and messy values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "tonic", "mode"),
    [
        ("Gb  minor", 6, "minor"),
        ("B ♭ major", 10, "major"),
        ("A# major", 10, "major"),
        ("F#m", 6, "minor"),
        ("c minor", 0, "minor"),
        ("  D   dorian ", 2, "dorian"),
        ("Eb", 3, "major"),
    ],
)
def test_messy_keys(written: str, tonic: int, mode: str) -> None:
    assert proposal_from_dict(_minimal(key=written)).key == Key(tonic=tonic, mode=mode)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("7/8", Meter(7, 8)),
        (" 3 / 4 ", Meter(3, 4)),
        ({"numerator": 7, "denominator": 8}, Meter(7, 8)),
        ({"numerator": 12, "denominator": 8}, Meter(12, 8)),
        (None, Meter(4, 4)),
    ],
)
def test_time_signature_both_forms(written: object, expected: Meter) -> None:
    assert proposal_from_dict(_minimal(time_signature=written)).meter == expected


def test_time_signature_from_yaml_both_forms(tmp_path: Path) -> None:
    a = _write(tmp_path, MINIMAL + "time_signature: 5/4\n", "a.yml")
    b = _write(tmp_path, MINIMAL + "time_signature: {numerator: 5, denominator: 4}\n", "b.yml")
    assert load_proposal(a).meter == load_proposal(b).meter == Meter(5, 4)


@pytest.mark.parametrize("tempo", [110, 110.0, "110", "110 bpm", " 110 BPM "])
def test_tempo_in_the_original_format(tempo: object) -> None:
    data = _minimal(tempo=tempo)
    del data["bpm"]
    assert proposal_from_dict(data).bpm == 110.0


def test_bpm_and_tempo_must_agree() -> None:
    assert proposal_from_dict(_minimal(bpm=110, tempo="110 bpm")).bpm == 110.0
    with pytest.raises(ProposalError, match=r"tempo: 120 -- the same as bpm"):
        proposal_from_dict(_minimal(bpm=110, tempo=120))


@pytest.mark.parametrize(
    "color", ["violet", "VIOLET", "  Violet ", {"color_name": "violet", "hex": "#8F00FF"}]
)
def test_color_any_case_and_rainbow_color_dict(color: object) -> None:
    assert proposal_from_dict(_minimal(color=color)).color == "Violet"
    data = _minimal(rainbow_color=color)
    del data["color"]
    assert proposal_from_dict(data).color == "Violet"


def test_color_and_rainbow_color_must_agree() -> None:
    with pytest.raises(ProposalError, match="rainbow_color"):
        proposal_from_dict(_minimal(color="Blue", rainbow_color={"color_name": "Red"}))


def test_comma_separated_lists_and_none() -> None:
    p = proposal_from_dict(_minimal(mood="dark,  eerie , ,epic", genres=None, instruments=[]))
    assert p.mood == ["dark", "eerie", "epic"]
    assert p.genres == [] and p.instruments == []


def test_text_line_breaks_and_control_characters_are_normalised() -> None:
    p = proposal_from_dict(
        _minimal(
            title="  Night\x1b  \u2028Watch ",
            concept="one\r\ntwo\x85three\u2028four\x00\tfive \n",
            mood=["da\x07rk", " \x1b "],
        )
    )
    assert p.title == "Night Watch"
    assert p.concept == "one\ntwo\nthree\nfour\tfive"
    assert p.mood == ["dark"]
    with pytest.raises(ProposalError, match="concept"):
        proposal_from_dict(_minimal(concept="\x1b\x00"))


def test_unknown_top_level_fields_are_ignored() -> None:
    p = proposal_from_dict(_minimal(track_id="01_01", album="x", **{"hex": "#000"}))
    assert p == proposal_from_dict(_minimal())


def test_defaults() -> None:
    p = proposal_from_dict(_minimal())
    assert p.meter == Meter(4, 4)
    assert p.sections == [] and p.lyrics is None and p.seed == 0
    assert p.weights == ScoringWeights(theory=0.3, chromatic=0.7)
    ev = p.evolution
    assert (ev.population_size, ev.generations, ev.top_n, ev.elite) == (64, 30, 10, 4)
    engine = EvolutionConfig()
    assert (ev.mutation_rate, ev.crossover_rate) == (engine.mutation_rate, engine.crossover_rate)


def test_scoring_settings_in_the_evolution_block() -> None:
    assert proposal_from_dict(_minimal()).evolution.scoring_values() == {}
    block = {"executor": "ray", "actors": 3, "cpus_per_actor": 0.5, "batch_size": 16}
    p = proposal_from_dict(_minimal(evolution=block))
    assert p.evolution.scoring_values() == block
    saved = proposal_to_dict(p)["evolution"]
    assert {k: saved[k] for k in block} == block and "gpus_per_actor" not in saved
    assert proposal_from_dict(proposal_to_dict(p)) == p


@pytest.mark.parametrize(
    ("block", "allowed"),
    [
        ({"executor": "Ray"}, "local or ray"),
        ({"actors": 2.0}, "an integer >= 1"),
        ({"cpus_per_actor": "one"}, "a number > 0"),
        ({"workers": 2}, "allowed: actors, batch_size, cpus_per_actor,"),
    ],
)
def test_bad_scoring_setting_names_what_is_allowed(block: dict[str, Any], allowed: str) -> None:
    with pytest.raises(ProposalError) as info:
        proposal_from_dict(_minimal(evolution=block), file="song.yml")
    ((name, value),) = block.items()
    assert str(info.value).startswith(f"song.yml: evolution.{name}: {value!r} -- ")
    assert allowed in str(info.value)


def test_small_population_without_top_n_keeps_all_members() -> None:
    assert proposal_from_dict(_minimal(evolution={"population_size": 8})).evolution.top_n == 8


def test_section_names_are_normalised() -> None:
    p = proposal_from_dict(_minimal(sections=[{"name": "  Verse ", "bars": 4}]))
    assert p.sections == [SectionSpec(name="verse", bars=4)]


def test_proposal_is_frozen() -> None:
    p = proposal_from_dict(_minimal())
    with pytest.raises(ValueError, match="frozen"):
        p.bpm = 90.0


# ---- weights --------------------------------------------------------------------------------


def test_weights_must_add_up_to_one() -> None:
    ok = proposal_from_dict(_minimal(weights={"theory": 0.25, "chromatic": 0.75}))
    assert ok.weights == ScoringWeights(theory=0.25, chromatic=0.75)
    assert ScoringWeights(theory=0.1 + 0.2, chromatic=0.7).theory == pytest.approx(0.3)
    with pytest.raises(ProposalError) as info:
        proposal_from_dict(_minimal(weights={"theory": 0.5, "chromatic": 0.6}))
    assert "weights" in str(info.value) and "add up to 1" in str(info.value)
    with pytest.raises(ProposalError, match=r"weights\.theory: 1\.5"):
        proposal_from_dict(_minimal(weights={"theory": 1.5, "chromatic": -0.5}))


def test_one_weight_implies_the_other() -> None:
    p = proposal_from_dict(_minimal(weights={"theory": 0.4}))
    assert p.weights.theory == 0.4 and p.weights.chromatic == pytest.approx(0.6)


def test_the_emotion_weight_is_its_own_share() -> None:
    """emotion stands beside the theory/chromatic pair (which still add up to 1): giving it
    alone keeps their defaults, giving it with one of them still completes the other."""
    assert proposal_from_dict(_minimal()).weights.emotion == 0.0  # off unless asked for
    p = proposal_from_dict(_minimal(weights={"emotion": 0.1}))
    assert (p.weights.theory, p.weights.chromatic, p.weights.emotion) == (0.3, 0.7, 0.1)
    q = proposal_from_dict(_minimal(weights={"chromatic": 0.5, "emotion": 0}))
    assert (q.weights.theory, q.weights.emotion) == (pytest.approx(0.5), 0.0)
    with pytest.raises(ProposalError, match=r"weights\.emotion: 1\.2"):
        proposal_from_dict(_minimal(weights={"emotion": 1.2}))
    with pytest.raises(ProposalError, match=r"weights\.emotion"):
        proposal_from_dict(_minimal(weights={"emotion": "strong"}))


# ---- bad proposals: one ProposalError naming the file, the field and the value ---------------

BAD: list[tuple[str, str, str, str]] = [
    # (id, YAML text, field, bad value as it must appear)
    ("bad-key", MINIMAL.replace("A minor", "H minor"), "key", "'H minor'"),
    ("bad-mode", MINIMAL.replace("A minor", "A bluesy"), "key", "'A bluesy'"),
    ("bad-color", MINIMAL.replace("Blue", "Teal"), "color", "'Teal'"),
    ("bpm-low", MINIMAL.replace("bpm: 100", "bpm: 5"), "bpm", "5"),
    ("bpm-high", MINIMAL.replace("bpm: 100", "bpm: 301"), "bpm", "301"),
    ("bpm-text", MINIMAL.replace("bpm: 100", "bpm: fast"), "bpm", "'fast'"),
    ("tempo-text", MINIMAL.replace("bpm: 100", "tempo: slowish"), "tempo", "'slowish'"),
    ("no-title", MINIMAL.replace("title: Test Song\n", ""), "title", "<missing>"),
    ("no-concept", MINIMAL.replace("concept: A short concept.\n", ""), "concept", "<missing>"),
    (
        "short-concept",
        MINIMAL.replace("A short concept.", "Ominous sea."),
        "concept",
        "'Ominous sea.'",
    ),
    ("no-color", MINIMAL.replace("color: Blue\n", ""), "color", "<missing>"),
    ("no-key", MINIMAL.replace("key: A minor\n", ""), "key", "<missing>"),
    ("no-bpm", MINIMAL.replace("bpm: 100\n", ""), "bpm", "<missing>"),
    ("blank-title", MINIMAL.replace("Test Song", "'   '"), "title", "'   '"),
    ("meter", MINIMAL + "time_signature: 7/5\n", "time_signature", "'7/5'"),
    (
        "meter-dict",
        MINIMAL + "time_signature: {numerator: 0, denominator: 8}\n",
        "time_signature",
        "'numerator': 0",
    ),
    (
        "section-bars",
        MINIMAL + "sections: [{name: verse, bars: 8}, {name: chorus, bars: 65}]\n",
        "sections[1].bars",
        "65",
    ),
    ("section-typo", MINIMAL + "sections: [{name: verse, bar: 8}]\n", "sections[0].bar", "8"),
    ("population", MINIMAL + "evolution: {population_size: 4}\n", "evolution.population_size", "4"),
    ("generations", MINIMAL + "evolution: {generations: 0}\n", "evolution.generations", "0"),
    ("top-n", MINIMAL + "evolution: {population_size: 16, top_n: 17}\n", "evolution.top_n", "17"),
    ("elite", MINIMAL + "evolution: {population_size: 8, elite: 8}\n", "evolution.elite", "8"),
    ("rate", MINIMAL + "evolution: {mutation_rate: 1.5}\n", "evolution.mutation_rate", "1.5"),
    ("evo-typo", MINIMAL + "evolution: {populaton_size: 32}\n", "evolution.populaton_size", "32"),
    ("executor", MINIMAL + "evolution: {executor: spark}\n", "evolution.executor", "'spark'"),
    ("actors", MINIMAL + "evolution: {actors: 0}\n", "evolution.actors", "0"),
    ("actors-bool", MINIMAL + "evolution: {actors: true}\n", "evolution.actors", "True"),
    ("cpus", MINIMAL + "evolution: {cpus_per_actor: 0}\n", "evolution.cpus_per_actor", "0"),
    ("gpus", MINIMAL + "evolution: {gpus_per_actor: -1}\n", "evolution.gpus_per_actor", "-1"),
    ("batch", MINIMAL + "evolution: {batch_size: '8'}\n", "evolution.batch_size", "'8'"),
    ("workers", MINIMAL + "evolution: {workers: 2}\n", "evolution.workers", "2"),
    ("weights-sum", MINIMAL + "weights: {theory: 0.5, chromatic: 0.6}\n", "weights", "0.6"),
    ("seed", MINIMAL + "seed: -3\n", "seed", "-3"),
    ("mood", MINIMAL + "mood: {dark: true}\n", "mood", "'dark': True"),
    ("both-bpm", MINIMAL + "tempo: 90\n", "tempo", "90"),
    ("not-mapping", "- title\n- key\n", "proposal", "['title', 'key']"),
    ("scalar", "just some words\n", "proposal", "'just some words'"),
    ("empty", "", "file", "<empty>"),
    ("only-comment", "# nothing here\n", "file", "<empty>"),
    ("yaml-syntax", "title: a\nconcept: [unclosed\nkey: A\n", "yaml", "line 3"),
    ("yaml-duplicate", MINIMAL + "title: Again\n", "yaml", "duplicate key"),
    ("yaml-tab", "title: a\n\tkey: b\n", "yaml", "line 2"),
]


@pytest.mark.parametrize(("text", "field", "value"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_proposal_gives_one_clear_error(
    tmp_path: Path, text: str, field: str, value: str
) -> None:
    path = _write(tmp_path, text, "bad_song.yml")
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    message = str(info.value)
    assert str(path) in message
    assert f": {field}: " in message
    assert value in message
    assert " -- " in message and not message.endswith(" -- ")
    assert "\n" not in message  # one line, not pydantic's multi-line dump
    assert info.value.field == field


def test_key_error_says_what_is_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("A minor", "H minor"))
    with pytest.raises(ProposalError, match=r"a tonic A-G with optional #/b and a mode"):
        load_proposal(path)


def test_color_error_lists_every_color(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("Blue", "Teal"))
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    for name in ("Red", "Orange", "Yellow", "Green", "Blue", "Indigo", "Violet", "Black", "White"):
        assert name in info.value.allowed


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ProposalError, match=r"nope\.yml"):
        load_proposal(tmp_path / "nope.yml")
    (tmp_path / "dir.yml").mkdir()
    with pytest.raises(ProposalError, match=r"dir\.yml"):
        load_proposal(tmp_path / "dir.yml")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.yml"
    path.write_bytes(MINIMAL.replace("Test Song", "Caf\xe9").encode("latin-1"))
    with pytest.raises(ProposalError, match="UTF-8"):
        load_proposal(path)


def test_a_very_long_bad_value_is_shortened(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("key: A minor", "key: " + "Q" * 1000))
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    assert len(str(info.value)) < 600


# ---- slugs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Night Watch", "night-watch"),
        ("../../etc/passwd", "etc-passwd"),
        ("Ünïcödé Song!", "unicode-song"),
        ("   ", "song"),
        ("/abs/path", "abs-path"),
        ("a" * 500, "a" * 60),
        (".", "song"),
        ("..", "song"),
        ("日本語", "song"),
        ("--a--b--", "a-b"),
        ("C:\\Windows\\system32", "c-windows-system32"),
    ],
)
def test_slug_safety(tmp_path: Path, title: str, slug: str) -> None:
    assert slugify(title) == slug
    root = tmp_path / "runs"
    assert (root / slugify(title)).resolve().parent == root.resolve()


def test_slug_of_a_proposal_and_its_length_cut() -> None:
    p = proposal_from_dict(_minimal(title="../../etc/passwd"))
    assert p.slug == "etc-passwd"
    cut = slugify("ab " * 40)  # the cut lands on a dash, which is dropped
    assert len(cut) <= 60 and not cut.endswith("-")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_slug_is_always_safe(title: str) -> None:
    slug = slugify(title)
    assert SLUG_RE.match(slug), slug
    assert len(slug) <= 60


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_save_load_equal(tmp_path: Path, path: Path) -> None:
    original = load_proposal(path)
    saved = dump_proposal(original, tmp_path / "proposal.yml")
    again = load_proposal(saved)
    assert again == original
    assert proposal_to_dict(again) == proposal_to_dict(original)
    assert [p.name for p in tmp_path.iterdir()] == ["proposal.yml"]  # no temp files left


def test_dict_round_trip_is_plain_data() -> None:
    p = load_proposal(PROPOSALS / "glass_orbit.yml")
    d = proposal_to_dict(p)
    assert d["key"] == "D dorian" and d["time_signature"] == "7/8" and d["color"] == "Yellow"
    assert d["evolution"] == {
        "population_size": 96,
        "generations": 40,
        "top_n": 12,
        "elite": 6,
        "mutation_rate": 0.8,
        "crossover_rate": 0.6,
    }

    def plain(x: object) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or isinstance(x, str | int | float | bool)

    assert plain(d)
    assert proposal_from_dict(d) == p


def test_dump_replaces_an_existing_file(tmp_path: Path) -> None:
    target = _write(tmp_path, "old: content\n", "proposal.yml")
    p = proposal_from_dict(_minimal(bpm=123.5))
    dump_proposal(p, target)
    assert load_proposal(target) == p
    assert "old" not in target.read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=80).map(lambda s: "T" + s),
    concept=st.text(max_size=200).map(lambda s: "A dark song " + s),
    lyrics=st.none() | st.text(max_size=200),
    mood=st.lists(st.text(max_size=20), max_size=4),
)
def test_round_trip_survives_any_text(
    tmp_path_factory: pytest.TempPathFactory,
    title: str,
    concept: str,
    lyrics: str | None,
    mood: list[str],
) -> None:
    p = proposal_from_dict(_minimal(title=title, concept=concept, lyrics=lyrics, mood=mood))
    assert SLUG_RE.match(p.slug)
    path = dump_proposal(p, tmp_path_factory.mktemp("rt") / "proposal.yml")
    assert load_proposal(path) == p


def test_models_are_usable_directly() -> None:
    p = Proposal(
        title="Direct",
        concept="Built in code.",
        color="red",
        key=Key(tonic=0),
        bpm=120,
        meter=Meter(3, 4),
        evolution=EvolutionSettings(population_size=16, top_n=4),
    )
    assert p.color == "Red" and p.meter == Meter(3, 4) and p.evolution.top_n == 4
    assert proposal_from_dict(proposal_to_dict(p)) == p
