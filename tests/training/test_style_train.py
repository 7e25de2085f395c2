"""Style profiles from small corpora built here (Groove fixture files, chord charts and lead
sheets written by the test): metric rows, splits, the built files, the command."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scoring.style.fit import metric_fits
from scoring.style.profile import read_profiles
from tests.training.lead_sheets import write_lead_sheet
from training.style.billboard import billboard_rows
from training.style.build import group_keys, payload
from training.style.groove import groove_rows
from training.style.lead_sheets import openewld_rows
from training.style.rows import MetricRow, load_rows, save_rows, split_of
from training.style.train import StyleConfig, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groove"
ROCK = "drummer3_session1_2_rock_105_beat_4-4.mid"
WALTZ = "drummer6_session1_3_rock_80_beat_6-8.mid"
HEADER = "drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,"
HEADER += "duration,split\n"


def groove_folder(root: Path, *, copies: int) -> Path:
    """A Groove-shaped folder: ``copies`` train performances of the fixture rock beat (each
    its own performance), one validation 6/8 beat and a fill that is left out."""
    folder = root / "groove-midi"
    lines = [HEADER]
    for k in range(copies):
        rel = f"drummer1/session1/{k + 1}_rock_105_beat_4-4.mid"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / ROCK, folder / rel)
        lines.append(f"drummer1,s,{k},rock,105,beat,4-4,{rel},x.wav,9.1,train\n")
    rel = "drummer6/session1/3_rock_80_beat_6-8.mid"
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / WALTZ, folder / rel)
    lines.append(f"drummer6,s,3,rock,80,beat,6-8,{rel},x.wav,9.1,validation\n")
    rel = "drummer1/session1/108_funk_95_fill_4-4.mid"
    shutil.copy(FIXTURES / "drummer1_session1_108_funk_95_fill_4-4.mid", folder / rel)
    lines.append(f"drummer1,s,108,funk,95,fill,4-4,{rel},x.wav,2.0,train\n")
    (folder / "info.csv").write_text("".join(lines))
    return folder


CHART = """# title: Song {n}
# artist: Band {n}
# metre: 4/4
# tonic: C

