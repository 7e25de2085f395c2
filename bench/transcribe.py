"""Transcription benchmark: note F-measure and real-time factor per stem on the held-out (test)
songs of a rendered corpus, the shipped models against basic-pitch where it is installed.

    python -m bench.transcribe --corpus CORPUS [--stems bass,drums] [--models DIR]

``CORPUS``: a folder ``chromatic train transcribe --corpus`` rendered and indexed. For each
stem with a model: mir_eval note F1 (onset 50 ms, with and without offsets; drums per class)
on the stems alone and inside the song's mix (the other stems at -6 dB each), and the
real-time factor (seconds of processing per second of audio, model loaded, 1 thread). basic-pitch
(Spotify, ``pip install basic-pitch``, its shipped ``nmp.onnx`` run offline through
onnxruntime with that library's own session options) is a benchmark only, never a project
requirement; it has no drum model, so it is scored on the pitched stems alone. Writes
``bench/results/transcribe.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result
from render.audio_io import write_audio
from render.transcription.decode import NoteEvent
from render.transcription.features import SAMPLE_RATE
from render.transcription.taxonomy import BY_NAME
from render.transcription.transcriber import MODELS_DIR, StemTranscriber, installed_models
from training.transcribe.dataset import load_clips
from training.transcribe.evaluate import as_drum_classes, score_stem
from training.transcribe.train import in_mix

Transcribe = Callable[[np.ndarray], list[NoteEvent]]


def _run(
    transcribe: Transcribe, audios: Sequence[np.ndarray]
) -> tuple[list[list[NoteEvent]], float]:
    """Notes per clip and the real-time factor (processing seconds per audio second)."""
    transcribe(audios[0][:SAMPLE_RATE])  # warm-up: first-call set-up is not counted
    spent = 0.0
    out = []
    for audio in audios:
        t0 = time.perf_counter()
        out.append(transcribe(audio))
        spent += time.perf_counter() - t0
    return out, spent / (sum(a.size for a in audios) / SAMPLE_RATE)


def basic_pitch_transcriber(workdir: Path) -> Transcribe | None:
    """basic-pitch's ONNX model as a transcriber, or None when basic-pitch is not installed."""
    if importlib.util.find_spec("basic_pitch") is None:
        return None
    import basic_pitch
    from basic_pitch.inference import Model, predict

    model = Model(Path(basic_pitch.__file__).parent / "saved_models/icassp_2022/nmp.onnx")

    def transcribe(audio: np.ndarray) -> list[NoteEvent]:
        path = write_audio(workdir / "clip.wav", audio, SAMPLE_RATE)
        _, _, events = predict(str(path), model)
        return [NoteEvent(float(s), float(e), int(p), 90) for s, e, p, *_ in events if float(e) > s]

    return transcribe


def bench_stem(stem: str, corpus: Path, model: Path, basic: Transcribe | None) -> dict[str, Any]:
    clips = load_clips(corpus, stem, "test")
    drum = BY_NAME[stem].is_drum
    refs = [as_drum_classes(c.notes) if drum else list(c.notes) for c in clips]
    ours = StemTranscriber.load(model)

    def run_ours(a: np.ndarray) -> list[NoteEvent]:
        return ours.transcribe(a, SAMPLE_RATE)

    alone, rtf = _run(run_ours, [c.target for c in clips])
    mixed, _ = _run(run_ours, [in_mix(c) for c in clips])
    result: dict[str, Any] = {
        "clips": len(clips),
        "seconds": round(sum(c.target.size for c in clips) / SAMPLE_RATE, 1),
        "ours": {
            "alone": score_stem(stem, refs, alone),
            "in_mix": score_stem(stem, refs, mixed),
            "rtf": round(rtf, 5),
            "params": ours.model.sidecar.get("n_params"),
        },
    }
    if basic is not None and not drum:
        theirs, bp_rtf = _run(basic, [c.target for c in clips])
        result["basic_pitch"] = {"alone": score_stem(stem, refs, theirs), "rtf": round(bp_rtf, 5)}
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--stems", default="", help="comma-separated; default: every model")
    parser.add_argument("--no-basic-pitch", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    models = installed_models(args.models)
    stems = [s for s in args.stems.split(",") if s] or list(models)
    missing = [s for s in stems if s not in models]
    if missing:
        parser.error(f"--stems: no model for {', '.join(missing)} in {args.models}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        basic = None if args.no_basic_pitch else basic_pitch_transcriber(Path(tmp))
        for stem in stems:
            results[stem] = bench_stem(stem, args.corpus, models[stem], basic)
            ours = results[stem]["ours"]
            line = (
                f"{stem}: ours F1 {ours['alone']['onset']['f1']:.3f} "
                f"(offsets {ours['alone']['onset_offset']['f1']:.3f}, in mix "
                f"{ours['in_mix']['onset']['f1']:.3f}) rtf {ours['rtf']:.4f}"
            )
            if "basic_pitch" in results[stem]:
                bp = results[stem]["basic_pitch"]
                line += (
                    f" | basic-pitch F1 {bp['alone']['onset']['f1']:.3f} "
                    f"(offsets {bp['alone']['onset_offset']['f1']:.3f}) rtf {bp['rtf']:.4f}"
                )
            print(line, flush=True)
    data = {"corpus": args.corpus.name, "basic_pitch": basic is not None, "stems": results}
    print(write_result("transcribe", data))
    return data


if __name__ == "__main__":
    main()
