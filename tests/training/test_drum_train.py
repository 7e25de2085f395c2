"""Drum transformer training on a tiny Groove-shaped dataset built in code: the debug model's
loss falls, the export matches torch within 1e-4, and the exported model samples valid
patterns through the runtime sampler."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from generators.drums.genome import DrumGenome
from generators.drums.tokens import PAD, VOCAB
from generators.drums.transformer import DrumTransformer as Sampler
from inference.onnx import OnnxModel
from music.meter import Meter
from training.drums.dataset import WindowSampler, fixed_windows, load_pieces, read_index, window
from training.drums.export import check_parity, check_step_parity, export_onnx, step_path
from training.drums.model import DrumTransformer, DrumTransformerConfig
from training.drums.train import TrainConfig, main, token_loss

HEADER = (
    "drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,"
    "duration,split"
)


def _groove(path: Path, bars: int, variant: int) -> None:
    """A TD-11 rock groove: kick 1 and 3 (+ a variant kick), snare 2 and 4, edge hats on 8ths."""
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    events = []
    for b in range(bars):
        base = b * 1920
        notes = [(0, 36, 100), (960, 36, 96), (480, 38, 105), (1440, 38, 108)]
        notes += [(s * 240, 22, 70 + 10 * (s % 2 == 0)) for s in range(8)]
        notes.append(((variant % 4) * 240 + 120, 36, 80))
        for tick, note, vel in notes:
            events.append(
                (base + tick, mido.Message("note_on", note=note, velocity=vel, channel=9))
            )
            events.append((base + tick + 40, mido.Message("note_off", note=note, channel=9)))
    events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
    now = 0
    for tick, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.tracks.append(track)
    mid.save(path)


@pytest.fixture
def tiny_groove(tmp_path: Path) -> Path:
    rows = [HEADER]
    for i in range(6):
        split = "validation" if i >= 4 else "train"
        name = f"d1/s1/{i}_rock_100_beat_4-4.mid"
        (tmp_path / "d1" / "s1").mkdir(parents=True, exist_ok=True)
        _groove(tmp_path / name, bars=8, variant=i)
        rows.append(f"d1,d1/s1,d1/s1/{i},rock,100,beat,4-4,{name},x.wav,19.2,{split}")
    rows.append("d1,d1/s1,d1/s1/t,rock,100,beat,4-4,missing.mid,x.wav,1.0,test")
    (tmp_path / "info.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_dataset_reads_splits_and_windows(tiny_groove: Path) -> None:
    assert len(read_index(tiny_groove, "train")) == 4
    with pytest.raises(ValueError, match="test is withheld"):
        read_index(tiny_groove, "test")
    pieces = load_pieces(tiny_groove, "train")
    assert all(len(p.bars) == 8 for p in pieces)
    w = window(pieces[0], 2, 64)
    assert w[:4] == list(pieces[0].header) and VOCAB[w[4]] == "BAR" and len(w) <= 64
    batch = WindowSampler(pieces=tuple(pieces), context=64).batch(5, np.random.default_rng(0))
    assert batch.shape == (5, 64) and (batch[:, 0] == 1).all()  # BOS first
    fixed = fixed_windows(pieces, 64)
    # Every bar appears in exactly one evaluation window.
    bars_seen = sum(int((row == pieces[0].bars[0][0]).sum()) for row in fixed)
    assert bars_seen == sum(len(p.bars) for p in pieces)


def test_debug_model_loss_falls_and_exports(tiny_groove: Path, tmp_path: Path) -> None:
    out = tmp_path / "model" / "drums.onnx"
    cfg = TrainConfig(
        data_dir=tiny_groove,
        out=out,
        model=DrumTransformerConfig.debug(),
        steps=120,
        batch_size=8,
        lr=1e-2,
        warmup=10,
        eval_every=40,
        threads=1,
    )
    result = main(cfg)
    assert result.final_train_loss < result.first_train_loss - 1.0
    assert result.history[-1][2] < result.history[0][2]  # validation loss falls too
    assert math.isfinite(result.val_perplexity) and result.val_perplexity < len(VOCAB)
    assert result.parity_max_abs is not None and result.parity_max_abs <= 1e-4
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["vocab"] == list(VOCAB) and side["config"]["n_layer"] == 2
    assert side["data"]["train"]["bars_per_meter"] == {"4/4": 32}
    assert side["metrics"]["val_perplexity"] == pytest.approx(result.val_perplexity, rel=1e-3)
    # Dynamic batch: batch 5 runs.
    onnx = OnnxModel.load(out)
    logits = onnx.run({"input_ids": np.full((5, 64), PAD, dtype=np.int64)})["logits"]
    assert logits.shape == (5, 64, len(VOCAB))
    # The runtime sampler reads it and its step graph, and samples valid 4/4 patterns.
    assert side["step_model"] == "drums_step.onnx" and (out.parent / "drums_step.onnx").is_file()
    sampler = Sampler.load(out, min_meter_bars=1)
    assert sampler.step is not None
    # It samples 4/4 itself; 7/8 only in cells of its 4/4 bars (generators.drums.cells).
    assert sampler.samples_directly(Meter(4, 4)) and not sampler.samples_directly(Meter(7, 8))
    assert sampler.cell_plan(Meter(7, 8)) is not None and sampler.supports(Meter(7, 8))
    g = sampler.sample_bars("rock", Meter(4, 4), 2, np.random.default_rng(0))
    assert isinstance(g, DrumGenome) and g.bars == 2 and g.grid.steps_per_bar == 16


def test_parity_check_catches_a_mismatch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = DrumTransformer(DrumTransformerConfig.debug())
    path, parity = export_onnx(model, tmp_path / "m.onnx")
    assert parity <= 1e-4
    with torch.no_grad():
        model.ln.bias.add_(0.01)  # the torch model drifts from the exported file
    with pytest.raises(RuntimeError, match="differs from torch"):
        check_parity(model, path)
    with pytest.raises(RuntimeError, match="differs from torch"):
        check_step_parity(model, step_path(path), length=8)


def test_loss_ignores_padding_and_header() -> None:
    torch.manual_seed(0)
    model = DrumTransformer(DrumTransformerConfig.debug())
    ids = torch.full((1, 12), PAD, dtype=torch.int64)
    ids[0, :6] = torch.tensor([1, 4, 12, 17, 3, 3])
    _, n = token_loss(model, ids)
    assert int(n) == 2  # targets at positions 4 and 5 only (header targets and PAD skipped)
