"""Melody metrics on tiny in-code melodies, segmenting, the two corpus readers on files built
here, and the comparison report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mido
import pytest

from music.meter import Meter
from music.notes import Note
from scoring.timeline import ChordSpan
from tests.training.lead_sheets import write_lead_sheet
from training.melody_eval import (
    METRICS,
    MelodySample,
    evaluate_melodies,
    format_report,
    generate_melodies,
    load_nottingham,
    load_openewld,
    melody_metrics,
    segments,
)

M44 = Meter(4, 4)


def line(pitches: list[int], *, step: float = 1.0, start: float = 0.0) -> list[Note]:
    return [Note(start + i * step, start + (i + 1) * step, p) for i, p in enumerate(pitches)]


def test_segments_cut_and_shift() -> None:
    notes = line([60 + (i % 5) for i in range(64)])  # 16 bars of quarters
    chords = [ChordSpan(b * 4.0, b * 4.0 + 4.0, 0, (0, 4, 7)) for b in range(16)]
    bar_starts = [b * 4.0 for b in range(17)]
    segs = segments(notes, chords, M44, bar_starts, source="t", song="tune")
    assert len(segs) == 2 and segs[1].song == "tune"
    assert segs[1].notes[0].start == 0.0 and len(segs[1].notes) == 32
    assert segs[1].chords[0].start == 0.0
    m = melody_metrics(segs[0])
    assert set(m) == set(METRICS)
    assert m["notes_per_qn"] == 1.0 and m["empty_beat_rate"] == 0.0


def test_load_nottingham_reads_melody_and_chord_tracks(tmp_path: Path) -> None:
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
    mid.tracks.append(conductor)
    melody, chords = mido.MidiTrack(), mido.MidiTrack()
    for i in range(64):  # 16 bars of quarter notes on C E G
        pitch = (60, 64, 67, 62)[i % 4]
        melody.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
        melody.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    for _ in range(16):  # a C major triad per bar
        for p in (48, 52, 55):
            chords.append(mido.Message("note_on", note=p, velocity=80, time=0))
        for k, p in enumerate((48, 52, 55)):
            chords.append(mido.Message("note_off", note=p, velocity=0, time=1920 if k == 0 else 0))
    mid.tracks.extend([melody, chords])
    mid.save(tmp_path / "tune.mid")
    segs = load_nottingham(tmp_path)
    assert len(segs) == 2
    m = melody_metrics(segs[0])
    assert m["chord_tone_ratio"] == pytest.approx(0.75)  # D is not in C major's triad
    assert m["notes_per_qn"] == 1.0
    assert segs[0].song == "tune" and segs[0].source == "nottingham"


def test_load_openewld_reads_a_lead_sheet(tmp_path: Path) -> None:
    write_lead_sheet(tmp_path / "song" / "song.mxl")
    segs = load_openewld(tmp_path)
    assert len(segs) == 2
    assert segs[0].meter == Meter(3, 4)
    m = melody_metrics(segs[0])
    assert m["notes_per_qn"] == 1.0
    assert m["chord_tone_ratio"] == pytest.approx(10 / 12)  # the A over G is not a chord tone
    assert segs[0].song == "song"


def _sample(pitches: list[int]) -> MelodySample:
    chords = (ChordSpan(0.0, 32.0, 0, (0, 4, 7)),)
    return MelodySample(tuple(line(pitches)), chords, M44, 8, "t")


def test_evaluate_melodies_places_ours_against_the_real_range(tmp_path: Path) -> None:
    real = [_sample([60 + k, 62, 64, 65, 67] * 4) for k in range(10)]
    ours = [_sample([60, 62, 64, 65, 67] * 4), _sample([60, 72, 48, 84, 36] * 4)]
    report = evaluate_melodies(ours, {"toy": real})
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    rng = metrics["pitch_range"]
    assert rng["real"]["toy"]["n"] == 10
    assert rng["ours_inside_share"] == 0.5  # the tame one inside, the wild one far outside
    assert rng["ours"]["max"] == 48.0
    assert report["counts"] == {"ours": 2, "toy": 10}
    assert "pitch_range" in format_report(report)
    json.dumps(report)  # the report is plain JSON


def test_generated_melodies_are_full_segments() -> None:
    (sample,) = generate_melodies(1, seed=3, population=8, generations=2)
    assert sample.bars == 8 and sample.source == "ours"
    assert max(n.end for n in sample.notes) <= 8 * sample.meter.bar_qn + 1e-9
    m = melody_metrics(sample)
    assert m["scale_consistency"] == 1.0  # diatonic steps only
    assert all(not math.isnan(v) for v in m.values())
