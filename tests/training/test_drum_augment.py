"""Meter augmentation: 4/4 beats re-cut into other meters keep their played material and put
the accents where the new meter puts its beats; triplet-feel bars (and only they) become
compound bars; the training sampler draws each meter's share; a shipped model's weights start
a model of a larger vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from generators.drums.tokens import INDEX, VOCAB, BarHits, TokenHit, decode_bars
from training.drums.augment import (
    COMPOUND_PLANS,
    STRAIGHT_PLANS,
    augment,
    cut,
    is_triplet_bar,
    to_compound,
)
from training.drums.dataset import GrooveRow, Piece, WindowSampler, group_weights
from training.drums.export import export_onnx
from training.drums.model import DrumTransformer, DrumTransformerConfig
from training.drums.tokenizer import Performance, performance_tokens
from training.drums.warm_start import load_onnx_weights

K, S, H = 0, 1, 2


def _bar(hits: list[tuple[float, int, int]]) -> BarHits:
    """``(exact 16th position, class, velocity)`` -> a bar (offset = position - nearest step)."""
    out = []
    for pos, cls, vel in hits:
        step = int(np.floor(pos + 0.5))
        out.append((step, TokenHit(cls=cls, velocity=vel, offset=pos - step)))
    return tuple(sorted(out, key=lambda x: (x[0], x[1].cls)))


#: Straight rock: kick 1 and 3, snare 2 and 4 (louder), hats on the 8ths.
ROCK = _bar(
    [(0, K, 110), (8, K, 100), (4, S, 120), (12, S, 118)] + [(s, H, 70) for s in range(0, 16, 2)]
)
#: A shuffle: kick 1 and 3, snare 2 and 4, hats on each beat and its last third.
SHUFFLE = _bar(
    [(0, K, 110), (8, K, 100), (4, S, 120), (12, S, 118)]
    + [(b * 4 + t, H, 70) for b in range(4) for t in (0.0, 8 / 3)]
)


def _piece(bars: tuple[BarHits, ...], style: str = "rock") -> Piece:
    perf = Performance(numerator=4, denominator=4, bpm=100.0, bars=bars)
    toks = performance_tokens(perf, style, "beat")
    row = GrooveRow(Path("x.mid"), style, 100.0, "beat", 4, 4, "train")
    return Piece(row, tuple(toks[0]), tuple(tuple(b) for b in toks[1:]), perf)


def _steps(bar: BarHits, cls: int) -> list[int]:
    return [s for s, h in bar if h.cls == cls]


def test_straight_meters_keep_the_beats_a_drummer_plays() -> None:
    waltz = cut(ROCK, ((0, 8), (12, 4)))  # 3/4: beats 1, 2 and 4
    assert _steps(waltz, K) == [0] and _steps(waltz, S) == [4, 8]
    assert max(s for s, _ in waltz) < 12
    five = cut(ROCK, ((0, 8), (12, 4), (8, 8)))  # 5/4 as 3 + 2: kicks on 1 and 4
    assert _steps(five, K) == [0, 12] and _steps(five, S) == [4, 8, 16]
    # 7/8 as 2 + 2 + 3 (groups start on 16ths 0, 4 and 8): kick, snare, snare on the group
    # starts, the long group's third eighth the hat's '&' of beat 2.
    seven = cut(ROCK, STRAIGHT_PLANS[(7, 8)][0])
    assert _steps(seven, K) == [0] and _steps(seven, S) == [4, 8]
    assert _steps(seven, H) == [0, 2, 4, 6, 8, 10, 12] and max(s for s, _ in seven) < 14
    # Velocities and micro-timing are the played ones.
    assert {h.velocity for _, h in waltz if h.cls == S} == {120, 118}


def test_only_triplet_feel_bars_become_compound_bars() -> None:
    assert is_triplet_bar(SHUFFLE)
    assert not is_triplet_bar(ROCK)
    twelve = to_compound(SHUFFLE)  # 24 steps: each beat three eighths of two steps
    assert _steps(twelve, K) == [0, 12] and _steps(twelve, S) == [6, 18]
    assert _steps(twelve, H) == [0, 4, 6, 10, 12, 16, 18, 22]
    assert all(abs(h.offset) < 0.01 for _, h in twelve)
    six = cut(twelve, ((0, 12),))  # 6/8: kick on 1, the backbeat on 4
    assert _steps(six, K) == [0] and _steps(six, S) == [6]
    # 9/8 (3+3+3): every plan a kick beat then two backbeats on the group starts (eighths 1,
    # 4 and 7); 12/8: kick, snare, kick, snare on the group starts, the halves either way.
    for plan in COMPOUND_PLANS[(9, 8)]:
        nine = cut(twelve, plan)
        assert _steps(nine, K) == [0] and _steps(nine, S) == [6, 12], plan
    for plan in COMPOUND_PLANS[(12, 8)]:
        bar = cut(twelve, plan)
        assert _steps(bar, K) == [0, 12] and _steps(bar, S) == [6, 18], plan


def test_augment_makes_every_meter_from_the_beats() -> None:
    made = augment([_piece((ROCK,) * 4), _piece((SHUFFLE,) * 4, "shuffle")])
    bars = {m: [b for p in ps for b in decode_bars(sum(p.bars, ()))] for m, ps in made.items()}
    assert len(bars[(3, 4)]) == 8 and len(bars[(2, 4)]) == 16
    # Only the shuffle makes compound bars: two 6/8, two 12/8 and three 9/8 bars per 4/4 bar.
    assert len(bars[(6, 8)]) == 8 and len(bars[(12, 8)]) == 8 and len(bars[(9, 8)]) == 12
    for (num, den), meter_bars in bars.items():
        spb = num * 16 // den
        assert all(max(s for s, _ in b) < spb for b in meter_bars), (num, den)
        piece = made[(num, den)][0]
        assert VOCAB[piece.header[2]] == f"METER_{num}_{den}"
        assert (piece.row.numerator, piece.row.denominator) == (num, den)
    assert all(_steps(b, K)[0] == 0 for b in bars[(6, 8)])
    assert all(6 in _steps(b, S) for b in bars[(6, 8)])


def test_group_weights_give_each_meter_its_share() -> None:
    a = [_piece((ROCK,) * 30)]
    b = [_piece((ROCK,) * 2), _piece((ROCK,) * 6)]
    weights = group_weights([a, b], [0.4, 0.6])
    assert weights == (0.4, 0.6 * 2 / 8, 0.6 * 6 / 8)
    sampler = WindowSampler((*a, *b), context=64, weights=weights)
    assert sampler.batch(4, np.random.default_rng(0)).shape == (4, 64)


def test_a_shipped_model_starts_a_model_of_the_larger_vocabulary(tmp_path: Path) -> None:
    torch.manual_seed(0)
    new_tokens = ("METER_2_4", "METER_7_8", "METER_9_8", "METER_12_8")
    old_vocab = [t for t in VOCAB if t not in new_tokens]
    # The shipped shapes with one layer, every weight distinct (as a trained model's are).
    cfg = DrumTransformerConfig(n_layer=1, dropout=0.0)
    old = DrumTransformer(DrumTransformerConfig(**{**cfg.to_dict(), "vocab_size": len(old_vocab)}))
    with torch.no_grad():
        for p in old.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    old.eval()
    path, _ = export_onnx(old, tmp_path / "old.onnx")
    side = json.loads(path.with_suffix(".json").read_text())
    side["vocab"] = old_vocab
    path.with_suffix(".json").write_text(json.dumps(side))
    new = load_onnx_weights(path, cfg)
    new.eval()
    old_ids = [old_vocab.index(t) for t in ("BOS", "STYLE_rock", "METER_3_4", "KIND_beat", "BAR")]
    new_ids = [INDEX[t] for t in ("BOS", "STYLE_rock", "METER_3_4", "KIND_beat", "BAR")]
    with torch.no_grad():
        want = old(torch.tensor([old_ids]))[0, -1]
        got = new(torch.tensor([new_ids]))[0, -1]
    keep = [INDEX[t] for t in old_vocab]
    assert torch.allclose(got[keep], want, atol=1e-5)
    # A new meter starts from the nearest old meter of its denominator.
    assert torch.equal(new.tok.weight[INDEX["METER_7_8"]], new.tok.weight[INDEX["METER_6_8"]])
