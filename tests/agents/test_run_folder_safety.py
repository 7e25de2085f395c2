"""One process per run folder, and a run folder nothing can corrupt: the lock (two real
processes), an edited candidate MIDI refused on approve and on resume, a value-broken
review.yml shown as one error, leftover temp files removed on resume, and a run that fails
before its first phase leaving no folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.fileio import yaml_round_trip
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from tests.agents.run_fixtures import cli, copy_run, make_gated_run, write_proposal

HOLD_LOCK = """
import sys, time
from pathlib import Path
from agents.runlock import run_lock
with run_lock(Path(sys.argv[1]), command="run"):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gated_run(tmp_path_factory.mktemp("gated"))


@pytest.fixture
def run_dir(gated_run: Path, tmp_path: Path) -> Path:
    return copy_run(gated_run, tmp_path)


@pytest.fixture
def holder(run_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the run folder's lock, as a live run does."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait()


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("resume", "{run}"),
        ("approve", "{run}", "chords", "chord_001", "--label", "verse"),
        ("reject", "{run}", "chords", "chord_002"),
        ("run", "{proposal}", "--out", "{out}", "--replace"),
        ("run", "{proposal}", "--out", "{out}"),
    ],
)
def test_a_second_process_is_refused_while_one_holds_the_run(
    run_dir: Path, holder: subprocess.Popen[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    proposal = write_proposal(tmp_path / "lamp.yml")
    filled = [a.format(run=run_dir, proposal=proposal, out=run_dir.parent) for a in args]
    line = _one_error_line(cli(*filled, cwd=tmp_path))
    assert f"{run_dir}: in use by pid {holder.pid} (chromatic run" in line
    assert "wait for it to finish" in line
    after = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    assert after == before  # nothing was deleted, replaced or written
    assert holder.poll() is None


def test_the_lock_is_released_when_its_process_ends(run_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    proc.kill()  # as a crash would: no clean-up ran
    proc.wait()
    result = cli("reject", str(run_dir), "chords", "chord_002", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def _swap_candidate(run_dir: Path, song: Song) -> Path:
    path = run_dir / "chords" / "candidates" / "chord_001.mid"
    write_midi(song, path)
    return path


def _notes(count: int, step: float = 0.25) -> tuple[Note, ...]:
    return tuple(
        Note(start=i * step, end=i * step + step, pitch=60 + i % 12, velocity=80)
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("song", "field", "value"),
    [
        (Song(parts=(Part("c", _notes(8)),), bpm=90, meter=Meter(3, 4)), "time_signature", "3/4"),
        (Song(parts=(Part("c", _notes(8)),), bpm=3.6, meter=Meter(4, 4)), "tempo", "3.6 bpm"),
        (
            Song(parts=(Part("c", _notes(8, step=50_000)),), bpm=90, meter=Meter(4, 4)),
            "length",
            "100000 bars",
        ),
        (
            Song(parts=(Part("c", _notes(4096, 1 / 256)),), bpm=90, meter=Meter(4, 4)),
            "notes",
            "4096",
        ),
    ],
)
def test_an_edited_candidate_is_refused_on_approve(
    run_dir: Path, tmp_path: Path, song: Song, field: str, value: str
) -> None:
    path = _swap_candidate(run_dir, song)
    review = run_dir / "chords" / "review.yml"
    before = review.read_bytes()
    line = _one_error_line(
        cli("approve", str(run_dir), "chords", "chord_001", "--label", "verse", cwd=tmp_path)
    )
    assert f"{path}: {field}: " in line and value in line
    assert review.read_bytes() == before


def test_a_candidate_swapped_after_approval_is_refused_on_resume(
    run_dir: Path, tmp_path: Path
) -> None:
    ok = cli("approve", str(run_dir), "chords", "chord_001", "--label", "verse", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    path = _swap_candidate(run_dir, Song(parts=(Part("c", _notes(8)),), bpm=90, meter=Meter(7, 8)))
    line = _one_error_line(cli("resume", str(run_dir), cwd=tmp_path))
    assert f"{path}: time_signature: '7/8'" in line
    assert not (run_dir / "chords" / "approved").exists()


def test_smpte_candidate_is_one_error_naming_the_file(run_dir: Path, tmp_path: Path) -> None:
    path = run_dir / "chords" / "candidates" / "chord_002.mid"
    data = bytearray(path.read_bytes())
    data[12:14] = (0xE728).to_bytes(2, "big")  # the header's division: SMPTE 25 fps
    path.write_bytes(bytes(data))
    line = _one_error_line(
        cli("approve", str(run_dir), "chords", "chord_002", "--label", "verse", cwd=tmp_path)
    )
    assert f"{path}: time division: 'SMPTE 25 fps" in line


@pytest.mark.parametrize("value", ["banana", None])
def test_review_of_a_value_broken_file_is_one_error_keeping_the_id(
    run_dir: Path, tmp_path: Path, value: object
) -> None:
    review = run_dir / "chords" / "review.yml"
    yaml = yaml_round_trip()
    doc = yaml.load(review.read_text())
    doc["candidates"][1]["scores"]["composite"] = value
    with review.open("w") as fh:
        yaml.dump(doc, fh)
    line = _one_error_line(cli("review", str(run_dir), "chords", cwd=tmp_path))
    assert f"candidates[chord_002].scores.composite: {value!r}" in line


def test_truncated_review_is_refused_on_resume_naming_lost_ids(
    run_dir: Path, tmp_path: Path
) -> None:
    review = run_dir / "chords" / "review.yml"
    text = review.read_text()
    review.write_text(text[: text.index("- id: chord_002")])
    line = _one_error_line(cli("resume", str(run_dir), cwd=tmp_path))
    assert "missing chord_002, chord_003" in line


def test_resume_removes_temp_files_of_a_killed_write(run_dir: Path, tmp_path: Path) -> None:
    leftovers = [
        run_dir / "chords" / ".review.yml.abc123.tmp",
        run_dir / "chords" / "candidates" / ".chord_001.mid.4242.deadbeef.tmp",
        run_dir / ".plan.json.x.tmp",
    ]
    for p in leftovers:
        p.write_bytes(b"half")
    result = cli("resume", str(run_dir), cwd=tmp_path)  # refused: nothing approved yet
    assert result.returncode == 2
    assert [p for p in leftovers if p.exists()] == []
    assert (run_dir / "chords" / "review.yml").is_file()


def test_a_run_that_fails_before_its_first_phase_leaves_no_folder(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    proposal = write_proposal(tmp_path / "lamp.yml")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHROMATIC_SCORER": str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "run", str(proposal), "--out", str(tmp_path / "runs")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = _one_error_line(result)
    assert str(broken) in line
    assert not (tmp_path / "runs").exists()  # nor the --out folder made for it
