"""``chromatic train scorer`` (the real-music contrastive path) and ``chromatic eval scorer``
through the real CLI, on a small corpus file written here; and their errors (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.app import app
from scoring.chromatic import ChromaticScorer


def write_corpus(path: Path, *, seed: int = 0) -> Path:
    """A corpus file in ``training.scorer.corpus``'s format: low/high, sparse/busy clips, each
    song's text its kind's direction plus its own noise (so no two songs share a text); 120
    test clips of different songs, enough for retrieval among 100."""
    rng = np.random.default_rng(seed)
    protos = rng.normal(size=(4, 384))
    splits = ["train"] * 96 + ["val"] * 32 + ["test"] * 120
    n = len(splits)
    kind = rng.integers(0, 4, n)
    rolls = np.zeros((n, 2, 128, 128), np.uint8)
    texts = []
    for i in range(n):
        low, busy = divmod(int(kind[i]), 2)
        base, step = (36 if low else 72), (2 if busy else 16)
        for t in range(0, 128, step):
            p = base + int(rng.integers(0, 12))
            rolls[i, 0, p, t : t + step] = 100
            rolls[i, 1, p, t] = 100
        texts.append(f"{'low' if low else 'high'} {'busy' if busy else 'sparse'} music {i}")
    emb = protos[kind] + 0.5 * rng.normal(size=(n, 384))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.savez(
        path,
        rolls=rolls,
        symbolic=(rng.normal(size=(n, 32)) * 0.1).astype(np.float16),
        text_emb=emb.astype(np.float16),
        texts=np.array(texts),
        tags=np.array(["synthetic"] * n),
        song_ids=np.array([f"song{i}" for i in range(n)]),
        sources=np.array(["synthetic"] * n),
        splits=np.array(splits),
    )
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    corpus = write_corpus(root / "corpus.npz")
    model = root / "model" / "scorer.onnx"
    args = ["train", "scorer", "--corpus", str(corpus), "--out", str(model), "--debug"]
    args += ["--batch-size", "48"]
    result = CliRunner().invoke(app, [*args, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert "best epoch" in result.output and str(model) in result.output
    return corpus, model


def test_train_scorer_without_a_dataset_trains_and_exports(trained: tuple[Path, Path]) -> None:
    _, model = trained
    side = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["heads"]["mode"] == "zero-shot"
    assert side["training_data"]["clips"] == 248
    assert 1 <= side["training"]["epochs_run"] <= 2  # the history up to the best epoch
    assert side["training"]["train_config"]["batch_size"] == 48
    assert side["parity"]["max_abs_diff"] < 1e-4
    assert ChromaticScorer.load(model).sidecar["format"] == "chromatic-scorer"


def test_eval_scorer_writes_the_report(trained: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, model = trained
    args = ["eval", "scorer", "--model", str(model), "--corpus", str(corpus)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "scorer_eval.json").read_text(encoding="utf-8"))
    assert report["retrieval"]["clips"] == 120 and report["retrieval"]["pool"] == 100
    assert 0.0 <= report["retrieval"]["top5"] <= 1.0
    for checks in report["populations"].values():
        assert checks["match_spread"]["range"] >= 0.0
        assert -1.0 <= checks["concept_swap"]["kendall_tau_top10"] <= 1.0
    assert set(report["goals"]) >= {"match_spread_at_least_0.05", "concept_swap_tau_below_0.5"}
    summary = (tmp_path / "scorer_eval.md").read_text(encoding="utf-8")
    assert "Held-out retrieval" in summary and "Directional checks" in summary
    assert "scorer_eval.md" in result.output


def test_a_missing_corpus_without_data_names_the_option(tmp_path: Path) -> None:
    missing = tmp_path / "none.npz"
    for cmd in (["train", "scorer"], ["eval", "scorer"]):
        result = CliRunner().invoke(app, [*cmd, "--corpus", str(missing)])
        assert result.exit_code == 2, result.output
        message = " ".join(result.output.split())
        assert "--corpus" in message and str(missing) in message and "--data" in message
    result = CliRunner().invoke(
        app, ["eval", "scorer", "--corpus", str(missing), "--data", str(tmp_path / "nodata")]
    )
    assert result.exit_code == 2 and "--data" in result.output


def test_eval_with_a_missing_model_names_the_file(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, _ = trained
    missing = tmp_path / "gone.onnx"
    args = ["eval", "scorer", "--model", str(missing), "--corpus", str(corpus)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert str(missing) in " ".join(result.output.split())


def test_eval_on_a_corpus_too_small_for_retrieval_says_so(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.npz")
    with np.load(corpus) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["splits"][: len(arrays["splits"]) - 20] = "train"  # 20 test clips left
    np.savez(corpus, **arrays)
    args = ["eval", "scorer", "--corpus", str(corpus), "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "test split" in message and "20 clips" in message and "at least 100" in message
