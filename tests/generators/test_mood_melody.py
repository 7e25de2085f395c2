"""The shipped mood melody transformer on onnxruntime: it is small and trained on the real
lead sheets, its samples become valid melody genomes in the requested key, meter, section
length and range, the same seed gives the same melodies, and moving the condition from low to
high valence or arousal moves what the weak labels read in the expected direction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generators.chords.genome import workhorse_genomes
from generators.harmony import chord_timeline
from generators.melody.compound import TokenNote
from generators.melody.genome import validate_genome
from generators.melody.mood_seeds import mood_genomes, sample_genome
from generators.melody.mood_transformer import SAMPLED_METERS, MoodMelodyTransformer, MoodSample
from generators.melody.operators import MelodyOps
from generators.melody.ranges import VOICES
from generators.melody.to_midi import melody_notes
from music.keys import Key
from music.meter import Meter

MODEL = MoodMelodyTransformer.load()
#: About half the shifts the evaluation measured on 96 samples per condition (minor share 0.90
#: -> 0.01 from low to high valence; velocity 65 -> 110 and 3.6 -> 4.3 notes a bar from low to
#: high arousal, README "Mood-aimed melodies").
MARGIN_MINOR = 0.4
MARGIN_VELOCITY = 20.0
MARGIN_PER_BAR = 0.3
CASES = [
    (Key(0, "major"), Meter(4, 4), "voice", 8),
    (Key(6, "minor"), Meter(3, 4), "flute", 8),
    (Key(10, "major"), Meter(2, 2), "male vocal", 4),
    (Key(2, "dorian"), Meter(4, 4), "violin", 12),
    (Key(4, "minor"), Meter(2, 4), "trumpet", 6),
    (Key(7, "mixolydian"), Meter(3, 4), "synth lead", 16),
]


def _ops(key: Key, meter: Meter, voice: str, bars: int) -> MelodyOps:
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=bars)
    return MelodyOps(key=key, meter=meter, harmony=harmony, bars=bars, voice=VOICES[voice])


def test_shipped_model_is_small_and_trained_on_the_lead_sheets() -> None:
    step = Path(MODEL.step.path)
    assert step.name == "mood_melody_step.onnx"
    assert step.stat().st_size < 2 * 1024 * 1024
    assert step.with_name("mood_melody.onnx").stat().st_size < 2 * 1024 * 1024
    side = MODEL.step.sidecar
    assert side["data"]["build"]["segments"] > 1000
    assert "OpenEWLD" in side["data"]["source"]
    assert side["parity_max_abs"] <= 1e-4
    assert (
        side["metrics"]["heldout_loss_per_note"]
        < side["metrics"]["heldout_unigram_loss_per_note"] - 1.0
    )
    assert all(MODEL.supports(Meter.parse(m)) for m in SAMPLED_METERS)
    assert not MODEL.supports(Meter(7, 8)) and not MODEL.supports(Meter(6, 8))


@pytest.mark.parametrize(("key", "meter", "voice", "bars"), CASES, ids=lambda v: str(v))
def test_samples_are_valid_genomes_in_the_key(
    key: Key, meter: Meter, voice: str, bars: int
) -> None:
    ops = _ops(key, meter, voice, bars)
    valence = -0.6 if key.is_minor else 0.6
    genomes = mood_genomes(
        MODEL, ops, valence=valence, arousal=0.6, bpm=120, n=8, rng=np.random.default_rng(3)
    )
    assert len(genomes) >= 6
    scale = set(key.scale_pcs())
    for g in genomes:
        validate_genome(g, meter)
        assert len(g.bars) == bars and g.base == ops.base
        notes = melody_notes(g, key, meter)
        assert {n.pitch % 12 for n in notes} <= scale
        assert all(VOICES[voice].low <= n.pitch <= VOICES[voice].high for n in notes)
        assert max(n.end for n in notes) <= bars * meter.bar_qn + 1e-6


def test_same_seed_same_melodies_and_no_samples_for_other_meters() -> None:
    ops = _ops(Key(0), Meter(4, 4), "voice", 8)

    def draw(seed: int) -> list[object]:
        return list(
            mood_genomes(
                MODEL, ops, valence=0.5, arousal=0.0, bpm=96, n=4, rng=np.random.default_rng(seed)
            )
        )

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)
    seven = _ops(Key(0), Meter(7, 8), "voice", 4)
    assert (
        mood_genomes(
            MODEL, seven, valence=0.5, arousal=0.0, bpm=96, n=4, rng=np.random.default_rng(0)
        )
        == []
    )


def test_a_sample_is_fitted_into_the_range_and_snapped_to_chord_tones() -> None:
    ops = _ops(Key(0), Meter(4, 4), "voice", 4)
    # Two octaves above the reference tonic, far above A3..E5; the first note a step above
    # the tonic on the downbeat of a C chord.
    high = MoodSample(
        mode="major",
        notes=(
            TokenNote(0, 0, 4, 15, 90),
            TokenNote(1, 0, 4, 18, 90),
            TokenNote(2, 4, 4, 16, 90),
            TokenNote(3, 0, 8, 14, 90),
        ),
    )
    genome = sample_genome(high, ops)
    assert genome is not None
    notes = melody_notes(genome, Key(0), Meter(4, 4))
    assert all(57 <= n.pitch <= 76 for n in notes)
    assert notes[0].pitch % 12 == 0  # D on the downbeat of C moved to C
    unsnapped = sample_genome(high, ops, snap=False)
    assert unsnapped is not None
    assert melody_notes(unsnapped, Key(0), Meter(4, 4))[0].pitch % 12 == 2
    assert (
        sample_genome(
            MoodSample("major", (TokenNote(0, 0, 4, 0, 90),)), _ops(Key(0), Meter(4, 4), "voice", 8)
        )
        is None
    )


def _measure(samples: list[MoodSample]) -> dict[str, float]:
    notes = [n for s in samples for n in s.notes]
    return {
        "minor": float(np.mean([s.mode == "minor" for s in samples])),
        "per_bar": len(notes) / (8 * len(samples)),
        "velocity": float(np.mean([n.velocity for n in notes])),
    }


def test_a_higher_valence_or_arousal_shifts_the_samples_the_expected_way() -> None:
    """Minor-mode share down as valence rises; notes per bar and velocity up as arousal
    rises, each by a margin about half what the evaluation measured."""
    rng = np.random.default_rng(0)

    def draw(valence: float, arousal: float, mode: str | None) -> dict[str, float]:
        return _measure(
            MODEL.sample(
                48,
                valence=valence,
                arousal=arousal,
                bpm=100,
                meter=Meter(4, 4),
                bars=8,
                rng=rng,
                mode=mode,
            )
        )

    sad, happy = draw(-0.8, 0.0, None), draw(0.8, 0.0, None)
    assert sad["minor"] > happy["minor"] + MARGIN_MINOR
    calm, excited = draw(0.0, -0.8, "major"), draw(0.0, 0.8, "major")
    assert excited["velocity"] > calm["velocity"] + MARGIN_VELOCITY
    assert excited["per_bar"] > calm["per_bar"] + MARGIN_PER_BAR


def test_with_lyrics_each_phrase_carries_its_syllables() -> None:
    key, meter = Key(3, "major"), Meter(3, 4)
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=8)
    ops = MelodyOps(key=key, meter=meter, harmony=harmony, bars=8, syllables=(5, 11))
    genomes = mood_genomes(
        MODEL, ops, valence=0.5, arousal=-0.5, bpm=96, n=8, rng=np.random.default_rng(4)
    )
    assert len(genomes) >= 6
    for g in genomes:
        validate_genome(g, meter)
        assert g.note_counts() == (5, 11)
        assert {n.pitch % 12 for n in melody_notes(g, key, meter)} <= set(key.scale_pcs())


def test_a_target_at_odds_with_the_key_keeps_few_samples() -> None:
    """The model writes a sad target mostly in minor: in a major key few of its samples are
    kept, in a minor key most are."""
    rng = np.random.default_rng(6)
    major = _ops(Key(0, "major"), Meter(4, 4), "voice", 8)
    minor = _ops(Key(9, "minor"), Meter(4, 4), "voice", 8)

    def sad(ops: MelodyOps) -> int:
        return len(mood_genomes(MODEL, ops, valence=-0.8, arousal=-0.3, bpm=90, n=12, rng=rng))

    assert sad(major) <= 4
    assert sad(minor) >= 10
