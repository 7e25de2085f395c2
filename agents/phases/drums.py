"""The drums phase: one population of drum patterns per section with approved chords, each a
section long, in styles chosen from the proposal's genres, mood and tempo.

Populations are seeded with the style skeletons (plain, and with a transition fill where the
section leads into another) and with a bank of drum-transformer grooves (sampled once, in
batches, where the transformer plays the meter; 4-bar grooves repeated to the section's
length). Every candidate is scored by the drum theory scores and by the ChromaticScorer hearing
it over the section's approved chords.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from agents.phases.approved import (
    approved_sections,
    follows_another,
    leads_into_another,
    section_bars,
    section_chords,
)
from agents.phases.common import phase_rng, weights_of
from agents.phases.critic import SHIPPED, Critic, phase_critic, score_cards
from agents.phases.sectioned import SectionSetup, run_sectioned_phase
from agents.plan import SongPlan
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.lazy import OnnxSettings
from generators.drums.fills import add_fill, crash_on_downbeat
from generators.drums.genome import DrumGenome, describe, genome_to_dict
from generators.drums.operators import DrumOps, seed_genomes
from generators.drums.styles import choose_styles
from generators.drums.to_midi import drums_part
from generators.drums.transformer import DrumTransformer
from music.meter import Meter
from music.midi_io import Song
from music.notes import Part
from scoring.composite import ScoreCard, Weights
from scoring.drums import DrumPattern, score_drums
from scoring.style.drums import drum_style
from scoring.style.profile import StyleProfile
from scoring.style.select import song_profile

logger = logging.getLogger(__name__)

PHASE = "drums"
#: Bars of one transformer groove in the bank (repeated to fill a section).
BANK_BARS = 4
#: Grooves sampled per style for the bank.
BANK_PER_STYLE = 4


@dataclass(frozen=True, slots=True)
class DrumEvaluator:
    """Scores drum genomes of one section: the drum theory scores (groove consistency, role
    balance, density for the song's words and tempo, fill placement) and the critic's match.

    The critic hears the pattern over the section's approved chords (``underneath``), not
    alone: a groove has no pitch, and what it does to a song's color (a busy hat line that
    hurries a slow progression, a half-time feel that opens it) is only heard against the
    harmony it will play with. Every candidate of a population shares the same chords, so the
    differences the critic hears are the drums' own."""

    meter: Meter
    weights: Weights
    mood: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    bpm: float = 100.0
    phrase_bars: int = 4
    wants_fill: bool = True
    underneath: tuple[Part, ...] = ()
    critic: Critic | None = None
    style: StyleProfile | None = None

    def with_onnx(self, onnx: OnnxSettings) -> DrumEvaluator:
        """This evaluator, its critic's session opened with ``onnx`` (the executor's)."""
        if self.critic is None:
            return self
        return replace(self, critic=self.critic.with_onnx(onnx))

    def __call__(self, genomes: Sequence[DrumGenome]) -> list[ScoreCard]:
        theories = [
            score_drums(
                DrumPattern.of(g),
                mood=self.mood,
                genres=self.genres,
                bpm=self.bpm,
                phrase_bars=self.phrase_bars,
                wants_fill=self.wants_fill,
                style=None
                if self.style is None
                else drum_style(g, bpm=self.bpm, profile=self.style),
            )
            for g in genomes
        ]
        parts = [[drums_part(g, self.meter)] for g in genomes] if self.critic is not None else []
        return score_cards(
            theories, parts, critic=self.critic, weights=self.weights, underneath=self.underneath
        )


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
    ops = replace(ops, transformer=transformer).with_bank(rng, per_style=BANK_PER_STYLE)
    return tuple(tile(g, bars) for g in ops.bank)


def section_seeds(
    *,
    meter: Meter,
    bars: int,
    styles: Sequence[str],
    bank: Sequence[DrumGenome],
    transition: bool,
    entrance: bool = False,
    rng: np.random.Generator,
) -> tuple[DrumGenome, ...]:
    """One plain skeleton per style and, with ``transition``, each also with a fill into the
    next section in its last bar; with ``entrance`` those get a crash on the section's first
    downbeat (where it follows another section); plus the transformer grooves."""
    plain = seed_genomes(meter, bars, styles, rng)
    out = list(plain)
    if transition:
        out += [add_fill(g, bars - 1, rng) for g in plain]
    if entrance:
        out = [crash_on_downbeat(g) for g in out]
    return (*out, *bank)


def run_drums_phase(
    *,
    proposal: Proposal,
    plan: SongPlan,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    critic: Critic | Literal["shipped"] | None = SHIPPED,
) -> dict[str, Any]:
    """Evolve drums for every section with approved chords; write candidates and review.yml.
    Returns the phase state (review path, candidate ids, ids per section)."""
    styles = choose_styles(proposal.genres, proposal.mood, proposal.bpm)
    scoring_critic = phase_critic(critic, proposal)
    weights = weights_of(proposal)
    meter = proposal.meter
    transformer = DrumTransformer.load()
    style = song_profile(
        "drums", genres=proposal.genres, mood=proposal.mood, bpm=proposal.bpm, meter=str(meter)
    )

    def setup(label: str) -> SectionSetup[DrumGenome]:
        bars = section_bars(plan, label)
        rng = phase_rng(proposal.seed, PHASE, f"{label}/seeds")
        transition = leads_into_another(plan, label)
        entrance = follows_another(plan, label)
        bank = transformer_bank(
            transformer=transformer, styles=styles, meter=meter, bars=bars, rng=rng
        )
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars)
        ops = DrumOps(
            meter=meter,
            bars=bars,
            styles=tuple(styles),
            bank=bank,
            fill_rate=0.6 if transition else 0.25,
        )
        evaluator = DrumEvaluator(
            meter=meter,
            weights=weights,
            mood=tuple(proposal.mood),
            genres=tuple(proposal.genres),
            bpm=proposal.bpm,
            phrase_bars=plan.phrase_bars,
            wants_fill=transition,
            underneath=(chords.part,),
            critic=scoring_critic,
            style=style,
        )
        seeds = section_seeds(
            meter=meter,
            bars=bars,
            styles=styles,
            bank=bank,
            transition=transition,
            entrance=entrance,
            rng=rng,
        )
        return SectionSetup(
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(parts=(drums_part(g, meter),), bpm=proposal.bpm, meter=meter),
            describe=describe,
            to_data=genome_to_dict,
            seeds=seeds,
            underneath=(chords.part,),
        )

    return run_sectioned_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        sections=approved_sections(run, plan),
        setup=setup,
        executor=executor,
        on_generation=on_generation,
        header_extra={"styles": list(styles)},
    )
