"""The melody phase: one population of melodies per section with approved chords, each a
section long in phrases of the chord phrase's length, over the approved chords and bass.

The carrier is the instrument the orchestration gives the melody (a voice named in the
proposal's instruments, or with lyrics a singer, else a lead or solo instrument, else the
genre's; see ``music.orchestration``); its range starts at the melody's floor, above the
chord voicing. With lyrics,
each section gets its lines (a ``[Verse]``/``Chorus:`` block named like the section, else the
lines shared out in section order) and every phrase carries one note per syllable. Sections are
evolved in playing order and each starts near where the previous section's best melody ended,
so the tune runs on across the boundary. Candidate MIDI files carry the fitted syllables as
lyric events. With a mood target, up to a quarter of each first population comes from the mood
melody transformer (:func:`mood_seeds`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from agents.form import SongForm
from agents.phases.approved import (
    approved_bass,
    approved_drums,
    approved_sections,
    as_played,
    drums_under,
    previous_label,
    section_bars,
    section_chords,
    steered_sections,
)
from agents.phases.common import (
    SHIPPED,
    dynamic_of,
    emotion_aim,
    evolution_config,
    mood_of,
    phase_chromatic_scorer,
    phase_rng,
    realism_for,
    style_of,
    weights_of,
)
from agents.phases.generate import Population, generate_phase
from agents.phases.instruments import melody_voice, orchestration_of
from agents.phases.kept import KeptBars, kept_population
from agents.proposal import Proposal
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from evolution.fitness.chromatic import SongChromaticScorer
from evolution.fitness.melody import MelodyEvaluator
from generators.melody.genome import MelodyGenome, from_data, splice_bars, to_data
from generators.melody.lyrics import lyric_lines, phrase_syllables
from generators.melody.mood_seeds import mood_genomes
from generators.melody.mood_transformer import MoodMelodyTransformer
from generators.melody.operators import MelodyOps
from generators.melody.pace import melody_density
from generators.melody.ranges import VoiceRange
from generators.melody.to_midi import describe, melody_notes, melody_part, write_lyrics
from music.dynamics import at_level
from music.keys import PITCH_CLASS_NAMES_USUAL, pitch_name
from music.midi_io import Song
from music.notes import lyric_events

PHASE = "melody"
#: Up to one in this many of a section's initial melodies is sampled for the mood target.
MOOD_SHARE = 4
_HEADER = re.compile(r"^\s*(?:\[([^\]]+)\]|\(([^)]+)\)|([A-Za-z][A-Za-z ]*?)\s*\d*\s*:)\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def section_lyrics(text: str | None, label: str, labels: Sequence[str]) -> tuple[str, ...]:
    """The sung lines for section ``label``: the block under a header naming it (``[Verse]``,
    ``Chorus 2:``, ``(bridge)``) when the lyrics have such headers; else the lines shared out
    in order, each label taking a consecutive run (the first labels one more when uneven)."""
    if not text:
        return ()
    blocks: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        m = _HEADER.match(raw)
        if m:
            current = _norm(next(g for g in m.groups() if g))
            continue
        if current is not None:
            blocks.setdefault(current, []).append(raw)
    if blocks:
        return lyric_lines("\n".join(blocks.get(label, ())))
    lines = lyric_lines(text)
    if label not in labels:
        return ()
    per, extra = divmod(len(lines), len(labels))
    i = labels.index(label)
    start = i * per + min(i, extra)
    return lines[start : start + per + (1 if i < extra else 0)]


def _last_pitch(run: RunDir, proposal: Proposal, label: str) -> int | None:
    """Last pitch of the best melody this phase wrote for section ``label``."""
    path = run.candidate_data(PHASE, f"{label}_001")
    if not path.is_file():
        return None
    genome = from_data(json.loads(path.read_text(encoding="utf-8"))["genome"])
    notes = melody_notes(genome, proposal.key, proposal.meter)
    return max(notes, key=lambda n: n.start).pitch if notes else None


def run_melody_phase(
    *,
    proposal: Proposal,
    form: SongForm,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    chromatic_scorer: SongChromaticScorer | Literal["shipped"] | None = SHIPPED,
    sections: Sequence[str] | None = None,
    kept: KeptBars | None = None,
    previews_now: bool = True,
) -> dict[str, Any]:
    """Evolve a melody for every section with approved chords (or only ``sections``;
    ``kept``: only those bars of its section vary), over those chords and the section's
    approved drums and bass; write candidates (with lyric events) and review.yml."""
    scorer = phase_chromatic_scorer(chromatic_scorer, proposal)
    weights = weights_of(proposal)
    aim = emotion_aim(proposal)
    dynamic = dynamic_of(proposal)
    style = style_of(proposal, PHASE)
    realism = realism_for(style, PHASE)
    meter, key = proposal.meter, proposal.key
    labels = approved_sections(run, form)
    orch = orchestration_of(proposal)
    voice = melody_voice(orch)
    done: list[str] = []
    sung: dict[str, tuple[tuple[str, ...], ...]] = {}

    def setup(label: str) -> Population[MelodyGenome]:
        bars = section_bars(form, label)
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars, heard_by=PHASE)
        before = previous_label(form, label, done)
        previous = _last_pitch(run, proposal, before) if before else None
        done.append(label)
        bass = approved_bass(run, proposal, chords)
        approved = {
            "chords": (chords.part,),
            "drums": drums_under(approved_drums(run, label)),
            "bass": () if bass is None else (bass,),
        }
        underneath = tuple(p for group in approved.values() for p in group)
        phrases = -(-bars // form.phrase_bars)
        lines = section_lyrics(proposal.lyrics, label, labels)
        syllables = phrase_syllables(lines, phrases) if lines else ()
        sung[label] = syllables
        melody_ops = MelodyOps(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            bars=bars,
            phrase_bars=form.phrase_bars,
            voice=voice,
            previous_pitch=previous,
            syllables=tuple(len(s) for s in syllables),
            density=melody_density(proposal.bpm, proposal.mood, proposal.genres),
        )
        targets = tuple(melody_ops.target(p) or 0 for p in range(phrases)) if syllables else ()
        ops, seeds = kept_population(
            run=run,
            phase=PHASE,
            kept=kept,
            label=label,
            ops=melody_ops,
            seeds=mood_seeds(proposal, melody_ops, label),
            from_data=from_data,
            splice=splice_bars,
        )
        evaluator = MelodyEvaluator(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            voice=voice,
            phrase_qn=form.phrase_bars * meter.bar_qn,
            weights=weights,
            emotion=aim,
            previous_pitch=previous,
            bass=() if bass is None else bass.notes,
            syllables=targets,
            underneath=underneath,
            chromatic_scorer=scorer,
            style=style,
            realism=realism,
        )

        def words(g: MelodyGenome) -> dict[str, Any]:
            out = dict(describe(g, key, meter))
            out["carrier"] = f"{voice.name} ({_range(voice)})"
            if lines:
                out["lyrics"] = " / ".join(lines)
            return out

        return Population(
            prefix=label,
            section=label,
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(
                parts=(at_level(evaluator.part(g), dynamic),), bpm=proposal.bpm, meter=meter
            ),
            describe=words,
            to_data=to_data,
            seeds=seeds,
            underneath=as_played(run, proposal, label, approved),
        )

    state = generate_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        populations=(setup(label) for label in steered_sections(run, form, sections)),
        executor=executor,
        on_generation=on_generation,
        previews_now=previews_now,
        header_extra={"carrier": f"{voice.name} ({_range(voice)})", "instruments": orch.describe()},
    )
    _write_lyric_events(run=run, proposal=proposal, state=state, sung=sung, program=voice.program)
    return state


def mood_seeds(proposal: Proposal, ops: MelodyOps, label: str) -> tuple[MelodyGenome, ...]:
    """Up to a quarter of the initial population sampled from the mood melody transformer for
    the proposal's mood target (:mod:`generators.melody.mood_seeds`: those it wrote in the
    song's mode family; with lyrics, each phrase's rhythm fitted to its syllables); none
    without a target or in a meter the model does not sample."""
    target = mood_of(proposal)
    if target is None or not MoodMelodyTransformer.supports(ops.meter):
        return ()
    n = max(1, evolution_config(proposal).population_size // MOOD_SHARE)
    rng = phase_rng(proposal.seed, PHASE, f"{label}/mood")
    return tuple(
        mood_genomes(
            MoodMelodyTransformer.load(),
            ops,
            valence=target.valence,
            arousal=target.arousal,
            bpm=proposal.bpm,
            n=n,
            rng=rng,
        )
    )


def _range(voice: VoiceRange) -> str:
    return "-".join(pitch_name(p, PITCH_CLASS_NAMES_USUAL) for p in (voice.low, voice.high))


def _write_lyric_events(
    *,
    run: RunDir,
    proposal: Proposal,
    state: Mapping[str, Any],
    sung: Mapping[str, tuple[tuple[str, ...], ...]],
    program: int,
) -> None:
    """Attach each candidate's fitted syllables to its MIDI file as lyric meta events."""
    for label, ids in state["sections"].items():
        syllables = sung.get(label, ())
        if not syllables:
            continue
        for cid in ids:
            data = json.loads(run.candidate_data(PHASE, cid).read_text(encoding="utf-8"))
            genome = from_data(data["genome"])
            part = melody_part(
                genome, proposal.key, proposal.meter, program=program, syllables=syllables
            )
            write_lyrics(run.candidate_midi(PHASE, cid), track=part.name, events=lyric_events(part))
