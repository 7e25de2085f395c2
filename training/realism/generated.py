"""Passages our generators make, as metric rows beside the real corpora's: per part, runs at
drawn keys, modes, meters, tempi and style words, each contributing members of its random
initial population (``corpus="ours-random"``) and of its population after a short theory-only
evolution with the style fit, as the phases run it (``corpus="ours-evolved"``). The realism
critic is left out of these runs: the model learns what the generators get wrong without it.

A run is one "song" of the split (``song="<part>-<seed>-<run>"``), so no run lends rows to
two splits. Everything is drawn from one generator seeded by ``seed``: same seed, same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from evolution.engine import EvolutionConfig, evolve
from music.keys import Key
from music.meter import Meter
from scoring.composite import Weights
from scoring.style.select import song_profile
from training.style.rows import MetricRow, split_of

METERS: Final = (Meter(4, 4), Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(7, 8), Meter(5, 4))
MODES: Final = ("major", "major", "minor", "minor", "dorian", "mixolydian", "harmonic_minor")
#: Genre words a run draws from (one or two), covering every corpus style the selectors know.
GENRES: Final = (
    "rock", "pop", "funk", "jazz", "folk", "hip hop", "latin", "reggae", "blues", "punk",
    "soul", "dance", "country", "electronic", "indie", "hymn", "classical", "ambient",
)  # fmt: skip
CARRIERS: Final = ("voice", "male vocal", "flute", "violin", "synth lead")


@dataclass(frozen=True, slots=True)
class GenConfig:
    """How many runs per part, how many members each keeps, and their evolution."""

    runs: int = 48
    keep: int = 8
    population: int = 24
    generations: int = 8
    seed: int = 0


@dataclass(frozen=True, slots=True)
class PhaseParts:
    """What the phases decide and the runs reuse, handed in by the caller (training stands
    below the agents layer): the chord model's corpus blend for the words
    (``agents.phases.chords.source_blend``), the drum-transformer bank and the drum seeds
    (``agents.phases.drums.transformer_bank`` and ``section_seeds``)."""

    chord_blend: Callable[..., dict[str, float]]
    drum_bank: Callable[..., tuple[Any, ...]]
    drum_seeds: Callable[..., tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Setting:
    """What one run is asked for."""

    key: Key
    meter: Meter
    bpm: float
    genres: tuple[str, ...]


def draw_setting(rng: np.random.Generator) -> Setting:
    n = 1 + int(rng.integers(2))
    picks = rng.choice(len(GENRES), size=n, replace=False)
    return Setting(
        key=Key(int(rng.integers(12)), MODES[int(rng.integers(len(MODES)))]),
        meter=METERS[int(rng.integers(len(METERS)))],
        bpm=float(rng.integers(64, 165)),
        genres=tuple(GENRES[int(i)] for i in picks),
    )


#: A part's run: (setting, rng, config, phase) -> (random genomes' values, evolved ones').
RunFn = Callable[
    [Setting, np.random.Generator, GenConfig, PhaseParts], tuple[list[dict[str, float]], ...]
]


def _evolve_values(
    ops: Any,
    evaluate: Any,
    values: Callable[[Any], dict[str, float]],
    rng: np.random.Generator,
    config: GenConfig,
    seeds: Sequence[Any] = (),
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Values of ``config.keep`` random genomes, and of the ``config.keep`` best after
    evolution."""
    randoms = [values(ops.random(rng)) for _ in range(config.keep)]
    result = evolve(
        ops=ops,
        evaluate=evaluate,
        fitness=lambda card: card.fitness,
        config=EvolutionConfig(
            population_size=config.population, generations=config.generations, top_n=1
        ),
        rng=rng,
        seeds=seeds,
    )
    evolved = [values(m.genome) for m in result.population[: config.keep]]
    return randoms, evolved


def _profile(part: str, s: Setting) -> Any:
    return song_profile(part, genres=s.genres, mood=(), bpm=s.bpm, meter=str(s.meter))


def drums_run(
    s: Setting, rng: np.random.Generator, config: GenConfig, phase: PhaseParts
) -> tuple[list[dict[str, float]], ...]:
    from evolution.fitness.drums import DrumEvaluator
    from generators.drums.operators import DrumOps
    from generators.drums.styles import choose_styles
    from generators.drums.transformer import DrumTransformer
    from scoring.style.drums import genome_metrics

    bars = 4
    styles = choose_styles(s.genres, (), s.bpm)
    bank = phase.drum_bank(
        transformer=DrumTransformer.load(), styles=styles, meter=s.meter, bars=bars, rng=rng
    )
    ops = DrumOps(meter=s.meter, bars=bars, styles=tuple(styles), bank=bank, bpm=s.bpm)
    evaluate = DrumEvaluator(
        meter=s.meter,
        weights=Weights(),
        genres=s.genres,
        bpm=s.bpm,
        style=_profile("drums", s),
    )
    seeds = phase.drum_seeds(
        meter=s.meter, bars=bars, styles=styles, bank=bank, transition=True, rng=rng
    )
    return _evolve_values(ops, evaluate, lambda g: genome_metrics(g, bpm=s.bpm), rng, config, seeds)


