"""The exported graph: the MIDI encoder, the pair-confidence head, the chromatic heads, the
reference bank that standardises concept similarity and the taste head, in one forward pass.

The **taste head** is a linear function of the music embedding (centred on the reference
clips' mean) and the standardised symbolic features; it starts at zero and is fit on a
person's verdicts at the gates (:mod:`training.scorer.preference`); the runtime adds it to
the match's z (``scoring.chromatic``).

Inputs and outputs are in :data:`INPUTS` and :data:`OUTPUTS` (``B`` is the dynamic batch axis).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import torch
from torch import Tensor, nn

from inference.onnx import ModelFileError
from scoring.colors import AXES, COLOR_NAMES
from training.scorer.heads import ChromaticHeads
from training.scorer.model import MidiEncoder, PairConfidence, ScorerConfig, load_state

#: name -> (shape, meaning); ``B`` is the dynamic batch axis.
INPUTS: Final[dict[str, tuple[tuple[str | int, ...], str]]] = {
    "roll": (("B", 2, 128, 128), "beat-aligned piano roll in [0, 1]: sounding notes, onsets"),
    "symbolic": (("B", 32), "symbolic features (raw; standardised in the graph)"),
    "audio": (("B", 32), "DSP audio features of a rendered preview, zeros when missing"),
    "audio_mask": (("B", 1), "1 where audio is present, else 0"),
    "lyrics": (("B", 384), "MiniLM embedding of the lyrics, zeros when missing"),
    "lyrics_mask": (("B", 1), "1 where lyrics are present, else 0"),
    "concept": (("B", 384), "MiniLM embedding of the concept text (same row for a population)"),
}
OUTPUTS: Final[dict[str, tuple[tuple[str | int, ...], str]]] = {
    "embedding": (("B", 384), "the music's unit embedding in the MiniLM text space"),
    "color_probs": (("B", 9), f"p(color | music), colors in order {', '.join(COLOR_NAMES)}"),
    "temporal": (("B", 3), "distribution over " + ", ".join(AXES["temporal"])),
    "spatial": (("B", 3), "distribution over " + ", ".join(AXES["spatial"])),
    "ontological": (("B", 3), "distribution over " + ", ".join(AXES["ontological"])),
    "concept_sim": (
        ("B",),
        "cosine of the music embedding and the concept embedding (the concept centred "
        "on the model's text centre, when it has one)",
    ),
    "concept_ref_mean": (
        ("B",),
        "mean cosine of the reference clips (the whole bank) with the concept",
    ),
    "concept_ref_std": (("B",), "standard deviation of those reference cosines"),
    "kind_ref_mean": (
        ("B", "K"),
        "mean cosine with the concept of each reference bank (the sidecar's "
        "calibration.reference_kinds: all clips, then one bank per part kind)",
    ),
    "kind_ref_std": (("B", "K"), "standard deviation of those cosines, per bank"),
    "confidence": (("B",), "P(music and concept belong together) from the pair head"),
    "taste": (("B",), "the learned taste term added to match's z (0 until fit on reviews)"),
}


class TasteHead(nn.Module):
    """``w . [z - centre, standardised symbolic]``: one number per candidate, zero until fit."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.net = nn.Linear(config.text_dim + config.n_symbolic, 1, bias=False)
        nn.init.zeros_(self.net.weight)

    def forward(self, z: Tensor, symbolic: Tensor) -> Tensor:
        """``z [B, D]`` (centred), ``symbolic [B, S]`` (standardised) -> ``[B]``."""
        return self.net(torch.cat([z, symbolic], dim=-1)).squeeze(-1)


