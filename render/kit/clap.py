"""CLAP (contrastive language-audio) embeddings for the role scores, from a local checkpoint.

The fusion in :mod:`render.kit.roles` needs only an :class:`Embedder`: unit vectors for audio
clips and for text, in one space, and the logit scale the model was trained with. The one
implementation here, :class:`ClapEmbedder`, loads a LAION-CLAP model in the Hugging Face
transformers layout (a folder with ``config.json``, ``model.safetensors``, the tokenizer and
``preprocessor_config.json``, as ``laion/clap-htsat-unfused`` or ``laion/larger_clap_music``
are published) with ``local_files_only``: nothing is downloaded, and only safetensors weights
are read (no pickled files). The ``laion-clap`` package itself is not used: it pins numpy < 2,
imports torchvision, and fetches a text model from the network when it is built.

Imported only when a CLAP checkpoint is configured (``--clap PATH`` or ``$CHROMATIC_CLAP``):
with :mod:`render.kit.demucs_model`, the only render modules that import torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from render.kit.audio import resample
from render.kit.errors import KitError

HELP: Final = (
    "a folder with a CLAP model in the transformers layout (config.json, model.safetensors, "
    "tokenizer files, preprocessor_config.json), e.g. a local copy of laion/clap-htsat-unfused"
)


class Embedder(Protocol):
    """Audio and text in one embedding space (rows of unit length)."""

    #: The factor that turns a cosine similarity into a logit.
    logit_scale: float

    def embed_audio(self, clips: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        """``[len(clips), D]`` for mono float32 clips at ``sample_rate`` Hz."""
        ...

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """``[len(texts), D]``."""
        ...

    def describe(self) -> dict[str, Any]:
        """What model this is, for the kit manifest."""
        ...


def similarities(
    embedder: Embedder, clips: Sequence[np.ndarray], sample_rate: int, prompts: Sequence[str]
) -> np.ndarray:
    """Cosine similarities ``[len(clips), len(prompts)]``."""
    audio = np.asarray(embedder.embed_audio(clips, sample_rate), dtype=np.float64)
    text = np.asarray(embedder.embed_text(prompts), dtype=np.float64)
    audio /= np.maximum(np.linalg.norm(audio, axis=1, keepdims=True), 1e-12)
    text /= np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)
    return audio @ text.T


class ClapEmbedder:
    """A transformers ``ClapModel`` and its processor, loaded from a local folder."""

    def __init__(self, folder: Path, *, threads: int = 1, batch: int = 16) -> None:
        folder = Path(folder).expanduser()
        if not (folder / "config.json").is_file():
            raise KitError(f"{folder}: no config.json -- {HELP}", path=folder)
        import torch
        from transformers import ClapModel, ClapProcessor

        torch.set_num_threads(threads)
        try:
            self._model = ClapModel.from_pretrained(
                str(folder), local_files_only=True, use_safetensors=True
            ).eval()
            self._processor = ClapProcessor.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KitError(
                f"{folder}: not a loadable CLAP model ({exc}) -- {HELP}", path=folder
            ) from None
        self.folder = folder
        self.batch = batch
        self.sample_rate = int(self._processor.feature_extractor.sampling_rate)
        self.logit_scale = float(self._model.logit_scale_a.detach().exp())
        self._fusion = bool(getattr(self._model.config.audio_config, "enable_fusion", False))

    def describe(self) -> dict[str, Any]:
        return {
            "checkpoint": str(self.folder),
            "model": "ClapModel",
            "sample_rate": self.sample_rate,
        }

    def embed_audio(self, clips: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        import torch

        out = []
        for i in range(0, len(clips), self.batch):
            chunk = [
                resample(np.asarray(c, dtype=np.float32), sample_rate, self.sample_rate)
                for c in clips[i : i + self.batch]
            ]
            inputs = self._processor(
                audio=chunk,
                sampling_rate=self.sample_rate,
                return_tensors="pt",
                truncation="fusion" if self._fusion else "rand_trunc",
                padding="repeatpad",
            )
            with torch.no_grad():
                feats = self._model.get_audio_features(**inputs)
            out.append(_pooled(feats))
        return np.concatenate(out) if out else np.zeros((0, 0))

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        inputs = self._processor(text=list(texts), return_tensors="pt", padding=True)
        with torch.no_grad():
            feats = self._model.get_text_features(**inputs)
        return _pooled(feats)


def _pooled(output: Any) -> np.ndarray:
    """The projected, normalised embeddings of a transformers output (or a bare tensor)."""
    tensor = getattr(output, "pooler_output", output)
    return np.asarray(tensor.detach().cpu().numpy(), dtype=np.float64)
