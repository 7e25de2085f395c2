"""The drums of each genre against Groove MIDI's matching style: a matrix of small songs (jazz,
folk, rock, electronic, ambient, hip-hop and more; 4/4, 3/4, 6/8, 5/4, 7/8) runs its chords and
drums phases with the real generators and scorers, and the best drum candidate of each is
measured on its MIDI:

- the style idiom (:mod:`scoring.metrics.drum_idiom`): off-beat 8th position (swing), ride
  share, the kick's share of the pulses, where the loud snare hits fall, hits per quarter note;
- the drum metrics of the style fit (:mod:`scoring.metrics.drums`) against the bands of the
  Groove profile the drums are held to (the style's, at the song's meter and tempo where Groove
  has it): the share of the metrics inside that profile's p5-p95.

Prints one row per case and writes ``bench/results/genre_drums.json``. The matrix is also what
``tests/agents/test_genre_drums.py`` runs (with a smaller population).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import write_result

if TYPE_CHECKING:
    from agents.rundir import RunDir


#: The song seed of every case (the test's).
SEED = 3


@dataclass(frozen=True)
class GenreCase:
    name: str
    genres: tuple[str, ...]
    meter: str
    bpm: float
    mood: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    key: str = "A minor"


CASES: tuple[GenreCase, ...] = (
    GenreCase("jazz-4/4", ("jazz",), "4/4", 138, ("smoky",)),
    GenreCase("jazz-5/4", ("jazz",), "5/4", 120),
    GenreCase("jazz-3/4", ("jazz",), "3/4", 132),
    GenreCase("jazz-brushes-5/4", ("jazz", "folk"), "5/4", 92, (), ("brushed drum kit",)),
    GenreCase("folk-3/4", ("folk",), "3/4", 100),
    GenreCase("folk-6/8", ("folk",), "6/8", 96),
    GenreCase("rock-4/4", ("rock",), "4/4", 124),
    GenreCase("rock-7/8", ("rock",), "7/8", 132),
    GenreCase("electronic-4/4", ("electronic",), "4/4", 124),
    GenreCase("electronic-7/8", ("electronic",), "7/8", 124),
    GenreCase("ambient-6/8", ("ambient",), "6/8", 70, ("calm",)),
    GenreCase("ambient-4/4", ("ambient",), "4/4", 66, ("dreamy",)),
    GenreCase("hip-hop-4/4", ("hip-hop",), "4/4", 90),
    GenreCase("hip-hop-5/4", ("hip-hop",), "5/4", 90),
    GenreCase("half-time-4/4", ("doom",), "4/4", 140, ("dark",)),
    GenreCase("bossa-4/4", ("bossa nova",), "4/4", 128),
    GenreCase("reggae-4/4", ("reggae",), "4/4", 80),
)


@dataclass(frozen=True)
class DrumResult:
    """The best drum candidate of a case's section, as played."""

    case: GenreCase
    styles: tuple[str, ...]
    profile: str | None
    best_style: str
    bars: int
    onset_qn: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


def proposal_of(
    case: GenreCase, evolution: dict[str, int], bars: int, seed: int = SEED
) -> dict[str, Any]:
    return {
        "title": f"Genre {case.name}",
        "concept": "A small song whose drums say which genre it is.",
        "color": "Blue",
        "key": case.key,
        "bpm": case.bpm,
        "time_signature": case.meter,
        "mood": list(case.mood),
        "genres": list(case.genres),
        "instruments": list(case.instruments),
        "sections": [{"name": "verse", "bars": bars}],
        "evolution": evolution,
        "seed": seed,
    }


def run_phases(
    case: GenreCase,
    root: Path,
    evolution: dict[str, int],
    bars: int = 4,
    *,
    seed: int = SEED,
    model: Path | None = None,
) -> tuple[RunDir, dict[str, Any]]:
    """Run the chords phase (best candidate approved) and the drums phase of ``case`` with
    ``seed`` in ``root``, both scored by the exported critic ``model`` (None: the shipped one):
    the run folder and the drums phase's state."""
    from agents.form import make_form
    from agents.phases.chords import run_chords_phase
    from agents.phases.common import promote, song_chromatic_scorer
    from agents.phases.drums import run_drums_phase
    from agents.proposal import proposal_from_dict
    from agents.rundir import RunDir

    proposal = proposal_from_dict(proposal_of(case, evolution, bars, seed))
    form = make_form(sections=[("verse", bars)], meter=proposal.meter, bpm=proposal.bpm)
    run = RunDir(root)
    critic = song_chromatic_scorer(proposal, model=None if model is None else str(model))
    state = run_chords_phase(proposal=proposal, form=form, run=run, chromatic_scorer=critic)
    promote(run=run, phase="chords", approvals={"verse": state["candidates"][0]})
    return run, run_drums_phase(proposal=proposal, form=form, run=run, chromatic_scorer=critic)


