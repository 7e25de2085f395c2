"""Can the scores tell a section's candidates apart? The ``ranking`` field of review.yml.

Per section (or ``all`` for chords): the spread (max - min) of the composite over the final
population's candidates that keep to the key (the ones ordered by their composite), the spread
over the top ten review.yml lists, and whether both reach what a ranking needs to mean
something (issue 12: 0.05 and 0.02). Where they do not, the note says so in words, so a person
listens to the candidates rather than trusting an order that is noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from evolution.engine import EvolutionResult
from scoring.composite import ScoreCard

#: The final population must spread at least this much for its order to mean something.
MIN_SPREAD: Final = 0.05
#: ... and the top ten (the candidates a person hears first) at least this much.
MIN_TOP_TEN_SPREAD: Final = 0.02
TOP_TEN: Final = 10


def _spread(values: Sequence[float]) -> float:
    return max(values) - min(values) if values else 0.0


def ranking_entry(
    result: EvolutionResult[Any, ScoreCard],
    *,
    min_spread: float = MIN_SPREAD,
    min_top_ten_spread: float = MIN_TOP_TEN_SPREAD,
) -> dict[str, Any]:
    """One section's ``ranking``: the composite's spread over the final population's
    candidates in the key (all of them where none is) and over the top ten listed, whether both
    reach their thresholds (``distinguishable``), and where not a note that says so."""
    keep = [s.score.composite for s in result.population if s.fitness >= 0.0]
    ranked = keep or [s.score.composite for s in result.population]
    top = [s.score.composite for s in result.top[:TOP_TEN]]
    spread, top_spread = _spread(ranked), _spread(top)
    entry: dict[str, Any] = {
        "spread": round(spread, 4),
        "top_ten_spread": round(top_spread, 4),
        "distinguishable": spread >= min_spread and top_spread >= min_top_ten_spread,
    }
    if top_spread < min_top_ten_spread:
        entry["note"] = (
            f"the top {len(top)} lie within {top_spread:.4f} (below {min_top_ten_spread:g}): "
            "the order among them is noise; listen to all of them"
        )
    elif spread < min_spread:
        entry["note"] = (
            f"the final population ({len(ranked)} candidates) lies within {spread:.4f} (below "
            f"{min_spread:g}): the scores barely tell its candidates apart; rank is a weak hint"
        )
    return entry


def ranking_summary(results: Mapping[str, EvolutionResult[Any, ScoreCard]]) -> dict[str, Any]:
    """``ranking`` for review.yml's header, per section (``all`` for one population)."""
    return {name or "all": ranking_entry(r) for name, r in results.items()}
