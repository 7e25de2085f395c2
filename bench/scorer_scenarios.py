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

The same figures for :data:`training.scorer.probes.HELD_OUT_COLOR_PAIRS` and
``HELD_OUT_CONCEPT_PAIRS`` (``held_out_*``): pairs never used to choose anything in the
scorer, only to check it; and for ``FRESH_COLOR_PAIRS`` and ``FRESH_CONCEPT_PAIRS``
(``fresh_*``), written after the held-out pairs had been read in many trials.
``diagnosis`` (the critic after) says why a concept moves the winner or not: how alike the
population's rankings are under different concepts with the song's words and with the concept
alone, the concept pairs' winner changes without the words, and how much of the population's
embedding variance lies along one direction.

The drums phase hands the critic its candidates as one note table
(:meth:`SongChromaticScorer.chromatic_table`); the bench records them as the parts the table
holds (:func:`table_parts`), which the critic scores identically.

``before`` scores the same candidates as the critic did before it heard every bar and the
proposal's words: only the first window (8 bars) of each candidate and of the parts underneath,
and the concept alone. ``after`` is the current critic: every bar, concept and words.

Run: ``python -m bench.scorer_scenarios``; writes ``bench/results/scorer_scenarios.json``.
``--model PATH`` measures another exported model (a candidate critic) instead of the shipped
one, and writes ``scorer_scenarios_<its folder's name>.json``. Its populations are evolved
with it, so two critics are compared on different populations (each steers its own run);
``--shipped-populations`` evolves them with the shipped critic and only scores them with
``--model``, so both critics are compared on the same candidates. ``--seed N`` runs the song
with another seed (other populations; one song's 24 candidates per phase make the counts
noisy, so compare critics over several seeds), and names the results file with it.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from bench.common import write_result
from evolution.fitness.chromatic import SongChromaticScorer
from music.meter import Meter
from music.notes import Note, Part
from scoring.chromatic import BatchScores
from scoring.colors import COLOR_NAMES
from scoring.composite import ChromaticScore
from scoring.note_arrays import NoteTable
from scoring.section_windows import slice_parts, window_qn
from scoring.text_encoder import proposal_words
from training.scorer.probes import (
    COLOR_PAIRS,
    CONCEPT_PAIRS,
    DENSE_WORDS,
    FRESH_COLOR_PAIRS,
    FRESH_CONCEPT_PAIRS,
    HELD_OUT_COLOR_PAIRS,
    HELD_OUT_CONCEPT_PAIRS,
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
#: The exported model under test (None: the shipped one), set once by :func:`main`.
_MODEL: list[str | None] = [None]


@dataclass(frozen=True, slots=True)
class _Recording(SongChromaticScorer):
    """The song's scorer, keeping every batch it is asked to score (for this bench only)."""

    def chromatic(
        self,
        candidates: Sequence[Sequence[Part]],
        *,
        underneath: Sequence[Part] = (),
        kind: str | None = None,
    ) -> list[ChromaticScore]:
        _SEEN.append((_PHASE[0], [tuple(c) for c in candidates], tuple(underneath)))
        return SongChromaticScorer.chromatic(self, candidates, underneath=underneath, kind=kind)

    def chromatic_table(
        self, table: NoteTable, *, underneath: Sequence[Part] = (), kind: str | None = None
    ) -> list[ChromaticScore]:
        _SEEN.append((_PHASE[0], table_parts(table), tuple(underneath)))
        return SongChromaticScorer.chromatic_table(self, table, underneath=underneath, kind=kind)


def table_parts(table: NoteTable) -> list[tuple[Part, ...]]:
    """The candidates of ``table`` as parts (the scorer hears them as it hears the table)."""
    out: list[tuple[Part, ...]] = []
    for c in range(table.candidates):
        parts = []
        for p in np.flatnonzero(table.part_candidate == c):
            rows = np.flatnonzero(table.part == p)
            drum = bool(table.part_drum[p])
            notes = tuple(
                Note(
                    float(table.start[r]),
                    float(table.end[r]),
                    int(table.pitch[r]),
                    int(table.velocity[r]),
                )
                for r in rows
            )
            parts.append(Part("drums" if drum else f"part{p}", notes, is_drum=drum))
        out.append(tuple(parts))
    return out


#: A phase's candidates, the parts approved under them, and the kind of part they are.
Population = tuple[list[tuple[Part, ...]], tuple[Part, ...], str]


def populations(
    seed: int = PROPOSAL["seed"], size: int = POPULATION, generations: int = 3
) -> dict[str, Population]:
    """Run the song with ``seed`` (populations of ``size`` over ``generations``) and collect
    each phase's final population and backdrop."""
    from agents.form import make_form
    from agents.phases.bass import run_bass_phase
    from agents.phases.chords import run_chords_phase
    from agents.phases.common import promote
    from agents.phases.drums import run_drums_phase
    from agents.phases.melody import run_melody_phase
    from agents.proposal import proposal_from_dict
    from agents.rundir import RunDir

    evolution = {**PROPOSAL["evolution"], "population_size": size, "generations": generations}
    proposal = proposal_from_dict({**PROPOSAL, "seed": seed, "evolution": evolution})
    sections = [(s["name"], s["bars"]) for s in PROPOSAL["sections"]]
    form = make_form(sections=sections, meter=proposal.meter, bpm=proposal.bpm)
    scorer = _Recording(
        concept=proposal.concept,
        color=proposal.color,
        bpm=proposal.bpm,
        meter=proposal.meter,
        words=WORDS,
        model=_MODEL[0],
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
            if len(found) >= size:
                break
        out[phase] = (list(found)[:size], under, phase)
    return out


def _first_window(parts: Sequence[Part], meter: Meter) -> tuple[Part, ...]:
    return slice_parts(parts, 0.0, window_qn(meter))


def _song_scorer(setting: Setting, *, before: bool, words: str | None) -> SongChromaticScorer:
    """The song's critic under ``setting``: before, the concept alone; after, with the
    setting's words, the song's when it has none, or ``words`` when given."""
    if words is None:
        words = "" if before else setting.words or WORDS
    return SongChromaticScorer(
        concept=setting.concept,
        color=setting.color,
        bpm=float(PROPOSAL["bpm"]),
        meter=Meter.parse(PROPOSAL["time_signature"]),
        words=words,
        model=_MODEL[0],
    )


def _heard(pop: Population, *, before: bool) -> Population:
    if not before:
        return pop
    meter = Meter.parse(PROPOSAL["time_signature"])
    return [_first_window(c, meter) for c in pop[0]], _first_window(pop[1], meter), pop[2]


def matches(
    pop: Population, setting: Setting, *, before: bool, words: str | None = None
) -> np.ndarray:
    """The critic's match for each candidate of ``pop`` under ``setting``."""
    cands, under, kind = _heard(pop, before=before)
    scorer = _song_scorer(setting, before=before, words=words)
    return np.array([s.match for s in scorer.chromatic(cands, underneath=under, kind=kind)])


def analysed(pop: Population, setting: Setting, *, words: str | None = None) -> BatchScores:
    """Every number the critic (after) computes for ``pop`` under ``setting``."""
    scorer = _song_scorer(setting, before=False, words=words)
    inner = scorer.scorer.get()
    seen: list[BatchScores] = []
    plain = inner.analyse_windows

    def keep(*args: Any, **kwargs: Any) -> BatchScores:
        seen.append(plain(*args, **kwargs))
        return seen[-1]

    inner.analyse_windows = keep  # type: ignore[method-assign]
    try:
        scorer.chromatic(pop[0], underneath=pop[1], kind=pop[2])
    finally:
        del inner.analyse_windows
    return seen[-1]


def _density(parts: Sequence[Part]) -> float:
    return float(sum(len(p.notes) for p in parts))


Pairs = Sequence[tuple[Setting, Setting]]


def winner_changes(
    pop: Population, pairs: Pairs, *, before: bool, words: str | None = None
) -> tuple[int, list[float]]:
    """How many of ``pairs`` change the winner, and the spread of match under each setting."""
    changed = 0
    spreads: list[float] = []
    for a, b in pairs:
        ma = matches(pop, a, before=before, words=words)
        mb = matches(pop, b, before=before, words=words)
        spreads += [float(np.ptp(ma)), float(np.ptp(mb))]
        changed += int(np.argmax(ma) != np.argmax(mb))
    return changed, spreads


def phase_figures(pop: Population, *, before: bool) -> dict[str, Any]:
    changes = {}
    spreads: list[float] = []
    for name, pairs in (("color", COLOR_PAIRS), ("concept", CONCEPT_PAIRS)):
        changed, spread = winner_changes(pop, pairs, before=before)
        spreads += spread
        changes[f"{name}_winner_changes_of_10"] = changed
    held_spreads: dict[str, list[float]] = {"held_out": [], "fresh": []}
    for name, pairs, group in (
        ("color", HELD_OUT_COLOR_PAIRS, "held_out"),
        ("concept", HELD_OUT_CONCEPT_PAIRS, "held_out"),
        ("color", FRESH_COLOR_PAIRS, "fresh"),
        ("concept", FRESH_CONCEPT_PAIRS, "fresh"),
    ):
        changed, spread = winner_changes(pop, pairs, before=before)
        held_spreads[group] += spread
        changes[f"{group}_{name}_winner_changes_of_10"] = changed
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
        "held_out_spread_median": round(statistics.median(held_spreads["held_out"]), 4),
        "fresh_spread_median": round(statistics.median(held_spreads["fresh"]), 4),
        **words,
    }


def _mean_correlation(rows: np.ndarray) -> float:
    """Mean Pearson correlation between distinct rows (each a ranking's scores)."""
    corr = np.corrcoef(rows)
    return float(corr[~np.eye(len(corr), dtype=bool)].mean())


def diagnosis(pop: Population) -> dict[str, Any]:
    """Why a concept moves the winner or not (the critic after): how alike the rankings of
    the population by ``concept_z`` are under the ten concepts of ``CONCEPT_PAIRS``, with the
    song's words and with the concept alone; the concept-only pairs' winner changes without
    the words (bench and held-out pairs); the share of the population's embedding variance
    along its first principal direction; and the spread (std across candidates) of
    ``concept_z`` and ``color_z``."""
    concepts = sorted({s.concept for pair in CONCEPT_PAIRS for s in pair})
    base = COLOR_PAIRS[0][0]
    with_words = [analysed(pop, Setting(c, base.color)) for c in concepts]
    alone = np.array([analysed(pop, Setting(c, base.color), words="").concept_z for c in concepts])
    colors = [analysed(pop, Setting(base.concept, c)).color_z for c in COLOR_NAMES[:7]]
    emb = with_words[0].embedding.astype(np.float64)
    power = np.linalg.svd(emb - emb.mean(0), compute_uv=False) ** 2
    return {
        "concept_rank_correlation_with_words": round(
            _mean_correlation(np.array([s.concept_z for s in with_words])), 2
        ),
        "concept_rank_correlation_concept_alone": round(_mean_correlation(alone), 2),
        "concept_winner_changes_without_words": winner_changes(
            pop, CONCEPT_PAIRS, before=False, words=""
        )[0],
        "held_out_concept_winner_changes_without_words": winner_changes(
            pop, HELD_OUT_CONCEPT_PAIRS, before=False, words=""
        )[0],
        "embedding_first_direction_share": round(float(power[0] / power.sum()), 2),
        "concept_z_std": round(float(np.mean([s.concept_z.std() for s in with_words])), 3),
        "color_z_std": round(float(np.mean([c.std() for c in colors])), 3),
    }


def cost() -> dict[str, float]:
    """Milliseconds to score 64 chord candidates of 8, 16 and 32 bars (1, 2, 4 windows)."""
    from training.scorer.probes import SCENARIOS, chord_population

    sc = SCENARIOS[0]
    base = chord_population(
        key=sc.key, meter=sc.meter, bpm=sc.bpm, size=64, rng=np.random.default_rng(0)
    )
    meter = Meter.parse(sc.meter)
    scorer = SongChromaticScorer(
        concept=sc.concept, color=sc.color, bpm=sc.bpm, meter=meter, model=_MODEL[0]
    )
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


def main(
    model: Path | None = None,
    *,
    shipped_populations: bool = False,
    seed: int = PROPOSAL["seed"],
    size: int = POPULATION,
    generations: int = 3,
) -> dict[str, Any]:
    _MODEL[0] = None if shipped_populations or model is None else str(model)
    pops = populations(seed, size, generations)
    _MODEL[0] = None if model is None else str(model)
    result: dict[str, Any] = {"population": {p: len(pops[p][0]) for p in PHASES}}
    for mode in ("before", "after"):
        result[mode] = {p: phase_figures(pops[p], before=mode == "before") for p in PHASES}
    result["diagnosis"] = {p: diagnosis(pops[p]) for p in PHASES}
    result["cost_64_candidates"] = cost()
    stem = "scorer_scenarios" if model is None else f"scorer_scenarios_{Path(model).parent.name}"
    if shipped_populations and model is not None:
        stem += "_on_shipped_populations"
    if (size, generations) != (POPULATION, 3):
        stem += f"_{size}x{generations}"
    name = stem if seed == PROPOSAL["seed"] else f"{stem}_seed{seed}"
    result["stem"] = stem
    result["seed"] = seed
    result["evolution"] = {"population_size": size, "generations": generations}
    result["model"] = _MODEL[0] or "shipped"
    result["populations_from"] = "shipped" if shipped_populations else result["model"]
    path = write_result(name, result)
    for mode in ("before", "after"):
        for phase, figs in result[mode].items():
            print(mode, phase, figs)
    for phase, figs in result["diagnosis"].items():
        print("diagnosis", phase, figs)
    print("cost", result["cost_64_candidates"])
    print(f"wrote {path}")
    return result


#: The pair sets whose winner changes :func:`summed` adds up, and their result-key prefixes.
PAIR_SETS: Final = (("bench", ""), ("held_out", "held_out_"), ("fresh", "fresh_"))


def summed(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The "after" winner changes of several seeds' results (:func:`main`'s, of one model and
    population size) summed per phase and pair set (of ``10 * len(runs)``), and the median of
    their median spreads; printed, and written beside the per-seed files."""
    table: dict[str, Any] = {}
    for phase in PHASES:
        rows = [r["after"][phase] for r in runs]
        cells = {
            f"{name}_{kind}_changes": sum(r[f"{pre}{kind}_winner_changes_of_10"] for r in rows)
            for name, pre in PAIR_SETS
            for kind in ("color", "concept")
        }
        spread = statistics.median(r["spread_median"] for r in rows)
        table[phase] = {**cells, "spread_median": round(spread, 4)}
        print(
            f"seeds {phase:7s} color {cells['bench_color_changes']} / "
            f"{cells['held_out_color_changes']} / {cells['fresh_color_changes']}  concept "
            f"{cells['bench_concept_changes']} / {cells['held_out_concept_changes']} / "
            f"{cells['fresh_concept_changes']} (of {10 * len(runs)}; bench / held-out / fresh)  "
            f"median spread {spread:.3f}"
        )
    first = runs[0]
    result = {
        "model": first["model"],
        "seeds": [r["seed"] for r in runs],
        "evolution": first["evolution"],
        "summed_after": table,
    }
    print(f"wrote {write_result(first['stem'] + '_seeds', result)}")
    return result


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="an exported model (.onnx)")
    parser.add_argument(
        "--shipped-populations",
        action="store_true",
        help="evolve the populations with the shipped critic, score them with --model",
    )
    parser.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=[PROPOSAL["seed"]],
        help=f"the song's seed (default {PROPOSAL['seed']}); another seed evolves other "
        "populations, and its results file is named with the seed. Several seeds run one "
        "after the other, and the winner changes summed over them are printed and written "
        "too (scorer_scenarios..._seeds.json)",
    )
    parser.add_argument(
        "--population",
        type=int,
        default=POPULATION,
        help=f"candidates per population (default {POPULATION}; the product's default is 64)",
    )
    parser.add_argument(
        "--generations",
        type=int,
        default=3,
        help="generations per phase (default 3; the product's default is 30)",
    )
    args = parser.parse_args()
    runs = [
        main(
            args.model,
            shipped_populations=args.shipped_populations,
            seed=seed,
            size=args.population,
            generations=args.generations,
        )
        for seed in args.seed
    ]
    if len(runs) > 1:
        summed(runs)
