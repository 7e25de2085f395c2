"""Kit-build benchmark and evaluation (needs ../shared/data/sonic-pi-samples, CC0):

    python -m bench.kit_build            # prints the figures, writes bench/results/kit_build.json
    python -m bench.kit_build --no-demo  # without the demo song run (the slowest part)

1. Classification of the labelled Sonic Pi one-shots (training/kitclass/labels.py): accuracy
   and a confusion table on two halves, split by group (velocity, take and pitch variants of
   one sound are one group): ``held_out`` (the shipped model on files it was never trained or
   tuned on) and ``dev`` (the half it trains on, each file classified by a model trained
   without its group: the model's ``dev_out_of_fold``), and ``all`` (both together).
2. Onsets on drums rendered from known MIDI through the SoundFont: mir_eval F-measure at 50 ms
   and slices against distinct hits.
3. Seconds of processing per minute of audio for ``kit build`` on the Sonic Pi loops, with HPSS
   and without separation.
4. The demo: a kit built from the loops (the Amen-break loops left out, see SOURCE.txt), the demo
   song (proposals/night_watch.yml, --auto-approve) rendered with it, and the onsets of its
   ``stems/drums_kit.wav`` against the drum notes of its ``song.mid``.

References are the MIDI notes, those under ``MIN_GAP_S`` (30 ms) after the one before merged into
it (a flam is one attack, and the detector reports it as one); notes further apart are hits of
their own, found or missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import librosa
import mir_eval
import numpy as np

from bench.common import write_result
from music.midi_io import read_midi
from music.notes import Note, Part
from render.audio_io import read_audio
from render.kit.audio import read_clip
from render.kit.build import KitSettings, build_kit
from render.kit.classes import CLASSES
from render.kit.classify import DrumClassifier
from render.kit.features import hit_features
from render.kit.onsets import detect_onsets, distinct_onsets, one_shot, slice_hits
from render.kit.separate import SeparationSettings
from render.synth import SAMPLE_RATE, shared_synthesizer
from training.kitclass.labels import LABELS, group, split

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "sonic-pi-samples"


def confusion(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {t: {p: 0 for p in CLASSES} for t in CLASSES}
    for t, p in zip(truth, predicted, strict=True):
        table[t][p] += 1
    return {t: row for t, row in table.items() if sum(row.values())}


def classification(data: Path) -> dict[str, Any]:
    model = DrumClassifier.load()
    halves = split()
    trained_on = set(model.meta.get("labelled_one_shots", []))
    leaked = sorted(n for n in trained_on if halves.get(n) != "dev")
    if leaked:
        raise SystemExit(f"the shipped model was trained on held-out files: {leaked}")
    out_of_fold = dict(model.meta.get("dev_out_of_fold", {}))
    rows = []
    for name, cls in sorted(LABELS.items()):
        clip = read_clip(data / f"{name}.flac")
        hit = one_shot(clip.audio, clip.sample_rate, source=clip.path)
        assert hit is not None, name
        got = model.classify(hit_features(hit.mono(), clip.sample_rate)).drum_class
        if name in trained_on:  # a dev file the model saw: its out-of-fold class instead
            got = out_of_fold[name]
        rows.append((name, cls, got, halves[name]))
    out: dict[str, Any] = {"trained_on_dev_files": len(trained_on)}
    for part in ("held_out", "dev", "all"):
        sel = [r for r in rows if part == "all" or r[3] == part]
        truth, pred = [r[1] for r in sel], [r[2] for r in sel]
        out[part] = {
            "files": len(sel),
            "groups": len({group(r[0]) for r in sel}),
            "accuracy": round(
                float(np.mean([t == p for t, p in zip(truth, pred, strict=True)])), 4
            ),
            "confusion": confusion(truth, pred),
        }
    out["errors"] = [
        {"file": n, "true": t, "predicted": p, "half": h} for n, t, p, h in rows if t != p
    ]
    return out


def _groove(bars: int, seed: int) -> Part:
    rng = np.random.default_rng(seed)
    notes = []
    for e in range(bars * 8):
        q = e * 0.5
        pitch = 36 if e % 4 == 0 else int(rng.choice([38, 42, 45, 46, 49]))
        if e % 4 and rng.random() < 0.25:
            continue
        notes.append(Note(q, q + 0.1, pitch, int(rng.integers(60, 121))))
    return Part("drums", tuple(notes), is_drum=True)


def onsets() -> list[dict[str, Any]]:
    out = []
    for bpm, seed in ((90.0, 1), (120.0, 2), (160.0, 3)):
        part = _groove(16, seed)
        audio = shared_synthesizer().render_part(part, bpm)
        ref = distinct_onsets(np.array([n.start * 60 / bpm for n in part.notes]))
        est = detect_onsets(audio.mean(axis=1), SAMPLE_RATE)
        f, p, r = mir_eval.onset.f_measure(ref, est, window=0.05)
        slices = slice_hits(audio, SAMPLE_RATE, est, source=Path("groove"))
        out.append(
            {
                "bpm": bpm,
                "hits": len(ref),
                "slices": len(slices),
                "f": round(f, 4),
                "precision": round(p, 4),
                "recall": round(r, 4),
            }
        )
    return out


def build_speed(loops: list[Path], tmp: Path) -> dict[str, Any]:
    out = {}
    for method in ("hpss", "none"):
        settings = KitSettings(separation=SeparationSettings(method=method))
        build_kit(loops[:1], tmp / f"warm-{method}", settings=settings)  # imports, caches
        t0 = time.perf_counter()
        result = build_kit(loops, tmp / f"kit-{method}", settings=settings)
        wall = time.perf_counter() - t0
        out[method] = {
            "seconds_of_audio": round(result.seconds_of_audio, 2),
            "wall_seconds": round(wall, 2),
            "seconds_per_minute_of_audio": round(wall / (result.seconds_of_audio / 60), 2),
            "hits": len(result.manifest.hits),
            "per_class": {c: sum(h.drum_class == c for h in result.manifest.hits) for c in CLASSES},
        }
    return out


def demo(loops: list[Path], tmp: Path) -> dict[str, Any]:
    from agents.builder import RenderOptions
    from agents.runner import start_run

    kit = tmp / "demo-kit"
    build_kit(loops, kit, settings=KitSettings())
    t0 = time.perf_counter()
    outcome = start_run(
        proposal_path=ROOT / "proposals" / "night_watch.yml",
        out_dir=tmp / "runs",
        auto_approve=True,
        render=RenderOptions(kit=str(kit)),
    )
    wall = time.perf_counter() - t0
    run = outcome.run_dir
    song = read_midi(run / "song.mid")
    ref = distinct_onsets(
        np.array([n.start * 60 / song.bpm for p in song.parts if p.is_drum for n in p.notes])
    )
    audio, sr = read_audio(run / "stems" / "drums_kit.wav")
    mono = audio.mean(axis=1).astype(np.float32)
    est = detect_onsets(mono, sr)
    f, p, r = mir_eval.onset.f_measure(ref, est, window=0.05)
    # The same stem heard by an onset detector the kit build never used (librosa's stock
    # spectral-flux picker, default settings), so the figure does not rest on our own detector.
    stock = librosa.onset.onset_detect(y=mono, sr=sr, units="time")
    f_stock, p_stock, r_stock = mir_eval.onset.f_measure(ref, stock, window=0.05)
    return {
        "status": outcome.status,
        "run_seconds": round(wall, 1),
        "drum_onsets": len(ref),
        "f": round(f, 4),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "librosa_default": {
            "f": round(f_stock, 4),
            "precision": round(p_stock, 4),
            "recall": round(r_stock, 4),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kit_build")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"{args.data}: no Sonic Pi samples -- skipped")
        return
    loops = sorted(p for p in args.data.glob("loop_*.flac") if not p.name.startswith("loop_amen"))
    result: dict[str, Any] = {"classification": classification(args.data)}
    print(
        "classification",
        {k: v["accuracy"] for k, v in result["classification"].items() if isinstance(v, dict)},
    )
    result["onsets"] = onsets()
    print("onsets", result["onsets"])
    with tempfile.TemporaryDirectory() as tmp:
        result["build"] = build_speed(loops, Path(tmp))
        print("build", result["build"])
        if not args.no_demo:
            result["demo"] = demo(loops, Path(tmp))
            print("demo", result["demo"])
    print(write_result("kit_build", result))


if __name__ == "__main__":
    main()
