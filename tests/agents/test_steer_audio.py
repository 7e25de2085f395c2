"""A person imports a recorded part (``chromatic import RUN PHASE SECTION FILE.wav``), with the
real graph, checkpointer, transcription model and render: a bass line rendered here through
the SoundFont from known notes is transcribed into the run folder, checked and approved like a
MIDI part, survives a crash in the stale phase it starts, and reaches song.mid with the known
notes; bad recordings are one clear error naming the file and approve nothing. Routing of a
phase's recording to the installed models is checked on its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agents.audio_import import part_stem, route_for_phase
from agents.run_state import read_status
from agents.rundir import RunDir
from agents.runner import Hooks, resume_run
from agents.steer import import_part
from music.errors import InputError, MidiFileError
from music.meter import qn_to_seconds
from music.midi_io import read_midi
from music.notes import Note, Part
from music.orchestration import Orchestration, orchestrate
from render.audio_io import READ_ALLOWED
from render.synth import SAMPLE_RATE, synthesize
from render.transcription.decode import NoteEvent
from render.transcription.taxonomy import NoModelError
from tests.agents.run_fixtures import cli
from tests.agents.test_steer import Crash, _crash, _section_notes, _section_span
from training.transcribe.evaluate import note_f

BPM = 90.0  # the small proposal's
BARS = 4
#: Bar roots and fifths of A minor, a note on each beat (A1 E2 C2 G2 F2 C2 D2 A1).
ROOTS = ((33, 40), (36, 43), (41, 36), (38, 33))
#: Note F1 (onsets 50 ms) the shipped bass model reaches on the line (1.0 when written): the
#: notes the person played must come back.
MIN_NOTE_F1 = 0.9


def _bass_line(bars: int = BARS) -> tuple[Note, ...]:
    return tuple(
        Note(b * 4.0 + beat, b * 4.0 + beat + 0.8, ROOTS[b % len(ROOTS)][beat % 2], 100)
        for b in range(bars)
        for beat in range(4)
    )


def _wav(path: Path, notes: tuple[Note, ...], *, lead_in: float = 0.0, tail: float = 1.0) -> Path:
    """``notes`` played at the song's tempo on a finger bass through the SoundFont."""
    audio = synthesize(Part("bass", notes, program=33), bpm=BPM)
    pad = np.zeros((round(lead_in * SAMPLE_RATE), audio.shape[1]), np.float32)
    end = np.zeros((round(tail * SAMPLE_RATE), audio.shape[1]), np.float32)
    sf.write(str(path), np.concatenate([pad, audio, end]), SAMPLE_RATE)
    return path


def _seconds(notes: list[tuple[float, int]] | tuple[Note, ...]) -> list[NoteEvent]:
    pairs = [(n.start, n.pitch) for n in notes] if isinstance(notes, tuple) else notes
    return [NoteEvent(qn_to_seconds(s, BPM), qn_to_seconds(s + 0.5, BPM), p) for s, p in pairs]


def test_a_recorded_bass_line_is_transcribed_imported_survives_a_crash_and_is_rendered(
    run: RunDir, tmp_path: Path
) -> None:
    known = _bass_line()
    # A second of count-in before the first downbeat, skipped with the offset.
    wav = _wav(tmp_path / "my bass.wav", known, lead_in=1.0)
    result = import_part(run.root, "bass", "verse", wav, offset=1.0)
    heard = result.transcription
    assert heard is not None and heard.route.served_by == "bass" and heard.route.via == "exact"
    # The transcription is kept in the run folder, beside the import, at the song's tempo.
    assert heard.midi == run.phase("bass") / "imported" / "verse.transcribed.mid"
    assert read_midi(heard.midi).bpm == pytest.approx(BPM)
    data = json.loads(run.approved_data("bass", "verse").read_text(encoding="utf-8"))
    assert data["imported"]["file"] == "my bass.wav"
    assert data["imported"]["model"] == "bass" and data["imported"]["offset_s"] == 1.0
    imported = [(s, p) for s, _, p, _ in data["notes"]]
    _, _, f1 = note_f(_seconds(known), _seconds(imported), offsets=False)
    assert f1 >= MIN_NOTE_F1, f"note F1 {f1:.3f}: {imported}"
    assert result.steer.stale == ("melody",)
    assert read_status(run.root)[0].phase == "generate_melody"
    with pytest.raises(Crash):
        resume_run(run_dir=run.root, auto_approve=True, hooks=Hooks(on_generation=_crash))
    assert resume_run(run_dir=run.root, auto_approve=True).status == "done"
    played = _section_notes(read_midi(run.song_mid), "bass", *_section_span(run, "verse"))
    assert played == sorted((round(s, 3), p) for s, p in imported)


