"""The render after the last gate, checked by analysing the audio it wrote: an auto-approved
run ends with song.mid, arrangement.json, stems and a master at -14 LUFS as long as the
arrangement; the approved candidates' previews sound and the rest are written on demand;
``chromatic render`` re-runs; a render that failed resumes with nothing half-written."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from pedalboard.io import AudioFile
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agents.builder import RenderOptions
from agents.phases.approved import section_chords
from agents.phases.common import dynamic_of
from agents.phases.preview_writer import ON_DEMAND, PreviewWriter
from agents.phases.previews_on_demand import parts_underneath
from agents.proposal import load_proposal
from agents.review import load_review_document
from agents.run_graph import run_status
from agents.rundir import PHASES, RunDir
from agents.runner import resume_run, start_run
from cli.app import app
from music.dynamics import at_level
from music.midi_io import read_midi
from render.audio_io import read_audio
from render.errors import RenderError
from render.loudness import integrated_loudness, rms_db, true_peak_db
from render.pipeline import RenderPaths
from render.synth import DEFAULT_TAIL_S

EVOLUTION = {"population_size": 16, "generations": 3, "top_n": 3}
RELEASE_S = 2.5  # a GM note's release after its note-off; gaps shorter than this may ring


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """A compressed file as float32 ``[frames, channels]`` and its sample rate."""
    with AudioFile(str(path)) as fh:
        return np.asarray(fh.read(fh.frames).T), int(fh.samplerate)


@dataclass(frozen=True)
class Finished:
    """The shared run, and what was seen when its render failed before the resume."""

    run: RunDir
    failed_with: str
    stopped_at: str | None
    written_after_failure: list[str]
    leftover: Path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """One auto-approved run (small population) whose render fails once (its ``stems`` is a
    file, so no stem can be written), then resumes to the end; shared by the tests below."""
    folder = tmp_path_factory.mktemp("render")
    proposal = folder / "lamp.yml"
    data = {
        "title": "Lamp Song",
        "concept": "A lamp left burning in an empty house, waiting for someone to return.",
        "color": "Blue",
        "key": "A minor",
        "bpm": 90,
        "time_signature": "4/4",
        "mood": ["melancholic", "wistful"],
        "genres": ["folk rock"],
        "sections": [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 4}],
        "evolution": EVOLUTION,
        "seed": 5,
    }
    with proposal.open("w") as fh:
        YAML(typ="safe").dump(data, fh)
    run = RunDir(folder / "runs" / "lamp-song")
    run.root.mkdir(parents=True)
    run.stems.write_text("not a folder")
    with pytest.raises(RenderError) as failure:
        start_run(proposal_path=proposal, out_dir=folder / "runs", auto_approve=True)
    status, _ = run_status(run.root)
    outputs = (run.song_mid, run.arrangement, run.mix_wav, run.mix_mp3, run.render_manifest)
    written = [p.name for p in outputs if p.exists()]
    # A killed render would also leave temp files behind; the re-run removes them.
    leftover = run.root / ".mix.4242.deadbeef.tmp.wav"
    leftover.write_bytes(b"half a master")
    run.stems.unlink()
    assert resume_run(run_dir=run.root, auto_approve=True).status == "done"
    return Finished(run, str(failure.value), status.phase, written, leftover)


@pytest.fixture
def finished(finished_run: Finished) -> RunDir:
    return finished_run.run


def _temp_files(run: RunDir) -> list[Path]:
    return [p for p in run.root.rglob(".*") if ".tmp" in p.name]


def test_run_dir_paths_are_the_render_librarys(tmp_path: Path) -> None:
    run, lib = RunDir(tmp_path), RenderPaths(tmp_path)
    assert (run.stems, run.mix_wav, run.mix_mp3) == (lib.stems_dir, lib.mix_wav, lib.mix_mp3)
    assert (run.render_plan, run.analysis) == (lib.render_plan, lib.analysis)


def test_finished_run_has_song_stems_plan_and_master(finished: RunDir) -> None:
    manifest = json.loads(finished.render_manifest.read_text())
    _, values = run_status(finished.root)
    assert values["render"] == manifest
    approved = {
        phase: sorted(values["phases"][phase]["approved"])
        for phase in PHASES
        if phase in values["phases"]
    }
    assert manifest["parts"] == approved and "chords" in approved
    for path in (finished.song_mid, finished.arrangement, finished.analysis, finished.mix_wav):
        assert path.is_file() and path.stat().st_size > 0, path
    assert finished.mix_mp3.is_file() and finished.render_plan.is_file()
    song = read_midi(finished.song_mid)
    assert sorted(p.name for p in song.parts) == sorted(approved)
    assert sorted(p.name for p in finished.stems.iterdir()) == sorted(f"{p}.wav" for p in approved)
    plan = json.loads(finished.render_plan.read_text())
    assert plan["windows"], "the RenderPlan has a window per bar group"
    assert _temp_files(finished) == []


def test_master_is_the_arrangements_length_at_minus_14_lufs(finished: RunDir) -> None:
    arrangement = json.loads(finished.arrangement.read_text())
    assert [s["name"] for s in arrangement["sections"]] == ["verse", "chorus"]
    expected = arrangement["seconds"]
    assert expected == pytest.approx(8 * 4 * 60 / 90)
    mix, sr = read_audio(finished.mix_wav)
    assert abs(mix.shape[0] / sr - expected) < 0.050
    assert integrated_loudness(mix, sr) == pytest.approx(-14.0, abs=1.0)
    mp3, mp3_sr = _decode(finished.mix_mp3)
    assert abs(mp3.shape[0] / mp3_sr - expected) < 0.050
    assert integrated_loudness(mp3, mp3_sr) == pytest.approx(-14.0, abs=1.0)


def _sounding(notes: list[tuple[float, float]], t0: float, t1: float) -> bool:
    return any(s < t1 and e > t0 for s, e in notes)


def test_each_stem_sounds_with_its_notes_and_is_silent_without(finished: RunDir) -> None:
    song = read_midi(finished.song_mid)
    spq = 60.0 / song.bpm
    lengths = set()
    for part in song.parts:
        audio, sr = read_audio(finished.stem(part.name))
        lengths.add(audio.shape[0])
        notes = [(n.start * spq, n.end * spq) for n in part.notes]
        assert notes, part.name
        # Every beat with a note sounding is audible in the stem (peak above -50 dBFS).
        for k in range(math.floor(notes[-1][1] / spq)):
            t0, t1 = k * spq, (k + 1) * spq
            if _sounding(notes, t0, t1):
                peak = float(np.abs(audio[int(t0 * sr) : int(t1 * sr)]).max())
                assert peak > 10 ** (-50 / 20), (part.name, k)
        # Where the part rests (beyond a release), and before its first note, it is silent.
        rests = [(0.0, notes[0][0])]
        ends = np.maximum.accumulate([e for _, e in notes])
        rests += [(float(ends[i]) + RELEASE_S, notes[i + 1][0]) for i in range(len(notes) - 1)]
        rests.append((float(ends[-1]) + RELEASE_S + 1.0, audio.shape[0] / sr))
        for t0, t1 in rests:
            if t1 - t0 > 0.05:
                segment = audio[int(t0 * sr) + 1 : int(t1 * sr) - 1]
                assert float(np.abs(segment).max(initial=0.0)) < 1e-3, (part.name, t0, t1)
    assert len(lengths) == 1, "stems line up: all the same length"


def _check_preview_sounds(run: RunDir, phase: str, entry: Any) -> None:
    path = run.root / entry["preview"]
    assert path == run.preview(phase, entry["id"]) and path.is_file()
    audio, sr = _decode(path)
    # the whole candidate plays: its bars and the release tail (MP3 pads a little); a note
    # ringing under a sixteenth past the last bar line (a late hit) adds no bar
    candidate = read_midi(run.candidate_midi(phase, entry["id"]))
    bar = candidate.meter.bar_qn
    end = max(p.end for p in candidate.parts)
    bars_qn = bar * math.ceil((end - 0.25) / bar)
    whole = max(bars_qn, end) * 60.0 / candidate.bpm + DEFAULT_TAIL_S
    assert whole - 0.05 < audio.shape[0] / sr < whole + 0.1, path
    assert rms_db(audio) > -40.0, path
    assert integrated_loudness(audio, sr) == pytest.approx(-16.0, abs=1.5)


def test_auto_approved_run_previews_the_approved_and_the_rest_on_demand(
    finished: RunDir,
) -> None:
    """Nobody listens at an auto-approved gate: the approved candidates' previews are on disk,
    every other entry names the preview `chromatic previews` writes on demand (review.yml's
    header says so); once written, every preview plays the whole candidate."""
    _, values = run_status(finished.root)
    phases = [p for p in PHASES if finished.review(p).is_file()]
    assert "chords" in phases
    deferred = []
    for phase in phases:
        doc = load_review_document(finished.review(phase))
        assert doc["previews"] == ON_DEMAND
        approved = set(values["phases"][phase]["approvals"].values())
        assert approved and approved <= {e["id"] for e in doc["candidates"]}
        for entry in doc["candidates"]:
            assert entry["preview"] == finished.relative(finished.preview(phase, entry["id"]))
            if entry["id"] in approved:
                _check_preview_sounds(finished, phase, entry)
            else:
                assert not finished.preview(phase, entry["id"]).exists(), (phase, entry["id"])
                deferred.append((phase, entry))
    assert deferred, "the candidates nobody approved have no preview yet"
    result = CliRunner().invoke(app, ["previews", str(finished.root)])
    assert result.exit_code == 0, result.output
    for phase in phases:
        assert f"{phase}: " in result.output
    for phase, entry in deferred:
        _check_preview_sounds(finished, phase, entry)
    again = CliRunner().invoke(app, ["previews", str(finished.root), "chords"])
    assert again.exit_code == 0 and "chords: 0 previews written" in again.output
    assert _temp_files(finished) == []


def test_an_on_demand_drum_preview_plays_the_chords_held_as_the_drums_phase_hears_them(
    finished: RunDir,
) -> None:
    """The drums phase hears the approved chords held (not in the genre's comping rhythm), in
    its evaluation and its previews; a drum preview written on demand plays the same chords."""
    proposal = load_proposal(finished.proposal)
    under = parts_underneath(finished, proposal, "drums", "verse")
    assert len(under) == 1

    def chords(heard_by: str) -> Any:
        return section_chords(
            run=finished, proposal=proposal, label="verse", bars=4, heard_by=heard_by
        ).part

    held, comped = chords("drums"), chords("bass")
    level = dynamic_of(proposal)  # previews play the parts at the song's dynamic level
    assert under[0] == at_level(held, level)
    # folk rock strums: more strikes than one per chord
    assert len({n.start for n in comped.notes}) > len({n.start for n in held.notes})
    assert parts_underneath(finished, proposal, "bass", "verse")[0] == at_level(comped, level)


def test_previews_command_refuses_a_bad_phase(finished: RunDir) -> None:
    result = CliRunner().invoke(app, ["previews", str(finished.root), "chrods"])
    assert result.exit_code == 2
    assert "phase" in result.output and "chords" in result.output


def test_preview_writer_limits_per_section_and_repeats_itself(
    finished: RunDir, tmp_path: Path
) -> None:
    one = read_midi(finished.candidate_midi("chords", "chord_001"))
    two = read_midi(finished.candidate_midi("chords", "chord_002"))
    a = PreviewWriter(run=RunDir(tmp_path / "a"), phase="chords", per_section=1)
    assert a.write(candidate_id="c1", candidate=one, section="verse") == "chords/previews/c1.mp3"
    assert a.write(candidate_id="c2", candidate=two, section="verse") is None  # past the limit
    assert a.write(candidate_id="c2", candidate=two, section="chorus")
    assert a.summary()["count"] == 2
    # The same candidate gives the same file whatever was rendered before it.
    b = PreviewWriter(run=RunDir(tmp_path / "b"), phase="chords", per_section=2)
    b.write(candidate_id="c2", candidate=two)
    b.write(candidate_id="c1", candidate=one)
    for cid in ("c1", "c2"):
        assert (tmp_path / "a" / "chords/previews" / f"{cid}.mp3").read_bytes() == (
            tmp_path / "b" / "chords/previews" / f"{cid}.mp3"
        ).read_bytes()


def test_cli_render_reruns_to_the_same_files(finished: RunDir) -> None:
    before = {p: p.read_bytes() for p in (finished.mix_wav, finished.mix_mp3, finished.song_mid)}
    result = CliRunner().invoke(app, ["render", str(finished.root)])
    assert result.exit_code == 0, result.output
    assert "rendered" in result.output
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("broken", ["missing", "not-a-soundfont"])
def test_cli_render_with_a_bad_soundfont_exits_2_and_keeps_the_files(
    finished: RunDir, tmp_path: Path, broken: str
) -> None:
    sf = tmp_path / "gm.sf2"
    if broken == "not-a-soundfont":
        sf.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    before = finished.mix_wav.read_bytes()
    result = CliRunner().invoke(
        app, ["render", str(finished.root)], env={"CHROMATIC_SOUNDFONT": str(sf)}
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "gm.sf2" in lines[0] and "CHROMATIC_SOUNDFONT" in lines[0]
    assert finished.mix_wav.read_bytes() == before


def test_render_failing_part_way_leaves_no_manifest_and_no_temp_files(
    finished: RunDir, tmp_path: Path
) -> None:
    run = RunDir(tmp_path / "copy")
    shutil.copytree(finished.root, run.root)
    run.mix_mp3.unlink()
    run.mix_mp3.mkdir()  # the last file of the render cannot be written
    result = CliRunner().invoke(app, ["render", str(run.root)])
    assert result.exit_code == 2 and "mix.mp3" in result.output
    assert not run.render_manifest.exists()  # the render is not complete: no render.json
    assert _temp_files(run) == []
    run.mix_mp3.rmdir()
    assert CliRunner().invoke(app, ["render", str(run.root)]).exit_code == 0
    assert run.render_manifest.is_file() and run.mix_mp3.is_file()
    assert run.mix_wav.read_bytes() == finished.mix_wav.read_bytes()


def test_cli_render_of_a_run_with_nothing_approved_exits_2(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    small = {"population_size": 8, "generations": 1, "top_n": 1}
    outcome = start_run(proposal_path=make_proposal(evolution=small), out_dir=tmp_path)
    assert outcome.status == "awaiting_review"
    result = CliRunner().invoke(app, ["render", str(outcome.run_dir)])
    assert result.exit_code == 2
    assert "nothing approved" in result.output
    assert not RunDir(outcome.run_dir).song_mid.exists()


def test_cli_train_renderplan_without_a_dataset_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["train", "renderplan", "--dataset", str(missing)])
    assert result.exit_code == 2
    assert "--dataset" in result.output and "nowhere" in result.output


def test_failed_render_resumes_with_nothing_half_written(finished_run: Finished) -> None:
    assert "stems" in finished_run.failed_with and "cannot be written" in finished_run.failed_with
    assert finished_run.stopped_at == "render"  # the checkpoint is just before the render
    assert finished_run.written_after_failure == []  # checked before anything was written
    run = finished_run.run
    assert not finished_run.leftover.exists() and _temp_files(run) == []
    manifest: dict[str, Any] = json.loads(run.render_manifest.read_text())
    mix, sr = read_audio(run.mix_wav)
    assert abs(mix.shape[0] / sr - manifest["seconds"]) < 0.050
    assert manifest["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)


def test_decoded_mp3_master_is_under_minus_1_dbtp(finished: RunDir) -> None:
    manifest = json.loads(finished.render_manifest.read_text())
    mp3, _ = _decode(finished.mix_mp3)
    assert true_peak_db(mp3) < -1.0
    assert manifest["mp3_true_peak_dbtp"] == pytest.approx(true_peak_db(mp3), abs=1e-3)
    assert (manifest["sample_rate"], manifest["stem_format"]) == (44100, "pcm24")
    for stem in finished.stems.iterdir():
        assert soundfile.info(str(stem)).subtype == "PCM_24"


def test_cli_render_at_48_khz_with_float_stems(finished: RunDir, tmp_path: Path) -> None:
    run = RunDir(tmp_path / "copy")
    shutil.copytree(finished.root, run.root)
    args = ["render", str(run.root), "--sample-rate", "48000", "--stem-format", "float32"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "48000 Hz" in result.output
    manifest = json.loads(run.render_manifest.read_text())
    assert (manifest["sample_rate"], manifest["stem_format"]) == (48000, "float32")
    for stem in run.stems.iterdir():
        info = soundfile.info(str(stem))
        assert (info.samplerate, info.subtype) == (48000, "FLOAT")
    mix, sr = read_audio(run.mix_wav)
    assert sr == 48000 and abs(mix.shape[0] / sr - manifest["seconds"]) < 0.050
    assert _decode(run.mix_mp3)[1] == 48000


def test_cli_render_plays_the_melody_on_the_timbre_and_nothing_else(
    finished: RunDir, tmp_path: Path
) -> None:
    run = RunDir(tmp_path / "copy")
    shutil.copytree(finished.root, run.root)
    result = CliRunner().invoke(app, ["render", str(run.root), "--melody-timbre", "trumpet"])
    assert result.exit_code == 0, result.output
    assert json.loads(run.render_manifest.read_text())["melody_timbre"] == "trumpet"
    stems = sorted(p.name for p in finished.stems.iterdir())
    assert "melody.wav" in stems
    for name in stems:
        same = (run.stems / name).read_bytes() == (finished.stems / name).read_bytes()
        assert same == (name != "melody.wav"), name


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--sample-rate", "22050", "44100 or 48000"),
        ("--stem-format", "pcm16", "pcm24 or float32"),
        ("--melody-timbre", "no/such/timbre.onnx", "`chromatic train timbre`"),
    ],
)
def test_cli_render_with_a_bad_render_option_exits_2_and_keeps_the_files(
    finished: RunDir, option: str, value: str, allowed: str
) -> None:
    before = finished.mix_wav.read_bytes()
    result = CliRunner().invoke(app, ["render", str(finished.root), option, value])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and option in lines[0] and value in lines[0] and allowed in lines[0]
    assert finished.mix_wav.read_bytes() == before


def test_run_with_a_bad_sample_rate_exits_2_before_making_a_folder(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    args = ["run", str(make_proposal()), "--out", str(out), "--sample-rate", "96000"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--sample-rate: 96000 -- 44100 or 48000 (Hz)" in result.output
    assert not out.exists()


def test_render_settings_given_at_the_start_are_kept_for_the_render(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    small = {"population_size": 8, "generations": 1, "top_n": 1}
    proposal = make_proposal(evolution=small, sections=[{"name": "verse", "bars": 2}])
    outcome = start_run(
        proposal_path=proposal, out_dir=tmp_path, render=RenderOptions(sample_rate=48000)
    )
    assert outcome.status == "awaiting_review"  # the setting waits in the checkpoint ...
    _, values = run_status(outcome.run_dir)
    assert values["render_settings"] == {"sample_rate": 48000, "stem_format": "pcm24"}
    assert resume_run(run_dir=outcome.run_dir, auto_approve=True).status == "done"
    run = RunDir(outcome.run_dir)  # ... until the render, resumed without the option
    assert json.loads(run.render_manifest.read_text())["sample_rate"] == 48000
    assert {soundfile.info(str(p)).samplerate for p in run.stems.iterdir()} == {48000}
