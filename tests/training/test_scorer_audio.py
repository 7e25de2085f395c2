"""The scorer's audio branch: clips rendered through the SoundFont with drawn programs and
mixes, their DSP features, and a fit of the branch that leaves scores without audio as they
were and makes scores with audio retrieve their texts better."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.audio_features import N_AUDIO
from scoring.chromatic import ChromaticScorer
from tests.training.test_scorer_export import debug_graph
from tests.training.test_style_train import billboard_folder, groove_folder
from training.scorer.audio_corpus import (
    PALETTES,
    ClipTask,
    build_audio_corpus,
    clip_rows,
    ensemble_words,
    instrumented,
    part_role,
)
from training.scorer.audio_rows import AudioCorpus, load_audio_corpus, save_audio_corpus
from training.scorer.audio_train import (
    AudioTrainConfig,
    embed,
    export_audio_model,
    train_audio_branch,
    trunk_states,
)
from training.scorer.calibration import calibrate
from training.scorer.model import save_state
from training.scorer.sources_common import Clip, ClipInfo

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _clip(source: str = "billboard") -> Clip:
    chords = Part(
        "chords",
        tuple(Note(b * 4.0, b * 4.0 + 4.0, p, 80) for b in range(4) for p in (57, 60, 64)),
    )
    bass = Part("bass", tuple(Note(float(q), q + 1.0, 45, 90) for q in range(16)))
    drums = Part(
        "drums",
        tuple(Note(float(q), q + 0.25, 36 if q % 2 == 0 else 38, 100) for q in range(16)),
        is_drum=True,
    )
    info = ClipInfo(
        source=source,
        song_id=f"{source}:test",
        key=Key(9, "minor"),
        tempo_known=True,
        style=("pop",),
        ensemble=("a band",),
    )
    return Clip(parts=(chords, bass, drums), bpm=110.0, meter=Meter(4, 4), info=info)


def test_parts_get_programs_from_their_role_palettes() -> None:
    clip = _clip()
    assert [part_role(p) for p in clip.parts] == ["chords", "bass", "drums"]
    for seed in range(5):
        parts, words = instrumented(clip, np.random.default_rng(seed))
        for part, role in zip(parts, ("chords", "bass", "drums"), strict=True):
            assert part.program in {program for program, _ in PALETTES[role]}
        assert 1 <= len(words) <= 3
    assert ensemble_words(["piano", "strings", "acoustic bass"])[0] == (
        "piano, strings and acoustic bass"
    )


def test_chorale_voices_share_one_instrument_above_the_bass() -> None:
    voices = tuple(
        Part(name, (Note(0.0, 4.0, pitch, 80),))
        for name, pitch in (("soprano", 72), ("alto", 67), ("tenor", 64), ("bass", 48))
    )
    clip = Clip(voices, 80.0, Meter(4, 4), _clip("bach").info)
    parts, _ = instrumented(clip, np.random.default_rng(3))
    assert len({p.program for p in parts[:3]}) == 1
    assert parts[3].program in {program for program, _ in PALETTES["bass"]}


def test_each_variant_is_rendered_with_its_own_sound_and_the_same_seed_repeats() -> None:
    rows = clip_rows(ClipTask(_clip(), 3, (0, 0, 1), None))
    assert len(rows) == 3
    for row in rows:
        assert row.audio.shape == (N_AUDIO,) and np.isfinite(row.audio).all()
        assert row.roll.shape == (2, 128, 128) and row.roll.max() > 0
    assert len({r.programs for r in rows}) > 1  # other programs ...
    assert not np.allclose(rows[0].audio, rows[1].audio)  # ... sound other
    again = clip_rows(ClipTask(_clip(), 3, (0, 0, 1), None))
    for a, b in zip(rows, again, strict=True):
        assert a.programs == b.programs and a.text == b.text
        np.testing.assert_array_equal(a.audio, b.audio)


def test_build_and_load_a_small_audio_corpus(tmp_path: Path) -> None:
    billboard_folder(tmp_path, songs=3)
    groove_folder(tmp_path, copies=2)
    out = tmp_path / "audio.npz"
    summary = build_audio_corpus(
        data_dir=tmp_path,
        out=out,
        clips_per_source=2,
        variants=2,
        sources=("billboard", "groove"),
    )
    corpus = load_audio_corpus(out)
    assert len(corpus) == summary["rows"] and len(corpus) >= 6
    assert set(corpus.sources.tolist()) == {"billboard", "groove"}
    assert corpus.audio.shape == (len(corpus), N_AUDIO)
    assert json.loads(out.with_suffix(".json").read_text())["variants"] == 2
    drums = corpus.programs[corpus.sources == "groove"]
    assert all(p.count("=") == 1 for p in drums)  # one drum part, its kit recorded
    with pytest.raises(ValueError, match="no such file"):
        load_audio_corpus(tmp_path / "missing.npz")


# ------------------------------------------------------------------ the branch's fit
def _synthetic_corpus(n_per_split: tuple[int, int, int] = (240, 80, 80)) -> AudioCorpus:
    """Rows whose text is one of 12 "instruments" the notes cannot show but the audio
    features can (a class mean plus noise)."""
    rng = np.random.default_rng(0)
    n = sum(n_per_split)
    classes = rng.integers(0, 12, size=n)
    class_text = rng.normal(size=(12, 384))
    text = class_text[classes] + 0.35 * rng.normal(size=(n, 384))
    class_audio = rng.uniform(0, 1, size=(12, N_AUDIO))
    audio = class_audio[classes] + 0.05 * rng.normal(size=(n, N_AUDIO))
    rolls = np.zeros((n, 2, 128, 128), dtype=np.uint8)
    for i in range(n):
        pitches = rng.integers(40, 80, size=6)
        for k, p in enumerate(pitches):
            rolls[i, :, p, k * 16 : k * 16 + 8] = 100
    splits = np.array(
        ["train"] * n_per_split[0] + ["val"] * n_per_split[1] + ["test"] * n_per_split[2]
    )
    return AudioCorpus(
        rolls=rolls,
        symbolic=rng.normal(size=(n, 32)).astype(np.float16),
        audio=audio.astype(np.float32),
        text_emb=text.astype(np.float16),
        texts=np.array([f"text {i}" for i in range(n)]),
        song_ids=np.array([f"song{i}" for i in range(n)]),
        sources=np.array(["synthetic"] * n),
        splits=splits,
        programs=np.array([f"lead={c}" for c in classes]),
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    graph = debug_graph()
    path = tmp_path_factory.mktemp("base") / "base.npz"
    sidecar = {
        "version": "test",
        "calibration": calibrate(graph),
        "modalities": {"audio": 0, "lyrics": 0},
        "training_data": {"clips": 10, "with_audio": 0},
        "heads": {"mode": "zero-shot", "temperature": 0.05},
    }
    meta = {"kind": "chromatic-scorer-graph", "config": graph.config.to_dict(), "sidecar": sidecar}
    return save_state(path, graph, meta)


CONFIG = AudioTrainConfig(epochs=40, batch_size=64, lr=1e-2, threads=1)


@pytest.fixture(scope="module")
def fitted(base: Path) -> object:
    return train_audio_branch(base, _synthetic_corpus(), CONFIG)


def test_the_fit_improves_retrieval_with_audio_and_keeps_scores_without(
    base: Path, fitted: object
) -> None:
    from training.scorer.audio_train import AudioTrainResult
    from training.scorer.graph import load_graph

    assert isinstance(fitted, AudioTrainResult)
    r = fitted.retrieval
    assert r["trained_branch"]["top5"] >= r["without_audio"]["top5"] + 0.15
    assert r["trained_branch"]["top1"] > r["without_audio"]["top1"]
    assert fitted.sidecar["modalities"]["audio"] == 240
    assert fitted.sidecar["training_data"]["with_audio"] == 240
    # without audio every output is the base model's, to the bit
    corpus = _synthetic_corpus()
    rows = np.arange(len(corpus))
    old, _ = load_graph(base)
    new = fitted.graph
    z_old = embed(old, trunk_states(old, corpus, rows), None)
    z_new = embed(new, trunk_states(new, corpus, rows), None)
    assert torch.equal(z_old, z_new)
    z_audio = embed(new, trunk_states(new, corpus, rows), torch.from_numpy(corpus.audio))
    assert float((z_audio - z_new).abs().max()) > 1e-3


def test_the_same_seed_gives_the_same_branch(base: Path, fitted: object) -> None:
    from training.scorer.audio_train import AudioTrainResult

    assert isinstance(fitted, AudioTrainResult)
    again = train_audio_branch(base, _synthetic_corpus(), CONFIG)
    for key, value in fitted.graph.encoder.audio.state_dict().items():
        assert torch.equal(value, again.graph.encoder.audio.state_dict()[key]), key
    assert again.retrieval == fitted.retrieval


def test_a_corpus_without_held_out_rows_is_refused(base: Path) -> None:
    with pytest.raises(ValueError, match="0 test"):
        train_audio_branch(base, _synthetic_corpus((240, 80, 0)), CONFIG)


def test_the_exported_model_hears_audio_at_runtime(fitted: object, tmp_path: Path) -> None:
    from training.scorer.audio_train import AudioTrainResult

    assert isinstance(fitted, AudioTrainResult)
    exported = export_audio_model(fitted, tmp_path / "scorer.onnx")
    assert exported.parity_max_abs_diff <= 1e-4
    corpus = _synthetic_corpus()
    rows = corpus.indices("test")[:16]

    scorer = ChromaticScorer.load(exported.onnx)
    concept = "a slow song about a lighthouse and the sea at night"
    without = scorer.analyse_batch(corpus.features(rows, audio=False), concept, color="Blue").match
    with_audio = scorer.analyse_batch(
        corpus.features(rows, audio=True), concept, color="Blue"
    ).match
    assert np.abs(with_audio - without).max() > 1e-3
    torch_z = embed(
        fitted.graph,
        trunk_states(fitted.graph, corpus, rows),
        torch.from_numpy(corpus.audio[rows]),
    ).numpy()
    np.testing.assert_allclose(scorer.embed(corpus.features(rows, audio=True)), torch_z, atol=1e-4)


def test_the_command_trains_the_branch_and_names_a_missing_corpus(
    base: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    runner = CliRunner()
    missing = runner.invoke(app, ["train", "scorer", "--audio-corpus", str(tmp_path / "none.npz")])
    assert missing.exit_code == 2
    assert "--audio-corpus" in missing.output and "--data" in missing.output
    corpus = _synthetic_corpus()
    path = tmp_path / "audio.npz"
    save_audio_corpus(corpus, path)
    out = tmp_path / "model" / "scorer.onnx"
    args = ["train", "scorer", "--audio-corpus", str(path), "--base", str(base)]
    result = runner.invoke(app, [*args, "--out", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "trained_branch" in result.output and out.is_file()
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["modalities"]["audio"] == 240
    assert sidecar["audio_training"]["corpus_rows"] == {"train": 240, "val": 80, "test": 80}
