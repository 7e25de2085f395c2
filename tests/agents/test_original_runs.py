"""Files in the original system's exact shape run through the real agent to the chords gate:
the run records their meter and key, and the chord MIDI has the meter's bars and is heard in
the key (music21, for harmonic and melodic minor too). ``chromatic run --iteration`` picks
one iteration of a SongProposal file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import music21
import pretty_midi
import pytest
from ruamel.yaml import YAML

from agents.proposal import load_proposal
from agents.runner import start_run
from music.keys import Key
from music.meter import Meter

ORIGINAL = Path(__file__).resolve().parents[1] / "fixtures" / "proposals-original"
# The only addition to the original's shape: a small evolution so the run takes seconds.
SMALL = "evolution: {population_size: 12, generations: 3, top_n: 3}\n"


def _small_copy(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    path.write_text(SMALL + (ORIGINAL / name).read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _candidates(run_dir: Path) -> list[Path]:
    found = sorted((run_dir / "chords" / "candidates").glob("*.mid"))
    assert found
    return found


@pytest.mark.parametrize(
    ("name", "folder", "meter", "key"),
    [
        ("lantern_iteration.yml", "paper-lantern-procession", Meter(7, 8), Key(1, "minor")),
        ("tidewater_proposal.yml", "tidewater-almanac-v3", Meter(3, 4), Key(11, "minor")),
        ("ember_mnemonic.yml", "ember-switchboard", Meter(4, 4), Key(6, "minor")),
        ("quarry_time_sig.yml", "quarry-bells", Meter(5, 4), Key(3, "major")),
        ("orchard_six_four.yml", "orchard-ladder", Meter(6, 4), Key(7, "major")),
    ],
)
def test_original_file_reaches_the_chords_gate_in_its_meter_and_key(
    tmp_path: Path, name: str, folder: str, meter: Meter, key: Key
) -> None:
    proposal = load_proposal(ORIGINAL / name)
    outcome = start_run(proposal_path=_small_copy(name, tmp_path), out_dir=tmp_path / "runs")
    assert (outcome.status, outcome.phase) == ("awaiting_review", "chords")
    assert outcome.run_dir == tmp_path / "runs" / folder
    saved = load_proposal(outcome.run_dir / "proposal.yml")
    assert (saved.meter, saved.key, saved.bpm) == (meter, key, proposal.bpm)
    header = YAML(typ="safe").load((outcome.run_dir / "chords" / "review.yml").read_text())
    assert header["time_signature"] == str(meter) and header["key"] == key.name
    assert header["color"] == proposal.color
    bar_s = meter.bar_qn * 60.0 / proposal.bpm
    for path in _candidates(outcome.run_dir):
        pm = pretty_midi.PrettyMIDI(str(path))
        ts = pm.time_signature_changes[0]
        assert (ts.numerator, ts.denominator) == (meter.numerator, meter.denominator)
        assert pm.get_downbeats()[1] == pytest.approx(bar_s, abs=1e-3)
        end = max(n.end for inst in pm.instruments for n in inst.notes)
        assert end / bar_s == pytest.approx(round(end / bar_s), abs=1e-3)  # whole bars


def _heard(path: Path, key: Key) -> tuple[int, str, float, set[int]]:
    """music21's key of a chord MIDI file (tonic pitch class, mode), the share of sounding
    time on notes of ``key``'s scale, and the pitch classes played."""
    score = music21.converter.parse(str(path))
    analysed = score.analyze("key")
    notes = [(p.pitchClass, n.quarterLength) for n in score.flatten().notes for p in n.pitches]
    inside = sum(length for pc, length in notes if key.contains(pc))
    share = float(inside / sum(length for _, length in notes))
    return analysed.tonic.pitchClass, analysed.mode, share, {pc for pc, _ in notes}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("salt_harmonic_minor.yml", Key(9, "harmonic_minor")),
        ("stair_melodic_minor.yml", Key(2, "melodic_minor")),
    ],
)
def test_harmonic_and_melodic_minor_chords_are_in_key(tmp_path: Path, name: str, key: Key) -> None:
    outcome = start_run(proposal_path=_small_copy(name, tmp_path), out_dir=tmp_path / "runs")
    header = YAML(typ="safe").load((outcome.run_dir / "chords" / "review.yml").read_text())
    assert header["key"] == key.name  # "A harmonic minor"
    best = _candidates(outcome.run_dir)[0]
    tonic, mode, share, _ = _heard(best, key)
    assert (tonic, mode) == (key.tonic, "minor"), f"asked {key.name}, music21 heard {tonic} {mode}"
    assert share >= 0.75  # mostly on notes of the mode's own scale (3 generations only)
    # The mode's own colour is there: the raised leading tone sounds in some top candidate.
    leading_tone = (key.tonic + 11) % 12
    assert any(leading_tone in _heard(p, key)[3] for p in _candidates(outcome.run_dir))


CLI = [sys.executable, "-m", "cli"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_cli_run_iteration_runs_that_iteration(tmp_path: Path) -> None:
    path = _small_copy("tidewater_proposal.yml", tmp_path)
    result = _cli(
        "run", str(path), "--iteration", "tidewater_almanac_v2", "--out", "runs", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / "runs" / "tidewater-almanac-v2"
    saved = load_proposal(run_dir / "proposal.yml")
    assert (saved.meter, saved.bpm, saved.iteration_id) == (Meter(6, 8), 80, "tidewater_almanac_v2")
    pm = pretty_midi.PrettyMIDI(str(_candidates(run_dir)[0]))
    assert (pm.time_signature_changes[0].numerator, pm.time_signature_changes[0].denominator) == (
        6,
        8,
    )


def test_cli_run_with_a_wrong_iteration_lists_the_ids_and_exits_2(tmp_path: Path) -> None:
    path = _small_copy("tidewater_proposal.yml", tmp_path)
    result = _cli("run", str(path), "--iteration", "v9", "--out", "runs", cwd=tmp_path)
    assert result.returncode == 2
    line = " ".join(result.stderr.split())
    assert "--iteration: 'v9'" in line
    assert "tidewater_almanac_v1, tidewater_almanac_v2, tidewater_almanac_v3" in line
    assert not (tmp_path / "runs").exists()
