"""The chords phase: evolve progressions with the learned transition model and the theory
scores, and write the best as MIDI candidates and a review.yml."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from agents.form import SongForm
from agents.phases.approved import approved_genome
from agents.phases.common import (
    SHIPPED,
    dynamic_of,
    emotion_aim,
    phase_chromatic_scorer,
    realism_for,
    style_of,
    weights_of,
)
from agents.phases.generate import Population, generate_phase
from agents.phases.instruments import chord_register, comping_of, orchestration_of
from agents.phases.kept import KeptBars, kept_population
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.fitness.chords import ChordEvaluator
from evolution.fitness.chromatic import SongChromaticScorer
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import (
    ChordGenome,
    describe,
    from_data,
    splice_bars,
    to_data,
    workhorse_genomes,
)
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part
from music.dynamics import at_level
from music.midi_io import Song

logger = logging.getLogger(__name__)

PHASE = "chords"
_CLASSICAL_WORDS = ("classical", "choral", "chorale", "hymn", "baroque", "sacred", "chamber")
_POP_WORDS = ("pop", "rock", "soul", "folk", "americana", "punk", "electro", "funk", "blues", "r&b")


def source_blend(genres: Sequence[str], mood: Sequence[str]) -> dict[str, float]:
    """How much each corpus of the transition model counts for this song: pop/rock genres lean
    on Billboard, classical and choral ones on the Bach chorales, anything else half and half."""
    words = " ".join([*genres, *mood]).lower()
    classical = sum(w in words for w in _CLASSICAL_WORDS)
    pop = sum(w in words for w in _POP_WORDS)
    if classical > pop:
        return {"bach": 0.75, "billboard": 0.25}
    if pop > classical:
        return {"bach": 0.25, "billboard": 0.75}
    return {"bach": 0.5, "billboard": 0.5}


def run_chords_phase(
    *,
    proposal: Proposal,
    form: SongForm,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    chromatic_scorer: SongChromaticScorer | Literal["shipped"] | None = SHIPPED,
    sections: Sequence[str] | None = None,
    kept: KeptBars | None = None,
    previews_now: bool = True,
) -> dict[str, Any]:
    """Evolve one population of progressions (chords alone: nothing is approved under them
    yet); write ``chords/candidates/chord_NNN.*``, ``evolution.json`` and ``review.yml``.
    Returns the phase's state: the review path and the candidate ids in rank order.

    With ``sections`` (a section regenerated), one population per section instead, its
    candidates ``<section>_NNN`` made for that section; ``kept``: only those bars of the
    approved progression vary."""
    model = ChordTransitionModel.load().with_blend(source_blend(proposal.genres, proposal.mood))
    key, meter = proposal.key, proposal.meter
    orch = orchestration_of(proposal)
    register = chord_register(orch)
    comping = comping_of(proposal, orch)
    style = style_of(proposal, PHASE)
    scorer = phase_chromatic_scorer(chromatic_scorer, proposal)
    dynamic = dynamic_of(proposal)

    def population(label: str | None) -> Population[ChordGenome]:
        approved = None if label is None else approved_genome(run, PHASE, label, from_data)
        bars = form.phrase_bars if approved is None else len(approved)
        chord_ops = ChordOps(key=key, meter=meter, bars=bars, model=model)
        evaluator = ChordEvaluator(
            ops=chord_ops,
            weights=weights_of(proposal),
            emotion=emotion_aim(proposal),
            chromatic_scorer=scorer,
            style=style,
            realism=realism_for(style, PHASE),
            register=register,
            program=orch.chords.program,
            comping=comping,
        )
        ops, seeds = kept_population(
            run=run,
            phase=PHASE,
            kept=kept,
            label=label or "",
            ops=chord_ops,
            seeds=workhorse_genomes(key, meter, bars),
            from_data=from_data,
            splice=splice_bars,
        )
        return Population(
            prefix=label or "chord",
            section=label,
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(
                parts=(
                    at_level(
                        chords_part(
                            g,
                            key,
                            program=orch.chords.program,
                            register=register,
                            comping=comping,
                        ),
                        dynamic,
                    ),
                ),
                bpm=proposal.bpm,
                meter=meter,
            ),
            describe=lambda g: describe(g, key),
            to_data=to_data,
            seeds=seeds,
            saved={"key": key.name, "meter": str(meter)},
        )

    return generate_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        populations=[population(None)] if sections is None else map(population, sections),
        executor=executor,
        on_generation=on_generation,
        previews_now=previews_now,
        header_extra={"instruments": orch.describe(), "comping": comping.style},
    )
