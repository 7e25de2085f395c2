"""The shipped drum transformer on onnxruntime: it loads, samples valid genomes, the same seed
gives the same output, bars regenerate in context, and the operators use it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generators.drums.decoding import Row, decode_cached, decode_window
from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import CLOSED_HH, KICK, OPEN_HH, PEDAL_HH, RIDE, SHAKER, SNARE, Grid
from generators.drums.operators import DrumOps
from generators.drums.tokens import VOCAB, header
from generators.drums.transformer import (
    BANK_STYLES,
    DrumTransformer,
    load_for_meter,
    transformer_style,
)
from music.meter import Meter
from scoring.metrics.drum_idiom import backbeat
from scoring.metrics.drums import meter_accents

MODEL = DrumTransformer.load()
METERS = load_for_meter(Meter(3, 4))
#: The meters whose cut bars follow their grouping since the 2+2+3 cut and the added
#: triplet-feel plans (:mod:`training.drums.augment`).
CUT_METERS = ("7/8", "9/8", "12/8")


def test_shipped_model_is_small_and_matches_the_vocabulary() -> None:
    path = Path(MODEL.model.path)
    assert path.name == "drum_transformer.onnx"
    assert path.stat().st_size < 20 * 1024 * 1024
    assert MODEL.step is not None
    assert Path(MODEL.step.path).stat().st_size < 20 * 1024 * 1024
    side = MODEL.model.sidecar
    assert side["vocab"] == list(VOCAB)
    assert side["metrics"]["val_perplexity"] > 1.0
    assert side["data"]["train"]["bars"] > 10_000  # trained on the real Groove data
    assert MODEL.samples_directly(Meter(4, 4)) and not MODEL.samples_directly(Meter(3, 4))
    assert load_for_meter(Meter(4, 4)).model.path == MODEL.model.path
    # The meters model, fine-tuned with the meters cut from Groove's 4/4 beats: every meter
    # with 1000 bars or more, in its usual grouping (7/8 as 2+2+3, 9/8 and 12/8 from the bars
    # played with a triplet feel); other meters and groupings are played in cells of those.
    assert Path(METERS.model.path).name == "drum_transformer_meters.onnx"
    assert METERS.step is not None and Path(METERS.step.path).stat().st_size < 20 * 1024 * 1024
    for m in ("3/4", "2/4", "5/4", "5/8", "6/8", *CUT_METERS):
        assert METERS.samples_directly(Meter.parse(m)), m
        assert load_for_meter(Meter.parse(m)).model.path == METERS.model.path, m
    cut_bars = METERS.model.sidecar["data"]["train_augmented"]["bars_per_meter"]
    assert all(cut_bars[m] >= 1000 for m in CUT_METERS), cut_bars
    for odd in (Meter(7, 4), Meter(5, 4, (2, 3))):
        assert not METERS.samples_directly(odd) and METERS.supports(odd), odd
        assert load_for_meter(odd).model.path == METERS.model.path, odd
    # 2/2 is played as the 4/4 bar of its length: by the model trained on Groove's 4/4.
    assert str(MODEL.cell_plan(Meter(2, 2))) == "4/4"
    assert load_for_meter(Meter(2, 2)).model.path == MODEL.model.path


def test_cached_decoding_matches_window_decoding() -> None:
    """The step graph with its key/value cache draws exactly the tokens the window graph draws
    (until the context is full and the two crop differently)."""
    assert MODEL.step is not None
    head = header("funk", 4, 4)
    for seed in range(3):
        window = [Row(tokens=list(head), header_len=4, bars_wanted=2) for _ in range(2)]
        cached = [Row(tokens=list(head), header_len=4, bars_wanted=2) for _ in range(2)]
        decode_window(MODEL.model, window, MODEL.context, 16, np.random.default_rng(seed), 1.0)
        shape = (MODEL.layers, 2, MODEL.heads, MODEL.context, MODEL.head_dim)
        decode_cached(MODEL.step, cached, shape, 16, np.random.default_rng(seed), 1.0)
        for a, b in zip(window, cached, strict=True):
            n = min(len(a.tokens), len(b.tokens), MODEL.context)
            assert a.tokens[:n] == b.tokens[:n]


def test_samples_are_valid_and_reproducible() -> None:
    a = MODEL.sample_bars("rock", Meter(4, 4), 2, np.random.default_rng(7))
    b = MODEL.sample_bars("rock", Meter(4, 4), 2, np.random.default_rng(7))
    c = MODEL.sample_bars("rock", Meter(4, 4), 2, np.random.default_rng(8))
    assert isinstance(a, DrumGenome) and a.bars == 2 and a.grid.steps_per_bar == 16
    assert a.key == b.key
    assert a.key != c.key
    assert all(0 <= h.step < 32 and 1 <= h.velocity <= 127 for h in a.hits)


def test_samples_sound_like_drum_grooves() -> None:
    genomes = MODEL.sample_many(6, "rock", Meter(4, 4), 2, np.random.default_rng(0))
    hits = [h for g in genomes for h in g.hits]
    n = len(hits)
    per_bar = n / 12
    assert 4 <= per_bar <= 40
    # A trained model plays kick, snare and a timekeeper (9 classes would give ~0.11 each).
    assert sum(h.voice == KICK for h in hits) / n > 0.1
    assert sum(h.voice == SNARE for h in hits) / n > 0.1
    keepers = {CLOSED_HH, OPEN_HH, PEDAL_HH, RIDE}
    assert sum(h.voice in keepers for h in hits) / n > 0.25
    # Most bars start with a kick or a cymbal, as real grooves do.
    downbeats = sum(any(h.step == b * 16 for h in g.hits) for g in genomes for b in range(g.bars))
    assert downbeats >= 8


def test_regenerate_bar_keeps_other_bars_and_unknown_voices() -> None:
    rng = np.random.default_rng(3)
    g = MODEL.sample_bars("funk", Meter(4, 4), 4, rng)
    g = g.with_hits([*g.hits, Hit(36, SHAKER, 40)])  # bar 2 has a shaker the model lacks
    new = MODEL.regenerate_bar(g, 2, rng)
    for bar in (0, 1, 3):
        assert new.bar_hits(bar) == g.bar_hits(bar)
    assert any(h.voice == SHAKER and h.step == 36 for h in new.hits)
    assert new.bar_hits(2) != g.bar_hits(2)
    with pytest.raises(ValueError, match="regenerates bars"):
        triplet = Grid.for_meter(Meter(4, 4), "triplet")
        MODEL.regenerate_bar(DrumGenome(grid=triplet, bars=1, hits=()), 0, rng)


def test_unsupported_meter_and_style_errors() -> None:
    no_meters = DrumTransformer(MODEL.model, MODEL.step, min_meter_bars=10**9)
    assert not no_meters.supports(Meter(4, 4))
    with pytest.raises(ValueError, match="use a style skeleton"):
        no_meters.sample_bars("rock", Meter(7, 4), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="drum style"):
        transformer_style("polka")
    assert transformer_style("half-time") == "halftime"


def test_operators_seed_and_mutate_with_the_transformer() -> None:
    rng = np.random.default_rng(0)
    ops = DrumOps(
        meter=Meter(4, 4),
        bars=2,
        styles=("rock", "funk"),
        transformer=MODEL,
        transformer_rate=1.0,
        fill_rate=0.0,
    ).with_bank(rng, per_style=2)
    assert len(ops.bank) == 4
    assert all(g.style.endswith("(transformer)") for g in ops.bank)
    drawn = ops.random(rng)
    assert drawn in ops.bank
    mutated = [ops.mutate(drawn, rng) for _ in range(20)]
    assert all(m.bars == 2 and m.grid == drawn.grid for m in mutated)
    # A model that plays no meter leaves the same operators to the skeletons.
    none = DrumTransformer(MODEL.model, MODEL.step, min_meter_bars=10**9)
    odd = DrumOps(
        meter=Meter(7, 4), bars=2, styles=("rock",), transformer=none, transformer_rate=1.0
    ).with_bank(rng)
    assert odd.bank == () and odd.random(rng).style == "rock"


def test_styles_sample_together_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bank's styles share one decode: every step runs the model once for all of their
    rows (fewer model calls than a batch per style), each pattern carries its own style, and
    the same seed gives the same patterns."""
    assert MODEL.step is not None
    calls: list[int] = []
    run = MODEL.step.run

    def counted(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        calls.append(len(inputs["ids"]))
        return run(inputs)

    monkeypatch.setattr(MODEL.step, "run", counted)
    styles = ("rock", "funk", "shuffle")
    together = MODEL.sample_styles(3, styles, Meter(4, 4), 2, np.random.default_rng(1))
    joint_calls = len(calls)
    assert set(calls) == {9}  # every call carries all nine rows
    calls.clear()
    apart = [MODEL.sample_many(3, s, Meter(4, 4), 2, np.random.default_rng(1)) for s in styles]
    assert joint_calls < len(calls)
    assert [g.style for g in together] == [f"{s} (transformer)" for s in styles for _ in range(3)]
    again = MODEL.sample_styles(3, styles, Meter(4, 4), 2, np.random.default_rng(1))
    assert [g.key for g in again] == [g.key for g in together]
    assert all(g.bars == 2 for batch in apart for g in batch)
    with pytest.raises(ValueError, match="styles"):
        MODEL.sample_styles(3, (), Meter(4, 4), 2, np.random.default_rng(1))


def _played(genomes: list[DrumGenome], meter: Meter) -> tuple[np.ndarray, ...]:
    """All ``genomes`` played one after another: onsets (qn), GM notes and velocities."""
    onset, voice, velocity = [], [], []
    at = 0
    for g in genomes:
        for h in g.hits:
            onset.append(at * meter.bar_qn + g.grid.step_qn_at(h.step, h.offset))
            voice.append(h.voice)
            velocity.append(h.velocity)
        at += g.bars
    return np.array(onset), np.array(voice), np.array(velocity)


def _accents(genomes: list[DrumGenome], meter: Meter) -> tuple[dict[str, float], np.ndarray]:
    """The meter accents of all ``genomes`` and each 16th's summed snare velocity."""
    spb = genomes[0].grid.steps_per_bar
    snare = np.zeros(spb)
    for g in genomes:
        for h in g.hits:
            if h.voice == SNARE:
                snare[h.step % spb] += h.velocity
    onset, voice, velocity = _played(genomes, meter)
    bars = sum(g.bars for g in genomes)
    return meter_accents(onset, voice, velocity, meter=meter, bars=bars), snare


@pytest.mark.parametrize("style", ["rock", "funk", "shuffle"])
def test_samples_put_the_accents_where_the_meter_does(style: str) -> None:
    """3/4 and 6/8 bars are both 12 16ths: the samples tell them apart by their accents (3/4
    its backbeat on quarters 2 and 3, 6/8 on eighth 4); 5/4 accents its beats."""
    rng = np.random.default_rng(11)
    for name in ("3/4", "6/8", "5/4"):
        meter = Meter.parse(name)
        genomes = METERS.sample_many(16, style, meter, 2, rng)
        spb = genomes[0].grid.steps_per_bar
        assert spb == round(meter.bar_qn * 4)
        assert all(0 <= h.step < 2 * spb for g in genomes for h in g.hits)
        acc, snare = _accents(genomes, meter)
        assert acc["downbeat_kick"] >= 0.6, (name, acc)
        assert acc["accent_ratio"] > 1.2, (name, acc)
        # The backbeat: 6/8 on eighth 4 (step 6), 3/4 on quarters 2 and 3 (steps 4 and 8).
        if name == "6/8":
            assert snare[6] > snare[4] + snare[8], snare
        if name == "3/4":
            assert snare[4] + snare[8] > 1.5 * snare[6], snare


#: What the 4/4 beats of the bank's styles, cut into the meter, play (``python -m
#: bench.drum_meter_fit``: the validation split's for 7/8; the training split's for 9/8 and 12/8,
#: as the validation split holds one performance's worth of triplet-feel bars): the share of the
#: kicks on a group's start, of the bars with a kick on the downbeat and of the loud snares on
#: the backbeat pulses (7/8 and 9/8 on groups 2 and 3, 12/8 on 2 and 4).
REAL_CUT = {
    "7/8": {"kicks_on_groups": 0.36, "downbeat_kick": 0.70, "backbeat": 0.65},
    "9/8": {"kicks_on_groups": 0.57, "downbeat_kick": 0.83, "backbeat": 0.78},
    "12/8": {"kicks_on_groups": 0.61, "downbeat_kick": 0.84, "backbeat": 0.73},
}
#: The share of the real cut bars' figure the samples reach at least (the model under-plays the
#: backbeat in every cut meter: 3/4 0.49 against the cut bars' 0.70).
REACHED = {"kicks_on_groups": 0.8, "downbeat_kick": 0.8, "backbeat": 0.5}


@pytest.mark.parametrize("name", CUT_METERS)
def test_samples_follow_the_grouping_of_7_8_9_8_and_12_8(name: str) -> None:
    """The meters model's samples in 7/8 (2+2+3), 9/8 (3+3+3) and 12/8 (3+3+3+3) are genomes
    on the meter's 16th grid whose kicks, downbeats and backbeats sit where the real cut bars
    put theirs; in 7/8 the second backbeat falls on the long group's start (eighth 5), not
    inside it on eighth 7 where the first cut (a 4/4 bar less an eighth) put it."""
    meter = Meter.parse(name)
    genomes = METERS.sample_styles(8, BANK_STYLES, meter, 4, np.random.default_rng(5))
    grid = Grid.for_meter(meter, "straight")
    assert grid.steps_per_bar == {"7/8": 14, "9/8": 18, "12/8": 24}[name]
    assert all(g.grid == grid and g.bars == 4 for g in genomes)
    assert all(0 <= h.step < 4 * grid.steps_per_bar for g in genomes for h in g.hits)
    onset, voice, velocity = _played(genomes, meter)
    acc, snare = _accents(genomes, meter)
    got = {
        "kicks_on_groups": acc["kick_on_beats"],
        "downbeat_kick": acc["downbeat_kick"],
        "backbeat": backbeat(onset, voice, velocity, meter, 4 * len(genomes))["on_backbeat"],
    }
    for figure, real in REAL_CUT[name].items():
        assert got[figure] >= REACHED[figure] * real, (name, figure, got)
    if name == "7/8":
        assert snare[8] > 1.5 * snare[12], snare
