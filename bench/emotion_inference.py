"""Per-window inference time of the emotion model (:mod:`training.emotion`), and the time to
compute one window's 128 features.

* onnxruntime, one thread: a whole clip of windows in one call (per window), and a one-window
  call (the latency a streaming caller pays per window without carried LSTM state);
* torch, one thread: one window at a time with the LSTM state carried (how RTNeural runs it);
* the features: ``window_features`` of a 10 s clip, per window.

``python -m bench.emotion_inference [--model DIR] [--repeat N]``; results in
``bench/results/emotion_inference.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.common import write_result
from inference.onnx import OnnxModel
from scoring.emotion.features import SAMPLE_RATE, window_features
from training.emotion.export import export_onnx
from training.emotion.run import PACKAGE_DATA, WEIGHTS
from training.emotion.train import load_weights


def _best_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=PACKAGE_DATA)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = load_weights(args.model / WEIGHTS)
    rng = np.random.default_rng(0)
    clip = rng.normal(size=(1, 20, 128)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        onnx = OnnxModel.load(export_onnx(model, Path(tmp) / "emotion.onnx"), threads=1)
        clip_ms = _best_ms(lambda: onnx.run({"features": clip}), args.repeat) / clip.shape[1]
        one_ms = _best_ms(lambda: onnx.run({"features": clip[:, :1]}), args.repeat)

    state: list[Any] = [None]

    def step() -> None:
        with torch.no_grad():
            x = torch.from_numpy(clip[:, :1])
            z = torch.tanh(model.dense((x - model.mean) / model.std))
            h, state[0] = model.lstm(z, state[0])
            torch.tanh(model.heads(torch.tanh(model.embed(h))))

    torch_ms = _best_ms(step, args.repeat)
    t = np.arange(10 * SAMPLE_RATE) / SAMPLE_RATE
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    windows = window_features(audio, SAMPLE_RATE).shape[0]
    feat_ms = _best_ms(lambda: window_features(audio, SAMPLE_RATE), 5) / windows
    result = {
        "onnx_ms_per_window_in_a_20_window_clip": round(clip_ms, 4),
        "onnx_ms_one_window_call": round(one_ms, 4),
        "torch_ms_per_window_streaming": round(torch_ms, 4),
        "features_ms_per_window": round(feat_ms, 3),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    print(f"written: {write_result('emotion_inference', result)}")
    return result


if __name__ == "__main__":
    main()
