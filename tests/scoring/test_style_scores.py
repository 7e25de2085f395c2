"""The style fit in each part's theory total: an exercise-like extreme (every phrase V-I, a
machine-gun hi-hat at full velocity, a run of sixteenth-note steps, a pedal on one note) scores
below a part shaped like real music, and the fit components replace the more-is-better ones."""

from __future__ import annotations

import numpy as np

from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import CLOSED_HH, KICK, SNARE, Grid
from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.bass import BASS_STYLE_WEIGHTS, score_bass
from scoring.chords import CHORD_STYLE_WEIGHTS, SoundedChord, score_progression
from scoring.drums import DRUM_STYLE_WEIGHTS, DrumPattern, score_drums
from scoring.melody import MELODY_STYLE_WEIGHTS, score_melody
from scoring.style.bass import bass_style
from scoring.style.chords import chord_style
from scoring.style.drums import drum_style
from scoring.style.melody import melody_style
from scoring.style.profile import StyleProfile, shipped_profiles
from scoring.style.select import song_profile
from scoring.timeline import ChordSpan

M44 = Meter(4, 4)
C = Key(0, "major")
#: C F G C, a bar each, over eight bars.
CHORDS = [
    ChordSpan(4.0 * b, 4.0 * b + 4.0, root, tuple((root + i) % 12 for i in (0, 4, 7)))
    for b, root in enumerate([0, 5, 7, 0] * 2)
]


def pooled(part: str) -> StyleProfile:
    profile = shipped_profiles(part).get("any|any|any")
    assert profile is not None
    return profile


def test_an_authentic_cadence_on_every_phrase_costs() -> None:
    profile = song_profile("chords", genres=["pop"], mood=[], bpm=100, meter="4/4")
    assert profile is not None

    def sounded(tokens: list[str]) -> list[SoundedChord]:
        return [SoundedChord(t, (0, 4, 7), (48, 60, 64, 67), 4.0) for t in tokens]

    textbook = sounded(["0:maj", "5:maj", "7:maj", "0:maj"])  # I IV V I, every loop
    loop = sounded(["0:maj", "7:maj", "9:min", "5:maj"])  # I V vi IV
    a = chord_style(textbook, key=C, bar_qn=4.0, profile=profile)
    b = chord_style(loop, key=C, bar_qn=4.0, profile=profile)
    assert a["style_cadence"] < b["style_cadence"]
    card = score_progression(loop, key=C, bars=4, likelihood=0.5, style=b)
    assert set(card.as_dict()) == set(CHORD_STYLE_WEIGHTS)


def humanised_rock(bars: int, rng: np.random.Generator) -> list[Hit]:
    hits = []
    for b in range(bars):
        s = 16 * b
        for step, voice, vel in ((0, KICK, 100), (8, KICK, 95), (10, KICK, 80)):
            hits.append(Hit(s + step, voice, vel, float(rng.normal(0, 0.08))))
        hits += [Hit(s + 4, SNARE, 105, float(rng.normal(0, 0.08)))]
        hits += [Hit(s + 12, SNARE, 105, float(rng.normal(0, 0.08)))]
        hits += [Hit(s + 7, SNARE, 40, float(rng.normal(0, 0.08)))]  # a ghost note
        hits += [
            Hit(s + k, CLOSED_HH, 60 + 25 * (k % 4 == 0) + int(rng.integers(-8, 8)),
                float(rng.normal(0, 0.08)))
            for k in range(0, 16, 2)
        ]  # fmt: skip
    return hits


def test_a_machine_gun_beat_scores_below_a_played_one() -> None:
    grid = Grid.for_meter(M44)
    played = DrumGenome(grid=grid, bars=4, hits=()).with_hits(
        humanised_rock(4, np.random.default_rng(1))
    )
    machine = DrumGenome(grid=grid, bars=4, hits=()).with_hits(
        [Hit(s, v, 127) for s in range(64) for v in (KICK, SNARE, CLOSED_HH)]
    )
    profile = song_profile("drums", genres=["rock"], mood=[], bpm=110, meter="4/4")
    assert profile is not None
    good = drum_style(played, bpm=110, profile=profile)
    bad = drum_style(machine, bpm=110, profile=profile)
    for name in ("style_density", "style_feel", "style_balance"):
        assert bad[name] < good[name], name
    card = score_drums(DrumPattern.of(played), bpm=110, style=good)
    assert set(card.as_dict()) == set(DRUM_STYLE_WEIGHTS)
    assert card.total > score_drums(DrumPattern.of(machine), bpm=110, style=bad).total


def test_a_run_of_sixteenth_steps_scores_below_a_tune() -> None:
    tune_pitches = [64, 62, 60, 62, 64, 64, 64, 67, 65, 64, 62, 60, 72, 71, 69, 67]
    tune = []
    t = 0.0
    for i, p in enumerate(tune_pitches):
        d = 1.0 if i % 4 != 3 else 2.0
        tune.append(Note(t, t + d * 0.9, p))
        t += d
    run = [Note(0.25 * k, 0.25 * k + 0.25, 60 + (k % 8)) for k in range(128)]
    profile = pooled("melody")
    good = melody_style(tune, CHORDS, meter=M44, bars=8, profile=profile)
    bad = melody_style(run, CHORDS, meter=M44, bars=8, profile=profile)
    assert bad["style_rhythm"] < good["style_rhythm"]
    assert bad["style_motion"] < good["style_motion"]
    card = score_melody(
        tune, chords=CHORDS, meter=M44, key=C, register=(55, 79), phrase_qn=16.0, style=good
    )
    assert set(card.as_dict()) == set(MELODY_STYLE_WEIGHTS) - {"lyric_fit"}


def test_a_pedal_scores_below_a_walking_chorale_bass() -> None:
    walking = []
    for b, root in enumerate([0, 5, 7, 0] * 2):
        base = 36 + root if root < 7 else 31
        for k, step in enumerate((0, 2, 4, 2)):
            walking.append(Note(4.0 * b + k, 4.0 * b + k + 1, base + step))
    pedal = [Note(0.5 * k, 0.5 * k + 0.5, 36) for k in range(64)]
    profile = song_profile("bass", genres=["hymn"], mood=[], bpm=70, meter="4/4")
    assert profile is not None
    good = bass_style(walking, CHORDS, meter=M44, bars=8, profile=profile)
    bad = bass_style(pedal, CHORDS, meter=M44, bars=8, profile=profile)
    assert bad["style_motion"] < good["style_motion"]
    assert bad["style_rhythm"] < good["style_rhythm"]
    card = score_bass(walking, chords=CHORDS, meter=M44, style=good)
    assert set(card.as_dict()) == set(BASS_STYLE_WEIGHTS)
