"""The bass phase: one population of bass lines per section with approved chords, each a
section long, following the section's approved chords and locking to its approved kick.

The genome names chord degrees, not pitches, so every line is realised over the approved
progression (looped to the section); the operators know the approved kick onsets (on the grid,
without the drummer's micro-timing) and favour playing with them. Candidates are scored by the
bass theory scores and by the ChromaticScorer hearing them with the section's approved chords
and drums.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from agents.phases.approved import (
    approved_drums,
    approved_sections,
    drums_under,
    kick_grid_onsets,
    section_bars,
    section_chords,
)
from agents.phases.common import weights_of
from agents.phases.critic import SHIPPED, Critic, phase_critic, score_cards
from agents.phases.sectioned import SectionSetup, run_sectioned_phase
from agents.plan import SongPlan
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.lazy import OnnxSettings
from generators.bass.genome import DEFAULT_REGISTER, BassEvent, BassGenome
from generators.bass.operators import BassOps
from generators.bass.styles import style_weights
from generators.bass.to_midi import describe, realise
from generators.harmony import Harmony
from music.gm import PART_PROGRAMS
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part
from scoring.bass import kick_hit_rate, score_bass, strong_beat_tone_rate
from scoring.composite import ScoreCard, Weights
from scoring.style.bass import bass_style
from scoring.style.profile import StyleProfile
from scoring.style.select import song_profile

PHASE = "bass"


def bass_to_data(genome: BassGenome) -> dict[str, Any]:
    """A JSON-ready dict: style and, per bar, ``[onset, duration, degree, octave, velocity]``."""
    return {
        "style": genome.style,
        "bars": [
            [[e.onset, e.duration, e.degree, e.octave, e.velocity] for e in bar]
            for bar in genome.bars
        ],
    }


def bass_from_data(data: Mapping[str, Any]) -> BassGenome:
    """Inverse of :func:`bass_to_data`. Raises ValueError naming the bad field."""
    try:
        bars = tuple(
            tuple(
                BassEvent(
                    onset=float(o), duration=float(d), degree=str(g), octave=int(x), velocity=int(v)
                )
                for o, d, g, x, v in bar
            )
            for bar in data["bars"]
        )
        return BassGenome(style=str(data["style"]), bars=bars)
    except KeyError as exc:
        raise ValueError(
            f"bass genome: missing field {exc.args[0]!r} -- needs style, bars"
        ) from None
    except TypeError as exc:
        raise ValueError(
            f"bass genome bars: {data.get('bars')!r} -- per bar a list of "
            f"[onset, duration, degree, octave, velocity] ({exc})"
        ) from None


@dataclass(frozen=True, slots=True)
class BassEvaluator:
    """Scores bass genomes of one section: root adherence, kick alignment, voice leading and
    range (``scoring.bass``) over the approved chords and kick, and the critic's match.

    The critic hears the line with the section's approved chords and drums (``underneath``):
    a bass line is heard as the floor of a harmony and the partner of a kick, and its color
    (a pedal that darkens the chords, a walking line that lifts them) exists only against
    them. The parts underneath are the same for every candidate of the population."""

    key: Key
    meter: Meter
    harmony: Harmony
    bars: int
    weights: Weights
    kicks: tuple[float, ...] = ()
    register: tuple[int, int] = DEFAULT_REGISTER
    underneath: tuple[Part, ...] = ()
    critic: Critic | None = None
    style: StyleProfile | None = None

    def notes(self, genome: BassGenome) -> tuple[Note, ...]:
        return realise(
            genome, self.harmony, self.key, self.meter, bars=self.bars, register=self.register
        )

    def part(self, genome: BassGenome) -> Part:
        return Part(name="bass", notes=self.notes(genome), program=PART_PROGRAMS["bass"])

    def with_onnx(self, onnx: OnnxSettings) -> BassEvaluator:
        """This evaluator, its critic's session opened with ``onnx`` (the executor's)."""
        if self.critic is None:
            return self
        return replace(self, critic=self.critic.with_onnx(onnx))

    def __call__(self, genomes: Sequence[BassGenome]) -> list[ScoreCard]:
        lines = [self.notes(g) for g in genomes]
        theories = [
            score_bass(
                notes,
                chords=self.harmony.chords,
                meter=self.meter,
                kicks=self.kicks,
                register=self.register,
                style=None
                if self.style is None
                else bass_style(
                    notes, self.harmony.chords, meter=self.meter, bars=self.bars, profile=self.style
                ),
            )
            for notes in lines
        ]
        parts = (
            [[Part(name="bass", notes=n, program=PART_PROGRAMS["bass"])] for n in lines]
            if self.critic is not None
            else []
        )
        return score_cards(
            theories, parts, critic=self.critic, weights=self.weights, underneath=self.underneath
        )

    def describe(self, genome: BassGenome) -> dict[str, Any]:
        """The generator's words plus how the line sits on the chords and the kick."""
        notes = self.notes(genome)
        out = dict(describe(genome, self.meter, notes))
        rate = strong_beat_tone_rate(notes, self.harmony.chords, self.meter)
        out["strong_beats_on_chord_tones"] = f"{round(100 * rate)}%"
        if self.kicks:
            hit = kick_hit_rate([n.start for n in notes], self.kicks)
            out["plays_with_kick"] = f"{round(100 * hit)}% of the kicks"
        return out


def run_bass_phase(
    *,
    proposal: Proposal,
    plan: SongPlan,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    critic: Critic | Literal["shipped"] | None = SHIPPED,
) -> dict[str, Any]:
    """Evolve a bass line for every section with approved chords, over those chords and the
    section's approved kick (when drums were approved for it); write candidates and review.yml."""
    scoring_critic = phase_critic(critic, proposal)
    weights = weights_of(proposal)
    meter, key = proposal.meter, proposal.key
    styles = tuple(style_weights(proposal.genres, proposal.mood).items())
    style = song_profile(
        "bass", genres=proposal.genres, mood=proposal.mood, bpm=proposal.bpm, meter=str(meter)
    )

    def setup(label: str) -> SectionSetup[BassGenome]:
        bars = section_bars(plan, label)
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars)
        drums = approved_drums(run, label)
        kicks = kick_grid_onsets(drums)
        underneath = (chords.part, *drums_under(drums))
        ops = BassOps(harmony=chords.harmony, meter=meter, bars=bars, kicks=kicks, styles=styles)
        evaluator = BassEvaluator(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            bars=bars,
            weights=weights,
            kicks=kicks,
            underneath=underneath,
            critic=scoring_critic,
            style=style,
        )
        return SectionSetup(
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(parts=(evaluator.part(g),), bpm=proposal.bpm, meter=meter),
            describe=evaluator.describe,
            to_data=bass_to_data,
            underneath=underneath,
        )

    return run_sectioned_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        sections=approved_sections(run, plan),
        setup=setup,
        executor=executor,
        on_generation=on_generation,
    )