class ScorerGraph(nn.Module):
    """Everything the runtime needs in one forward pass (see :data:`INPUTS`, :data:`OUTPUTS`)."""

    reference: Tensor  # [R, D] buffer: embeddings of real held-out clips
    kind_mask: Tensor  # [K, R] buffer: 1 where a clip is in bank k (bank 0: the whole bank)
    taste_centre: Tensor  # [D] buffer: the whole bank's mean, what the taste head centres z on
    text_centre: Tensor  # [D] buffer: what concept texts are centred on (zeros: not centred)

    def __init__(
        self,
        config: ScorerConfig,
        heads: ChromaticHeads,
        reference: Tensor,
        *,
        encoder: MidiEncoder | None = None,
        confidence: PairConfidence | None = None,
        kind_mask: Tensor | None = None,
    ) -> None:
        super().__init__()
        if reference.ndim != 2 or reference.shape[1] != config.text_dim or len(reference) < 2:
            raise ValueError(
                f"reference: shape {tuple(reference.shape)} -- [R >= 2, {config.text_dim}]"
            )
        self.config = config
        self.encoder = encoder if encoder is not None else MidiEncoder(config)
        self.confidence = confidence if confidence is not None else PairConfidence(config)
        self.heads = heads
        self.register_buffer("reference", reference.float())
        mask = torch.ones(1, len(reference)) if kind_mask is None else kind_mask.float()
        if mask.ndim != 2 or mask.shape[1] != len(reference) or bool((mask.sum(1) < 2).any()):
            raise ValueError(
                f"kind_mask: shape {tuple(mask.shape)} -- [K, {len(reference)}], every bank "
                "of at least 2 clips"
            )
        self.register_buffer("kind_mask", mask)
        self.register_buffer("taste_centre", reference.float()[mask[0] > 0].mean(0))
        self.register_buffer("text_centre", torch.zeros(config.text_dim))
        self.taste = TasteHead(config)

    def centred_concept(self, concept: Tensor) -> Tensor:
        """The concept minus :attr:`text_centre` (the direction every text shares), made a
        unit vector again; with the centre at zero, the concept itself."""
        centre: Tensor = self.text_centre
        moved = concept - centre
        return moved / moved.norm(dim=-1, keepdim=True).clamp_min(1e-6)

    def taste_inputs(self, z: Tensor, symbolic: Tensor) -> tuple[Tensor, Tensor]:
        """What the taste head reads: ``z`` centred, ``symbolic`` standardised."""
        centre: Tensor = self.taste_centre
        mean: Tensor = self.encoder.sym_mean
        std: Tensor = self.encoder.sym_std
        return z - centre, (symbolic - mean) / std

    def forward(
        self,
        roll: Tensor,
        symbolic: Tensor,
        audio: Tensor,
        audio_mask: Tensor,
        lyrics: Tensor,
        lyrics_mask: Tensor,
        concept: Tensor,
    ) -> tuple[Tensor, ...]:
        """The outputs of :data:`OUTPUTS`, in order."""
        z = self.encoder(roll, symbolic, audio, audio_mask, lyrics, lyrics_mask)
        probs, temporal, spatial, ontological = self.heads(z)
        text = self.centred_concept(concept)
        sim = (z * text).sum(-1)
        reference: Tensor = self.reference
        ref_sims = text @ reference.T  # [B, R]
        kind_mean, kind_std = self.bank_stats(ref_sims)  # the runtime floors the std
        mean, std = kind_mean[:, 0], kind_std[:, 0]  # the whole bank
        confidence = torch.sigmoid(self.confidence(z, concept))
        taste = self.taste(*self.taste_inputs(z, symbolic))
        return (
            z,
            probs,
            temporal,
            spatial,
            ontological,
            sim,
            mean,
            std,
            kind_mean,
            kind_std,
            confidence,
            taste,
        )

    def bank_stats(self, ref_sims: Tensor) -> tuple[Tensor, Tensor]:
        """The mean and standard deviation ``[B, K]`` of the reference cosines ``[B, R]``
        within each bank of :attr:`kind_mask`."""
        mask: Tensor = self.kind_mask
        counts = mask.sum(-1)
        mean = ref_sims @ mask.T / counts
        centred = ref_sims.unsqueeze(1) - mean.unsqueeze(-1)  # [B, K, R]
        var = (centred.pow(2) * mask).sum(-1) / counts
        return mean, var.sqrt()

    @classmethod
    def empty(cls, config: ScorerConfig, n_reference: int, n_kinds: int = 1) -> ScorerGraph:
        """A graph of the right shapes, to load a saved state into."""
        heads = ChromaticHeads(
            torch.zeros(len(COLOR_NAMES), config.text_dim),
            torch.zeros(9, config.text_dim),
            temperature=0.1,
            embed_dim=config.text_dim,
        )
        return cls(
            config,
            heads,
            torch.zeros(n_reference, config.text_dim),
            kind_mask=torch.ones(n_kinds, n_reference),
        )


def load_graph(path: Path) -> tuple[ScorerGraph, dict[str, Any]]:
    """A :class:`ScorerGraph` (eval mode) and its meta from the ``.npz`` written at export."""
    state, meta = load_state(path)
    if meta.get("kind") != "chromatic-scorer-graph" or "reference" not in state:
        raise ModelFileError(f"{path}: not a scorer graph checkpoint (kind {meta.get('kind')!r})")
    if "heads.modes" not in state:
        raise ModelFileError(
            f"{path}: heads of the color-mixture construction (its spatial axis is its temporal "
            "one relabelled) -- rebuild it with `python -m training.scorer.export --rehead "
            f"{path} --out NEW.onnx`"
        )
    return graph_from_state(path, state, meta), meta


def graph_from_state(path: Path, state: dict[str, Tensor], meta: dict[str, Any]) -> ScorerGraph:
    """The graph (eval mode) of a saved state; one saved before the taste head existed gets
    none (zero), centred on its reference bank; one saved before texts were centred gets a
    zero text centre (its concepts as they are); one saved before banks per part kind gets its
    whole bank as its one bank."""
    n_ref = len(state["reference"])
    state.setdefault("kind_mask", torch.ones(1, n_ref))
    graph = ScorerGraph.empty(
        ScorerConfig.from_dict(meta["config"]), n_ref, n_kinds=len(state["kind_mask"])
    )
    state.setdefault("taste_centre", state["reference"].float().mean(0))
    state.setdefault("taste.net.weight", torch.zeros_like(graph.taste.net.weight))
    state.setdefault("text_centre", torch.zeros_like(graph.text_centre))
    try:
        graph.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelFileError(f"{path}: does not fit the scorer graph ({exc})") from None
    graph.eval()
    return graph


__all__ = ["INPUTS", "OUTPUTS", "ScorerGraph", "TasteHead", "graph_from_state", "load_graph"]
