"""Chord-transition counting from tiny hand-written RomanText and salami_chords files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generators.chord_model import ChordTransitionModel
from training.chords.bach import parse_romantext
from training.chords.billboard import parse_harte, parse_salami, triad_of
from training.chords.build_transitions import cli, count_pieces, main
from training.chords.passages import Passage, PassageBuilder, classify_triad, mode_family

SONG = """# title: Test Song
# artist: Test Band
# metre: 4/4
# tonic: C

0.0\tsilence
0.5\tA, intro, | C:maj | C:maj | F:maj G:7 |
5.0\tB, verse, | A:min7 . . C:maj/5 | D:maj/3 | N | Bb:maj |, (voice
9.0\t| Bb:maj | C:maj |, x2, voice)
# tonic: A
14.0\tC, chorus, | A:min | D:min7 | (2/4) E:7 | A:min |
18.0\tsilence
19.0\tend
"""

CHORALE = """Composer: J. S. Bach
Title: Test
Time Signature: 4/4
m1 C: I b3 IV
m2 V7 b3 I
"""


def _tokens(passages: tuple[Passage, ...]) -> list[list[str]]:
    return [list(p.tokens) for p in passages]


# ---------------------------------------------------------------------------- Harte symbols
@pytest.mark.parametrize(
    ("symbol", "root", "triad"),
    [
        ("G:7", 7, "maj"),
        ("A:min7", 9, "min"),
        ("Bb:maj", 10, "maj"),
        ("D:maj/3", 2, "maj"),
        ("Bb:sus4(b7)", 10, "sus"),
        ("E:sus2", 4, "sus"),
        ("C:5", 0, "maj"),
        ("C:1", 0, "maj"),
        ("F#:hdim7", 6, "dim"),
        ("C#:dim7", 1, "dim"),
        ("Ab:dim", 8, "dim"),
        ("E:aug", 4, "aug"),
        ("E:aug(b7)", 4, "aug"),
        ("D:maj7", 2, "maj"),
        ("A:minmaj7", 9, "min"),
        ("E:7(#9)", 4, "maj"),  # the sharp ninth is no minor third
        ("C:1(b3,b7)", 0, "min"),
        ("C:maj(*3)", 0, "maj"),
        ("C:maj(b5)", 0, "maj"),
        ("C:min(*5,b5)", 0, "dim"),
        ("Cb:maj", 11, "maj"),
        ("G", 7, "maj"),
    ],
)
def test_harte_symbols_reduce_to_triads(symbol: str, root: int, triad: str) -> None:
    chord = parse_harte(symbol)
    assert (chord.root, triad_of(chord)) == (root, triad)


@pytest.mark.parametrize("symbol", ["N", "X", "&pause", "*", "H:maj", "C:wobble", ""])
def test_harte_rejects_non_chords(symbol: str) -> None:
    with pytest.raises(ValueError, match="Harte chord"):
        parse_harte(symbol)


def test_every_root_spelling_with_every_quality() -> None:
    letters = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
    qualities = {"maj": "maj", "min": "min", "7": "maj", "min7": "min", "hdim7": "dim"}
    for letter, pc in letters.items():
        for acc, shift in (("", 0), ("#", 1), ("b", -1)):
            for quality, triad in qualities.items():
                chord = parse_harte(f"{letter}{acc}:{quality}/5")
                assert chord.root == (pc + shift) % 12
                assert triad_of(chord) == triad


def test_classify_triad_table() -> None:
    expected: dict[tuple[int | None, int | None], str] = {
        (3, 6): "dim",
        (3, 7): "min",
        (3, 8): "min",
        (4, 6): "maj",
        (4, 7): "maj",
    }
    expected |= {(4, 8): "aug", (None, 7): "maj", (None, None): "maj", (3, None): "min"}
    for (third, fifth), triad in expected.items():
        assert classify_triad(third, fifth) == triad
    assert classify_triad(None, 7, suspended=True) == "sus"
    with pytest.raises(ValueError, match="third"):
        classify_triad(5, 7)


def test_mode_family_by_third() -> None:
    assert [mode_family(m) for m in ("major", "Dorian", "mixolydian", "aeolian")] == [
        "major",
        "minor",
        "major",
        "minor",
    ]
    with pytest.raises(ValueError, match="mode"):
        mode_family("blues")


# ---------------------------------------------------------------------------- salami files
def test_salami_passages_sections_breaks_and_tonic_change() -> None:
    header, piece = parse_salami(SONG, song_id="0001")
    assert (header.title, header.artist) == ("Test Song", "Test Band")
    assert _tokens(piece.passages) == [
        ["0:maj", "5:maj", "7:maj"],  # intro: two bars of C merged into one chord
        ["9:min", "0:maj", "2:maj"],  # verse until N
        ["10:maj", "0:maj", "10:maj", "0:maj"],  # Bb | Bb C (x2): the repeat doubles the line
        ["0:min", "5:min", "7:maj", "0:min"],  # chorus after "# tonic: A"
    ]
    assert [p.mode for p in piece.passages] == ["major", "major", "major", "minor"]
    assert [[c.beats for c in p.chords] for p in piece.passages] == [
        [8.0, 2.0, 2.0],
        [3.0, 1.0, 4.0],  # "A:min7 . . C:maj/5": three beats then one
        [8.0, 4.0, 4.0, 4.0],
        [4.0, 4.0, 2.0, 4.0],  # the (2/4) bar
    ]
    # Section ends, the tonic change and silence are cadences; the N break is not.
    assert [sorted(p.cadences) for p in piece.passages] == [[2], [], [3], [3]]


def test_salami_metre_changes_and_unknown_chords() -> None:
    text = (
        "# title: Waltz\n# artist: Band\n# metre: 3/4\n# tonic: G\n\n"
        "0.0\tA, verse, | G:maj | D:7 . G:maj | X | E:min | * |\n"
        "# metre: 6/8\n"
        "1.0\tB, chorus, | C:maj | &pause | G:maj |\n"
    )
    _, piece = parse_salami(text, song_id="w")
    assert _tokens(piece.passages) == [["0:maj", "7:maj", "0:maj"], ["9:min"], ["5:maj"], ["0:maj"]]
    assert [c.beats for c in piece.passages[0].chords] == [3.0, 2.0, 1.0]
    assert piece.passages[2].chords[0].beats == 3.0  # 6/8 bar = three quarter notes


def test_salami_minor_inferred_from_tonic_triad() -> None:
    text = (
        "# title: Sad\n# artist: Band\n# metre: 4/4\n# tonic: E\n\n"
        "0.0\tA, verse, | E:min | C:maj | D:maj | E:min7 |\n"
        "1.0\tB, chorus, | G:maj | D:maj | E:maj | C:maj |\n"
    )
    _, piece = parse_salami(text, song_id="s")
    assert {p.mode for p in piece.passages} == {"minor"}  # 8 beats of E minor against 4 of E major
    assert _tokens(piece.passages)[0] == ["0:min", "8:maj", "10:maj", "0:min"]
    tie = text.replace("C:maj |\n", "E:maj |\n")
    assert {p.mode for p in parse_salami(tie, song_id="t")[1].passages} == {"major"}


def test_salami_mode_falls_back_to_the_third_degree() -> None:
    # No A chord at all: C (b3 of A) sounds in C and F major, C# (3 of A) in none of them.
    text = "# tonic: A\n# metre: 4/4\n0.0\tA, verse, | C:maj | G:maj | F:maj | E:7 |\n"
    _, piece = parse_salami(text, song_id="f")
    assert piece.passages[0].mode == "minor"
    assert piece.passages[0].tokens == ("3:maj", "10:maj", "8:maj", "7:maj")


def test_salami_errors_name_the_line() -> None:
    with pytest.raises(ValueError, match=r"bad:2: .*tonic"):
        parse_salami("# metre: 4/4\n0.0\tA, verse, | C:maj |\n", song_id="bad")
    with pytest.raises(ValueError, match=r"bad:2: Harte chord: 'C:blah'"):
        parse_salami("# tonic: C\n0.0\tA, verse, | C:blah |\n", song_id="bad")
    with pytest.raises(ValueError, match=r"metre '4'"):
        parse_salami("# metre: 4\n", song_id="bad")


# ---------------------------------------------------------------------------- RomanText
def test_chorale_fragment_counts() -> None:
    piece = parse_romantext(CHORALE, piece_id="001")
    counts = count_pieces([piece])["major"].to_json()
    assert counts["transition"] == {
        "0:maj": {"5:maj": 1},
        "5:maj": {"7:maj": 1},
        "7:maj": {"0:maj": 1},
    }
    assert counts["start"] == {"0:maj": 1}
    assert counts["cadence"] == {"7:maj>0:maj": 1}  # the end of the piece
    assert counts["unigram"] == {"0:maj": 2, "5:maj": 1, "7:maj": 1}
    assert counts["duration_beats"] == {"2.0": 4}


def test_chorale_modulation_pivot_and_phrase_marks() -> None:
    text = "Time Signature: 4/4\nm1 C: I b2 IV b3 V b4 I\nm2 vi || b3 ii a: iv b4 V\nm3 i\n"
    piece = parse_romantext(text, piece_id="002")
    assert _tokens(piece.passages) == [
        ["0:maj", "5:maj", "7:maj", "0:maj", "9:min", "2:min"],  # ii is the pivot's old reading
        ["5:min", "7:maj", "0:min"],  # ... and iv in A minor starts the new region
    ]
    assert [p.mode for p in piece.passages] == ["major", "minor"]
    # "||" after vi; the C-major region (> 4 chords) ends on a cadence; so does the piece.
    assert [sorted(p.cadences) for p in piece.passages] == [[4, 5], [2]]
    assert [c.beats for c in piece.passages[1].chords] == [1.0, 1.0, 4.0]


def test_chorale_repeats_merge_and_augmented_sixths_break() -> None:
    text = "Time Signature: 3/4\nm1 g: i b2 i6 b3 V\nm2 V7 b2 Ger65 b3 V\nm3 i :||\n"
    piece = parse_romantext(text, piece_id="003")
    assert _tokens(piece.passages) == [["0:min", "7:maj"], ["7:maj", "0:min"]]
    assert [c.beats for c in piece.passages[0].chords] == [2.0, 2.0]  # i i6 -> one; V V7 -> one
    assert [sorted(p.cadences) for p in piece.passages] == [[], [1]]


def test_short_key_region_gets_no_region_cadence() -> None:
    text = "Time Signature: 4/4\nm1 C: I b3 V\nm2 G: I b3 IV\nm3 V b3 I\n"
    piece = parse_romantext(text, piece_id="004")
    assert [sorted(p.cadences) for p in piece.passages] == [[], [3]]


# ---------------------------------------------------------------------------- passages
@given(st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["maj", "min"])), max_size=30))
def test_builder_merges_repeats_and_keeps_total_length(chords: list[tuple[int, str]]) -> None:
    builder = PassageBuilder(mode="major")
    for offset, triad in chords:
        builder.add(offset, triad, 1.0)
    passage = builder.close(cadence=True)
    if not chords:
        assert passage is None
        return
    assert passage is not None
    toks = passage.tokens
    assert all(a != b for a, b in itertools.pairwise(toks))
    assert sum(c.beats for c in passage.chords) == len(chords)


# ---------------------------------------------------------------------------- main and CLI
def _write_corpora(tmp_path: Path) -> tuple[Path, Path]:
    bach = tmp_path / "bach" / "Chorales"
    (bach / "001").mkdir(parents=True)
    (bach / "001" / "analysis.txt").write_text(CHORALE)
    (bach / "001" / "analysis_BCMH.txt").write_text(CHORALE)  # must be ignored
    billboard = tmp_path / "billboard" / "salami_chords"
    for song_id, text in (("0003", SONG), ("0007", SONG.replace("Test Song", "TEST  song"))):
        (billboard / song_id).mkdir(parents=True)
        (billboard / song_id / "salami_chords.txt").write_text(text)
    return tmp_path / "bach", tmp_path / "billboard"


def test_main_writes_exact_counts_and_loadable_artifact(tmp_path: Path) -> None:
    bach, billboard = _write_corpora(tmp_path)
    out = tmp_path / "out" / "chord_transitions.json"
    summary = main(bach_dir=bach, billboard_dir=billboard, out=out)
    payload = json.loads(out.read_text())
    assert payload == summary.payload  # save -> load -> equal
    assert payload["version"] == 1
    assert payload["built_from"]["bach"]["pieces"] == 1
    assert payload["built_from"]["bach"]["chords"] == 4
    assert payload["built_from"]["billboard"]["songs"] == 1
    assert payload["built_from"]["billboard"]["duplicates_skipped"] == 1
    assert payload["built_from"]["billboard"]["chords"] == 14
    major = payload["sources"]["billboard"]["major"]
    assert major["transition"] == {
        "0:maj": {"10:maj": 1, "2:maj": 1, "5:maj": 1},
        "10:maj": {"0:maj": 2},
        "5:maj": {"7:maj": 1},
        "9:min": {"0:maj": 1},
    }
    assert major["start"] == {"0:maj": 1, "10:maj": 1, "9:min": 1}
    assert major["cadence"] == {"10:maj>0:maj": 1, "5:maj>7:maj": 1}
    assert major["duration_beats"] == {"1.0": 1, "2.0": 2, "3.0": 1, "4.0": 4, "8.0": 2}
    minor = payload["sources"]["billboard"]["minor"]
    assert minor["transition"] == {
        "0:min": {"5:min": 1},
        "5:min": {"7:maj": 1},
        "7:maj": {"0:min": 1},
    }
    assert minor["cadence"] == {"7:maj>0:min": 1}
    assert payload["sources"]["bach"]["minor"]["unigram"] == {}
    ref = major["reference"]
    assert ref["low"] < ref["high"]
    assert ref["held_out"].startswith("none")
    assert summary.sources["billboard"].chords == {"major": 10, "minor": 4}
    model = ChordTransitionModel.load(out)
    assert model.sources == ("bach", "billboard")
    assert model.vocabulary("minor") == ("0:min", "5:min", "7:maj")


def test_cli_builds_from_one_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bach, _ = _write_corpora(tmp_path)
    out = tmp_path / "ct.json"
    assert cli(["--bach", str(bach), "--out", str(out)]) == 0
    assert "bach: 1 pieces, 4 chords" in capsys.readouterr().out
    assert list(json.loads(out.read_text())["sources"]) == ["bach"]


def test_cli_without_corpora_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        cli(["--out", str(tmp_path / "x.json")])
    assert info.value.code == 2
    with pytest.raises(ValueError, match=r"no analysis\.txt"):
        main(bach_dir=tmp_path, billboard_dir=None, out=tmp_path / "x.json")
