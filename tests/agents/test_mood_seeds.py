"""The melody phase seeds a quarter of a section's population from the mood melody transformer
when the proposal has a mood target (whatever the emotion score's weight), and none without
one or in a meter it does not sample."""

from __future__ import annotations

from typing import Any

from agents.phases.common import mood_of
from agents.phases.melody import mood_seeds
from agents.proposal import Proposal, proposal_from_dict
from generators.chords.genome import workhorse_genomes
from generators.harmony import chord_timeline
from generators.melody.genome import validate_genome
from generators.melody.operators import MelodyOps


def _proposal(**changes: Any) -> Proposal:
    data: dict[str, Any] = {
        "title": "Seeds",
        "concept": "A lantern left burning in a boathouse after the regatta.",
        "color": "Blue",
        "key": "A minor",
        "bpm": 84,
        "time_signature": "4/4",
        "mood": ["depressed", "sleepy"],
        "sections": [{"name": "verse", "bars": 8}],
        "evolution": {"population_size": 24, "generations": 2},
        "seed": 2,
    }
    data.update(changes)
    return proposal_from_dict(data)


def _ops(proposal: Proposal) -> MelodyOps:
    key, meter = proposal.key, proposal.meter
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=8)
    return MelodyOps(key=key, meter=meter, harmony=harmony, bars=8)


def test_a_quarter_of_the_population_comes_from_the_transformer() -> None:
    proposal = _proposal()
    ops = _ops(proposal)
    seeds = mood_seeds(proposal, ops, "verse")
    assert 4 <= len(seeds) <= 24 // 4
    for g in seeds:
        validate_genome(g, proposal.meter)
    assert seeds == mood_seeds(proposal, ops, "verse")
    assert seeds != mood_seeds(proposal, ops, "chorus")


def test_no_seeds_without_a_mood_or_in_seven_eight() -> None:
    plain = _proposal(mood=[])
    assert mood_of(plain) is None
    assert mood_seeds(plain, _ops(plain), "verse") == ()
    seven = _proposal(time_signature="7/8")
    assert mood_of(seven) is not None
    assert mood_seeds(seven, _ops(seven), "verse") == ()
