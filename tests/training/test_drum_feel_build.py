"""The drum feels are learned from a Groove-shaped folder: a code-built jazz performance with its
ride's off-beat 8ths at 0.6 of the beat and the hi-hat's foot on 2 and 4 gives a swing ratio of
0.6, a ride on every beat and the foot on beats 2 and 4; only 4/4 ``beat`` rows of the listed
styles count; ``chromatic train drum-feel`` writes a file the runtime reads and refuses a folder
without info.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from generators.drums.feel import LATTICE, parse_feels
from tests.training.test_drum_tokenizer import write_groove_midi
from training.drums.feel import GROOVE_SOURCES, build_feels, style_feel

TPQ = 480
FIELDS = [
    "drummer",
    "session",
    "id",
    "style",
    "bpm",
    "beat_type",
    "time_signature",
    "midi_filename",
    "audio_filename",
    "duration",
    "split",
]


def _jazz_bar(bar: int) -> list[tuple[int, int, int]]:
    """One bar of jazz time: ride (51) on every beat and at 0.6 of beats 2 and 4, the foot
    (44) on 2 and 4, a kick (36) on 1; from the second bar on, each a little early in even bars
    and late in odd ones (6 ticks, 0.0125 beat)."""
    start = bar * 4 * TPQ
    notes = [(start + b * TPQ, 51, 90) for b in range(4)]
    notes += [(start + b * TPQ + round(0.6 * TPQ), 51, 70) for b in (1, 3)]
    notes += [(start + b * TPQ, 44, 60) for b in (1, 3)]
    notes.append((start, 36, 50))
    late = 0 if bar == 0 else 6 if bar % 2 else -6
    return [(t + late, p, v) for t, p, v in notes]


def _rock_bar(bar: int) -> list[tuple[int, int, int]]:
    start = bar * 4 * TPQ
    notes = [(start + e * TPQ // 2, 42, 80) for e in range(8)]
    return [*notes, (start, 36, 100), (start + 2 * TPQ, 36, 100)]


def write_groove_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = []

    def add(name: str, style: str, kind: str, ts: str, notes: list[tuple[int, int, int]]) -> None:
        num, den = (int(x) for x in ts.split("-"))
        write_groove_midi(root / name, notes, ts=(num, den), bpm=120.0)
        rows.append(
            {
                "drummer": "drummer1",
                "session": "drummer1/session1",
                "id": name,
                "style": style,
                "bpm": "120",
                "beat_type": kind,
                "time_signature": ts,
                "midi_filename": name,
                "audio_filename": "",
                "duration": "8",
                "split": "train",
            }
        )

    add("jazz.mid", "jazz/swing", "beat", "4-4", [n for b in range(4) for n in _jazz_bar(b)])
    add("jazz_fill.mid", "jazz", "fill", "4-4", [(i * 120, 38, 90) for i in range(16)])
    add("rock.mid", "rock", "beat", "4-4", [n for b in range(4) for n in _rock_bar(b)])
    for style in {s for labels in GROOVE_SOURCES.values() for s in labels[:1]} - {"jazz"}:
        notes = [n for b in range(2) for n in _rock_bar(b)]
        add(f"{style.replace('/', '_')}.mid", style, "beat", "4-4", notes)
    with (root / "info.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_a_jazz_performance_gives_its_swing_ride_and_foot(tmp_path: Path) -> None:
    folder = write_groove_folder(tmp_path / "groove")
    feel = style_feel(folder, ("jazz", "jazz/swing"))
    assert feel["performances"] == 1 and feel["bars"] == 4  # the fill is left out
    assert feel["swing_ratio"] == pytest.approx(0.6, abs=0.01)
    ride = feel["probability"]["ride"]
    foot = feel["probability"]["closed_hh"]
    beat, let = LATTICE.index(0), LATTICE.index(8)
    assert [ride[b][beat] for b in range(4)] == [1.0, 1.0, 1.0, 1.0]
    assert [ride[b][let] for b in range(4)] == [0.0, 1.0, 0.0, 1.0]
    assert [foot[b][beat] for b in range(4)] == [0.0, 1.0, 0.0, 1.0]
    assert feel["probability"]["snare"] == [[0.0] * len(LATTICE)] * 4
    # The let lies 0.6 - 8/12 = -0.067 beat from its lattice place.
    assert feel["timing"][let] == pytest.approx(0.6 - 8 / 12, abs=0.005)
    # The spread in milliseconds is the spread in beats at the performance's 120 bpm.
    assert feel["timing_sd_ms"] == pytest.approx(feel["timing_sd"] * 500.0, abs=0.05)


def test_a_style_without_performances_is_refused(tmp_path: Path) -> None:
    folder = write_groove_folder(tmp_path / "groove")
    with pytest.raises(ValueError, match="polka"):
        style_feel(folder, ("polka",))


def test_the_cli_writes_a_file_the_runtime_reads(tmp_path: Path) -> None:
    folder = write_groove_folder(tmp_path / "groove")
    out = tmp_path / "drum_feel.json"
    result = CliRunner().invoke(
        app, ["train", "drum-feel", "--data", str(folder), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "swing: 4 bars of 1 performances" in result.output
    feels = parse_feels(json.loads(out.read_text(encoding="utf-8")))
    assert set(feels) == set(GROOVE_SOURCES)
    assert feels["swing"].swing_ratio == pytest.approx(0.6, abs=0.01)
    assert build_feels(folder) == json.loads(out.read_text(encoding="utf-8"))

    bad = CliRunner().invoke(app, ["train", "drum-feel", "--data", str(tmp_path / "none")])
    assert bad.exit_code == 2 and "info.csv" in bad.output
