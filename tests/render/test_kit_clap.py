"""CLAP role scores through the real loading path: a tiny CLAP model (random weights, built here
in the transformers layout) is loaded by the kit build and fused with the rule scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from render.kit.build import KitSettings, build_kit
from render.kit.errors import KitError
from render.kit.roles import CLAP_WEIGHT, ROLE_PROMPTS
from render.kit.separate import SeparationSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sonic-pi"
NONE = SeparationSettings(method="none")


def _tiny_clap(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        RobertaTokenizerFast,
    )

    torch.manual_seed(0)
    words = {w for prompts in ROLE_PROMPTS.values() for p in prompts for w in p.split()}
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for w in sorted(words):
        vocab[w] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    fast = RobertaTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    config = ClapConfig(
        text_config={
            "vocab_size": len(vocab) + 2,
            "hidden_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 32,
            "projection_dim": 8,
            "max_position_embeddings": 64,
        },
        audio_config={
            "hidden_size": 16,
            "depths": [1, 1],
            "num_attention_heads": [1, 2],
            "patch_embeds_hidden_size": 8,
            "projection_dim": 8,
            "window_size": 4,
            "spec_size": 256,
            "num_mel_bins": 64,
        },
        projection_dim=8,
    )
    ClapModel(config).save_pretrained(str(folder))
    extractor = ClapFeatureExtractor(feature_size=64, truncation="rand_trunc")
    ClapProcessor(feature_extractor=extractor, tokenizer=fast).save_pretrained(str(folder))
    return folder


def test_clap_scores_from_a_local_checkpoint_are_fused_with_the_rules(tmp_path: Path) -> None:
    clap = _tiny_clap(tmp_path / "clap")
    shots = [FIXTURES / f"{n}.flac" for n in ("bd_haus", "sn_dub", "drum_cymbal_closed")]
    rules = build_kit(shots, tmp_path / "a", settings=KitSettings(separation=NONE)).manifest
    fused = build_kit(
        shots, tmp_path / "b", settings=KitSettings(separation=NONE, clap_checkpoint=clap)
    ).manifest
    assert rules.roles == {"method": "rules"}
    assert fused.roles["method"] == "rules+clap"
    assert fused.roles["clap"]["checkpoint"] == str(clap)
    assert fused.roles["clap_weight"] == CLAP_WEIGHT
    for r, f in zip(rules.hits, fused.hits, strict=True):
        a = np.array(list(r.role_scores.values()))
        b = np.array(list(f.role_scores.values()))
        clap_part = (b - (1 - CLAP_WEIGHT) * a) / CLAP_WEIGHT
        assert np.all(clap_part > -1e-3) and abs(clap_part.sum() - 1) < 1e-2
        assert not np.allclose(a, b, atol=1e-4)


def test_a_folder_without_a_clap_model_is_refused(tmp_path: Path) -> None:
    from render.kit.clap import ClapEmbedder

    with pytest.raises(KitError, match=r"no config\.json"):
        ClapEmbedder(tmp_path)