def test_a_recorded_bass_line_through_the_cli(run: RunDir, tmp_path: Path) -> None:
    wav = _wav(tmp_path / "take.flac", _bass_line())
    result = cli("import", str(run.root), "bass", "chorus", str(wav), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "transcribed:" in result.stdout and "heard by the bass model" in result.stdout
    assert "imported:" in result.stdout and "range: A1-G2" in result.stdout
    assert (run.phase("bass") / "imported" / "chorus.transcribed.mid").is_file()
    # The melody built on the old bass re-evolves for the chorus and stops at its gate.
    assert "melody candidates are ready for review" in result.stdout


def _silence(path: Path) -> Path:
    sf.write(str(path), np.zeros((SAMPLE_RATE, 2), np.float32), SAMPLE_RATE)
    return path


def _not_audio(path: Path) -> Path:
    path.write_bytes(b"RIFF\x00\x00not a wave file at all")
    return path


@pytest.mark.parametrize(
    ("make", "offset", "error", "words"),
    [
        (lambda p: _silence(p / "quiet.wav"), None, InputError, ("quiet.wav", "silence")),
        (lambda p: _not_audio(p / "broken.wav"), None, InputError, ("cannot be decoded",)),
        # Five bars for a four-bar section: the MIDI import's length check, naming the wav.
        (
            lambda p: _wav(p / "long.wav", _bass_line(5)),
            None,
            MidiFileError,
            ("long.wav (transcribed to", "length: '5 bars"),
        ),
        # An offset past every note: nothing left to import.
        (lambda p: _wav(p / "late.wav", _bass_line(1), tail=2.0), 3.5, InputError, ("none heard",)),
    ],
)
def test_a_bad_recording_is_one_clear_error_and_approves_nothing(
    run: RunDir,
    tmp_path: Path,
    make: object,
    offset: float | None,
    error: type[Exception],
    words: tuple[str, ...],
) -> None:
    before = run.approved_data("bass", "verse").read_bytes()
    assert callable(make)
    with pytest.raises(error) as caught:
        import_part(run.root, "bass", "verse", make(tmp_path), offset=offset)
    for word in words:
        assert word in str(caught.value)
    assert "\n" not in str(caught.value)
    assert run.approved_data("bass", "verse").read_bytes() == before
    assert read_status(run.root)[1].get("steer") is None


def test_an_offset_with_a_midi_file_is_refused(run: RunDir, tmp_path: Path) -> None:
    result = cli(
        "import",
        str(run.root),
        "bass",
        "verse",
        str(run.approved_midi("bass", "verse")),
        "--offset",
        "1",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "--offset" in result.stderr and "only with a recording" in result.stderr
    assert f"({READ_ALLOWED})" in " ".join(result.stderr.split())


MODELS = {name: Path(f"{name}.onnx") for name in ("bass", "drums", "synth_lead")}


def _orch(*instruments: str) -> Orchestration:
    return orchestrate(instruments, genres=("folk rock",), color="Blue")


def test_a_phase_recording_goes_to_its_instruments_model_else_the_phases_stem() -> None:
    piano_lead = _orch("piano", "flute", "fretless bass")
    assert route_for_phase("bass", piano_lead, MODELS).served_by == "bass"
    assert route_for_phase("drums", piano_lead, MODELS).served_by == "drums"
    # A flute melody (the 'other' stem) goes to the melodic lead model, not a harmonic one.
    assert part_stem("melody", piano_lead) == ("flute", "other")
    melody = route_for_phase("melody", piano_lead, {**MODELS, "guitar": Path("guitar.onnx")})
    assert (melody.served_by, melody.via) == ("synth_lead", "exact")
    # Chords on piano: the piano model when installed, else a harmonic one, else none.
    with_piano = {**MODELS, "piano": Path("piano.onnx"), "guitar": Path("guitar.onnx")}
    assert route_for_phase("chords", piano_lead, with_piano).served_by == "piano"
    guitar = route_for_phase("chords", piano_lead, {**MODELS, "guitar": Path("guitar.onnx")})
    assert (guitar.served_by, guitar.via) == ("guitar", "role")
    with pytest.raises(NoModelError, match="no model for piano"):
        route_for_phase("chords", piano_lead, MODELS)


def test_a_recorded_beat_becomes_the_sections_drum_pattern(run: RunDir, tmp_path: Path) -> None:
    beat = tuple(
        Note(b * 4.0 + q, b * 4.0 + q + 0.1, 36 if q % 2 == 0 else 38, 110)
        for b in range(BARS)
        for q in range(4)
    )
    audio = synthesize(Part("drums", beat, is_drum=True), bpm=BPM)
    wav = tmp_path / "beat.wav"
    sf.write(str(wav), audio, SAMPLE_RATE)
    result = import_part(run.root, "drums", "verse", wav)
    assert result.transcription is not None
    assert result.transcription.route.served_by == "drums"
    assert result.steer.stale == ("bass", "melody")
    data = json.loads(run.approved_data("drums", "verse").read_text(encoding="utf-8"))
    hits = {(h[0], h[1]) for h in data["genome"]["hits"]}
    # Kick on 1 and 3, snare on 2 and 4, on the sixteenth grid of every bar.
    played = {(b * 16 + q * 4, 36 if q % 2 == 0 else 38) for b in range(BARS) for q in range(4)}
    assert len(played & hits) >= 0.9 * len(played), sorted(hits)
    # Every hit is on a beat that was played (the shipped drum model also hears some snares
    # as kick + snare and some as snare + hat: extra classes, never extra times).
    assert {step for step, _ in hits} <= {step for step, _ in played}, sorted(hits - played)
