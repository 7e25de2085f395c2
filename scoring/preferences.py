"""A person's verdicts at the gates as preferences between candidates, for the scorer to learn a
taste from (``chromatic train scorer --from-reviews``).

A :class:`ReviewedCandidate` is one candidate a person was shown in a review.yml, with the
verdict it got (``approved``, ``rejected`` or ``pending`` when the person left it alone), what
the scorer heard (its MIDI and the approved parts under it) and the song's concept and color.
:func:`preference_pairs` turns candidates into ordered pairs (preferred, other):

* within one **group** (a run's phase and section: the candidates the person compared),
* every approved candidate over every rejected one,
* and over every candidate left pending that the review listed lower (a larger rank): the
  person saw it below and chose the other.

Nothing else is compared: a pending candidate ranked above an approved one says nothing, and
candidates of other sections were never weighed against each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from music.meter import Meter

VERDICTS: Final = ("approved", "rejected", "pending")


@dataclass(frozen=True, slots=True)
class ReviewedCandidate:
    """One candidate as a person reviewed it.

    Attributes:
        key: ``run/phase/id``, unique across runs.
        group: ``run/phase/section``: the candidates compared with each other.
        rank: its rank in the review (1 is the top), None when the review gave none.
        verdict: ``approved``, ``rejected`` or ``pending``.
        midi: the candidate's MIDI file.
        underneath: the approved parts of earlier phases it was heard over (MIDI files).
        concept: the song's concept text.
        color: the song's target color.
        bpm: tempo in quarter notes per minute.
        meter: the song's time signature.
    """

    key: str
    group: str
    rank: int | None
    verdict: str
    midi: Path
    underneath: tuple[Path, ...]
    concept: str
    color: str
    bpm: float
    meter: Meter

    @property
    def phase(self) -> str:
        """The phase it was made in (the middle of :attr:`group`): the kind of part it is."""
        return self.group.rsplit("/", 2)[-2]

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(
                f"ReviewedCandidate {self.key}.verdict: {self.verdict!r} -- one of "
                f"{', '.join(VERDICTS)}"
            )


def preference_pairs(candidates: Sequence[ReviewedCandidate]) -> list[tuple[int, int]]:
    """``(preferred, other)`` index pairs into ``candidates`` (see the module docstring), in a
    fixed order: by group as first seen, then by the preferred candidate's position."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, cand in enumerate(candidates):
        groups[cand.group].append(i)
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        for a in members:
            winner = candidates[a]
            if winner.verdict != "approved":
                continue
            for b in members:
                other = candidates[b]
                if other.verdict == "rejected" or (
                    other.verdict == "pending"
                    and winner.rank is not None
                    and other.rank is not None
                    and other.rank > winner.rank
                ):
                    pairs.append((a, b))
    return pairs


__all__ = ["VERDICTS", "ReviewedCandidate", "preference_pairs"]
