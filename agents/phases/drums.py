"""The drums phase: one population of drum patterns per section with approved chords, each a
section long, in styles chosen from the proposal's genres, mood, instruments and tempo.

Populations are seeded with the style skeletons (plain, and with a transition fill where the
section leads into another) and with a bank of drum-transformer grooves (sampled once, in
batches, where the transformer plays the meter and has learned the style well enough; 4-bar
grooves, in the meters learned from cut bars only those that keep the meter's downbeat and
backbeat, repeated to the section's length). Every
candidate is scored by the drum theory scores (the style fit holding it to the Groove MIDI
profile of the leading drum style) and by the ChromaticScorer hearing it over the section's
approved chords.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from agents.form import SongForm
from agents.phases.approved import (
    as_played,
    follows_another,
    leads_into_another,
    section_bars,
    section_chords,
    steered_sections,
)
from agents.phases.common import (
    SHIPPED,
    dynamic_of,
    emotion_aim,
    phase_chromatic_scorer,
    phase_rng,
    realism_for,
    style_of,
    weights_of,
)
from agents.phases.generate import Population, generate_phase
from agents.phases.instruments import orchestration_of, with_program
from agents.phases.kept import KeptBars, kept_population
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.fitness.chromatic import SongChromaticScorer
from evolution.fitness.drums import DrumEvaluator
from generators.drums.cells import CellPlan
from generators.drums.fills import add_fill, crash_on_downbeat
from generators.drums.genome import DrumGenome, describe, from_data, splice_bars, to_data
from generators.drums.operators import DrumOps, seed_genomes
from generators.drums.styles import GROOVE_PROFILES, choose_styles
from generators.drums.timekeeping import HitTable, time_kept
from generators.drums.to_midi import drums_part
from generators.drums.transformer import DrumTransformer, load_for_meter, time_kept_in_cells
from music.dynamics import at_level
from music.meter import Meter
from music.midi_io import Song
from scoring.style.profile import StyleProfile, shipped_profiles
from scoring.style.select import style_profile

logger = logging.getLogger(__name__)

PHASE = "drums"
#: Bars of one transformer groove in the bank (repeated to fill a section).
BANK_BARS = 4
#: Grooves sampled per style for the bank.
BANK_PER_STYLE = 4
#: In the meters the transformer learned from bars cut from 4/4 (all but 4/4 itself, which it
#: learned from Groove's real bars and whose bank is drawn as before), a sampled groove joins the
#: bank only when it keeps the meter: a kick on the downbeat in at least
#: :data:`BANK_DOWNBEAT_KICKS` of its bars and :data:`BANK_BACKBEAT` of its loud snares on the
#: backbeat pulses (the genre matrix's floor for backbeat styles); in a meter played in cells
#: (7/4 as 4/4 + 3/4) each cell meter's bars so. The model now and then draws a groove shifted
#: off the bar there; twice :data:`BANK_PER_STYLE` are drawn per style to choose from.
LEARNED_FROM_REAL_BARS = Meter(4, 4)
BANK_DOWNBEAT_KICKS = 0.5
BANK_BACKBEAT = 0.75


def tile(genome: DrumGenome, bars: int) -> DrumGenome:
    """``genome`` repeated (and cut) to ``bars`` bars."""
    period = genome.bars * genome.grid.steps_per_bar
    total = bars * genome.grid.steps_per_bar
    hits = [
        h.moved(h.step + k * period)
        for k in range(-(-bars // genome.bars))
        for h in genome.hits
        if h.step + k * period < total
    ]
    return DrumGenome(grid=genome.grid, bars=bars, hits=(), style=genome.style).with_hits(hits)


def transformer_bank(
    *,
    transformer: DrumTransformer,
    styles: Sequence[str],
    meter: Meter,
    bars: int,
    rng: np.random.Generator,
) -> tuple[DrumGenome, ...]:
    """Drum-transformer grooves for the song's styles, :data:`BANK_BARS` long and repeated to
    ``bars``; empty where the transformer does not play ``meter``."""
    if not transformer.supports(meter):
        logger.info("drum transformer does not play %s: style skeletons only", meter)
        return ()
    ops = DrumOps(meter=meter, bars=min(bars, BANK_BARS), styles=tuple(styles))
    if meter == LEARNED_FROM_REAL_BARS:
        ops = replace(ops, transformer=transformer).with_bank(rng, per_style=BANK_PER_STYLE)
        return tuple(tile(g, bars) for g in ops.bank)
    ops = replace(ops, transformer=transformer).with_bank(rng, per_style=2 * BANK_PER_STYLE)
    plan = transformer.cell_plan(meter)
    kept: dict[str, list[DrumGenome]] = {}
    for g in ops.bank:
        per_style = kept.setdefault(g.style, [])
        if len(per_style) < BANK_PER_STYLE and keeps_the_meter(g, plan):
            per_style.append(g)
    return tuple(tile(g, bars) for group in kept.values() for g in group)


def keeps_the_meter(genome: DrumGenome, plan: CellPlan | None = None) -> bool:
    """True when ``genome`` has a kick on the downbeat in :data:`BANK_DOWNBEAT_KICKS` of its
    bars and :data:`BANK_BACKBEAT` of its loud snares on the backbeat pulses; for a meter the
    transformer plays in cells (``plan``), each cell meter's bars and backbeat so (7/4 as
    4/4 + 3/4: kick, snare, kick, snare, kick, snare, snare; 2/2 as a 4/4 bar: its backbeat on
    quarters 2 and 4, where the skeletons' two-beat puts it on the second half note). The
    measure is :func:`generators.drums.timekeeping.time_kept`, of the genome as played or,
    in cells, of each cell meter's bars."""
    kept = (
        time_kept(HitTable.from_genome(genome))
        if plan is None
        else time_kept_in_cells(genome, plan)
    )
    return kept.reaches(downbeat=BANK_DOWNBEAT_KICKS, backbeat=BANK_BACKBEAT)


