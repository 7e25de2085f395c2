"""A run with a sample kit (the proposal's ``kit:``) renders the drums on it too; the drum
editor changes an approved part and the next render follows; bad kits stop a run at once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np
import pytest
import soundfile
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agents.drum_edit import EditParams, edit_drums
from agents.errors import ProposalError
from agents.rundir import RunDir
from agents.runner import start_run
from cli.app import app
from music.errors import InputError
from music.midi_io import read_midi
from render.audio_io import READ_ALLOWED, write_audio
from render.kit.manifest import load_kit
from render.kit.onsets import detect_onsets, distinct_onsets
from tests.agents.run_fixtures import write_proposal

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sonic-pi"
SHOTS = ("bd_haus", "sn_dub", "drum_cymbal_closed", "drum_tom_mid_hard", "drum_cowbell")
EVOLUTION = {"population_size": 16, "generations": 3, "top_n": 3}


def _proposal(path: Path, **extra: object) -> Path:
    return write_proposal(path, evolution=EVOLUTION, **extra)


@dataclass(frozen=True)
class KitRun:
    run: RunDir
    kit: Path


@pytest.fixture(scope="module")
def kit_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    folder = tmp_path_factory.mktemp("kitrun")
    result = CliRunner().invoke(
        app,
        [
            "kit",
            "build",
            *[str(FIXTURES / f"{s}.flac") for s in SHOTS],
            "--out",
            str(folder / "my-kit"),
            "--separation",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    proposal = _proposal(folder / "lamp.yml", kit={"path": "my-kit", "pick": "round_robin"})
    outcome = start_run(proposal_path=proposal, out_dir=folder / "runs", auto_approve=True)
    assert outcome.status == "done"
    return KitRun(RunDir(outcome.run_dir), folder / "my-kit")


#: The onset matching window (s), mir_eval's usual 50 ms.
WINDOW = 0.05


def _drum_onsets(run: RunDir) -> np.ndarray:
    """The drum notes' start times (s), those closer than ``MIN_GAP_S`` (30 ms) to the one
    before merged into it, as ``python -m bench.kit_build`` does. Two strokes that close fuse
    into one attack (a flam) and the detector reports them as one, by design. Notes 30-50 ms
    apart are two hits a listener hears and a detector can resolve (at a 5.8 ms hop), and
    mir_eval matches one-to-one, so two detected onsets confirm both: merging them too (as
    a 50 ms gap did) would hide a missed hit instead of measuring it."""
    song = read_midi(run.song_mid)
    return distinct_onsets(
        np.array([n.start * 60 / song.bpm for p in song.parts if p.is_drum for n in p.notes])
    )


def test_the_kit_plays_the_songs_drums_at_their_times(kit_run: KitRun) -> None:
    run = kit_run.run
    manifest = json.loads(run.render_manifest.read_text())
    assert manifest["kit"]["folder"] == str(kit_run.kit.resolve())
    assert manifest["stems"]["drums_kit"] == "stems/drums_kit.wav"
    audio, sr = soundfile.read(str(run.stem("drums_kit")), dtype="float32")
    estimated = detect_onsets(audio.mean(axis=1), sr)
    f, precision, recall = mir_eval.onset.f_measure(_drum_onsets(run), estimated, window=WINDOW)
    assert f >= 0.9, (f, precision, recall)
    written = YAML(typ="safe").load(run.proposal.read_text())
    assert written["kit"] == {"path": str(kit_run.kit.resolve()), "pick": "round_robin"}


def test_editing_approved_drums_changes_the_next_render_and_restore_brings_them_back(
    kit_run: KitRun,
) -> None:
    run = kit_run.run
    before = run.approved_midi("drums", "verse").read_bytes()
    kicks = [
        n for n in read_midi(run.approved_midi("drums", "verse")).parts[0].notes if n.pitch == 36
    ]
    assert kicks
    result = edit_drums(run.root, "verse", "mute", EditParams(voices=("kick",)))
    assert "kick" not in result.grid and result.written
    assert not [
        n for n in read_midi(run.approved_midi("drums", "verse")).parts[0].notes if n.pitch == 36
    ]
    assert (run.phase("drums") / "edits" / "verse" / "original.mid").read_bytes() == before
    rendered = CliRunner().invoke(app, ["render", str(run.root)])
    assert rendered.exit_code == 0, rendered.output
    song = read_midi(run.song_mid)
    verse_end = 4 * 4.0
    drum_notes = [n for p in song.parts if p.is_drum for n in p.notes]
    assert not [n for n in drum_notes if n.pitch == 36 and n.start < verse_end]
    assert [n for n in drum_notes if n.pitch == 36 and n.start >= verse_end]  # chorus kept
    edit_drums(run.root, "verse", "restore")
    assert run.approved_midi("drums", "verse").read_bytes() == before


def test_bad_edits_are_one_clear_error_and_write_nothing(kit_run: KitRun) -> None:
    run = kit_run.run
    before = run.approved_data("drums", "chorus").read_bytes()
    for section, op, params, match in (
        ("bridge", "mute", EditParams(roles=("core",)), "SECTION: 'bridge'.*chorus, verse"),
        ("chorus", "explode", EditParams(), "op: 'explode'"),
        ("chorus", "velocity", EditParams(), "--factor: None"),
        ("chorus", "mute", EditParams(voices=("gong",)), "--voice: 'gong'"),
        ("chorus", "snap", EditParams(factor=2.0), "snap --factor"),
    ):
        with pytest.raises(InputError, match=match):
            edit_drums(run.root, section, op, params)
    assert run.approved_data("drums", "chorus").read_bytes() == before
    bad = CliRunner().invoke(app, ["edit", str(run.root), "bass", "chorus", "mute"])
    assert bad.exit_code == 2 and "part: 'bass'" in bad.output


def test_a_bad_kit_stops_the_run_before_it_makes_a_folder(tmp_path: Path) -> None:
    proposal = _proposal(tmp_path / "p.yml", kit="no-such-kit")
    with pytest.raises(ProposalError, match=r"kit: '.*no-such-kit'.*no such folder"):
        start_run(proposal_path=proposal, out_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    plain = _proposal(tmp_path / "q.yml")
    result = CliRunner().invoke(
        app, ["run", str(plain), "--out", str(tmp_path / "runs"), "--kit", str(tmp_path)]
    )
    assert result.exit_code == 2 and "--kit" in result.output
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ProposalError, match="pick"):
        start_run(
            proposal_path=_proposal(tmp_path / "r.yml", kit={"path": "x", "pick": "often"}),
            out_dir=tmp_path / "runs",
        )


def test_kit_build_cli_reports_skipped_files_and_fails_when_nothing_is_usable(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFFjunk")
    ok = CliRunner().invoke(
        app,
        [
            "kit",
            "build",
            str(FIXTURES / "bd_haus.flac"),
            str(tmp_path / "broken.wav"),
            "--out",
            str(tmp_path / "k"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "1 skipped" in ok.output and "broken.wav" in ok.output
    bad = CliRunner().invoke(
        app, ["kit", "build", str(tmp_path / "broken.wav"), "--out", str(tmp_path / "k2")]
    )
    assert bad.exit_code == 2 and "no usable drum audio" in bad.output


def test_kit_build_cli_takes_aiff_and_mp3_and_names_the_endings_it_takes(tmp_path: Path) -> None:
    """AIFF and MP3 one-shots (endings of READ_SUFFIXES) build a kit; a file of another
    format is skipped with the endings allowed, and nothing usable is one clear error."""
    audio, sr = soundfile.read(str(FIXTURES / "bd_haus.flac"), dtype="float32")
    soundfile.write(str(tmp_path / "kick.aiff"), audio, sr, format="AIFF")
    write_audio(tmp_path / "kick.mp3", audio, sr)
    ok = CliRunner().invoke(
        app,
        ["kit", "build", str(tmp_path / "kick.aiff"), "--out", str(tmp_path / "k")],
    )
    assert ok.exit_code == 0, ok.output
    assert {h.source.file for h in load_kit(tmp_path / "k").manifest.hits} == {
        str(tmp_path / "kick.aiff")
    }
    (tmp_path / "kick.caf").write_bytes((tmp_path / "kick.aiff").read_bytes())
    bad = CliRunner().invoke(
        app, ["kit", "build", str(tmp_path / "kick.caf"), "--out", str(tmp_path / "k2")]
    )
    text = " ".join(bad.output.split())
    assert bad.exit_code == 2 and "no usable drum audio" in text
    assert f"kick.caf: not an audio file (expected {READ_ALLOWED})" in text
    assert f"give {READ_ALLOWED} recordings" in text
    mp3 = CliRunner().invoke(
        app, ["kit", "build", str(tmp_path / "kick.mp3"), "--out", str(tmp_path / "k3")]
    )
    assert mp3.exit_code == 0, mp3.output
    assert len(load_kit(tmp_path / "k3").manifest.hits) >= 1
