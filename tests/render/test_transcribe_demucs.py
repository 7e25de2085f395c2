"""``chromatic transcribe MIX --stem auto --demucs CHECKPOINT``: with a tiny Demucs checkpoint
built here (never downloaded), the drum model reads the separated drums and the other models the
mix without them, one MIDI track per installed model; the same as calling the runtime with the
checkpoint's drums."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from cli.app import app
from music.midi_io import read_midi
from music.notes import Note, Part
from render.kit.separate import SeparationSettings, Separator
from render.synth import SAMPLE_RATE, synthesize
from render.transcription.transcriber import installed_models, transcribe_mix
from tests.render.test_kit_models import _save_th, _tiny_demucs

BPM = 100.0


def _mix() -> np.ndarray:
    bass = Part("bass", tuple(Note(b, b + 0.8, (33, 40)[b % 2], 100) for b in range(8)), 33)
    kit = tuple(Note(b, b + 0.1, (36, 38)[b % 2], 110) for b in range(8))
    drums = Part("drums", kit, is_drum=True)
    a, d = synthesize(bass, bpm=BPM), synthesize(drums, bpm=BPM)
    n = max(len(a), len(d))
    mix = np.zeros((n, 2), np.float32)
    mix[: len(a)] += a
    mix[: len(d)] += d
    return mix


def test_auto_with_a_local_demucs_checkpoint_sends_the_separated_drums_to_the_drum_model(
    tmp_path: Path,
) -> None:
    mix = _mix()
    wav = tmp_path / "mix.wav"
    sf.write(str(wav), mix, SAMPLE_RATE, subtype="FLOAT")
    checkpoint = _save_th(_tiny_demucs(), tmp_path / "tiny.th")
    out = tmp_path / "mix.mid"
    result = CliRunner().invoke(
        app,
        ["transcribe", str(wav), "--stem", "auto", "--demucs", str(checkpoint), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "drums:" in result.output and "bass:" in result.output
    models = installed_models()
    separated = Separator(SeparationSettings(method="demucs", demucs_checkpoint=checkpoint))
    drums = separated.drums(mix, SAMPLE_RATE)
    expected = transcribe_mix(mix, SAMPLE_RATE, models=models, drums=drums)
    whole = transcribe_mix(mix, SAMPLE_RATE, models=models)
    written = {p.name: p.notes for p in read_midi(out).parts}
    assert set(written) == {p.name for p in expected if p.notes}
    for part in expected:
        if part.notes:
            got = written[part.name]
            assert [n.pitch for n in got] == [n.pitch for n in part.notes], part.name
            # Times agree to the MIDI file's tick (1/480 quarter note).
            assert (
                max(abs(g.start - n.start) for g, n in zip(got, part.notes, strict=True)) <= 2 / 480
            )
    # The separation changed what was heard: the tiny model's drums are not the mix.
    assert [p.notes for p in expected] != [p.notes for p in whole]
