"""The mood melody transformer's data, training and export on melodies built in code: segments
read as scale steps in their key, compound tokens round-trip, the weak label of a variant moved
to minor reads sadder, the debug model's tune loss falls, and both exported graphs match torch
within 1e-4 and sample through the runtime sampler."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from generators.melody.compound import (
    NOTE,
    PREFIX,
    SIZES,
    Condition,
    TokenNote,
    decode_note,
    encode_notes,
    pitch_step,
    reference_tonic,
)
from generators.melody.mood_transformer import MoodMelodyTransformer
from inference.onnx import OnnxModel
from music.meter import Meter
from music.notes import Note
from scoring.timeline import ChordSpan
from training.melody_eval import MelodySample
from training.melody_mood.dataset import read_segment, variant
from training.melody_mood.export import check_parity, check_step_parity, export_onnx, step_path
from training.melody_mood.model import MoodTransformer, MoodTransformerConfig
from training.melody_mood.train import TrainConfig, main, meter_tables

#: Song names whose hash puts them in the build, tune and held-out splits.
BUILD = ("song1", "song2", "song3", "song5", "song6", "song8")
TUNE = ("song4", "song9", "song12")
HELD = ("song0", "song7")

C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)


def _sample(
    song: str, pitches: tuple[int, ...], *, seed: int, meter: Meter | None = None
) -> MelodySample:
    """8 bars of eighths and quarters over I and V in C."""
    meter = meter or Meter(4, 4)
    rng = np.random.default_rng(seed)
    notes, t = [], 0.0
    length = 8 * meter.bar_qn
    while t < length - 0.5:
        d = float(rng.choice([0.5, 1.0]))
        notes.append(Note(t, t + d, int(rng.choice(pitches)), 90))
        t += d
    half = length / 2
    chords = (ChordSpan(0.0, half, 0, (0, 4, 7)), ChordSpan(half, length, 7, (7, 11, 2)))
    return MelodySample(tuple(notes), chords, meter, 8, "openewld", song)


def test_pitch_steps_in_major_and_minor() -> None:
    ref = reference_tonic(0)
    assert ref == 60
    assert [pitch_step(p, 0, "major") for p in C_MAJOR] == list(range(8))
    assert pitch_step(61, 0, "major") == 0  # C# read as a raised tonic
    assert pitch_step(48, 0, "major") == -7
    a_minor = (69, 71, 72, 74, 76, 77, 79, 81)
    assert reference_tonic(9) == 69
    assert [pitch_step(p, 9, "minor") for p in a_minor] == list(range(8))


def test_note_tokens_round_trip() -> None:
    notes = [
        TokenNote(0, 0, 4, 0, 96),
        TokenNote(0, 6, 2, 4, 80),
        TokenNote(2, 3, 13, -9, 50),
        TokenNote(5, 15, 1, 21, 120),
    ]
    tokens = encode_notes(notes)
    assert all(t[0] == NOTE for t in tokens)
    assert [t[1] for t in tokens] == [2, 1, 3, 4]  # bar moves 1, 0, 2, 3+
    bar, back = -1, []
    for t in tokens:
        back.append(decode_note(t, bar))
        bar = back[-1].bar
    assert [(n.bar, n.onset, n.duration, n.step) for n in back] == [
        (n.bar, n.onset, n.duration, n.step) for n in notes
    ]
    # Longer silences are read as three bars on.
    assert decode_note(encode_notes([*notes[:3], TokenNote(9, 0, 1, 0, 90)])[-1], 2).bar == 5
    with pytest.raises(ValueError, match="sorted"):
        encode_notes([notes[1], notes[0]])
    for f, size in enumerate(SIZES):
        assert all(0 <= t[f] < size for t in tokens)


def test_segment_is_read_in_its_key_and_minor_variants_read_sadder() -> None:
    seg = read_segment(_sample("song1", C_MAJOR, seed=1))
    assert seg is not None
    assert (seg.tonic, seg.mode, seg.meter) == (0, "major", "4/4")
    assert {n.step for n in seg.notes} <= set(range(8))
    _, felt = meter_tables()
    kept = [
        variant(seg, 4.0, felt["4/4"], np.random.default_rng(s), may_flip=False) for s in range(4)
    ]
    for notes, cond in kept:
        assert [n.step for n in notes] == [n.step for n in seg.notes]
        assert cond.mode == "major"
    varied = [variant(seg, 4.0, felt["4/4"], np.random.default_rng(s)) for s in range(16)]
    for notes, _ in varied:
        moved = {a.step - b.step for a, b in zip(notes, seg.notes, strict=True)}
        assert len(moved) == 1 and abs(moved.pop()) <= 3
    minor = [c.valence for _, c in varied if c.mode == "minor"]
    major = [c.valence for _, c in varied if c.mode == "major"]
    assert minor and major
    assert max(minor) < min(major) - 0.4
    assert Condition(0.5, 0.1, 120.0, "3/4", "minor").prefix()[3][0] > NOTE


def test_debug_model_learns_and_exports_with_parity(tmp_path: Path) -> None:
    samples = [
        _sample(song, C_MAJOR, seed=i * 10 + j)
        for i, song in enumerate((*BUILD, *TUNE, *HELD))
        for j in range(3)
    ]
    out = tmp_path / "mood.onnx"
    result = main(
        TrainConfig(
            data_dir=tmp_path,
            out=out,
            model=MoodTransformerConfig.debug(),
            steps=80,
            batch_size=16,
            eval_every=20,
            warmup=10,
            variants=2,
        ),
        samples=samples,
    )
    assert result.history[-1][2] < result.history[0][2] - 0.5
    assert result.tune_loss < result.first_train_loss
    assert result.parity_max_abs is not None and result.parity_max_abs <= 1e-4
    side = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["step_model"] == step_path(out).name
    assert side["data"]["build"]["songs"] == len(BUILD)
    assert side["metrics"]["heldout_loss_per_note"] == pytest.approx(result.heldout_loss, abs=1e-3)
    sampler = MoodMelodyTransformer.load(out)
    made = sampler.sample(
        4,
        valence=0.5,
        arousal=0.0,
        bpm=110,
        meter=Meter(3, 4),
        bars=6,
        rng=np.random.default_rng(0),
    )
    for s in made:
        assert s.mode in ("major", "minor")
        assert all(
            0 <= n.bar < 6 and 0 <= n.onset < 12 and n.onset + n.duration <= 12 for n in s.notes
        )
        assert all((a.bar, a.onset) < (b.bar, b.onset) for a, b in itertools.pairwise(s.notes))


def test_parity_checks_compare_both_graphs(tmp_path: Path) -> None:
    model = MoodTransformer(MoodTransformerConfig.debug())
    out, parity = export_onnx(model, tmp_path / "m.onnx")
    assert parity <= 1e-4
    assert check_parity(model, out) <= 1e-4
    assert check_step_parity(model, step_path(out)) <= 1e-4
    window = OnnxModel.load(out)
    assert window.input_names == ("tokens",)
    tokens = np.zeros((2, model.cfg.context, 6), dtype=np.int64)
    tokens[:, :PREFIX, 0] = 2
    logits = window.run({"tokens": tokens})["logits"]
    assert logits.shape == (2, model.cfg.context, sum(SIZES))
    # A changed weight is caught: the check compares with the torch model it is given.
    with torch.no_grad():
        model.head.bias += 0.01
    with pytest.raises(RuntimeError, match="differs from torch"):
        check_parity(model, out)