def section_seeds(
    *,
    meter: Meter,
    bars: int,
    styles: Sequence[str],
    bank: Sequence[DrumGenome],
    transition: bool,
    entrance: bool = False,
    bpm: float | None = None,
    rng: np.random.Generator,
) -> tuple[DrumGenome, ...]:
    """One plain skeleton per style and, with ``transition``, each also with a fill into the
    next section in its last bar; with ``entrance`` those get a crash on the section's first
    downbeat (where it follows another section); plus the transformer grooves."""
    plain = seed_genomes(meter, bars, styles, rng, bpm=bpm)
    out = list(plain)
    if transition:
        out += [add_fill(g, bars - 1, rng) for g in plain]
    if entrance:
        out = [crash_on_downbeat(g) for g in out]
    return (*out, *bank)


def drum_profile(proposal: Proposal, drum_style: str) -> StyleProfile | None:
    """The Groove profile the song's drums are held to: that of its leading drum style
    (:data:`generators.drums.styles.GROOVE_PROFILES`), none for a style Groove has no playing
    of (sparse), and the one the proposal's words name for a style of several Groove styles.
    The style comes before the meter: a jazz waltz is held to Groove's jazz over every meter
    rather than to its few 3/4 beats of other styles."""
    if drum_style not in GROOVE_PROFILES:
        return style_of(proposal, PHASE)
    groove = GROOVE_PROFILES[drum_style]
    if groove is None:
        return None
    profiles = shipped_profiles(PHASE)
    return style_profile(profiles, groove, proposal.bpm, str(proposal.meter), style_first=True)


def run_drums_phase(
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
    """Evolve drums for every section with approved chords (or only ``sections``; ``kept``:
    only those bars of its section vary); write candidates and review.yml. Returns the phase
    state (review path, candidate ids, ids per section)."""
    styles = choose_styles(proposal.genres, proposal.mood, proposal.bpm, proposal.instruments)
    scorer = phase_chromatic_scorer(chromatic_scorer, proposal)
    weights = weights_of(proposal)
    dynamic = dynamic_of(proposal)
    style = drum_profile(proposal, styles[0])
    realism = realism_for(style, PHASE)
    meter = proposal.meter
    orch = orchestration_of(proposal)
    transformer = load_for_meter(meter)

    def setup(label: str) -> Population[DrumGenome]:
        bars = section_bars(form, label)
        rng = phase_rng(proposal.seed, PHASE, f"{label}/seeds")
        transition = leads_into_another(form, label)
        entrance = follows_another(form, label)
        bank = transformer_bank(
            transformer=transformer, styles=styles, meter=meter, bars=bars, rng=rng
        )
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars, heard_by=PHASE)
        drum_ops = DrumOps(
            meter=meter,
            bars=bars,
            styles=tuple(styles),
            bank=bank,
            fill_rate=0.6 if transition else 0.25,
            bpm=proposal.bpm,
        )
        evaluator = DrumEvaluator(
            meter=meter,
            weights=weights,
            mood=tuple(proposal.mood),
            genres=tuple(proposal.genres),
            bpm=proposal.bpm,
            phrase_bars=form.phrase_bars,
            wants_fill=transition,
            underneath=(chords.part,),
            chromatic_scorer=scorer,
            style=style,
            realism=realism,
            emotion=emotion_aim(proposal),
        )
        seeds = section_seeds(
            meter=meter,
            bars=bars,
            styles=styles,
            bank=bank,
            transition=transition,
            entrance=entrance,
            bpm=proposal.bpm,
            rng=rng,
        )
        ops, seeds = kept_population(
            run=run,
            phase=PHASE,
            kept=kept,
            label=label,
            ops=drum_ops,
            seeds=seeds,
            from_data=from_data,
            splice=splice_bars,
        )
        return Population(
            prefix=label,
            section=label,
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(
                parts=(at_level(with_program(drums_part(g, meter), orch.drum_program), dynamic),),
                bpm=proposal.bpm,
                meter=meter,
            ),
            describe=describe,
            to_data=to_data,
            seeds=seeds,
            underneath=as_played(run, proposal, label, {"chords": (chords.part,)}),
        )

    return generate_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        populations=(setup(label) for label in steered_sections(run, form, sections)),
        executor=executor,
        on_generation=on_generation,
        previews_now=previews_now,
        header_extra={
            "styles": list(styles),
            "style_profile": None if style is None else style.key,
            "instruments": orch.describe(),
        },
    )
