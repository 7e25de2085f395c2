"""Time the chords, drums, bass and melody phases (population 64 x 30 generations) on one section of
the demo song, with the real ChromaticScorer, from approved chords: each phase's evolution and
its candidates scored per second, and how much the best composite rose.

One 8-bar 4/4 section in A minor at 84 bpm; drums over the approved chords, bass over chords and
drums, melody over all three, each promoted before the next (as the agent does). DESIGN §8 asks
for one phase (64 x 30) in under 15 s.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.form import make_form
from agents.phases.bass import run_bass_phase
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote, song_chromatic_scorer
from agents.phases.drums import run_drums_phase
from agents.phases.melody import run_melody_phase
from agents.proposal import proposal_from_dict
from agents.rundir import RunDir
from bench.common import write_result
from evolution.engine import GenerationStats

POPULATION = 64
GENERATIONS = 30
PROPOSAL: dict[str, Any] = {
    "title": "Bench Song",
    "concept": "A lighthouse keeper walks the gallery at three in the morning.",
    "color": "Indigo",
    "key": "A minor",
    "bpm": 84,
    "time_signature": "4/4",
    "mood": ["dreamy", "hypnotic"],
    "genres": ["post-rock", "electronic"],
    "sections": [{"name": "verse", "bars": 8}],
    "evolution": {"population_size": POPULATION, "generations": GENERATIONS, "top_n": 4},
    "seed": 7,
}


def main() -> Path:
    proposal = proposal_from_dict(PROPOSAL)
    form = make_form(sections=[("verse", 8)], meter=proposal.meter, bpm=proposal.bpm)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir(Path(tmp))
        song_chromatic_scorer(proposal)  # load the scorer and MiniLM before timing
        c0 = time.process_time()
        t0 = time.perf_counter()
        state = run_chords_phase(proposal=proposal, form=form, run=run)
        figures["chords"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "cpu_seconds": round(time.process_time() - c0, 3),
        }
        print(
            f"chords phase {POPULATION}x{GENERATIONS}: {figures['chords']['seconds']:6.2f} s "
            f"({figures['chords']['cpu_seconds']:.2f} s CPU)"
        )
        promote(run=run, phase="chords", approvals={"verse": state["candidates"][0]})
        phases: tuple[tuple[str, Callable[..., dict[str, Any]]], ...] = (
            ("drums", run_drums_phase),
            ("bass", run_bass_phase),
            ("melody", run_melody_phase),
        )
        for phase, run_phase in phases:
            stats: list[GenerationStats] = []
            t0, c0 = time.perf_counter(), time.process_time()
            state = run_phase(proposal=proposal, form=form, run=run, on_generation=stats.append)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            promote(run=run, phase=phase, approvals={"verse": state["sections"]["verse"][0]})
            evaluated = sum(s.evaluated for s in stats)
            figures[phase] = {
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "generations": len(stats),
                "evaluated": evaluated,
                "candidates_per_second": round(evaluated / seconds, 1),
                "best_first": round(stats[0].best, 4),
                "best_last": round(stats[-1].best, 4),
            }
            print(
                f"{phase:6s} phase {POPULATION}x{GENERATIONS}: {seconds:6.2f} s ({cpu:.2f} s CPU), "
                f"{evaluated / seconds:6.0f} candidates/s, best {stats[0].best:.3f} -> "
                f"{stats[-1].best:.3f}"
            )
    data = {
        "goal_cpu_seconds": {"chords": 2.0, "drums": 3.0, "bass": 3.0, "melody": 3.0},
        "population": POPULATION,
        "generations": GENERATIONS,
        "section_bars": 8,
        "includes": "evolution, candidate MIDI, previews and review.yml of one section",
        "phases": figures,
    }
    path = write_result("parts_phases", data)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
