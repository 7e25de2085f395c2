"""weighted_index draws what ``Generator.choice(n, p=p)`` draws, from the same random stream."""

from __future__ import annotations

import numpy as np

from generators.sampling import cumulative, index_by_cumulative, weighted_index


def test_weighted_index_is_generator_choice_draw_for_draw() -> None:
    for n in (1, 2, 5, 9, 40):
        for seed in range(40):
            p = np.random.default_rng(seed).random(n) ** 3  # some weights near zero
            p /= p.sum()
            ours, numpys = np.random.default_rng(seed + 500), np.random.default_rng(seed + 500)
            drawn = [weighted_index(ours, p) for _ in range(60)]
            assert drawn == [int(numpys.choice(n, p=p)) for _ in range(60)]
            assert ours.random() == numpys.random()  # the streams stay in step


def test_weighted_index_never_draws_a_zero_weight() -> None:
    rng = np.random.default_rng(1)
    p = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
    assert {weighted_index(rng, p) for _ in range(500)} == {1, 3}


def test_a_cumulative_made_once_draws_what_weighted_index_draws() -> None:
    for seed in range(20):
        p = np.random.default_rng(seed).random(7) ** 2
        p /= p.sum()
        cdf = cumulative(p)
        ours, theirs = np.random.default_rng(seed + 9), np.random.default_rng(seed + 9)
        drawn = [index_by_cumulative(ours, cdf) for _ in range(80)]
        assert drawn == [weighted_index(theirs, p) for _ in range(80)]
