"""The shipped emotion model on onnxruntime: audio in, valence and arousal out (both -1..1).

The model (``scoring/data/emotion.onnx``) is trained and exported by :mod:`training.emotion`;
its input is :func:`scoring.emotion.features.window_features` (standardisation folded in), its
outputs the per-window valence/arousal and the 64-d emotion embedding. A clip's estimate is
the mean over its windows, as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import OnnxModel
from scoring.emotion.features import window_features

SHIPPED_MODEL: Final = Path(__file__).resolve().parents[1] / "data" / "emotion.onnx"


@dataclass(frozen=True, slots=True)
class EmotionEstimate:
    valence: float
    arousal: float
    embedding: tuple[float, ...]


@dataclass(frozen=True)
class EmotionEstimator:
    model: OnnxModel

    @classmethod
    def load(cls, path: Path = SHIPPED_MODEL) -> EmotionEstimator:
        """Raises ModelFileError naming ``path`` when it is missing or broken."""
        return cls(OnnxModel.load(path, sidecar_path=path.with_name("emotion_model.json")))

    def estimate(self, samples: NDArray[np.float32], sr: int) -> EmotionEstimate:
        """The estimate of mono ``[n]`` or ``[channels, n]`` audio."""
        features = window_features(samples, sr)[None]
        out = self.model.run({"features": features})
        va = out["valence_arousal"][0].mean(axis=0)
        emb = out["embedding"][0].mean(axis=0)
        return EmotionEstimate(float(va[0]), float(va[1]), tuple(float(x) for x in emb))


@lru_cache(maxsize=1)
def shipped_estimator() -> EmotionEstimator:
    """The shipped model, loaded once per process."""
    return EmotionEstimator.load()
