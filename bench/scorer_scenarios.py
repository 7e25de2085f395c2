"""Does the critic steer? Phase winners under settings that differ only in color or concept,
the match spread across a phase's population, what genre words do, and what hearing every bar
costs.

**What is measured.** One fixed-seed song (one 12-bar section, 4/4) runs its four phases with
the real generators and the shipped scorer, the best candidate of each phase approved under the
next. Every batch the critic scores is recorded; a phase's population is the last
``population_size`` distinct candidates it scored for the section (its final generations), with
the parts approved underneath. Those fixed populations are then re-scored by the critic under
each setting of :data:`training.scorer.probes.COLOR_PAIRS` and ``CONCEPT_PAIRS``; the "winner"
is the candidate with the highest chromatic match (theory scores do not change between
settings, so this is the part of the pick the critic decides). ``spread`` is the max - min
match across the population (its minimum and median over the 20 settings). The chords phase
evolves a 4-bar progression (looped over the section), so hearing every bar cannot change its
figures; its "after" differs from "before" only by the words.

``before`` scores the same candidates as the critic did before it heard every bar and the
proposal's words: only the first window (8 bars) of each candidate and of the parts underneath,
and the concept alone. ``after`` is the current critic: every bar, concept and words.

Run: ``python -m bench.scorer_scenarios``; writes ``bench/results/scorer_scenarios.json``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result
from evolution.fitness.chromatic import SongChromaticScorer
from music.meter import Meter
from music.notes import Part
from scoring.composite import ChromaticScore
from scoring.section_windows import slice_parts, window_qn
from scoring.text_encoder import proposal_words
from training.scorer.probes import (
    COLOR_PAIRS,
    CONCEPT_PAIRS,
    DENSE_WORDS,
    SPARSE_WORDS,
    Setting,
)

PHASES = ("chords", "drums", "bass", "melody")
POPULATION = 24
PROPOSAL: dict[str, Any] = {
    "title": "Scenario Bench",
    "concept": COLOR_PAIRS[0][0].concept,
    "color": "Indigo",
    "key": "A minor",
    "bpm": 84,
    "time_signature": "4/4",
    "mood": ["patient", "dark"],
    "genres": ["folk"],
    "sections": [{"name": "verse", "bars": 12}],
    "evolution": {"population_size": POPULATION, "generations": 3, "top_n": 4},
    "seed": 11,
}

#: The bench song's words, heard with every setting's concept in ``after`` (both settings of a
#: pair share them, so a pair still differs in color or concept alone).
WORDS = proposal_words(genres=PROPOSAL["genres"], mood=PROPOSAL["mood"])

#: Every batch the critic scored during the run: (phase, candidates' parts, parts underneath).
_SEEN: list[tuple[str, list[tuple[Part, ...]], tuple[Part, ...]]] = []
_PHASE: list[str] = ["chords"]


@dataclass(frozen=True, slots=True)
class _Recording(SongChromaticScorer):
    """The song's scorer, keeping every batch it is asked to score (for this bench only)."""

    def chromatic(
        self, candidates: Sequence[Sequence[Part]], *, underneath: Sequence[Part] = ()
    ) -> list[ChromaticScore]:
        _SEEN.append((_PHASE[0], [tuple(c) for c in candidates], tuple(underneath)))
        return SongChromaticScorer.chromatic(self, candidates, underneath=underneath)


Population = tuple[list[tuple[Part, ...]], tuple[Part, ...]]


def populations() -> dict[str, Population]:
    """Run the fixed-seed song and collect each phase's final population and backdrop."""
    from agents.form import make_form
    from agents.phases.bass import run_bass_phase
    from agents.phases.chords import run_chords_phase
    from agents.phases.common import promote
    from agents.phases.drums import run_drums_phase
    from agents.phases.melody import run_melody_phase
    from agents.proposal import proposal_from_dict
    from agents.rundir import RunDir

    proposal = proposal_from_dict(PROPOSAL)
    sections = [(s["name"], s["bars"]) for s in PROPOSAL["sections"]]
    form = make_form(sections=sections, meter=proposal.meter, bpm=proposal.bpm)
    scorer = _Recording(
        concept=proposal.concept,
        color=proposal.color,
        bpm=proposal.bpm,
        meter=proposal.meter,
        words=WORDS,
    )
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir(Path(tmp) / "song")
        _PHASE[0] = "chords"
        state = run_chords_phase(proposal=proposal, form=form, run=run, chromatic_scorer=scorer)
        promote(run=run, phase="chords", approvals={n: state["candidates"][0] for n, _ in sections})
        for phase, run_phase in (
            ("drums", run_drums_phase),
            ("bass", run_bass_phase),
            ("melody", run_melody_phase),
        ):
            _PHASE[0] = phase
            state = run_phase(proposal=proposal, form=form, run=run, chromatic_scorer=scorer)
            promote(run=run, phase=phase, approvals={k: v[0] for k, v in state["sections"].items()})
    out: dict[str, Population] = {}
    for phase in PHASES:
        batches = [(c, u) for p, c, u in _SEEN if p == phase]
        under = batches[-1][1]
        found: dict[tuple[Part, ...], None] = {}
        for cands, u in reversed(batches):
            if u != under:
                break
            for c in reversed(cands):
                found.setdefault(c, None)
            if len(found) >= POPULATION:
                break
        out[phase] = (list(found)[:POPULATION], under)
    return out