def run_case(
    case: GenreCase,
    root: Path,
    evolution: dict[str, int],
    bars: int = 4,
    *,
    seed: int = SEED,
    model: Path | None = None,
) -> DrumResult:
    """:func:`run_phases`; the drums phase's best candidate as played."""
    from ruamel.yaml import YAML

    from music.midi_io import read_midi

    run, state = run_phases(case, root, evolution, bars, seed=seed, model=model)
    best = state["sections"]["verse"][0]
    song = read_midi(run.candidate_midi("drums", best))
    notes = sorted((n for p in song.parts if p.is_drum for n in p.notes), key=lambda n: n.start)
    review = YAML(typ="safe").load(run.review("drums").read_text(encoding="utf-8"))
    return DrumResult(
        case=case,
        styles=tuple(review.get("styles", ())),
        profile=review.get("style_profile"),
        best_style=json.loads(run.candidate_data("drums", best).read_text(encoding="utf-8"))[
            "genome"
        ]["style"],
        bars=bars,
        onset_qn=np.array([n.start for n in notes], dtype=np.float64),
        pitch=np.array([n.pitch for n in notes], dtype=np.int64),
        velocity=np.array([n.velocity for n in notes], dtype=np.int64),
    )


def idiom(result: DrumResult) -> dict[str, float]:
    """The style idiom measures of a result (see the module docstring)."""
    from music.meter import Meter
    from scoring.metrics import drum_idiom as di

    meter = Meter.parse(result.case.meter)
    t, p, v = result.onset_qn, result.pitch, result.velocity
    return {
        "offbeat_position": di.offbeat_position(t, p, meter),
        "snare_offbeat_position": di.offbeat_position(t, p, meter, di.SNARES),
        "snare_share": di.voice_share(p, di.SNARES),
        "ride_share": di.voice_share(p, di.RIDES),
        "kick_pulse_coverage": di.pulse_coverage(t, p, meter, result.bars),
        **di.backbeat(t, p, v, meter, result.bars),
        "hits_per_qn": di.hits_per_qn(t, meter, result.bars),
    }


def against_profile(result: DrumResult) -> dict[str, Any]:
    """The drum metrics of a result against the p5-p95 bands of its profile (the pooled
    profile where the drums are held to none, e.g. ambient)."""
    from music.meter import Meter
    from scoring.metrics.drums import drum_metrics
    from scoring.style.profile import shipped_profiles

    meter = Meter.parse(result.case.meter)
    profiles = shipped_profiles("drums")
    key = result.profile or "any|any|any"
    profile = profiles.get(key)
    assert profile is not None, key
    values = drum_metrics(
        result.onset_qn,
        result.pitch,
        result.velocity,
        meter=meter,
        bars=result.bars,
        bpm=result.case.bpm,
    )
    rows = {}
    for name, value in values.items():
        band = profile.band(name)
        if band is None or not np.isfinite(value):
            continue
        lo, hi = band.values[0], band.values[-1]
        rows[name] = {"value": round(value, 4), "p5": lo, "p95": hi, "inside": lo <= value <= hi}
    inside = sum(r["inside"] for r in rows.values()) / max(1, len(rows))
    return {"profile": key, "share_inside": round(inside, 3), "metrics": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=16)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--only", action="append", help="case names to run (default: all)")
    parser.add_argument(
        "--seeds",
        default=str(SEED),
        help=f"comma-separated song seeds; each case runs once per seed (default {SEED})",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="an exported critic (.onnx; default: shipped)"
    )
    args = parser.parse_args()
    evolution = {"population_size": args.population, "generations": args.generations, "top_n": 2}
    cases = [c for c in CASES if not args.only or c.name in args.only]
    seeds = [int(s) for s in args.seeds.split(",")]
    out = []
    print(
        f"{'case':18} {'seed':>4} {'styles':34} {'profile':18} {'inside':>6} {'offbeat':>7} "
        f"{'ride':>5} {'kick/p':>6} {'back':>5} {'mid':>5} {'hits/qn':>7}"
    )
    for case, seed in ((c, s) for c in cases for s in seeds):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_case(
                case, Path(tmp) / "run", evolution, args.bars, seed=seed, model=args.model
            )
        measures = idiom(result)
        fit = against_profile(result)
        out.append(
            {
                "case": case.name,
                "seed": seed,
                "genres": list(case.genres),
                "meter": case.meter,
                "bpm": case.bpm,
                "styles": list(result.styles),
                "best_candidate_style": result.best_style,
                "idiom": {k: round(v, 4) for k, v in measures.items()},
                **fit,
            }
        )
        m = measures
        print(
            f"{case.name:18} {seed:4} {','.join(result.styles)[:34]:34} {fit['profile']:18} "
            f"{fit['share_inside']:6.2f} {m['offbeat_position']:7.3f} {m['ride_share']:5.2f} "
            f"{m['kick_pulse_coverage']:6.2f} {m['on_backbeat']:5.2f} {m['on_middle']:5.2f} "
            f"{m['hits_per_qn']:7.2f}"
        )
    model = "shipped" if args.model is None else str(args.model)
    path = write_result(
        "genre_drums",
        {"evolution": evolution, "bars": args.bars, "seeds": seeds, "model": model, "cases": out},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
