"""What every phase shares: its RNG, evolution settings, the song's ChromaticScorer, the
review.yml header and entries, the evolution log, and promotion of approved candidates."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import numpy as np

from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import EvolutionConfig, EvolutionResult
from evolution.fitness.chromatic import SongChromaticScorer
from inference.onnx import ModelFileError
from music.dynamics import mood_dynamic
from music.files import write_bytes_atomic, write_text_atomic
from music.midi_io import Song, read_midi, write_midi
from scoring.colors import AXES
from scoring.composite import ScoreCard, Weights, effective_weights
from scoring.emotion.midi import EmotionAim
from scoring.emotion.mood import MoodTarget, mood_target_summary, proposal_mood_target
from scoring.realism import RealismCritic, shipped_critic
from scoring.style.profile import StyleProfile
from scoring.style.select import song_profile
from scoring.text_encoder import proposal_words


def phase_rng(seed: int, phase: str, section: str = "") -> np.random.Generator:
    """One generator per phase (and section), derived from the song's seed and their names, so
    a phase's result never depends on how many random numbers another phase drew."""
    return np.random.default_rng([seed, zlib.crc32(f"{phase}/{section}".encode())])


def evolution_config(proposal: Proposal) -> EvolutionConfig:
    ev = proposal.evolution
    return EvolutionConfig(
        population_size=ev.population_size,
        generations=ev.generations,
        elite=ev.elite,
        mutation_rate=ev.mutation_rate,
        crossover_rate=ev.crossover_rate,
        top_n=ev.top_n,
    )


def weights_of(proposal: Proposal) -> Weights:
    w = proposal.weights
    return Weights(theory=w.theory, chromatic=w.chromatic, emotion=w.emotion)


def mood_of(proposal: Proposal) -> MoodTarget | None:
    """The mood words' valence/arousal target; None without mood words or where a word needs
    the text encoder and it is not installed (review.yml's mood_target then says so)."""
    try:
        return proposal_mood_target(proposal.mood)
    except ModelFileError:
        return None


def emotion_aim(proposal: Proposal) -> EmotionAim | None:
    """What every candidate's emotion is held to: the mood target (:func:`mood_of`) at the
    song's tempo. None without one or with an emotion weight of 0."""
    if proposal.weights.emotion == 0.0:
        return None
    target = mood_of(proposal)
    if target is None:
        return None
    return EmotionAim(
        valence=target.valence,
        arousal=target.arousal,
        bpm=proposal.bpm,
        dynamic=mood_dynamic(target.arousal),
    )


def dynamic_of(proposal: Proposal) -> float:
    """The level every part of the song is played at (:mod:`music.dynamics`), by its mood
    words' arousal whatever the emotion weight (a tender song is played softly even where no
    score holds it to its mood); 1.0 without mood words or where a word needs the text encoder
    and it is not installed."""
    try:
        target = proposal_mood_target(proposal.mood)
    except ModelFileError:
        return 1.0
    return 1.0 if target is None else mood_dynamic(target.arousal)


def style_of(proposal: Proposal, part: str) -> StyleProfile | None:
    """The corpus profile the song's ``part`` is held to, by its genre and mood words, tempo
    and meter (:mod:`scoring.style.select`); None where the part has none for this style."""
    return song_profile(
        part,
        genres=proposal.genres,
        mood=proposal.mood,
        bpm=proposal.bpm,
        meter=str(proposal.meter),
    )


def realism_for(style: StyleProfile | None, part: str) -> RealismCritic | None:
    """The shipped realism critic of ``part`` where the part is held to a corpus profile (the
    critic speaks for the same corpora as the style fit); None elsewhere or when none ships."""
    return None if style is None else shipped_critic(part)


def song_chromatic_scorer(proposal: Proposal, *, model: str | None = None) -> SongChromaticScorer:
    """The ChromaticScorer of the song ``proposal`` with the exported ``model`` (None: the
    shipped one), its model loaded and the concept encoded now. Raises ModelFileError naming
    the model file when it cannot be opened."""
    scorer = SongChromaticScorer(
        concept=proposal.concept,
        color=proposal.color,
        bpm=proposal.bpm,
        meter=proposal.meter,
        words=proposal_words(
            genres=proposal.genres,
            mood=proposal.mood,
            instruments=proposal.instruments,
            sounds_like=proposal.sounds_like,
        ),
        model=model,
    )
    # Fail now, naming the model file, rather than in the first generation (the proposal
    # loader has already checked the concept).
    scorer.scorer.get().prepare_concept(proposal.concept, scorer.words)
    return scorer


#: A phase's song scorer when none is given: the shipped model's (see
#: :func:`phase_chromatic_scorer`).
SHIPPED: Final = "shipped"


def phase_chromatic_scorer(
    given: SongChromaticScorer | Literal["shipped"] | None, proposal: Proposal
) -> SongChromaticScorer | None:
    """The song scorer a phase scores with: ``given`` itself, or the shipped model's for
    :data:`SHIPPED` (what a phase run outside the agent, e.g. by a test, uses); None scores
    theory alone."""
    if given == SHIPPED:
        return song_chromatic_scorer(proposal)
    return given