def _first_window(parts: Sequence[Part], meter: Meter) -> tuple[Part, ...]:
    return slice_parts(parts, 0.0, window_qn(meter))


def matches(pop: Population, setting: Setting, *, before: bool) -> np.ndarray:
    """The critic's match for each candidate of ``pop`` under ``setting``."""
    meter = Meter.parse(PROPOSAL["time_signature"])
    cands, under = pop
    if before:
        cands = [_first_window(c, meter) for c in cands]
        under = _first_window(under, meter)
    scorer = SongChromaticScorer(
        concept=setting.concept,
        color=setting.color,
        bpm=float(PROPOSAL["bpm"]),
        meter=meter,
        words="" if before else setting.words or WORDS,
    )
    return np.array([s.match for s in scorer.chromatic(cands, underneath=under)])


def _density(parts: Sequence[Part]) -> float:
    return float(sum(len(p.notes) for p in parts))


def phase_figures(pop: Population, *, before: bool) -> dict[str, Any]:
    changes = {}
    spreads: list[float] = []
    for name, pairs in (("color", COLOR_PAIRS), ("concept", CONCEPT_PAIRS)):
        changed = 0
        for a, b in pairs:
            ma, mb = matches(pop, a, before=before), matches(pop, b, before=before)
            spreads += [float(np.ptp(ma)), float(np.ptp(mb))]
            changed += int(np.argmax(ma) != np.argmax(mb))
        changes[f"{name}_winner_changes_of_10"] = changed
    base = COLOR_PAIRS[0][0]
    dens = np.array([_density(c) for c in pop[0]])
    words = {}
    for label, w in (("sparse_words", SPARSE_WORDS), ("dense_words", DENSE_WORDS)):
        m = matches(pop, Setting(base.concept, base.color, w), before=before)
        top = np.argsort(-m, kind="stable")[:5]
        words[f"{label}_top5_mean_notes"] = round(float(dens[top].mean()), 1)
    return {
        **changes,
        "spread_min": round(min(spreads), 4),
        "spread_median": round(statistics.median(spreads), 4),
        **words,
    }


def cost() -> dict[str, float]:
    """Milliseconds to score 64 chord candidates of 8, 16 and 32 bars (1, 2, 4 windows)."""
    from training.scorer.probes import SCENARIOS, chord_population

    sc = SCENARIOS[0]
    base = chord_population(
        key=sc.key, meter=sc.meter, bpm=sc.bpm, size=64, rng=np.random.default_rng(0)
    )
    meter = Meter.parse(sc.meter)
    scorer = SongChromaticScorer(concept=sc.concept, color=sc.color, bpm=sc.bpm, meter=meter)
    out = {}
    for bars in (8, 16, 32):
        cands = [_tiled(c.parts, bars // 4) for c in base]
        scorer.chromatic(cands[:2])  # warm: model and concept loaded
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            scorer.chromatic(cands)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{bars}_bars_ms"] = round(statistics.median(times), 1)
    return out


def _tiled(parts: Sequence[Part], copies: int) -> tuple[Part, ...]:
    from dataclasses import replace

    from music.notes import Note

    return tuple(
        replace(
            p,
            notes=tuple(
                Note(n.start + k * 16.0, n.end + k * 16.0, n.pitch, n.velocity)
                for k in range(copies)
                for n in p.notes
            ),
        )
        for p in parts
    )


def main() -> dict[str, Any]:
    pops = populations()
    result: dict[str, Any] = {"population": {p: len(pops[p][0]) for p in PHASES}}
    for mode in ("before", "after"):
        result[mode] = {p: phase_figures(pops[p], before=mode == "before") for p in PHASES}
    result["cost_64_candidates"] = cost()
    path = write_result("scorer_scenarios", result)
    for mode in ("before", "after"):
        for phase, figs in result[mode].items():
            print(mode, phase, figs)
    print("cost", result["cost_64_candidates"])
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
