"""The emotion estimate the loop scores with: MIDI cues of a texture, the match to a mood
target, and its share of the composite."""

from __future__ import annotations

import pytest

from music.notes import Note, Part
from scoring.composite import EmotionScore, TheoryScores, Weights, composite, effective_weights
from scoring.emotion.midi import EmotionAim, texture_label


def _triads(root: int, third: int, *, step: float, velocity: int, octave: int = 60) -> Part:
    """Block triads on ``root`` every ``step`` quarter notes for 8 beats."""
    notes = [
        Note(pitch=octave + root + iv, start=t * step, end=(t + 1) * step, velocity=velocity)
        for t in range(int(8 / step))
        for iv in (0, third, 7)
    ]
    return Part(name="keys", notes=tuple(notes))


def test_major_high_and_busy_reads_happier_and_more_aroused() -> None:
    calm_minor = _triads(9, 3, step=2.0, velocity=50, octave=48)
    busy_major = _triads(0, 4, step=0.25, velocity=115, octave=72)
    calm = texture_label([calm_minor], bpm=80)
    busy = texture_label([busy_major], bpm=80)
    assert calm is not None and busy is not None
    assert busy.valence > calm.valence + 0.5
    assert busy.arousal > calm.arousal + 0.5


def test_drums_add_to_arousal_never_to_mode_or_register() -> None:
    keys = _triads(0, 4, step=2.0, velocity=70)
    hits = tuple(
        Note(pitch=38, start=i * 0.25, end=i * 0.25 + 0.1, velocity=120) for i in range(32)
    )
    drums = Part(name="drums", notes=hits, is_drum=True)
    alone, with_drums = texture_label([keys], bpm=100), texture_label([keys, drums], bpm=100)
    assert alone is not None and with_drums is not None
    assert with_drums.valence == alone.valence
    assert with_drums.arousal > alone.arousal + 0.3
    assert texture_label([drums], bpm=100) is None


def test_the_match_falls_with_distance_and_the_composite_gives_it_its_share() -> None:
    aim = EmotionAim(valence=-0.5, arousal=0.8, bpm=140)
    angry = aim.score([_triads(9, 3, step=0.25, velocity=120, octave=48)])
    tender = aim.score([_triads(0, 4, step=2.0, velocity=45, octave=72)])
    assert angry is not None and tender is not None and angry.match > tender.match
    assert EmotionScore.of(1.0, 1.0, (-1.0, -1.0)).match == 0.0
    assert EmotionScore.of(0.2, 0.3, (0.2, 0.3)).match == 1.0
    theory = TheoryScores(components=(("a", 0.5),), total=0.5)
    w = Weights(theory=0.3, chromatic=0.7, emotion=0.4)
    card = composite(theory, None, w, EmotionScore.of(0.2, 0.3, (0.2, 0.3)))
    assert card.composite == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert composite(theory, None, w).composite == 0.5  # no mood target: theory alone
    assert effective_weights(w, True, True) == {
        "theory": pytest.approx(0.18),
        "chromatic": pytest.approx(0.42),
        "emotion": 0.4,
    }
    with pytest.raises(ValueError, match=r"weights\.emotion"):
        Weights(emotion=1.5)
