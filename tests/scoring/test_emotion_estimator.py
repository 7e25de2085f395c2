"""The shipped emotion model on onnxruntime agrees with its torch weights, and reads a loud,
fast, bright clip as more aroused than a soft, slow one."""

from __future__ import annotations

import numpy as np
import torch

from scoring.emotion.estimator import shipped_estimator
from scoring.emotion.features import SAMPLE_RATE, window_features
from training.emotion.run import PACKAGE_DATA, WEIGHTS
from training.emotion.train import load_weights, predict


def _clip(notes_per_s: float, level: float, bright: float) -> np.ndarray:
    t = np.arange(int(4 * SAMPLE_RATE)) / SAMPLE_RATE
    y = np.zeros_like(t)
    for i, start in enumerate(np.arange(0.0, 4.0, 1.0 / notes_per_s)):
        f = 261.63 * 2 ** ((0, 4, 7, 12)[i % 4] / 12)
        env = np.where(t >= start, np.exp(-(t - start) * 5), 0.0)
        y += env * sum(bright**k * np.sin(2 * np.pi * f * (k + 1) * t) for k in range(6))
    return (level * y / np.max(np.abs(y))).astype(np.float32)


def test_onnx_estimate_matches_torch_and_orders_arousal() -> None:
    estimator = shipped_estimator()
    torch_model = load_weights(PACKAGE_DATA / WEIGHTS)
    calm, busy = _clip(1.0, 0.1, 0.1), _clip(8.0, 0.9, 0.8)
    for audio in (calm, busy):
        est = estimator.estimate(audio, SAMPLE_RATE)
        with torch.no_grad():
            want = predict(torch_model, window_features(audio, SAMPLE_RATE)[None])[0]
        assert abs(est.valence - want[0]) <= 1e-5 and abs(est.arousal - want[1]) <= 1e-5
        assert len(est.embedding) == 64
    low = estimator.estimate(calm, SAMPLE_RATE)
    high = estimator.estimate(busy, SAMPLE_RATE)
    assert high.arousal > low.arousal
