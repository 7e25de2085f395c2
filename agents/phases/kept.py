"""Re-evolving some bars of an approved part (``chromatic regenerate RUN PHASE SECTION --bars
5-8``): every genome the evolution makes -- random, mutated, crossed, seeded -- is spliced so
the bars outside the range are the approved part's, and only the range varies.

:class:`KeepOps` wraps a part's operators; a phase builds it with the part's ``splice_bars``
(``generators/<part>/genome.py``) and the genome it read from ``<phase>/approved/``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from agents.errors import RunStateError
from agents.phases.approved import approved_genome
from agents.rundir import RunDir
from evolution.operators import GenomeOps

G = TypeVar("G")


@dataclass(frozen=True, slots=True)
class KeptBars:
    """Re-evolve bars ``first``..``last`` (1-based, inclusive) of ``section``; every other bar
    keeps the approved part's notes."""

    section: str
    first: int
    last: int

    def to_state(self) -> dict[str, Any]:
        return {"section": self.section, "first": self.first, "last": self.last}

    @classmethod
    def from_state(cls, data: Mapping[str, Any] | None) -> KeptBars | None:
        if not data:
            return None
        return cls(section=str(data["section"]), first=int(data["first"]), last=int(data["last"]))

    def __str__(self) -> str:
        bars = f"bar {self.first}" if self.first == self.last else f"bars {self.first}-{self.last}"
        return f"{bars} of {self.section}"


class KeepOps(Generic[G]):
    """``ops`` whose every new genome is ``splice(new, kept, first, last)``: ``kept`` outside
    the (0-based, inclusive) bar range. Anything else (identity, distances, signatures) is the
    wrapped operators'."""

    def __init__(
        self, ops: GenomeOps[G], kept: G, splice: Callable[[G, G, int, int], G], bars: KeptBars
    ) -> None:
        self.ops = ops
        self.kept = kept
        self._splice = splice
        self._first, self._last = bars.first - 1, bars.last - 1

    def fix(self, genome: G) -> G:
        """``genome`` with the kept bars put back."""
        return self._splice(genome, self.kept, self._first, self._last)

    def random(self, rng: np.random.Generator) -> G:
        return self.fix(self.ops.random(rng))

    def mutate(self, genome: G, rng: np.random.Generator) -> G:
        return self.fix(self.ops.mutate(genome, rng))

    def crossover(self, a: G, b: G, rng: np.random.Generator) -> G:
        return self.fix(self.ops.crossover(a, b, rng))

    def identity(self, genome: G) -> Hashable:
        return self.ops.identity(genome)

    def distance(self, a: G, b: G) -> float:
        return self.ops.distance(a, b)

    def __getattr__(self, name: str) -> Any:
        # The optional extras (batch distances, signatures) of the wrapped operators.
        if name in ("ops", "kept", "_splice", "_first", "_last"):
            raise AttributeError(name)
        return getattr(self.ops, name)


def kept_population(
    *,
    run: RunDir,
    phase: str,
    kept: KeptBars | None,
    label: str,
    ops: GenomeOps[G],
    seeds: Sequence[G],
    from_data: Callable[[Mapping[str, Any]], G],
    splice: Callable[[G, G, int, int], G],
) -> tuple[GenomeOps[G], tuple[G, ...]]:
    """``ops`` and ``seeds`` as they are, or -- when ``kept`` names ``label`` -- wrapped so only
    its bars vary, seeded with the approved part and the seeds spliced into it. Raises
    RunStateError when the approved part has no genome (an imported bass or melody)."""
    if kept is None or kept.section != label:
        return ops, tuple(seeds)
    approved = approved_genome(run, phase, label, from_data)
    if approved is None:
        raise RunStateError(
            f"{run.approved_data(phase, label)}: no approved {phase} genome for {label!r} -- "
            "regenerate the whole section (without --bars)"
        )
    keep = KeepOps(ops, approved, splice, kept)
    return keep, (approved, *(keep.fix(s) for s in seeds))
