"""The one contract every phase runs through: evolve its populations, write the candidates
(MIDI, genome JSON, preview), ``review.yml`` and ``evolution.json``, and return the phase state.
review.yml's header says per section whether the scores tell the candidates apart
(:mod:`agents.phases.ranking`).

A phase is one or more :class:`Population` objects. The chords phase evolves one population
whose candidates get their section label at the gate (``chord_NNN``); drums, bass and melody
evolve one population per section with approved chords, built on what was approved before
(``<section>_NNN``, one review.yml). What differs between phases is data each population
carries, never a switch in the runner.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from agents.phases.audio_emotion import AUDIO_ESTIMATES_PER_SECTION, audio_emotion
from agents.phases.common import (
    evolution_config,
    phase_rng,
    review_header,
    scores_entry,
    write_history,
)
from agents.phases.preview_writer import ON_DEMAND, PreviewWriter
from agents.phases.ranking import ranking_summary
from agents.proposal import Proposal
from agents.review import build_review, write_review
from agents.rundir import RunDir
from evolution.engine import EvolutionResult, GenerationStats, evolve
from evolution.executor import Executor, LocalExecutor
from evolution.operators import GenomeOps
from music.files import write_text_atomic
from music.midi_io import Song, write_midi
from music.notes import Part
from scoring.composite import ScoreCard

#: The collector's youngest-generation threshold while a phase runs (Python's default is 700).
PHASE_GC_THRESHOLD: Final = 10_000


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """While a phase runs, leave what was alive before it (modules, models, the scorer:
    hundreds of thousands of objects) out of the cyclic garbage collector's full passes, which
    otherwise walk all of it again, a tenth of a second each, for the short-lived genomes and
    notes a phase makes; handed back to the oldest generation when the phase ends. The young
    generation is collected every :data:`PHASE_GC_THRESHOLD` allocations instead of 700, so
    the hits, notes and genomes a phase makes by the hundred thousand, most freed by reference
    counting within a generation, are not walked again and again, nor carried into the older
    generations' passes. Nothing a phase computes changes: objects are still freed by reference
    counting, and cycles made during the phase are still collected. A caller that froze the
    heap itself keeps it, and its thresholds, so."""
    if gc.get_freeze_count():
        yield
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], PHASE_GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


G = TypeVar("G")


@dataclass(frozen=True)
class Population(Generic[G]):
    """Everything one population's evolution and its candidate files need.

    ``section`` is the section label the population is evolved for (its random numbers, its
    previews' backing, the ``section`` of its review entries and candidate files), or None for
    a population whose candidates are labelled at the gate (chords). Candidate ids are
    ``<prefix>_NNN`` in rank order. ``to_song`` renders a genome as the candidate MIDI (the part
    alone); ``describe`` says in words what a musician hears; ``to_data`` saves the genome as
    JSON (the part's ``generators`` module); ``saved`` are the fields the candidate's JSON
    records beside its section and genome; ``underneath`` are the parts approved before this
    phase for the section, heard under each candidate in its preview."""

    prefix: str
    section: str | None
    ops: GenomeOps[G]
    evaluate: Callable[[Sequence[G]], Sequence[ScoreCard]]
    to_song: Callable[[G], Song]
    describe: Callable[[G], dict[str, Any]]
    to_data: Callable[[G], Any]
    seeds: Sequence[G] = field(default_factory=tuple)
    underneath: Sequence[Part] = field(default_factory=tuple)
    saved: Mapping[str, Any] = field(default_factory=dict)

    def candidate_data(self, genome: G) -> dict[str, Any]:
        """What ``<phase>/candidates/<id>.json`` holds for ``genome``."""
        named = {} if self.section is None else {"section": self.section}
        return {**named, **self.saved, "genome": self.to_data(genome)}


def generate_phase(
    *,
    phase: str,
    proposal: Proposal,
    run: RunDir,
    populations: Iterable[Population[Any]],
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    header_extra: Mapping[str, Any] | None = None,
    previews_now: bool = True,
) -> dict[str, Any]:
    """Evolve each population, write its candidates, then evolution.json and review.yml.

    ``populations`` is consumed one at a time: each is built after the one before it has been
    evolved and its candidates written (the melody of a section starts where the previous
    section's best ended). Returns the phase state: review path, candidate ids in rank order,
    and, for populations evolved per section, the ids per section. ``previews_now=False``
    (nobody listens at the gate): review.yml names each preview's path as always, but none is
    written (the gate writes the approved ones; the others are written on demand)."""
    with long_lived_frozen():
        config = evolution_config(proposal)
        results: dict[str, EvolutionResult[Any, ScoreCard]] = {}
        entries: list[dict[str, Any]] = []
        ids: list[str] = []
        by_section: dict[str, list[str]] = {}
        previews = PreviewWriter(run=run, phase=phase, deferred=not previews_now)
        for population in populations:
            section = population.section or ""
            result = evolve(
                ops=population.ops,
                evaluate=population.evaluate,
                fitness=lambda card: card.fitness,
                config=config,
                rng=phase_rng(proposal.seed, phase, section),
                seeds=population.seeds,
                executor=executor or LocalExecutor(),
                on_generation=on_generation,
            )
            results[section] = result
            written = _write_candidates(
                phase=phase, run=run, population=population, result=result, previews=previews
            )
            entries += written
            ids += [entry["id"] for entry in written]
            if population.section is not None:
                by_section[population.section] = [entry["id"] for entry in written]
        extra = {"ranking": ranking_summary(results), **(header_extra or {})}
        if not previews_now:
            extra["previews"] = ON_DEMAND
        header = review_header(
            phase=phase, proposal=proposal, config=config, results=results, extra=extra
        )
        write_review(run.review(phase), build_review(header=header, candidates=entries))
        write_history(run=run, phase=phase, results=results)
        state: dict[str, Any] = {"review": run.relative(run.review(phase)), "candidates": ids}
        if by_section:
            state["sections"] = by_section
        state["status"] = "review"
        state["previews"] = previews.summary()
        return state


def _write_candidates(
    *,
    phase: str,
    run: RunDir,
    population: Population[Any],
    result: EvolutionResult[Any, ScoreCard],
    previews: PreviewWriter,
) -> list[dict[str, Any]]:
    """Write each top candidate's MIDI, genome JSON and preview; return its review entries."""
    section = population.section
    entries = []
    for rank, scored in enumerate(result.top, start=1):
        cid = f"{population.prefix}_{rank:03d}"
        song = population.to_song(scored.genome)
        write_midi(song, run.candidate_midi(phase, cid))
        data = population.candidate_data(scored.genome)
        write_text_atomic(run.candidate_data(phase, cid), json.dumps(data) + "\n")
        preview = previews.write(
            candidate_id=cid,
            candidate=song,
            underneath=population.underneath,
            section=section or "",
        )
        scores = scores_entry(scored.score)
        heard = scored.score.emotion
        written = preview is not None and run.preview(phase, cid).is_file()
        if heard is not None and written and rank <= AUDIO_ESTIMATES_PER_SECTION:
            # an auto-approved run writes previews at the gate, only the approved ones
            scores["emotion"]["audio"] = audio_emotion(run.preview(phase, cid), heard.target)
        entries.append(
            {
                "id": cid,
                **({} if section is None else {"section": section}),
                "midi_file": run.relative(run.candidate_midi(phase, cid)),
                "preview": preview,
                "rank": rank,
                "scores": scores,
                "description": population.describe(scored.genome),
            }
        )
    return entries
