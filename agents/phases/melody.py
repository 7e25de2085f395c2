"""The melody phase: one population of melodies per section with approved chords, each a
section long in phrases of the chord phrase's length, over the approved chords and bass.

The range is the carrier's (a voice named in the proposal's instruments, or with lyrics a
singer, else the first lead or solo instrument; see ``generators.melody.ranges``). With lyrics,
each section gets its lines (a ``[Verse]``/``Chorus:`` block named like the section, else the
lines shared out in section order) and every phrase carries one note per syllable. Sections are
evolved in playing order and each starts near where the previous section's best melody ended,
so the tune runs on across the boundary. Candidate MIDI files carry the fitted syllables as
lyric events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from agents.phases.approved import (
    approved_drums,
    approved_part,
    approved_sections,
    drums_under,
    previous_label,
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
from generators.harmony import Harmony
from generators.melody.genome import MelodyGenome, MelodyNote
from generators.melody.lyrics import lyric_lines, phrase_syllables
from generators.melody.operators import MelodyOps
from generators.melody.ranges import VoiceRange, voice_for
from generators.melody.to_midi import describe, melody_notes, melody_part, write_lyrics
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part, lyric_events
from scoring.composite import ScoreCard, Weights
from scoring.melody import score_melody
from scoring.style.melody import melody_style
from scoring.style.profile import StyleProfile
from scoring.style.select import song_profile

PHASE = "melody"
_HEADER = re.compile(r"^\s*(?:\[([^\]]+)\]|\(([^)]+)\)|([A-Za-z][A-Za-z ]*?)\s*\d*\s*:)\s*$")


def melody_to_data(genome: MelodyGenome) -> dict[str, Any]:
    """A JSON-ready dict: base pitch, phrase length, contours and, per bar,
    ``[onset, duration, step, velocity]``."""
    return {
        "base": genome.base,
        "phrase_bars": genome.phrase_bars,
        "contour": list(genome.contour),
        "bars": [[[n.onset, n.duration, n.step, n.velocity] for n in bar] for bar in genome.bars],
    }


def melody_from_data(data: Mapping[str, Any]) -> MelodyGenome:
    """Inverse of :func:`melody_to_data`. Raises ValueError naming the bad field."""
    try:
        bars = tuple(
            tuple(
                MelodyNote(onset=float(o), duration=float(d), step=int(s), velocity=int(v))
                for o, d, s, v in bar
            )
            for bar in data["bars"]
        )
        return MelodyGenome(
            bars=bars,
            phrase_bars=int(data["phrase_bars"]),
            base=int(data["base"]),
            contour=tuple(str(c) for c in data["contour"]),
        )
    except KeyError as exc:
        raise ValueError(
            f"melody genome: missing field {exc.args[0]!r} -- "
            "needs base, phrase_bars, contour, bars"
        ) from None
    except TypeError as exc:
        raise ValueError(
            f"melody genome bars: {data.get('bars')!r} -- per bar a list of "
            f"[onset, duration, step, velocity] ({exc})"
        ) from None


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


@dataclass(frozen=True, slots=True)
class MelodyEvaluator:
    """Scores melodies of one section: singability in the carrier's range, chord-tone
    alignment over the approved chords and bass, contour, continuity from the previous
    section, rhythm variety and, with lyrics, one note per syllable (``scoring.melody``); then
    the critic's match.

    The critic hears the melody over the section's approved chords, drums and bass
    (``underneath``): a tune's color is the tune against its accompaniment (the same line
    reads bright over major chords and strained over a pedal), and that whole texture is
    what the listener will hear. The accompaniment is the same for every candidate."""

    key: Key
    meter: Meter
    harmony: Harmony
    voice: VoiceRange
    phrase_qn: float
    weights: Weights
    previous_pitch: int | None = None
    bass: tuple[Note, ...] = ()
    syllables: tuple[int, ...] = ()
    underneath: tuple[Part, ...] = ()
    critic: Critic | None = None
    style: StyleProfile | None = None

    def part(self, genome: MelodyGenome) -> Part:
        return melody_part(genome, self.key, self.meter, program=self.voice.program)

    def with_onnx(self, onnx: OnnxSettings) -> MelodyEvaluator:
        """This evaluator, its critic's session opened with ``onnx`` (the executor's)."""
        if self.critic is None:
            return self
        return replace(self, critic=self.critic.with_onnx(onnx))

    def _style(self, notes: Sequence[Note]) -> dict[str, float]:
        assert self.style is not None
        bars = self.harmony.bars
        return melody_style(
            notes, self.harmony.chords, meter=self.meter, bars=bars, profile=self.style
        )

    def __call__(self, genomes: Sequence[MelodyGenome]) -> list[ScoreCard]:
        lines = [melody_notes(g, self.key, self.meter) for g in genomes]
        theories = [
            score_melody(
                notes,
                chords=self.harmony.chords,
                meter=self.meter,
                key=self.key,
                register=(self.voice.low, self.voice.high),
                phrase_qn=self.phrase_qn,
                previous_pitch=self.previous_pitch,
                bass=self.bass,
                syllables=self.syllables,
                style=None if self.style is None else self._style(notes),
            )
            for notes in lines
        ]
        parts = (
            [[Part(name="melody", notes=n, program=self.voice.program)] for n in lines]
            if self.critic is not None
            else []
        )
        return score_cards(
            theories, parts, critic=self.critic, weights=self.weights, underneath=self.underneath
        )


def _last_pitch(run: RunDir, proposal: Proposal, label: str) -> int | None:
    """Last pitch of the best melody this phase wrote for section ``label``."""
    path = run.candidate_data(PHASE, f"{label}_001")
    if not path.is_file():
        return None
    genome = melody_from_data(json.loads(path.read_text(encoding="utf-8"))["genome"])
    notes = melody_notes(genome, proposal.key, proposal.meter)
    return max(notes, key=lambda n: n.start).pitch if notes else None


def run_melody_phase(
    *,
    proposal: Proposal,
    plan: SongPlan,
    run: RunDir,
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    critic: Critic | Literal["shipped"] | None = SHIPPED,
) -> dict[str, Any]:
    """Evolve a melody for every section with approved chords, over those chords and the
    section's approved drums and bass; write candidates (with lyric events) and review.yml."""
    scoring_critic = phase_critic(critic, proposal)
    weights = weights_of(proposal)
    meter, key = proposal.meter, proposal.key
    style = song_profile(
        "melody", genres=proposal.genres, mood=proposal.mood, bpm=proposal.bpm, meter=str(meter)
    )
    sections = approved_sections(run, plan)
    voice = voice_for(proposal.instruments, has_lyrics=bool(lyric_lines(proposal.lyrics)))
    done: list[str] = []
    sung: dict[str, tuple[tuple[str, ...], ...]] = {}

    def setup(label: str) -> SectionSetup[MelodyGenome]:
        bars = section_bars(plan, label)
        chords = section_chords(run=run, proposal=proposal, label=label, bars=bars)
        before = previous_label(plan, label, done)
        previous = _last_pitch(run, proposal, before) if before else None
        done.append(label)
        bass = approved_part(run, "bass", label)
        underneath = (
            chords.part,
            *drums_under(approved_drums(run, label)),
            *(() if bass is None else (bass,)),
        )
        phrases = -(-bars // plan.phrase_bars)
        lines = section_lyrics(proposal.lyrics, label, sections)
        syllables = phrase_syllables(lines, phrases) if lines else ()
        sung[label] = syllables
        ops = MelodyOps(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            bars=bars,
            phrase_bars=plan.phrase_bars,
            voice=voice,
            previous_pitch=previous,
            syllables=tuple(len(s) for s in syllables),
        )
        targets = tuple(ops.target(p) or 0 for p in range(phrases)) if syllables else ()
        evaluator = MelodyEvaluator(
            key=key,
            meter=meter,
            harmony=chords.harmony,
            voice=voice,
            phrase_qn=plan.phrase_bars * meter.bar_qn,
            weights=weights,
            previous_pitch=previous,
            bass=() if bass is None else bass.notes,
            syllables=targets,
            underneath=underneath,
            critic=scoring_critic,
            style=style,
        )

        def words(g: MelodyGenome) -> dict[str, Any]:
            out = dict(describe(g, key, meter))
            out["carrier"] = f"{voice.name} ({_range(voice)})"
            if lines:
                out["lyrics"] = " / ".join(lines)
            return out

        return SectionSetup(
            ops=ops,
            evaluate=evaluator,
            to_song=lambda g: Song(parts=(evaluator.part(g),), bpm=proposal.bpm, meter=meter),
            describe=words,
            to_data=melody_to_data,
            underneath=underneath,
        )

    state = run_sectioned_phase(
        phase=PHASE,
        proposal=proposal,
        run=run,
        sections=sections,
        setup=setup,
        executor=executor,
        on_generation=on_generation,
        header_extra={"carrier": f"{voice.name} ({_range(voice)})"},
    )
    _write_lyric_events(run=run, proposal=proposal, state=state, sung=sung, program=voice.program)
    return state


def _range(voice: VoiceRange) -> str:
    names = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    return "-".join(f"{names[p % 12]}{p // 12 - 1}" for p in (voice.low, voice.high))


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
            genome = melody_from_data(data["genome"])
            part = melody_part(
                genome, proposal.key, proposal.meter, program=program, syllables=syllables
            )
            write_lyrics(run.candidate_midi(PHASE, cid), track=part.name, events=lyric_events(part))