0.0\tsilence
1.0\tA, verse, | C:maj | F:maj | G:7 | C:maj |
9.0\t| C:maj | A:min | F:maj | G:maj |
17.0\tB, chorus, | F:maj F:maj/3 | C:maj | Bb:maj | C:maj | x2
40.0\tend
"""


def billboard_folder(root: Path, songs: int) -> Path:
    folder = root / "billboard" / "salami_chords"
    for n in range(songs):
        song = folder / f"{n:04d}"
        song.mkdir(parents=True)
        (song / "salami_chords.txt").write_text(CHART.format(n=n))
    # a repeat of song 0 (same title and artist) is read once
    (folder / "9999").mkdir()
    (folder / "9999" / "salami_chords.txt").write_text(CHART.format(n=0))
    return folder


def test_groove_windows_are_read_as_played(tmp_path: Path) -> None:
    rows = groove_rows(groove_folder(tmp_path, copies=2))
    rock = [r for r in rows if r.meter == "4/4"]
    waltz = [r for r in rows if r.meter == "6/8"]
    assert len(rock) == 2 and len(waltz) == 2  # 4 bars -> 1 window each; 9 bars of 6/8 -> 2
    assert {r.split for r in waltz} == {"heldout"}  # validation is held out
    assert {r.split for r in rock} <= {"build", "tune"}
    r = rock[0]
    assert r.style == "rock" and r.bpm == 105.0 and r.song == "drummer1/session1/1"
    v = r.values
    assert 2.0 < v["hits_per_qn"] < 8.0 and 0.0 < v["kick_share"] < 0.5
    assert 0.0 < v["timing_ms"] < 60.0  # a real drummer is never on the grid
    assert all(not math.isnan(x) for x in v.values())


def test_billboard_songs_are_read_once_with_their_cadences(tmp_path: Path) -> None:
    rows = billboard_rows(billboard_folder(tmp_path, 3))
    assert len(rows) == 3 and {r.corpus for r in rows} == {"billboard"}
    v = rows[0].values
    # phrases: I IV V7 I | I vi IV V | (IV IV6 | I | bVII | I) twice
    assert v["authentic_share"] == pytest.approx(1 / 4)
    assert v["half_share"] == pytest.approx(1 / 4)
    assert v["tonic_end_share"] == pytest.approx(3 / 4)
    assert v["non_diatonic_share"] == pytest.approx(8 / 64)  # two bars of B-flat of 16
    assert v["chords_per_bar"] > 0.5


def test_lead_sheets_become_melody_rows(tmp_path: Path) -> None:
    write_lead_sheet(tmp_path / "dataset" / "tune" / "tune.mxl")
    rows = openewld_rows(tmp_path / "dataset")
    assert len(rows) == 2 and {r.meter for r in rows} == {"3/4"}
    assert {r.split for r in rows} == {split_of("openewld/tune")}  # one song, one split
    assert rows[0].values["notes_per_qn"] == 1.0


def test_rows_round_trip_and_a_stale_cache_is_ignored(tmp_path: Path) -> None:
    row = MetricRow("drums", "groove", "a/b/1", "build", "rock", "4/4", 100.0, {"x": math.nan})
    path = save_rows(tmp_path / "rows.json", [row], stamp="s1")
    (got,) = load_rows(path, stamp="s1") or []
    assert got.song == row.song and math.isnan(got.values["x"])
    assert load_rows(path, stamp="s2") is None


def test_a_row_counts_towards_every_pooling() -> None:
    row = MetricRow("drums", "groove", "s", "build", "rock", "4/4", 100.0, {})
    assert set(group_keys(row)) == {
        "rock|4/4|mid", "rock|4/4|any", "rock|any|mid", "rock|any|any",
        "any|4/4|mid", "any|4/4|any", "any|any|mid", "any|any|any",
    }  # fmt: skip
    lead = MetricRow("melody", "openewld", "s", "build", "any", "3/4", None, {})
    assert set(group_keys(lead)) == {"any|3/4|any", "any|any|any"}


def test_only_shipped_corpora_and_the_build_split_make_profiles() -> None:
    rows = [
        MetricRow("melody", corpus, f"s{i}", split, "any", "4/4", None, {"notes_per_qn": v})
        for i in range(30)
        for corpus, split, v in (("openewld", "build", 1.0), ("nottingham", "heldout", 9.0))
    ]
    rows += [
        MetricRow("melody", "openewld", "t", "tune", "any", "4/4", None, {"notes_per_qn": 5.0})
    ]
    data = payload("melody", rows, unit="window", min_rows=20)
    assert data["built_from"]["corpora"] == ["openewld"] and data["built_from"]["rows"] == 30
    assert data["profiles"]["any|any|any"]["bands"]["notes_per_qn"] == [1.0] * 7


def test_main_writes_profiles_the_scores_read(tmp_path: Path) -> None:
    groove_folder(tmp_path, copies=24)
    billboard_folder(tmp_path, 30)
    out = tmp_path / "out"
    summary = main(
        StyleConfig(data=tmp_path, out=out, cache=tmp_path / "cache", parts=("drums", "chords"),
                    min_rows=3)
    )  # fmt: skip
    assert set(summary) == {"drums", "chords"}
    drums = read_profiles(out / "style_drums.json")
    rock = drums.get("rock|4/4|mid")
    assert rock is not None and drums.styles == ("rock",)
    real = groove_rows(tmp_path / "groove-midi")[0].values
    # the corpus is typical of itself: its values sit at the stored medians (as rounded there)
    assert min(metric_fits(real, rock).values()) == pytest.approx(1.0, abs=1e-4)
    chords = read_profiles(out / "style_chords.json")
    assert chords.get("pop|4/4|any") is not None
    assert (tmp_path / "cache" / "groove.json").is_file()


def test_the_command_names_a_missing_folder(tmp_path: Path) -> None:
    from cli.app import app

    result = CliRunner().invoke(app, ["train", "style", "--data", str(tmp_path / "none")])
    assert result.exit_code == 2 and "--data" in result.output
    empty = CliRunner().invoke(
        app, ["train", "style", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
              "--cache", str(tmp_path / "c"), "--part", "drums"]
    )  # fmt: skip
    assert empty.exit_code == 2 and "groove-midi" in empty.output
