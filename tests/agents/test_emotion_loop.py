"""Emotion in the loop, end to end: two proposals that differ only in their mood words run the
real graph (auto-approved through chords, drums, bass and melody, with the real scorers) and
their approved songs sound as asked: "driving, angry" ends with lower valence and higher
arousal than "tender, sleepy" by the same MIDI cues the loop scores with, and its MIDI is
measurably busier (tempo-relative density, the cue the mood words move most). Loudness is not
asserted: nothing sets a part's dynamics from the mood words yet (the emotion score only selects
among the generators' velocities), and ghost notes in a busy groove pull its mean velocity down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from agents.phases.audio_emotion import audio_emotion
from agents.runner import start_run
from music.midi_io import read_midi
from music.notes import Part
from scoring.emotion.midi import WeakLabel, texture_label

PHASES = ("chords", "drums", "bass", "melody")
BPM = 100


def _approved(run_dir: Path) -> list[Part]:
    return [
        part
        for phase in PHASES
        for path in sorted((run_dir / phase / "approved").glob("*.mid"))
        for part in read_midi(path).parts
    ]


def _measure(parts: list[Part]) -> dict[str, float]:
    """Onsets per beat of the pitched parts (tempo-relative density)."""
    pitched = [n for p in parts if not p.is_drum for n in p.notes]
    beats = max(n.end for n in pitched)
    return {"onsets_per_beat": len({round(n.start, 3) for n in pitched}) / beats}


def _run(make_proposal: Callable[..., Path], tmp: Path, mood: list[str]) -> Path:
    name = "_".join(mood).replace(" ", "_")
    proposal = make_proposal(
        name,
        title="Same Song",
        key="C major",
        bpm=BPM,
        mood=mood,
        sections=[{"name": "verse", "bars": 4}],
        evolution={"population_size": 24, "generations": 12, "top_n": 2},
        weights={"theory": 0.3, "chromatic": 0.7, "emotion": 0.4},
    )
    outcome = start_run(proposal_path=proposal, out_dir=tmp / name, auto_approve=True)
    assert outcome.status == "done"
    return outcome.run_dir


def test_mood_words_move_the_approved_song(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    calm = _run(make_proposal, tmp_path, ["tender", "sleepy"])
    wild = _run(make_proposal, tmp_path, ["driving", "angry"])
    labels: dict[str, WeakLabel] = {}
    midi: dict[str, dict[str, float]] = {}
    audio: dict[str, dict[str, float]] = {}
    for name, run_dir in (("calm", calm), ("wild", wild)):
        parts = _approved(run_dir)
        label = texture_label(parts, bpm=BPM)
        assert label is not None
        labels[name], midi[name] = label, _measure(parts)
        review: dict[str, Any] = YAML(typ="safe").load(
            (run_dir / "melody" / "review.yml").read_text(encoding="utf-8")
        )
        assert review["scoring_weights"]["emotion"] == 0.4
        first = review["candidates"][0]
        assert set(first["scores"]["emotion"]) >= {"valence", "arousal", "match"}
        # An auto-approved run writes only the approved previews, at the gate: the emotion
        # model hears the approved melody's (the top candidate over the approved parts).
        audio[name] = audio_emotion(run_dir / first["preview"], target=(0.0, 0.0))
    # The estimates move the way the words point: angry is less pleasant, driving more aroused.
    assert labels["wild"].valence < labels["calm"].valence
    assert labels["wild"].arousal > labels["calm"].arousal + 0.2
    # The emotion model hearing the top melody's preview (over the approved parts) agrees on
    # arousal: the driving song sounds more aroused.
    assert audio["wild"]["arousal"] > audio["calm"]["arousal"]
    # ... and the notes themselves differ: busier.
    # (The chords comp by genre, the same strum in both songs, so the whole texture's density
    # moves less than the melody's and bass's alone.)
    assert midi["wild"]["onsets_per_beat"] > 1.3 * midi["calm"]["onsets_per_beat"]
