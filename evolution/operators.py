"""The contract a genome type must meet to be evolved by :mod:`evolution.engine`.

The engine is generic over the genome type ``G``; everything it knows about a genome goes
through a :class:`GenomeOps` object. Operators are pure: they take an explicit
``numpy.random.Generator`` and never change their inputs, so the same seed gives the same run.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

G = TypeVar("G")
G_contra = TypeVar("G_contra", contravariant=True)


class GenomeOps(Protocol[G]):
    """Random initialisation, variation and comparison of genomes of one type.

    Implementations must be pure functions of their arguments and the generator: no global
    random state, and no in-place change of a genome that was passed in.
    """

    def random(self, rng: np.random.Generator) -> G:
        """A fresh random genome."""
        ...

    def mutate(self, genome: G, rng: np.random.Generator) -> G:
        """A mutated copy of ``genome``; ``genome`` itself must not change."""
        ...

    def crossover(self, a: G, b: G, rng: np.random.Generator) -> G:
        """One child combining material of ``a`` and ``b``; neither parent changes."""
        ...

    def identity(self, genome: G) -> Hashable:
        """Identity used for duplicate removal and the score cache (equal keys = same genome)."""
        ...

    def distance(self, a: G, b: G) -> float:
        """Dissimilarity in [0, 1]: 0 for identical genomes, 1 for maximally different ones."""
        ...


class BatchDistance(Protocol[G_contra]):
    """Optional extra of a :class:`GenomeOps`: the distances of one genome to many at once.

    ``distances(genome, others)[k]`` must equal ``distance(genome, others[k])`` exactly (same
    float, not merely close), so the diversity guard chooses the same survivors either way.
    """

    def distances(self, genome: G_contra, others: Sequence[G_contra]) -> np.ndarray:
        """``[len(others)]`` float64 distances in [0, 1]."""
        ...


@runtime_checkable
class SignatureDistance(Protocol[G_contra]):
    """Optional extra of a :class:`GenomeOps`: distances read from array signatures, so the
    diversity guard compares one genome with all chosen ones in a few array operations and
    the signature of a genome is worked out once.

    ``signature_distances(m[i], m[j])`` must equal ``distance(genomes[i], genomes[j])``
    exactly (same float) for ``m = signatures(genomes)``, and equal ``signature_distances(m[j],
    m[i])`` (the distance is symmetric); stacks of rows broadcast along their leading axes (one
    against many, pair by pair, or every pair of two sets)."""

    def signatures(self, genomes: Sequence[G_contra]) -> np.ndarray | None:
        """``[len(genomes), ...]``: one row per genome, comparable with the rows of the same
        call; None where these genomes cannot be compared this way (the caller then uses
        ``distance``)."""
        ...

    def signature_distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """float64 distances in [0, 1] between the genomes of rows ``a`` and ``b`` (the
        leading axes broadcast against each other; the trailing ones are a row's)."""
        ...
