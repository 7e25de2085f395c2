"""The numpy MiniLM matches sentence-transformers, caches, and refuses bad folders and concepts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference.onnx import ModelFileError
from music.errors import ChromaticError, InputError
from scoring.text_encoder import EMBED_DIM, TextEncoder, default_model_dir, validate_concept

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = [
    "a slow, dark song in D minor",
    "Bright, lively pop in G major at 140 bpm.",
    "funk drums, syncopated and busy, with ghost notes on the snare " * 12,
    "baroque chorale, four-part hymn",
    "Ünïcödé café naïve — 日本語 and punctuation!?",
    "x",
]


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder.load()


def test_parity_with_sentence_transformers(encoder: TextEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(default_model_dir()), device="cpu")
    expected = reference.encode(SENTENCES, convert_to_numpy=True)
    got = encoder.encode(SENTENCES)
    assert got.shape == (len(SENTENCES), EMBED_DIM)
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() <= 1e-4
    cosines = (got * expected).sum(axis=1) / (
        np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1)
    )
    assert cosines.min() >= 0.9999


def test_unit_length_order_and_cache(encoder: TextEncoder) -> None:
    a = encoder.encode(["a quiet folk tune in 3/4", "a loud rock song with drums"])
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    before = encoder.cache_size()
    b = encoder.encode(["a loud rock song with drums", "a quiet folk tune in 3/4"])
    assert encoder.cache_size() == before  # both came from the cache
    np.testing.assert_array_equal(a[::-1], b)
    assert encoder.encode([]).shape == (0, EMBED_DIM)


def test_similar_texts_are_closer_than_unrelated(encoder: TextEncoder) -> None:
    v = encoder.encode(
        [
            "a sad slow song in a minor key",
            "a melancholic, slow minor ballad",
            "fast upbeat dance music with a four on the floor kick",
        ]
    )
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1


def test_one_string_is_refused(encoder: TextEncoder) -> None:
    with pytest.raises(TypeError, match="wrap it in a list"):
        encoder.encode("a bare string")  # type: ignore[arg-type]


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="model folder not found"):
        TextEncoder.load(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(default_model_dir() / "config.json", partial / "config.json")
    with pytest.raises(ChromaticError, match=r"model\.safetensors"):
        TextEncoder.load(partial)


def test_concept_of_one_word_is_refused() -> None:
    with pytest.raises(InputError) as info:
        validate_concept("ominous", file="song.yml")
    assert info.value.field == "concept"
    assert "song.yml" in str(info.value) and "at least 3 words" in str(info.value)
    with pytest.raises(InputError):
        validate_concept("dark  --  sea")  # punctuation is not a word
    assert validate_concept("  a   flooded   town ") == "a flooded town"
