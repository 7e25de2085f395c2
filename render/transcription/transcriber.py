"""Run a per-stem transcription model (ONNX, through :class:`inference.onnx.OnnxModel`) on
audio, and route a request to the installed models.

A model's sidecar says which stem it serves (``stem``), its ``kind`` (``pitched``: onset and
frame probabilities per MIDI pitch from ``low``; ``drums``: onset probabilities per class of
:data:`~render.transcription.taxonomy.DRUM_CLASSES`), its decoding thresholds (whether frame
rises start notes, ``frame_starts``, and the shortest note, ``min_frames``), its context
(``receptive_frames``) and the features it was trained on (checked against
:data:`~render.transcription.features.FEATURE_SPEC`).

Long audio runs in chunks of :data:`CHUNK_FRAMES` with the model's context on both sides, so
the result equals one pass over the whole file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError, OnnxModel
from music.notes import Part
from render.transcription.decode import NoteEvent, drum_hits, pitched_notes, to_part
from render.transcription.features import (
    FEATURE_SPEC,
    FRAMES_PER_SECOND,
    log_mel,
    to_model_rate,
)
from render.transcription.taxonomy import BY_NAME, DRUM_CLASSES, STEMS, resolve_model

logger = logging.getLogger(__name__)

#: The shipped models: ``<stem>.onnx`` and its ``<stem>.json`` sidecar.
MODELS_DIR: Final = Path(__file__).resolve().parents[1] / "data" / "transcription"
CHUNK_FRAMES: Final = 2048
INPUT_NAME: Final = "features"
OUTPUT_NAMES: Final = ("onset", "frame")
KINDS: Final = ("pitched", "drums")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a transcription model's sidecar says about it."""

    stem: str
    kind: str
    low: int
    n_outputs: int
    receptive_frames: int
    onset_threshold: float
    frame_threshold: float
    frame_starts: bool = False
    min_frames: int = 2


def model_info(sidecar: Mapping[str, Any], path: Path) -> ModelInfo:
    """Read and check a sidecar. Raises ModelFileError naming the file and the field."""
    try:
        info = ModelInfo(
            stem=str(sidecar["stem"]),
            kind=str(sidecar["kind"]),
            low=int(sidecar["low"]),
            n_outputs=int(sidecar["n_outputs"]),
            receptive_frames=int(sidecar["receptive_frames"]),
            onset_threshold=float(sidecar["onset_threshold"]),
            frame_threshold=float(sidecar["frame_threshold"]),
            frame_starts=bool(sidecar.get("frame_starts", False)),
            min_frames=int(sidecar.get("min_frames", 2)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: sidecar field {exc} missing or unusable") from exc
    if info.stem not in BY_NAME or info.kind not in KINDS:
        raise ModelFileError(
            f"{path}: sidecar stem {info.stem!r} / kind {info.kind!r} -- a stem of "
            f"{', '.join(BY_NAME)} and a kind of {', '.join(KINDS)}"
        )
    if sidecar.get("features") != FEATURE_SPEC:
        raise ModelFileError(
            f"{path}: sidecar features {sidecar.get('features')!r} -- this program computes "
            f"{FEATURE_SPEC!r}; re-export the model"
        )
    return info


class StemTranscriber:
    """One transcription model loaded once; :meth:`transcribe` turns audio into notes."""

    def __init__(self, model: OnnxModel) -> None:
        self.model = model
        self.info = model_info(model.sidecar, model.path)

    @classmethod
    def load(cls, path: Path, *, threads: int = 1) -> StemTranscriber:
        return cls(OnnxModel.load(path, threads=threads))

    def posteriors(
        self, features: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """``features [T, n_mels]`` -> onset and frame probabilities, each ``[T, P]``."""
        t_len = features.shape[0]
        pad = self.info.receptive_frames
        onsets, frames = [], []
        for start in range(0, max(t_len, 1), CHUNK_FRAMES):
            stop = min(t_len, start + CHUNK_FRAMES)
            lo, hi = max(0, start - pad), min(t_len, stop + pad)
            out = self.model.run({INPUT_NAME: features[None, lo:hi]})
            onsets.append(out["onset"][0, start - lo : stop - lo])
            frames.append(out["frame"][0, start - lo : stop - lo])
        return np.concatenate(onsets), np.concatenate(frames)

    def transcribe(self, audio: NDArray[np.float32], sample_rate: int) -> list[NoteEvent]:
        """Notes (seconds) of ``audio`` (``[frames]`` or ``[frames, channels]``)."""
        features = log_mel(to_model_rate(audio, sample_rate))
        onset, frame = self.posteriors(features)
        info = self.info
        if info.kind == "drums":
            return drum_hits(
                onset,
                notes=[note for _, note, _ in DRUM_CLASSES],
                fps=FRAMES_PER_SECOND,
                threshold=info.onset_threshold,
            )
        return pitched_notes(
            onset,
            frame,
            low=info.low,
            fps=FRAMES_PER_SECOND,
            onset_threshold=info.onset_threshold,
            frame_threshold=info.frame_threshold,
            frame_starts=info.frame_starts,
            min_frames=info.min_frames,
        )


def installed_models(folder: Path = MODELS_DIR) -> dict[str, Path]:
    """Stem name -> model file of the ``<stem>.onnx`` files in ``folder`` (taxonomy names)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.onnx")) if p.stem in BY_NAME}


def _part(stem: str, events: list[NoteEvent]) -> Part:
    spec = BY_NAME[stem]
    program = spec.programs[0] if spec.programs else 0
    return to_part(events, name=stem, program=program, is_drum=spec.is_drum)


def transcribe_stem(
    audio: NDArray[np.float32], sample_rate: int, *, stem: str, models: Mapping[str, Path]
) -> Part:
    """``audio`` as one part, by the model :func:`resolve_model` routes ``stem`` to."""
    route = resolve_model(stem, models)
    logger.info("stem %s", route.describe(stem))
    events = StemTranscriber.load(route.model).transcribe(audio, sample_rate)
    return _part(route.requested.name, events)


def transcribe_mix(
    audio: NDArray[np.float32],
    sample_rate: int,
    *,
    models: Mapping[str, Path],
    drums: NDArray[np.float32] | None = None,
) -> list[Part]:
    """``auto``: one part per installed model (taxonomy order). Without ``drums`` every model
    reads the whole mix, each hearing what its role plays in it; with ``drums`` (the mix's
    separated drums, same shape, e.g. Demucs's ``drums`` source) the percussive models read
    those and the others the mix without them."""
    if not models:
        raise ModelFileError("no transcription models installed -- train or copy some first")
    if drums is not None and np.shape(drums) != np.shape(audio):
        raise ValueError(f"drums: shape {np.shape(drums)} -- the mix's shape {np.shape(audio)}")
    rest = audio if drums is None else np.asarray(audio - drums, dtype=np.float32)
    parts = []
    for spec in STEMS:
        if spec.name in models:
            heard = drums if spec.is_drum and drums is not None else rest
            events = StemTranscriber.load(models[spec.name]).transcribe(heard, sample_rate)
            parts.append(_part(spec.name, events))
    return parts
