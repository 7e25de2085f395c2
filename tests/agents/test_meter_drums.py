"""The drums phase of a 3/4, 6/8, 7/8, 9/8 and 12/8 song plays drum-transformer grooves (not only
the style skeletons): their MIDI has bars of the meter's length and the accents where the meter
puts its beats (a kick on the downbeat; the backbeat on quarters 2 and 3 in 3/4, on eighth 4 in
6/8, on the group starts after the first in 7/8 as 2+2+3 and 9/8, on groups 2 and 4 in 12/8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents.phases.drums import BANK_DOWNBEAT_KICKS
from bench.genre_drums import GenreCase, run_phases
from music.meter import Meter
from music.midi_io import read_midi
from scoring.metrics.drum_idiom import backbeat
from scoring.metrics.drums import SNARES, meter_accents

EVOLUTION = {"population_size": 8, "generations": 1, "top_n": 4}
BARS = 4


def _drum_candidates(
    meter: str, root: Path
) -> list[tuple[str, Meter, np.ndarray, np.ndarray, np.ndarray]]:
    """Run the chords and drums phases of a 4-bar rock song in ``meter``; every drums candidate
    as ``(genome style, MIDI meter, onset qn, pitch, velocity)``."""
    run, state = run_phases(
        GenreCase(f"rock-{meter}", ("rock",), meter, 112), root, EVOLUTION, BARS
    )
    out = []
    for cid in state["candidates"]:
        data = json.loads(run.candidate_data("drums", cid).read_text(encoding="utf-8"))
        song = read_midi(run.candidate_midi("drums", cid))
        notes = [n for p in song.parts if p.is_drum for n in p.notes]
        out.append(
            (
                str(data["genome"]["style"]),
                song.meter,
                np.array([n.start for n in notes], dtype=np.float64),
                np.array([n.pitch for n in notes], dtype=np.int64),
                np.array([n.velocity for n in notes], dtype=np.int64),
            )
        )
    return out


def _transformer_candidates(
    meter: str, root: Path
) -> list[tuple[str, Meter, np.ndarray, np.ndarray, np.ndarray]]:
    """The transformer-made drums candidates of :func:`_drum_candidates` (at least one), each
    checked to be in ``meter``: its notes fill the section's bars of the meter's length."""
    m = Meter.parse(meter)
    candidates = _drum_candidates(meter, root)
    learned = [c for c in candidates if c[0].endswith("(transformer)")]
    assert learned, [c[0] for c in candidates]
    for _, song_meter, onset, _, _ in learned:
        assert song_meter == m
        assert onset.min() >= -0.05 and onset.max() < BARS * m.bar_qn
    return learned


def _snare_at(onset_qn: np.ndarray, pitch: np.ndarray, velocity: np.ndarray, at: float) -> float:
    """Summed snare velocity at ``at`` qn into the (3-quarter) bars."""
    pos = np.round(np.mod(onset_qn, 3.0) * 4) / 4
    return float(velocity[np.isin(pitch, SNARES) & np.isclose(pos, at)].sum())


@pytest.mark.parametrize("meter", ["3/4", "6/8", "7/8", "9/8", "12/8"])
def test_a_drums_phase_plays_transformer_grooves_in_the_meter(meter: str, tmp_path: Path) -> None:
    m = Meter.parse(meter)
    learned = _transformer_candidates(meter, tmp_path / "run")
    for style, _, onset, pitch, velocity in learned:
        acc = meter_accents(onset, pitch, velocity, meter=m, bars=BARS)
        assert acc["accent_ratio"] > 1.0, (style, acc)
    # All of them end to end: bars start with a kick (the bank keeps grooves with a kick on
    # half the downbeats or more; 3/4 and 6/8 reach 0.6), the beats are the loud places and the
    # loud snares fall on the backbeat.
    onset, pitch, velocity = (
        np.concatenate(
            [c[i] + k * BARS * m.bar_qn if i == 2 else c[i] for k, c in enumerate(learned)]
        )
        for i in (2, 3, 4)
    )
    bars = BARS * len(learned)
    acc = meter_accents(onset, pitch, velocity, meter=m, bars=bars)
    floor = 0.6 if meter in ("3/4", "6/8") else BANK_DOWNBEAT_KICKS
    assert acc["downbeat_kick"] >= floor and acc["accent_ratio"] > 1.2, acc
    if m.bar_qn != 3.0:  # 7/8, 9/8 and 12/8: the group starts after the first (12/8: 2 and 4)
        assert backbeat(onset, pitch, velocity, m, bars)["on_backbeat"] >= 0.6
        return
    quarters = _snare_at(onset, pitch, velocity, 1.0) + _snare_at(onset, pitch, velocity, 2.0)
    eighth_4 = _snare_at(onset, pitch, velocity, 1.5)
    if meter == "6/8":  # the backbeat on eighth 4, not on quarters 2 and 3 of a 3/4 bar
        assert eighth_4 > quarters
    else:
        assert quarters > 1.5 * eighth_4


def test_the_bank_leaves_out_grooves_shifted_off_the_bar() -> None:
    from agents.phases.drums import keeps_the_meter
    from generators.drums.styles import skeleton

    rng = np.random.default_rng(0)
    for meter in (Meter(3, 4), Meter(6, 8), Meter(7, 8), Meter(12, 8), Meter(4, 4)):
        groove = skeleton("rock", meter, BARS, rng)
        assert keeps_the_meter(groove), meter
        shifted = groove.with_hits(
            [
                h.moved(h.step + 1)
                for h in groove.hits
                if h.step + 1 < BARS * groove.grid.steps_per_bar
            ]
        )
        assert not keeps_the_meter(shifted), meter


@pytest.mark.parametrize("meter", ["7/4", "11/8"])
def test_a_drums_phase_in_a_meter_played_in_cells_has_transformer_grooves(
    meter: str, tmp_path: Path
) -> None:
    """7/4 (4/4 + 3/4) and 11/8 (6/8 + 5/8), which no model samples directly: the drums phase's
    candidates include transformer-made grooves, in the meter, a kick on most downbeats."""
    m = Meter.parse(meter)
    for style, _, onset, pitch, velocity in _transformer_candidates(meter, tmp_path / "run"):
        acc = meter_accents(onset, pitch, velocity, meter=m, bars=BARS)
        assert acc["downbeat_kick"] >= BANK_DOWNBEAT_KICKS, (style, acc)
