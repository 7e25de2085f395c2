"""The scorer's calibration and reference banks: the clips every concept cosine and color
agreement is standardised against (the whole bank, and one bank per part kind), the color
statistics and match weights the sidecar records (:mod:`scoring.chromatic_match` reads them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from scoring.chromatic_match import color_agreement
from scoring.colors import COLOR_NAMES, target_vector
from training.scorer.graph import ScorerGraph
from training.scorer.train import Corpus, batch_tensors, encode_with, kinds_of

DEFAULT_MATCH_WEIGHTS: Final = {"concept": 1.0, "color": 1.0}
#: Width of the match curve (see ``scoring.chromatic_match``): z-scores are against all real music.
DEFAULT_MATCH_SCALE: Final = 2.0


def calibrate(
    graph: ScorerGraph,
    *,
    weights: dict[str, float] | None = None,
    scale: float = DEFAULT_MATCH_SCALE,
    kinds: Sequence[str] = ("all",),
) -> dict[str, Any]:
    """The sidecar's ``calibration``: per color, the mean and standard deviation of the
    color agreement (:func:`scoring.chromatic_match.color_agreement`) of the reference clips (of the
    whole bank, and of each bank per part kind: ``kinds`` names the rows of the graph's
    ``kind_mask``, ``all`` first), and the match weights. See ``scoring.chromatic_match`` for the
    formula these feed."""
    graph.eval()
    reference: Tensor = graph.reference
    mask = graph.kind_mask.numpy() > 0
    if len(kinds) != len(mask) or kinds[0] != "all":
        raise ValueError(f"kinds: {list(kinds)} -- 'all', then one name per bank ({len(mask)})")
    with torch.no_grad():
        _, temporal, spatial, ontological = graph.heads(reference)
    per_bank: dict[str, dict[str, dict[str, float]]] = {}
    for kind, rows in zip(kinds, mask, strict=True):
        stats = per_bank[kind] = {}
        for name in COLOR_NAMES:
            agree = color_agreement(
                temporal.numpy()[rows],
                spatial.numpy()[rows],
                ontological.numpy()[rows],
                target_vector(name),
            )
            stats[name] = {"mean": float(agree.mean()), "std": float(max(agree.std(), 1e-4))}
    banks: dict[str, Any] = {}
    if len(kinds) > 1:
        banks = {
            "reference_kinds": list(kinds),
            "reference_clips_by_kind": {k: int(r.sum()) for k, r in zip(kinds, mask, strict=True)},
            "color_agreement_by_kind": {k: per_bank[k] for k in kinds[1:]},
        }
    return {
        "reference_clips": int(mask[0].sum()),
        "color_agreement": per_bank["all"],
        **banks,
        "weights": dict(weights or DEFAULT_MATCH_WEIGHTS),
        "scale": scale,
        "formula": (
            "match = Phi((w_concept * concept_z + w_color * z_color) / "
            "sqrt(w_concept^2 + w_color^2) / scale); "
            "z_color = (agreement - mean_color) / std_color; "
            "agreement = mean over axes of sum_m sqrt(q_m * target_m)"
        ),
    }


def reference_indices(
    corpus: Corpus,
    rng: np.random.Generator,
    *,
    split: str = "val",
    size: int = 512,
    per_song: int = 4,
    kind: str | None = None,
) -> NDArray[np.int64]:
    """Up to ``size`` clips of ``split`` (of ``kind`` alone, when given), at most
    ``per_song`` from any one song."""
    splits = np.asarray(corpus.splits)
    songs = np.asarray(corpus.song_ids)
    wanted = splits == split
    if kind is not None:
        wanted &= kinds_of(corpus) == kind
    chosen: list[int] = []
    taken: dict[str, int] = {}
    for i in rng.permutation(np.flatnonzero(wanted)):
        song = str(songs[i])
        if taken.get(song, 0) < per_song:
            chosen.append(int(i))
            taken[song] = taken.get(song, 0) + 1
        if len(chosen) == size:
            break
    return np.sort(np.asarray(chosen, dtype=np.int64))


#: The part kinds a phase scores (:data:`training.scorer.part_views.PHASE_ORDER`), each with its
#: own reference bank where the corpus has part views of it.
PART_KINDS: Final = ("chords", "drums", "bass", "melody")
#: Clips in each part kind's bank.
KIND_BANK_SIZE: Final = 256


def part_banks(
    graph: ScorerGraph, corpus: Corpus, *, seed: int = 0, size: int = KIND_BANK_SIZE
) -> tuple[Tensor, Tensor, list[str]]:
    """``graph``'s reference bank with a bank per part kind added: the embeddings (its whole
    bank first, then up to ``size`` validation part views of each kind in :data:`PART_KINDS`
    that ``corpus`` has, at most 4 from one song), the ``[K, R]`` mask of each bank's rows
    (row 0, ``all``, is the whole bank as it was) and the banks' names. The part views are
    heard as the graph hears a phase's candidates: a 2-channel graph reads their first two roll
    channels (the part merged with its backdrop)."""
    rng = np.random.default_rng(seed)
    old: Tensor = graph.reference
    blocks, names = [old], ["all"]
    channels = graph.config.roll_channels
    for kind in PART_KINDS:
        idx = reference_indices(corpus, rng, size=size, kind=kind)
        if len(idx) < 2:
            continue
        batch = batch_tensors(corpus, idx)
        batch["roll"] = batch["roll"][:, :channels]
        with torch.no_grad():
            blocks.append(encode_with(graph.encoder, batch))
        names.append(kind)
    reference = torch.cat(blocks)
    mask = torch.zeros(len(blocks), len(reference))
    mask[0, : len(old)] = 1.0
    at = len(old)
    for k, block in enumerate(blocks[1:], start=1):
        mask[k, at : at + len(block)] = 1.0
        at += len(block)
    return reference, mask, names


__all__ = [
    "DEFAULT_MATCH_SCALE",
    "DEFAULT_MATCH_WEIGHTS",
    "KIND_BANK_SIZE",
    "PART_KINDS",
    "calibrate",
    "part_banks",
    "reference_indices",
]