def scores_entry(card: ScoreCard) -> dict[str, Any]:
    """A score card as review.yml shows it; ``chromatic`` is null when no scorer ran."""
    theory: dict[str, Any] = {k: round(v, 4) for k, v in card.theory.components}
    theory["total"] = round(card.theory.total, 4)
    chromatic: dict[str, Any] | None = None
    if card.chromatic is not None:
        c = card.chromatic
        chromatic = {
            axis: {m: round(float(v), 4) for m, v in zip(modes, getattr(c, axis), strict=True)}
            for axis, modes in AXES.items()
        }
        chromatic["confidence"] = round(c.confidence, 4)
        chromatic["match"] = round(c.match, 4)
    entry: dict[str, Any] = {"composite": round(card.composite, 4)}
    if card.key is not None:
        entry["key"] = card.key.as_review()
    entry = {**entry, "theory": theory, "chromatic": chromatic}
    if card.emotion is not None:
        e = card.emotion
        entry["emotion"] = {
            "valence": round(e.valence, 4),
            "arousal": round(e.arousal, 4),
            "from": "MIDI cues over the parts underneath (audio: the emotion model on the preview)",
            "match": round(e.match, 4),
        }
    return entry


def review_header(
    *,
    phase: str,
    proposal: Proposal,
    config: EvolutionConfig,
    results: Mapping[str, EvolutionResult[Any, ScoreCard]],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The review.yml header: the song, the seed, the weights actually applied, and how the
    evolution went (initial and final best per section)."""
    has_chromatic = any(s.score.chromatic is not None for r in results.values() for s in r.top)
    has_emotion = any(s.score.emotion is not None for r in results.values() for s in r.top)
    evolution = {
        name or "all": {
            "generations_run": r.generations_run,
            "initial_best": round(r.initial_best, 4),
            "final_best": round(r.population[0].fitness, 4),
        }
        for name, r in results.items()
    }
    header: dict[str, Any] = {
        "phase": phase,
        "proposal": proposal.title,
        "key": proposal.key.name,
        "bpm": proposal.bpm,
        "time_signature": str(proposal.meter),
        "color": proposal.color,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": proposal.seed,
        "scoring_weights": effective_weights(weights_of(proposal), has_chromatic, has_emotion),
        "chromatic_scorer": "active" if has_chromatic else "absent (theory-only composite)",
        "population": config.population_size,
        "evolution": evolution,
    }
    target = mood_target_summary(proposal.mood)
    if target:
        header["mood_target"] = target
    keys = key_summary(results)
    if keys:
        header["key_constraint"] = keys
    header.update(extra or {})
    header["how_to_review"] = (
        "listen, then set status: approved|rejected and a section label (e.g. verse, chorus) "
        "on the candidates you want; then run `chromatic resume RUN_DIR`"
    )
    return header


def key_summary(results: Mapping[str, EvolutionResult[Any, ScoreCard]]) -> dict[str, Any]:
    """Per section, how many of the final population keep to the key, and the best composite
    among those that do not (what the constraint turned down), for the review.yml header."""
    out: dict[str, Any] = {}
    for name, r in results.items():
        judged = [(s.score.composite, s.score.key) for s in r.population if s.score.key]
        if not judged:
            continue
        strays = [(value, key) for value, key in judged if not key.feasible]
        entry: dict[str, Any] = {
            "in_key": f"{len(judged) - len(strays)} of {len(judged)} in the final population"
        }
        if strays:
            value, key = max(strays, key=lambda pair: pair[0])
            entry["best_out_of_key"] = {"composite": round(value, 4)} | {
                k: v for k, v in key.as_review().items() if k != "verdict"
            }
        out[name or "all"] = entry
    return out


def write_history(
    *, run: RunDir, phase: str, results: Mapping[str, EvolutionResult[Any, ScoreCard]]
) -> None:
    """``<phase>/evolution.json``: best, mean and diversity per generation, per section."""
    data = {
        "phase": phase,
        "sections": {
            name or "all": {
                "stopped_early": r.stopped_early,
                "history": [
                    {
                        "generation": h.generation,
                        "best": round(h.best, 6),
                        "mean": round(h.mean, 6),
                        "diversity": round(h.diversity, 6),
                        "unique": h.unique,
                        "evaluated": h.evaluated,
                    }
                    for h in r.history
                ],
            }
            for name, r in results.items()
        },
    }
    write_text_atomic(run.evolution_log(phase), json.dumps(data, indent=2) + "\n")


def promote(*, run: RunDir, phase: str, approvals: Mapping[str, str]) -> dict[str, str]:
    """Copy each approved candidate to ``<phase>/approved/<label>.mid`` with its tracks named
    after the label. Returns ``{label: path relative to the run}``."""
    out: dict[str, str] = {}
    for label, cid in approvals.items():
        song = read_midi(run.candidate_midi(phase, cid))
        parts = tuple(p.renamed(label) for p in song.parts)
        path = write_midi(
            Song(parts=parts, bpm=song.bpm, meter=song.meter), run.approved_midi(phase, label)
        )
        data = run.candidate_data(phase, cid)
        if data.is_file():
            write_bytes_atomic(run.approved_data(phase, label), data.read_bytes())
        out[label] = run.relative(path)
    return out


def ranked_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}_{i:03d}" for i in range(1, count + 1)]


def check_sequence(name: str, items: Sequence[object]) -> None:
    if not items:
        raise ValueError(f"{name}: [] -- at least one entry")
