"""Measure a trained timbre: on the held-out end of its recording, the multi-scale spectral
loss of

* the timbre resynthesising the recording's own f0 and loudness (the runtime's numpy synth),
* the timbre playing a MIDI transcription of that end (runs of pYIN frames on one semitone,
  velocity from the inverse of the velocity curve), as a song's melody stem would be played,
* the SoundFont's trumpet (GM program 57) playing the same transcription,

each also after matching its RMS to the recording's (the SoundFont's level is arbitrary);
plus the pitch error (cents, pYIN on the output) on a test melody and the render time per
second of audio.

``python -m training.timbre.evaluate --model FILE.onnx --audio RECORDING`` prints them as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from music.notes import Note, Part
from render.ddsp import HOP, SAMPLE_RATE, DdspTimbre, Loudness
from render.synth import Synthesizer
from training.timbre.features import Clip, measure, pitch_track, read_mono, trimmed
from training.timbre.synth import spectral_loss
from training.timbre.train import split

TRUMPET: Final = 56
MIN_NOTE_FRAMES: Final = 3
#: The test melody: G3..G5, 0.45 s notes at 60 qn per minute.
TEST_PITCHES: Final = (55, 60, 62, 65, 67, 70, 72, 74, 77, 79, 64, 58)


def transcribe(clip: Clip, curve: Loudness) -> tuple[Note, ...]:
    """Runs of voiced frames on one semitone as notes (start and end in seconds: quarter notes
    at 60 per minute)."""
    semis = np.round(12 * np.log2(clip.f0_hz / 440.0) + 69).astype(int)
    notes: list[Note] = []
    start = None
    for t in range(clip.frames + 1):
        same = t < clip.frames and clip.voiced[t] and start is not None and semis[t] == semis[start]
        if start is not None and not same:
            if t - start >= MIN_NOTE_FRAMES:
                level = float(np.mean(clip.loudness_db[start:t]))
                span = curve.loud_db - curve.quiet_db
                velocity = int(np.clip(round(127 * (level - curve.quiet_db) / span), 1, 127))
                notes.append(
                    Note(
                        start * HOP / SAMPLE_RATE,
                        t * HOP / SAMPLE_RATE,
                        int(semis[start]),
                        velocity,
                    )
                )
            start = None
        if start is None and t < clip.frames and clip.voiced[t]:
            start = t
    return tuple(notes)


def _loss(audio: np.ndarray, ref: np.ndarray, *, match: bool) -> float:
    x = audio[: ref.shape[0]].astype(np.float32)
    if match:
        x = x * float(np.sqrt(np.mean(ref**2)) / max(np.sqrt(np.mean(x**2)), 1e-9))
    with torch.no_grad():
        return float(spectral_loss(torch.from_numpy(x)[None], torch.from_numpy(ref)[None]))


def pitch_error_cents(timbre: DdspTimbre) -> float:
    """Median |cents| between the test melody's pitches and pYIN on its rendering (the middle
    of each note)."""
    notes = [Note(i * 0.5, i * 0.5 + 0.45, p, 96) for i, p in enumerate(TEST_PITCHES)]
    audio = timbre.render_part(Part("melody", tuple(notes)), 60.0, SAMPLE_RATE, 6.5)[:, 0]
    f0, voiced = pitch_track(audio)
    times = np.arange(f0.shape[0]) * HOP / SAMPLE_RATE
    errors: list[float] = []
    for n in notes:
        sel = (times >= n.start + 0.08) & (times <= n.end - 0.08) & voiced
        errors.extend(np.abs(1200 * np.log2(f0[sel] / (440 * 2 ** ((n.pitch - 69) / 12)))))
    return float(np.median(errors))


def render_speed(timbre: DdspTimbre, seconds: float = 30.0) -> float:
    """Seconds of work per second of a 44.1 kHz melody stem of 0.25 s notes."""
    notes = tuple(
        Note(i * 0.25, i * 0.25 + 0.22, TEST_PITCHES[i % len(TEST_PITCHES)], 60 + i % 60)
        for i in range(int(seconds * 4))
    )
    t0 = time.perf_counter()
    timbre.render_part(Part("melody", notes), 60.0, 44100, seconds)
    return (time.perf_counter() - t0) / seconds


def evaluate(model: Path, audio: Path, *, held_out: float = 0.15) -> dict[str, Any]:
    """The figures of the module docstring."""
    timbre = DdspTimbre.load(model)
    whole = trimmed(measure(read_mono(audio)))
    _, test = split(whole, held_out, 1)
    ref = test.audio
    seconds = ref.shape[0] / SAMPLE_RATE
    notes = transcribe(test, timbre.loudness)
    part = Part("melody", notes, program=TRUMPET)
    renders: dict[str, np.ndarray] = {
        "ddsp_resynthesis": timbre.synthesize(test.f0_hz, test.loudness_db),
        "ddsp_from_midi": timbre.render_part(part, 60.0, SAMPLE_RATE, seconds)[:, 0],
    }
    with Synthesizer(sample_rate=SAMPLE_RATE) as synth:
        renders["soundfont_trumpet"] = synth.render_part(part, 60.0, seconds=seconds, channels=1)
    losses = {
        name: {
            "raw": round(_loss(x, ref, match=False), 4),
            "rms_matched": round(_loss(x, ref, match=True), 4),
        }
        for name, x in renders.items()
    }
    side = timbre.model.sidecar.get("metrics", {})
    return {
        "held_out_seconds": round(seconds, 3),
        "held_out_notes": len(notes),
        "held_out_loss": losses,
        "torch_held_out_loss": side.get("held_out_loss"),
        "torch_held_out_loss_untrained": side.get("held_out_loss_untrained"),
        "pitch_error_cents_median": round(pitch_error_cents(timbre), 2),
        "render_seconds_per_audio_second": round(render_speed(timbre), 4),
    }


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--audio", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(evaluate(args.model, args.audio), indent=2))


if __name__ == "__main__":
    _cli()