def _harmony(s: Setting, rng: np.random.Generator, bars: int) -> Any:
    from generators.chords.genome import workhorse_genomes
    from generators.harmony import chord_timeline

    options = workhorse_genomes(s.key, s.meter, 4)
    return chord_timeline(options[int(rng.integers(len(options)))], s.key, s.meter, bars=bars)


def melody_run(
    s: Setting, rng: np.random.Generator, config: GenConfig, phase: PhaseParts
) -> tuple[list[dict[str, float]], ...]:
    from evolution.fitness.melody import MelodyEvaluator
    from generators.melody.operators import MelodyOps
    from generators.melody.ranges import VOICES
    from generators.melody.to_midi import melody_notes
    from scoring.style.melody import melody_values

    bars = 8
    harmony = _harmony(s, rng, bars)
    voice = VOICES[CARRIERS[int(rng.integers(len(CARRIERS)))]]
    ops = MelodyOps(key=s.key, meter=s.meter, harmony=harmony, bars=bars, voice=voice)
    evaluate = MelodyEvaluator(
        key=s.key,
        meter=s.meter,
        harmony=harmony,
        voice=voice,
        phrase_qn=4 * s.meter.bar_qn,
        weights=Weights(),
        style=_profile("melody", s),
    )

    def values(g: Any) -> dict[str, float]:
        notes = melody_notes(g, s.key, s.meter)
        return melody_values(notes, harmony.chords, meter=s.meter, bars=bars)

    return _evolve_values(ops, evaluate, values, rng, config)


def chords_run(
    s: Setting, rng: np.random.Generator, config: GenConfig, phase: PhaseParts
) -> tuple[list[dict[str, float]], ...]:
    from evolution.fitness.chords import ChordEvaluator
    from generators.chord_model import ChordTransitionModel
    from generators.chords.genome import workhorse_genomes
    from generators.chords.operators import ChordOps
    from scoring.style.chords import progression_values

    model = ChordTransitionModel.load().with_blend(phase.chord_blend(s.genres, ()))
    ops = ChordOps(key=s.key, meter=s.meter, bars=4, model=model)
    evaluate = ChordEvaluator(ops=ops, weights=Weights(), style=_profile("chords", s))

    def values(g: Any) -> dict[str, float]:
        return progression_values(evaluate.sounded(g), key=s.key, bar_qn=s.meter.bar_qn)

    seeds = workhorse_genomes(s.key, s.meter, 4)
    return _evolve_values(ops, evaluate, values, rng, config, seeds)


def bass_run(
    s: Setting, rng: np.random.Generator, config: GenConfig, phase: PhaseParts
) -> tuple[list[dict[str, float]], ...]:
    from evolution.fitness.bass import BassEvaluator
    from generators.bass.operators import BassOps
    from generators.bass.styles import style_weights
    from scoring.style.bass import bass_values

    bars = 8
    harmony = _harmony(s, rng, bars)
    styles = tuple(style_weights(s.genres, ()).items())
    ops = BassOps(harmony=harmony, meter=s.meter, bars=bars, styles=styles)
    evaluate = BassEvaluator(
        key=s.key,
        meter=s.meter,
        harmony=harmony,
        bars=bars,
        weights=Weights(),
        style=_profile("bass", s),
    )

    def values(g: Any) -> dict[str, float]:
        return bass_values(evaluate.notes(g), harmony.chords, meter=s.meter, bars=bars)

    return _evolve_values(ops, evaluate, values, rng, config)


RUNS: Final[dict[str, RunFn]] = {
    "drums": drums_run,
    "melody": melody_run,
    "chords": chords_run,
    "bass": bass_run,
}


def generated_rows(
    part: str,
    config: GenConfig,
    phase: PhaseParts,
    *,
    step: Callable[[str], None] | None = None,
) -> list[MetricRow]:
    """The rows of ``config.runs`` runs of ``part``'s generator (see the module docstring)."""
    rng = np.random.default_rng([config.seed, sorted(RUNS).index(part)])
    rows: list[MetricRow] = []
    for i in range(config.runs):
        if step is not None:
            step(f"generating {part}: run {i + 1}/{config.runs}")
        s = draw_setting(rng)
        song = f"{part}-{config.seed}-{i}"
        randoms, evolved = RUNS[part](s, rng, config, phase)
        for corpus, batch in (("ours-random", randoms), ("ours-evolved", evolved)):
            rows += [
                MetricRow(
                    part=part,
                    corpus=corpus,
                    song=song,
                    split=split_of(song),
                    style="+".join(s.genres),
                    meter=str(s.meter),
                    bpm=s.bpm,
                    values=v,
                )
                for v in batch
            ]
    return rows
