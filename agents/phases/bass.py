"""The bass phase: one population of bass lines per section with approved chords, each a
section long, following the section's approved chords and locking to its approved kick.

The genome names chord degrees, not pitches, so every line is realised over the approved
progression (looped to the section); the operators know the approved kick onsets (on the grid,
without the drummer's micro-timing) and favour playing with them. Candidates are scored by the
bass theory scores and by the ChromaticScorer hearing them with the section's approved chords
and drums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from agents.form import SongForm
from agents.phases.approved import (
    approved_drums,
    as_played,
    drums_under,
    kick_grid_onsets,
    section_bars,
    section_chords,
    steered_sections,
)
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
from agents.phases.instruments import (
    bass_register,
    orchestration_of,
    with_program,
)
from agents.phases.kept import KeptBars, kept_population
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.fitness.bass import BassEvaluator
from evolution.fitness.chromatic import SongChromaticScorer
from generators.bass.genome import BassGenome, from_data, splice_bars, to_data
from generators.bass.operators import BassOps
from generators.bass.styles import style_weights
from music.dynamics import at_level
from music.midi_io import Song

PHASE = "bass"


def run_bass_phase(
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
    """Evolve a bass line for every section with approved chords (or only ``sections``;
    ``kept``: only those bars of its section vary), over those chords and the section's
    approved kick (when drums were approved for it); write candidates and review.yml."""
    scorer = phase_chromatic_scorer(chromatic_scorer, proposal)
    weights = weights_of(proposal)
    dynamic = dynamic_of(proposal)
    style = style_of(proposal, PHASE)
    realism = realism_for(style, PHASE)
    meter, key = proposal.meter, proposal.key
    styles = tuple(style_weights(proposal.genres, proposal.mood).items())
    orch = orchestration_of(proposal)
    register = bass_register(orch)

    def setup(label: str) -> Population[BassGenome]:
        bars = section_bars(form, label)
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars, heard_by=PHASE)
        drums = approved_drums(run, label)
        kicks = kick_grid_onsets(drums)
        approved = {"chords": (chords.part,), "drums": drums_under(drums)}
        underneath = (chords.part, *approved["drums"])
        ops, seeds = kept_population(
            run=run,
            phase=PHASE,
            kept=kept,
            label=label,
            ops=BassOps(harmony=chords.harmony, meter=meter, bars=bars, kicks=kicks, styles=styles),
            seeds=(),
            from_data=from_data,
            splice=splice_bars,
        )
        evaluator = BassEvaluator(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            bars=bars,
            weights=weights,
            kicks=kicks,
            underneath=underneath,
            chromatic_scorer=scorer,
            style=style,
            register=register,
            realism=realism,
            emotion=emotion_aim(proposal),
        )
        return Population(
            prefix=label,
            section=label,
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(
                parts=(at_level(with_program(evaluator.part(g), orch.bass.program), dynamic),),
                bpm=proposal.bpm,
                meter=meter,
            ),
            describe=evaluator.describe,
            to_data=to_data,
            seeds=seeds,
            underneath=as_played(run, proposal, label, approved),
        )

    return generate_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        populations=(setup(label) for label in steered_sections(run, form, sections)),
        executor=executor,
        on_generation=on_generation,
        previews_now=previews_now,
        header_extra={"instruments": orch.describe()},
    )
