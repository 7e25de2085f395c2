"""The kit classifier's training: the labelled one-shots' split keeps a sound's variants in one
half, augmentation is seeded, and a model trained with labelled one-shots reports each one's
class as predicted by a model that never saw its group (built from hits made in code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from render.kit.audio import KIT_SAMPLE_RATE
from render.kit.classify import DrumClassifier
from render.kit.features import FEATURE_NAMES, feature_vector, hit_features
from training.kitclass.dataset import OneShots, augmented
from training.kitclass.labels import LABELS, group, split
from training.kitclass.train import TrainConfig, train_classifier

SR = KIT_SAMPLE_RATE


def test_variants_of_one_sound_share_a_group_and_a_half() -> None:
    assert group("drum_tom_hi_hard") == group("drum_tom_lo_soft") == "drum_tom"
    assert group("perc_snap2") == group("perc_snap") == "perc_snap"
    assert group("elec_mid_snare") == "elec_snare"
    assert group("bd_808") == "bd_808"  # a number that is a name, not a take
    halves = split()
    assert set(halves) == set(LABELS)
    by_group: dict[str, set[str]] = {}
    for name, half in halves.items():
        by_group.setdefault(group(name), set()).add(half)
    assert all(len(h) == 1 for h in by_group.values()), by_group
    held = [n for n, h in halves.items() if h == "held_out"]
    assert 0.3 * len(LABELS) <= len(held) <= 0.7 * len(LABELS)
    assert {LABELS[n] for n in held} >= {"kick", "snare", "tom", "perc"}


def _kick(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.4 * SR)) / SR
    f = rng.uniform(45, 70) * (1 + 2 * np.exp(-t / 0.02))
    return (np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / 0.12)).astype(np.float32)


def _hat(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round(0.15 * SR)) / SR
    noise = np.diff(rng.normal(size=t.size + 1))  # tilted to the highs
    return (noise * np.exp(-t / rng.uniform(0.02, 0.05)) * 0.3).astype(np.float32)


def _rows(hits: list[np.ndarray], label: str) -> OneShots:
    x = np.stack([feature_vector(hit_features(h, SR)) for h in hits])
    return OneShots(x=x, y=(label,) * len(hits), origin=((0, 0, 0),) * len(hits))


def test_augmentation_is_seeded_and_changes_the_hit() -> None:
    hit = _kick(np.random.default_rng(0))
    a = augmented(hit, "kick", np.random.default_rng(3))
    b = augmented(hit, "kick", np.random.default_rng(3))
    assert len(a) == len(b) > 4
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert np.array_equal(a[0], hit)
    assert all(not np.array_equal(u[: hit.size], hit[: u.size]) for u in a[1:])


def test_training_with_labelled_one_shots_reports_out_of_fold_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = [
        OneShots(
            x=np.vstack(
                [
                    _rows([_kick(rng) for _ in range(6)], "kick").x,
                    _rows([_hat(rng) for _ in range(6)], "closed_hat").x,
                ]
            ),
            y=("kick",) * 6 + ("closed_hat",) * 6,  # type: ignore[arg-type]
            origin=((0, 0, 0),) * 12,
        )
    ]
    labelled = {
        "k1": _rows(augmented(_kick(rng), "kick", rng), "kick"),
        "k2": _rows(augmented(_kick(rng), "kick", rng), "kick"),
        "h1": _rows(augmented(_hat(rng), "closed_hat", rng), "closed_hat"),
    }
    report = train_classifier(
        ["synthetic"],
        tmp_path / "m.npz",
        config=TrainConfig(trees=20),
        data=base,
        labelled=labelled,
        groups={"k1": "k", "k2": "k", "h1": "h"},
    )
    assert report["labelled_one_shots"] == ["h1", "k1", "k2"]
    assert report["dev_out_of_fold"] == {"h1": "closed_hat", "k1": "kick", "k2": "kick"}
    assert report["hits"] == 12 + sum(len(s.y) for s in labelled.values())
    model = DrumClassifier.load(tmp_path / "m.npz")
    assert model.meta["dev_out_of_fold"] == report["dev_out_of_fold"]
    assert "energy_db" not in model.features and len(model.features) == len(FEATURE_NAMES) - 1
    got = model.classify(hit_features(_hat(np.random.default_rng(9)), SR))
    assert got.drum_class == "closed_hat"
