"""The emotion model's view of a phase's top candidates: valence/arousal estimated from the
audio of their previews (the candidate over the parts approved under it), shown in review.yml
beside the MIDI estimate evolution ranked by.

Only the first :data:`AUDIO_ESTIMATES_PER_SECTION` written candidates of each section get one:
the model's features cost about 50 ms per second of audio, too much for every candidate of
every generation but cheap for the few a person listens to first. The MIDI estimate reads the
notes; this one hears the SoundFont's instruments, so where the two disagree a reviewer learns
something the rules do not see (timbre, register as it sounds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from inference.onnx import ModelFileError
from render.audio_io import decode_audio
from scoring.composite import EmotionScore
from scoring.emotion.estimator import shipped_estimator

AUDIO_ESTIMATES_PER_SECTION: Final = 3


def audio_emotion(preview: Path, target: tuple[float, float]) -> dict[str, Any]:
    """``{valence, arousal, match}`` of the preview at ``preview`` against ``target``, or
    ``{unavailable: why}`` when the shipped emotion model cannot be opened."""
    try:
        estimator = shipped_estimator()
    except ModelFileError as exc:
        return {"unavailable": str(exc)}
    samples, sr = decode_audio(preview)
    estimate = estimator.estimate(samples.T, sr)
    score = EmotionScore.of(estimate.valence, estimate.arousal, target)
    return {
        "valence": round(score.valence, 3),
        "arousal": round(score.arousal, 3),
        "match": round(score.match, 3),
    }
