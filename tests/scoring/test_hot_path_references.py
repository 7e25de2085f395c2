"""The faster theory, diversity and preview paths equal, value for value, the formulas they
replaced (kept here as references): key clarity with the profile side of Pearson's r
precomputed and all keys correlated at once, the chord distance read from cached beat
signatures, the distance cache of the engine, and the mono mix of a rendered part."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from evolution.diversity import DistanceCache, select_diverse
from evolution.engine import Scored
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import ChordGenome
from generators.chords.operators import ChordOps, _at
from music.chords import chord_pitches, parse_roman
from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.chords import _PROFILES, SoundedChord, key_clarity


def _ref_pearson(a: Sequence[float], b: Sequence[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return num / den if den else 0.0


def _ref_key_clarity(chords: Sequence[SoundedChord], *, key: Key) -> float:
    hist = [0.0] * 12
    for c in chords:
        for pitch in c.voicing:
            hist[pitch % 12] += c.beats
    if not any(hist):
        return 0.0
    wanted = (key.tonic, key.family)
    clarity = 1.0
    for major, minor in _PROFILES.values():
        best_other = -1.0
        r_wanted = -1.0
        for family, profile in (("major", major), ("minor", minor)):
            for tonic in range(12):
                r = _ref_pearson(hist, [profile[(pc - tonic) % 12] for pc in range(12)])
                if (tonic, family) == wanted:
                    r_wanted = r
                else:
                    best_other = max(best_other, r)
        clarity = min(clarity, max(0.0, min(1.0, 0.5 + 5.0 * (r_wanted - best_other))))
    return clarity


NUMERALS = ("I", "ii", "iii", "IV", "V", "vi", "bVII", "V7", "ii7", "bVI")


@pytest.mark.parametrize("seed", range(30))
def test_key_clarity_of_any_histogram_equals_the_per_pair_reference(seed: int) -> None:
    """Voicings of random pitches held for odd lengths (thirds, fifths of a beat), so the
    histogram's sums are not exact binary fractions; every key of both families."""
    rng = np.random.default_rng(100 + seed)
    chords = [
        SoundedChord(
            token="0:maj",
            pitch_classes=(0, 4, 7),
            voicing=tuple(int(p) for p in rng.integers(36, 84, size=int(rng.integers(1, 6)))),
            beats=float(rng.integers(1, 12)) / float(rng.choice([1, 3, 5, 7])),
        )
        for _ in range(int(rng.integers(1, 7)))
    ]
    for tonic in range(12):
        for family in ("major", "minor"):
            key = Key(tonic, family)
            assert key_clarity(chords, key=key) == _ref_key_clarity(chords, key=key)


def test_key_clarity_of_a_flat_histogram_equals_the_reference() -> None:
    every = SoundedChord(token="0:maj", pitch_classes=(0,), voicing=tuple(range(48, 60)), beats=2.0)
    assert key_clarity([every], key=Key(0, "major")) == _ref_key_clarity(
        [every], key=Key(0, "major")
    )


@pytest.mark.parametrize("seed", range(40))
def test_key_clarity_equals_the_per_pair_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    key = Key(int(rng.integers(12)), "minor" if seed % 2 else "major")
    chords = []
    for _ in range(int(rng.integers(1, 9))):
        rc = parse_roman(str(rng.choice(NUMERALS)), key)
        chord = rc.in_key(key)
        chords.append(
            SoundedChord(
                token=rc.token,
                pitch_classes=chord.pitch_classes(),
                voicing=chord_pitches(chord, octave=int(rng.integers(2, 5))),
                beats=float(rng.choice([1.0, 1.5, 2.0, 4.0])),
            )
        )
    assert key_clarity(chords, key=key) == _ref_key_clarity(chords, key=key)


