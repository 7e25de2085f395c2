"""The chords phase: evolve progressions with the learned transition model and the theory
scores, write the best as MIDI candidates and a review.yml, and promote approved ones."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from agents.errors import RunStateError
from agents.fileio import write_text_atomic
from agents.phases.common import (
    evolution_config,
    phase_rng,
    promote,
    review_header,
    scores_entry,
    weights_of,
    write_history,
)
from agents.phases.critic import SHIPPED, Critic, phase_critic, score_cards
from agents.phases.previews import PreviewWriter
from agents.plan import SongPlan
from agents.proposal import Proposal
from agents.review import build_review, write_review
from agents.rundir import RunDir
from evolution.engine import EvolutionConfig, EvolutionResult, GenerationStats, evolve
from evolution.executor import Executor, LocalExecutor
from evolution.lazy import OnnxSettings
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import (
    ChordGenome,
    describe,
    flatten,
    genome_from_data,
    genome_to_data,
    tokens,
    workhorse_genomes,
)
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part, voice_chords
from music.gm import PART_PROGRAMS
from music.midi_io import Song, write_midi
from scoring.chords import SoundedChord, score_progression
from scoring.composite import ScoreCard, TheoryScores, Weights
from scoring.style.chords import chord_style
from scoring.style.profile import StyleProfile
from scoring.style.select import song_profile

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


@dataclass(frozen=True, slots=True)
class ChordEvaluator:
    """Scores chord genomes: voicing, theory components, the model's likelihood, and, with a
    critic, the ChromaticScorer's match of the voiced progression; then the composite."""

    ops: ChordOps
    weights: Weights
    critic: Critic | None = None
    style: StyleProfile | None = None

    def sounded(self, genome: ChordGenome) -> list[SoundedChord]:
        genes = flatten(genome)
        voicings = voice_chords(genes, self.ops.key)
        return [
            SoundedChord(
                token=g.token,
                pitch_classes=g.roman.in_key(self.ops.key).pitch_classes(),
                voicing=v.pitches,
                beats=g.beats,
            )
            for g, v in zip(genes, voicings, strict=True)
        ]

    def theory(self, genome: ChordGenome) -> TheoryScores:
        like = self.ops.model.normalized_likelihood(list(tokens(genome)), self.ops.key.family)
        sounded = self.sounded(genome)
        style = None
        if self.style is not None:
            style = chord_style(
                sounded, key=self.ops.key, bar_qn=self.ops.meter.bar_qn, profile=self.style
            )
        return score_progression(
            sounded, key=self.ops.key, bars=self.ops.bars, likelihood=like, style=style
        )

    def with_onnx(self, onnx: OnnxSettings) -> ChordEvaluator:
        """This evaluator, its critic's session opened with ``onnx`` (the executor's)."""
        if self.critic is None:
            return self
        return replace(self, critic=self.critic.with_onnx(onnx))

    def __call__(self, genomes: Sequence[ChordGenome]) -> list[ScoreCard]:
        theories = [self.theory(g) for g in genomes]
        parts = (
            [[chords_part(g, self.ops.key, program=PART_PROGRAMS["chords"])] for g in genomes]
            if self.critic is not None
            else []
        )
        return score_cards(theories, parts, critic=self.critic, weights=self.weights)


def run_chords_phase(
    *,
    proposal: Proposal,
    plan: SongPlan,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    critic: Critic | Literal["shipped"] | None = SHIPPED,
) -> dict[str, Any]:
    """Evolve, write ``chords/candidates/*.mid``, ``evolution.json`` and ``review.yml``.
    Returns the phase's state: the review path and the candidate ids in rank order."""
    model = ChordTransitionModel.load().with_blend(source_blend(proposal.genres, proposal.mood))
    ops = ChordOps(key=proposal.key, meter=proposal.meter, bars=plan.phrase_bars, model=model)
    evaluator = ChordEvaluator(
        ops=ops,
        weights=weights_of(proposal),
        critic=phase_critic(critic, proposal),
        style=song_profile(
            "chords",
            genres=proposal.genres,
            mood=proposal.mood,
            bpm=proposal.bpm,
            meter=str(proposal.meter),
        ),
    )
    config = evolution_config(proposal)
    result: EvolutionResult[ChordGenome, ScoreCard] = evolve(
        ops=ops,
        evaluate=evaluator,
        fitness=lambda card: card.composite,
        config=config,
        rng=phase_rng(proposal.seed, PHASE),
        seeds=workhorse_genomes(proposal.key, proposal.meter, plan.phrase_bars),
        executor=executor or LocalExecutor(),
        on_generation=on_generation,
    )
    previews = PreviewWriter(run=run, phase=PHASE)
    ids, heard = _write_candidates(
        proposal=proposal, plan=plan, run=run, result=result, previews=previews
    )
    _write_review(proposal=proposal, run=run, result=result, ids=ids, config=config, heard=heard)
    write_history(run=run, phase=PHASE, results={"": result})
    return {
        "review": run.relative(run.review(PHASE)),
        "candidates": ids,
        "status": "review",
        "previews": previews.summary(),
    }


def _write_candidates(
    *,
    proposal: Proposal,
    plan: SongPlan,
    run: RunDir,
    result: EvolutionResult[ChordGenome, ScoreCard],
    previews: PreviewWriter,
) -> tuple[list[str], dict[str, str | None]]:
    """Write each top candidate's MIDI, genome JSON and preview (chords alone: nothing is
    approved under them yet). Returns the ids and each id's preview path (or None)."""
    ids = []
    heard: dict[str, str | None] = {}
    for rank, scored in enumerate(result.top, start=1):
        cid = f"chord_{rank:03d}"
        part = chords_part(scored.genome, proposal.key, program=PART_PROGRAMS["chords"])
        song = Song(parts=(part,), bpm=proposal.bpm, meter=proposal.meter)
        write_midi(song, run.candidate_midi(PHASE, cid))
        data = {
            "key": proposal.key.name,
            "meter": str(proposal.meter),
            "genome": genome_to_data(scored.genome),
        }
        write_text_atomic(run.candidate_data(PHASE, cid), json.dumps(data) + "\n")
        heard[cid] = previews.write(candidate_id=cid, candidate=song)
        ids.append(cid)
    return ids, heard


def _write_review(
    *,
    proposal: Proposal,
    run: RunDir,
    result: EvolutionResult[ChordGenome, ScoreCard],
    ids: list[str],
    config: EvolutionConfig,
    heard: dict[str, str | None],
) -> None:
    header = review_header(phase=PHASE, proposal=proposal, config=config, results={"": result})
    entries = []
    for rank, (cid, scored) in enumerate(zip(ids, result.top, strict=True), start=1):
        entries.append(
            {
                "id": cid,
                "midi_file": run.relative(run.candidate_midi(PHASE, cid)),
                "preview": heard.get(cid),
                "rank": rank,
                "scores": scores_entry(scored.score),
                "description": describe(scored.genome, proposal.key),
            }
        )
    write_review(run.review(PHASE), build_review(header=header, candidates=entries))


def promote_chords(*, run: RunDir, approvals: dict[str, str]) -> dict[str, str]:
    """Copy approved candidates to ``chords/approved/<label>.mid`` (track named after the label)."""
    return promote(run=run, phase=PHASE, approvals=approvals)


def approved_progression(run: RunDir, label: str) -> ChordGenome:
    """The approved chord genome of a section, as later phases build on it."""
    path = run.approved_data(PHASE, label)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return genome_from_data(data["genome"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunStateError(
            f"{path}: approved chords for {label!r} are unreadable ({exc})"
        ) from exc
