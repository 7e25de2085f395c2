"""Drum tokenisation: the Roland TD-11 -> nine-class mapping, MIDI -> tokens -> MIDI round
trips (MIDI built in code and three real Groove files), the grammar of token sequences."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from generators.drums.tokens import (
    BAR,
    BOS,
    CLASS_PITCH,
    DRUM_CLASSES,
    EOS,
    INDEX,
    OFFSET_CENTERS,
    VELOCITY_CENTERS,
    VOCAB,
    TokenHit,
    allowed_next,
    decode_bars,
    decode_hit,
    encode_bar,
    header,
    hit_token,
    is_hit,
    offset_bin,
    velocity_bin,
)
from training.drums.tokenizer import (
    TD11_TO_CLASS,
    groove_style,
    onsets_to_bars,
    performance_tokens,
    read_performance,
    tokens_to_midi,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groove"

# Gillick et al. 2019, table 2: Roland TD-11 note -> reduced class.
PAPER = {
    36: "kick",
    38: "snare",
    40: "snare",
    37: "snare",
    48: "high_tom",
    50: "high_tom",
    45: "mid_tom",
    47: "mid_tom",
    43: "low_tom",
    58: "low_tom",
    46: "open_hh",
    26: "open_hh",
    42: "closed_hh",
    22: "closed_hh",
    44: "closed_hh",
    49: "crash",
    55: "crash",
    57: "crash",
    52: "crash",
    51: "ride",
    59: "ride",
    53: "ride",
}


def test_td11_mapping_matches_the_groove_paper() -> None:
    assert {n: DRUM_CLASSES[c] for n, c in TD11_TO_CLASS.items()} == PAPER
    assert CLASS_PITCH == (36, 38, 42, 46, 43, 47, 50, 49, 51)


def write_groove_midi(
    path: Path,
    notes: list[tuple[int, int, int]],
    *,
    ts: tuple[int, int] = (4, 4),
    bpm: float = 100.0,
) -> Path:
    """A Groove-style file: one track, channel 10, 480 tpq, (tick, TD-11 note, velocity)."""
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=ts[0], denominator=ts[1], time=0))
    events = []
    for tick, note, vel in notes:
        events.append((tick, 1, mido.Message("note_on", note=note, velocity=vel, channel=9)))
        events.append((tick + 30, 0, mido.Message("note_on", note=note, velocity=0, channel=9)))
    events.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.tracks.append(track)
    mid.save(path)
    return path


def test_code_built_midi_round_trips(tmp_path: Path) -> None:
    # Two bars: kick (36) on 1 a little late, edge hi-hat (22) 8ths, rim snare (40) early on 2,
    # pedal hat (44) and bow hat (42) on the same 16th (the louder is kept), floor tom rim (58).
    notes = [
        (0 + 10, 36, 110),
        (480 - 20, 40, 70),
        (1920 + 480 * 3 + 120, 58, 95),
        (240, 44, 30),
        (240 + 5, 42, 88),
    ]
    notes += [(s * 240, 22, 64) for s in range(16) if s != 1]
    src = write_groove_midi(tmp_path / "in.mid", notes)
    perf = read_performance(src)
    assert (perf.numerator, perf.denominator, perf.bpm) == (4, 4, 100.0)
    assert len(perf.bars) == 2 and perf.unmapped == 0
    first = dict(((s, h.cls), h) for s, h in perf.bars[0])
    assert first[(0, 0)].offset == pytest.approx(10 / 120)
    assert first[(4, 1)].offset == pytest.approx(-20 / 120)  # early snare on beat 2
    assert first[(2, 2)].velocity == 88  # pedal 30 and bow 88 on one 16th: louder kept
    assert (12 + 1, 4) in {(s, h.cls) for s, h in perf.bars[1]}
    tokens = [t for bar in performance_tokens(perf, "rock", "beat") for t in bar]
    assert tokens[:4] == header("rock", 4, 4, "beat") and tokens[-1] == EOS
    out = tokens_to_midi(tokens, tmp_path / "out.mid", bpm=100.0)
    again = read_performance(out)
    # Steps and classes survive exactly; velocity and timing survive as their bins.
    for bar_a, bar_b in zip(perf.bars, again.bars, strict=True):
        assert [(s, h.cls) for s, h in bar_a] == [(s, h.cls) for s, h in bar_b]
        for (_, a), (_, b) in zip(bar_a, bar_b, strict=True):
            assert velocity_bin(b.velocity) == velocity_bin(a.velocity)
            assert offset_bin(b.offset) == offset_bin(a.offset)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.mid")))
def test_real_groove_files_round_trip(tmp_path: Path, name: str) -> None:
    perf = read_performance(FIXTURES / name)
    assert perf.unmapped == 0 and perf.bars
    tokens = [t for bar in performance_tokens(perf, groove_style("rock"), "beat") for t in bar]
    out = tokens_to_midi(
        tokens,
        tmp_path / name,
        numerator=perf.numerator,
        denominator=perf.denominator,
        bpm=perf.bpm,
    )
    again = read_performance(out)
    assert (again.numerator, again.denominator) == (perf.numerator, perf.denominator)
    # Decoded tokens are already quantised: a second pass gives the very same tokens.
    tokens2 = [t for bar in performance_tokens(again, "rock", "beat") for t in bar]
    assert tokens2 == tokens
    assert sum(len(b) for b in again.bars) == sum(len(b) for b in perf.bars)


def test_real_files_use_td11_edge_and_rim_notes() -> None:
    six_eight = read_performance(FIXTURES / "drummer6_session1_3_rock_80_beat_6-8.mid")
    assert (six_eight.numerator, six_eight.denominator) == (6, 8)
    classes = {h.cls for bar in six_eight.bars for _, h in bar}
    # Its notes include 22/26 (hat edges), 40/37 (snare rim, cross-stick) and 51/53 (ride).
    assert {DRUM_CLASSES[c] for c in classes} >= {"kick", "snare", "closed_hh", "open_hh", "ride"}
    assert all(0 <= s < 12 for bar in six_eight.bars for s, _ in bar)


def test_hit_tokens_and_bins() -> None:
    assert len(VOCAB) == len(set(VOCAB)) == len(INDEX)
    for cls in range(len(DRUM_CLASSES)):
        for vel, v_bin in ((1, 0), (45, 1), (127, len(VELOCITY_CENTERS) - 1)):
            for off, o_bin in ((-0.5, 0), (0.0, 2), (0.45, len(OFFSET_CENTERS) - 1)):
                t = hit_token(cls, vel, off)
                assert is_hit(t)
                h = decode_hit(t)
                assert h.cls == cls
                assert h.velocity == VELOCITY_CENTERS[v_bin]
                assert h.offset == OFFSET_CENTERS[o_bin]
    with pytest.raises(ValueError, match="drum class"):
        hit_token(9, 90, 0.0)
    with pytest.raises(ValueError, match="transformer meter"):
        header("rock", 7, 4)


def test_bar_encoding_and_grammar() -> None:
    bar = ((4, TokenHit(1, 100, 0.0)), (0, TokenHit(2, 70, 0.0)), (0, TokenHit(0, 110, -0.2)))
    toks = encode_bar(bar)
    assert toks[0] == BAR
    assert [VOCAB[t] for t in toks[1:3]] == ["POS_0", "HIT_0_4_1"]  # kick (110: bin 4) first
    decoded = decode_bars([BOS, *toks, *encode_bar(())])
    assert [(s, h.cls) for s, h in decoded[0]] == [(0, 0), (0, 2), (4, 1)]
    assert decoded[1] == ()
    # After a hit at POS_0 of class 2 only higher classes, later positions, BAR or EOS follow.
    allowed = set(allowed_next(toks[3], 0, frozenset({0, 2}), 16))
    assert hit_token(2, 90, 0.0) not in allowed and hit_token(3, 90, 0.0) in allowed
    assert INDEX["POS_0"] not in allowed and INDEX["POS_15"] in allowed
    assert INDEX["POS_16"] not in allowed and BAR in allowed
    assert allowed_next(INDEX["KIND_beat"], None, frozenset(), 16) == [BAR]


def test_onsets_keep_the_louder_duplicate_and_count_bars() -> None:
    bars = onsets_to_bars([(0, 0, 50), (10, 0, 90), (5000, 1, 80)], 480, 3, 4)
    assert len(bars) == 4  # tick 5000 = step 41.7 -> bar 4 of 12-step 3/4 bars
    assert bars[0][0][1].velocity == 90


def test_groove_styles_map_to_transformer_styles() -> None:
    assert groove_style("rock/halftime") == "halftime"
    assert groove_style("funk/purdieshuffle") == "shuffle"
    assert groove_style("hiphop") == "breakbeat"
    assert groove_style("punk") == "rock"
    assert groove_style("neworleans/funk") == "funk"
    assert groove_style("afrocuban/bembe") == "latin"
    assert groove_style("jazz/fusion") == "jazz"
