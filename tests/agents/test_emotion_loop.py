"""Emotion in the loop, end to end: two proposals that differ only in their mood words run the
real graph (auto-approved through chords, drums, bass and melody, with the real scorers) and
their approved songs move as asked: "driving, angry" ends less pleasant than "tender, sleepy"
(valence by the same MIDI cues the loop scores with), more aroused, louder and much busier.

Loudness comes from the dynamic level the mood sets (:mod:`music.dynamics`: the tender song is
played at 0.74 of its written velocities, the angry one at 1.13); density from the drum styles
the mood words choose (sparse for "tender, sleepy", rock for "driving, angry") and the emotion
score every phase holds its candidates to, which hears the parts at that level. In the run that
set this test (with the mood melody transformer seeding the melody phase): valence 0.43 against
0.10, arousal -0.22 against 0.28, 5.1 against 13.0 onsets a second, mean velocity 50 against 82.
Over seeds 1-5, before that seeding, the gaps were at least 0.28 (valence), 0.53 (arousal), a
density ratio of 2.3 and a velocity ratio of 1.25."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

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
    for name, run_dir in (("calm", calm), ("wild", wild)):
        parts = _approved(run_dir)
        label = texture_label(parts, bpm=BPM)
        assert label is not None
        labels[name] = label
        review: dict[str, Any] = YAML(typ="safe").load(
            (run_dir / "melody" / "review.yml").read_text(encoding="utf-8")
        )
        assert review["scoring_weights"]["emotion"] == 0.4
        first = review["candidates"][0]
        assert set(first["scores"]["emotion"]) >= {"valence", "arousal", "match"}
    # The estimates move the way the words point: angry is less pleasant ...
    assert labels["wild"].valence < labels["calm"].valence - 0.15
    # ... more aroused, played louder ...
    assert labels["wild"].arousal > labels["calm"].arousal + 0.3
    assert labels["wild"].velocity > 1.2 * labels["calm"].velocity
    # ... and the whole texture is busier (onsets a second, every part, drums included).
    assert labels["wild"].density > 1.5 * labels["calm"].density
