"""A slice cut from a loop holds one hit: a hit the onsets missed inside it (a ghost note, a
flam's second stroke) and the start of the next hit's attack before its onset are cut off, so
a kit played at the notes' times sounds no hit that no note asked for. A one-shot file is kept
whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from render.kit.onsets import detect_onsets, one_shot, slice_hits

SR = 44100


def _hit(seconds: float, level_db: float, *, rise_s: float = 0.0005, seed: int = 0) -> np.ndarray:
    """A drum-like hit: noise under a ``rise_s`` attack and a 25 ms exponential decay, 0.3 s."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(0.3 * SR)) / SR
    env = np.minimum(1.0, t / rise_s) * np.exp(-t / 0.025)
    return (10 ** (level_db / 20) * env * rng.standard_normal(t.size)).astype(np.float32)


def _loop(hits: list[tuple[float, float, float]], seconds: float = 1.0) -> np.ndarray:
    """``[frames, 1]`` audio with a hit per ``(start s, level dB, attack rise s)``."""
    out = np.zeros(round(seconds * SR), dtype=np.float32)
    for i, (start, level, rise) in enumerate(hits):
        h = _hit(start, level, rise_s=rise, seed=i)
        a = round(start * SR)
        out[a : a + h.size] += h[: out.size - a]
    return out[:, None]


def _onsets_in(audio: np.ndarray) -> np.ndarray:
    """The onsets of one slice played alone, in silence."""
    mono = audio.mean(axis=1)
    return detect_onsets(np.concatenate([np.zeros(SR // 10, np.float32), mono, mono * 0]), SR)


def test_a_missed_hit_inside_a_slice_is_cut_off() -> None:
    # A ghost note 20 dB down 110 ms after a hit, not among the onsets given: the first slice
    # would run on to the next onset and play the ghost as part of every note it is used for.
    loop = _loop([(0.1, -1.0, 0.0005), (0.21, -21.0, 0.0005), (0.5, -1.0, 0.0005)])
    first, second = slice_hits(loop, SR, np.array([0.1, 0.5]), source=Path("loop.wav"))
    assert first.end < 0.21 < 0.5 <= second.start + 0.01
    assert len(_onsets_in(first.audio)) == 1
    assert len(_onsets_in(second.audio)) == 1


def test_the_next_attack_rising_before_its_onset_is_not_the_tail() -> None:
    # The next hit swells over 40 ms and its onset is found 20 ms into that rise: the slice
    # before ends in the quiet before the swell starts, not at the onset.
    loop = _loop([(0.1, -1.0, 0.0005), (0.38, -1.0, 0.04)])
    first, _ = slice_hits(loop, SR, np.array([0.1, 0.4]), source=Path("loop.wav"))
    assert first.end <= 0.381
    tail = first.audio[-round(0.01 * SR) :, 0]
    assert 20 * np.log10(np.abs(tail).max()) < -30  # the swell's start is not in it


def test_a_one_shot_is_kept_whole() -> None:
    # A one-shot file is one sound as the classifier was trained on: a rattle or a flam in it
    # stays.
    shot = _loop([(0.0, -1.0, 0.0005), (0.12, -15.0, 0.0005)], seconds=0.5)
    hit = one_shot(shot, SR, source=Path("shot.wav"))
    assert hit is not None and hit.end > 0.2