def _ref_chord_distance(ops: ChordOps, a: ChordGenome, b: ChordGenome) -> float:
    offsets = ops.meter.beat_offsets_qn()
    total, count = 0.0, 0
    for bar_a, bar_b in zip(a, b, strict=False):
        for pos in offsets:
            ga, gb = _at(bar_a, pos), _at(bar_b, pos)
            count += 1
            if ga.token != gb.token:
                total += 1.0
            elif ga.quality != gb.quality or ga.inversion != gb.inversion:
                total += 0.25
    count += abs(len(a) - len(b)) * len(offsets)
    total += abs(len(a) - len(b)) * len(offsets)
    return total / count if count else 0.0


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(7, 8)])
def test_chord_distance_equals_the_per_beat_reference(meter: Meter) -> None:
    ops = ChordOps(key=Key(9, "minor"), meter=meter, bars=4, model=ChordTransitionModel.load())
    rng = np.random.default_rng(1)
    genomes = [ops.random(rng) for _ in range(12)]
    genomes += [ops.mutate(g, rng) for g in genomes]  # near neighbours share bars
    genomes.append(genomes[0][:2])  # another length
    for a in genomes:
        for b in genomes:
            assert ops.distance(a, b) == _ref_chord_distance(ops, a, b)


def test_distance_cache_gives_the_same_selection_and_computes_each_pair_once() -> None:
    rng = np.random.default_rng(4)
    genomes = [tuple(int(x) for x in rng.integers(0, 3, size=8)) for _ in range(60)]
    items = [Scored(genome=g, score=0.0, fitness=float(rng.random())) for g in genomes]

    def hamming(a: tuple[int, ...], b: tuple[int, ...]) -> float:
        return sum(x != y for x, y in zip(a, b, strict=True)) / len(a)

    cache = DistanceCache(hamming)
    plain = select_diverse(items, 20, distance=hamming, min_distance=0.4, keep=2)
    first = select_diverse(items, 20, distance=cache, min_distance=0.4, keep=2)
    computed = cache.computed
    again = select_diverse(items, 20, distance=cache, min_distance=0.4, keep=2)
    assert [i.genome for i in first] == [i.genome for i in plain] == [i.genome for i in again]
    assert computed > 0 and cache.computed == computed  # the second pass computed nothing
    cache.retain([i.genome for i in first])
    select_diverse(items, 20, distance=cache, min_distance=0.4, keep=2)
    assert cache.computed > computed  # pairs with dropped genomes were forgotten


def test_mono_mix_equals_numpy_mean_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthesizer's mono mix (``(left + (right + 0.0)) / 2`` in float32) is byte for byte
    ``mean(axis=1)``: signed zeros, subnormals and large values included."""
    from render import synth

    rng = np.random.default_rng(9)
    stereo = rng.standard_normal((20_000, 2)) * rng.choice([1e-45, 1e-40, 1e-3, 1.0], (20_000, 2))
    stereo = stereo.astype(np.float32)
    stereo[rng.random((20_000, 2)) < 0.3] = -0.0
    stereo[rng.random((20_000, 2)) < 0.05] = 0.0

    class Fixed:
        name = "fixed"

        def reset(self) -> None: ...

        def select(self, channel: int, program: int, *, is_drum: bool) -> None: ...

        def note_on(self, channel: int, pitch: int, velocity: int) -> None: ...

        def note_off(self, channel: int, pitch: int) -> None: ...

        def render_into(self, out: np.ndarray) -> None:
            out[:] = stereo[: len(out)]

    synthesizer = object.__new__(synth.Synthesizer)
    synthesizer.sample_rate = 1000
    synthesizer._engine = Fixed()  # type: ignore[assignment]
    part = Part("p", (Note(start=0.0, end=1.0, pitch=60),))
    both = synthesizer.render_part(part, 60.0, seconds=20.0, channels=2)
    mono = synthesizer.render_part(part, 60.0, seconds=20.0, channels=1)
    assert mono.dtype == np.float32 and np.signbit(both).any() and (both == 0).any()
    assert mono.tobytes() == np.asarray(both.mean(axis=1, dtype=np.float32)).tobytes()
