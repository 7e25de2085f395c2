"""Musical roles of a kit's hits and the pools a drum part plays from (seed 001, step 2).

Roles (:data:`generators.drums.grid.ROLES`): Core keeps time (heavy, low, sharp), Accent
marks (loud, bright, ringing), Motion drives (short, bright, light), Fill connects (pitched,
mid-low, ringing a while) and Texture colours (quiet, noisy, odd).

Rule scores come from DSP features only, each a sum of terms in [0, 1]:

* ``level``: the hit's body level between the kit's quietest (0) and loudest (1) hit;
* ``low``: its energy share below 300 Hz; ``high``: above 4 kHz; ``mid``: 120 Hz..1 kHz;
* ``sharp``: 1 when it peaks within 5 ms, falling to 0 at 50 ms;
* ``ring``: its decay (30 dB) over one second, capped at 1; ``short``: 1 - its decay over 0.3 s;
* ``noise``: its spectral flatness above 1 kHz; ``tone``: 1 - noise.

| role    | score                                          |
|---------|------------------------------------------------|
| core    | 2 level + 2 low + sharp - high                 |
| accent  | 1.5 level + 1.5 high + 2 ring                  |
| motion  | 2 high + 2 short + 0.5 (1 - level)             |
| fill    | 2 tone + 1.5 mid + ring - high                 |
| texture | 2 (1 - level) + noise + (1 - sharp)            |

turned into shares by a softmax (temperature :data:`TEMPERATURE`). With a CLAP model
(:mod:`render.kit.clap`), the hit's audio is also compared with text prompts per role
(:data:`ROLE_PROMPTS`); those shares are mixed in with weight ``clap_weight`` (default 0.5).

Pools: for each class and role, the ids of the hits whose best role it is, most confident
class first (``role_pools.json``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from render.kit.classes import ROLES, Role

TEMPERATURE: Final = 0.5
CLAP_WEIGHT: Final = 0.5

ROLE_PROMPTS: Final[Mapping[Role, tuple[str, ...]]] = {
    "core": ("a punchy kick drum hit", "a tight snare drum hit", "a heavy bass drum"),
    "accent": ("a crash cymbal accent", "a loud open hi-hat", "a hand clap"),
    "motion": ("a closed hi-hat tick", "a shaker", "a ride cymbal ping"),
    "fill": ("a tom drum hit", "a deep floor tom", "a pitched hand drum"),
    "texture": ("a quiet percussive texture", "a rim click", "a wood block", "a tambourine"),
}


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def softmax(logits: Sequence[float], temperature: float = TEMPERATURE) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


def rule_scores(features: Mapping[str, float], level: float) -> dict[Role, float]:
    """Role shares of one hit from its features and its ``level`` in [0, 1] within the kit."""
    lv = _clip01(level)
    low = _clip01(features["band_20_120"] + features["band_120_300"])
    high = _clip01(features["band_4000_10000"] + features["band_10000_22050"])
    mid = _clip01(features["band_120_300"] + features["band_300_1000"])
    sharp = _clip01(1.0 - (features["attack_s"] - 0.005) / 0.045)
    ring = _clip01(features["decay_s"] / 1.0)
    short = 1.0 - _clip01(features["decay_s"] / 0.3)
    noise = _clip01(features["noise_hi"])
    logits = {
        "core": 2 * lv + 2 * low + sharp - high,
        "accent": 1.5 * lv + 1.5 * high + 2 * ring,
        "motion": 2 * high + 2 * short + 0.5 * (1 - lv),
        "fill": 2 * (1 - noise) + 1.5 * mid + ring - high,
        "texture": 2 * (1 - lv) + noise + (1 - sharp),
    }
    shares = softmax([logits[r] for r in ROLES])
    return {r: float(s) for r, s in zip(ROLES, shares, strict=True)}


def kit_levels(energies_db: Sequence[float]) -> list[float]:
    """Each hit's level between the kit's quietest (0) and loudest (1) body level (dB)."""
    e = np.asarray(energies_db, dtype=np.float64)
    if e.size == 0:
        return []
    lo, hi = float(e.min()), float(e.max())
    if hi - lo < 1e-6:
        return [1.0] * e.size
    return [float(v) for v in (e - lo) / (hi - lo)]


def clap_role_scores(similarities: np.ndarray, scale: float) -> list[dict[Role, float]]:
    """Role shares from audio-text similarities ``[hits, prompts]`` (prompts in
    :data:`ROLE_PROMPTS` order, roles in :data:`ROLES` order): each role's best prompt,
    softmaxed at the model's logit ``scale``."""
    out = []
    counts = [len(ROLE_PROMPTS[r]) for r in ROLES]
    edges = np.cumsum([0, *counts])
    for row in np.asarray(similarities, dtype=np.float64):
        best = [float(row[a:b].max()) for a, b in itertools.pairwise(edges)]
        shares = softmax([scale * b for b in best], temperature=1.0)
        out.append({r: float(s) for r, s in zip(ROLES, shares, strict=True)})
    return out


def fuse(
    rules: Mapping[Role, float], clap: Mapping[Role, float] | None, weight: float = CLAP_WEIGHT
) -> dict[Role, float]:
    """``(1 - weight) * rules + weight * clap`` (the rules alone when there is no CLAP)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"clap weight: {weight!r} -- a number in [0, 1]")
    if clap is None:
        return {r: float(rules[r]) for r in ROLES}
    return {r: float((1 - weight) * rules[r] + weight * clap[r]) for r in ROLES}


def best_role(scores: Mapping[Role, float]) -> Role:
    """The role with the highest share (the first in :data:`ROLES` order on a tie)."""
    return max(ROLES, key=lambda r: (scores[r], -ROLES.index(r)))
