"""Mix and master, measured from the written files: duration, loudness, true peak."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import four_parts

from music.meter import Meter
from render.assemble import build_song, plan_arrangement
from render.audio_io import decode_audio, read_audio
from render.loudness import integrated_loudness, true_peak_db
from render.mix import process_stem
from render.pipeline import render_song
from render.renderplan import FxSettings, RenderPlan, WindowPlan
from render.synth import shared_synthesizer

FORM = [("verse", 2), ("chorus", 2), ("verse", 1)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, object]:
    meter = Meter(7, 8)
    phrase = four_parts(meter, bars=1)
    approved = {name: {"verse": part} for name, part in phrase.items()}
    arrangement = plan_arrangement(FORM, approved, bpm=132.0, meter=meter, phrase_qn=meter.bar_qn)
    song = build_song(arrangement, approved)
    out = tmp_path_factory.mktemp("run")
    result = render_song(
        out,
        song,
        sections=FORM,
        total_qn=arrangement.total_qn,
        color="Orange",
        mood=["intense"],
        synth=shared_synthesizer(),
    )
    return out, arrangement.seconds, result


def test_master_matches_the_arrangement_length(rendered: tuple) -> None:
    out, seconds, _ = rendered
    audio, sr = read_audio(out / "mix.wav")
    assert abs(audio.shape[0] / sr - seconds) < 0.05
    assert audio.shape[1] == 2


def test_master_loudness_and_true_peak(rendered: tuple) -> None:
    out, _, result = rendered
    audio, sr = read_audio(out / "mix.wav")
    assert integrated_loudness(audio, sr) == pytest.approx(-14.0, abs=1.0)
    assert true_peak_db(audio) < -1.0
    assert result.integrated_lufs == pytest.approx(-14.0, abs=0.2)
    # the MP3 holds the ceiling as decoded, not only the WAV it was encoded from
    mp3, mp3_sr = decode_audio(out / "mix.mp3")
    assert true_peak_db(mp3) < -1.0
    assert result.mp3.true_peak_dbtp == pytest.approx(true_peak_db(mp3), abs=1e-6)
    assert integrated_loudness(mp3, mp3_sr) == pytest.approx(-14.0, abs=0.5)


def test_all_files_are_written(rendered: tuple) -> None:
    out, seconds, result = rendered
    assert sorted(p.name for p in (out / "stems").iterdir()) == [
        "bass.wav",
        "chords.wav",
        "drums.wav",
        "melody.wav",
    ]
    from pedalboard.io import AudioFile

    with AudioFile(str(out / "mix.mp3")) as fh:
        assert fh.samplerate == 44100
        assert abs(fh.frames / fh.samplerate - seconds) < 0.1  # MP3 adds encoder padding
    plan = RenderPlan.load(out / "render_plan.json")
    assert plan == result.plan
    assert len(plan.windows) == sum(b for _, b in FORM)
    assert [w.section for w in plan.windows] == ["verse", "verse", "chorus", "chorus", "verse"]
    analysis = json.loads((out / "analysis.json").read_text())
    assert len(analysis["windows"]) == 5
    assert not [p for p in out.rglob(".*")]  # no temp files left


def _plan(**fx: float) -> RenderPlan:
    window = WindowPlan(0, 0.0, 10.0, "verse", 0.0, 0.0, 0.0, (("chords", FxSettings(**fx)),))
    return RenderPlan((window,))


def _harmonics_ratio(x: np.ndarray, sr: int, f0: float) -> float:
    spec = np.abs(np.fft.rfft(x[:, 0] * np.hanning(x.shape[0])))
    freqs = np.fft.rfftfreq(x.shape[0], 1 / sr)
    fund = spec[np.abs(freqs - f0) < 5].max()
    upper = sum(spec[np.abs(freqs - k * f0) < 5].max() for k in (3, 5, 7))
    return float(upper / fund)


def test_saturation_adds_harmonics_and_keeps_the_level() -> None:
    sr = 44100
    t = np.arange(2 * sr) / sr
    tone = np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32)
    clean, _ = process_stem("chords", tone, sr, _plan(sat=0.0))
    driven, _ = process_stem("chords", tone, sr, _plan(sat=1.0))
    assert _harmonics_ratio(driven, sr, 220) > 10 * _harmonics_ratio(clean, sr, 220)
    rms = [10 * np.log10(np.mean(x**2)) for x in (clean, driven)]
    assert abs(rms[0] - rms[1]) < 0.5  # effects change colour, not balance


def test_reverb_send_follows_the_plan() -> None:
    sr = 44100
    x = np.zeros((sr, 2), dtype=np.float32)
    x[:2000] = 0.3
    _, dry_send = process_stem("chords", x, sr, _plan(reverb_send=0.0))
    _, wet_send = process_stem("chords", x, sr, _plan(reverb_send=0.8))
    assert not dry_send.any()
    assert np.abs(wet_send).max() > 0.01


def test_a_sample_kit_plays_at_the_note_times_and_blends_by_sample_influence() -> None:
    from music.notes import Note, Part
    from render.sampler import render_hits

    sr = 44100
    rng = np.random.default_rng(0)
    burst = (rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300)).astype(np.float32)
    drums = Part(
        "drums",
        (Note(0.5, 0.6, 36, 127), Note(1.5, 1.6, 36, 64), Note(2.0, 2.1, 99, 100)),
        is_drum=True,
    )
    hits = render_hits(drums, 60.0, {36: burst}, sr, seconds=3.0)
    assert hits.shape == (3 * sr, 2)
    loud = np.flatnonzero(np.abs(hits[:, 0]) > 1e-3)
    assert loud[0] == pytest.approx(0.5 * sr, abs=2) and not hits[: int(0.5 * sr) - 1].any()
    second = np.abs(hits[int(1.5 * sr) : int(1.5 * sr) + 2000, 0]).max()
    assert second == pytest.approx(np.abs(burst).max() * 64 / 127, rel=1e-4)  # velocity scales
    assert not hits[int(1.6 * sr) :].any()  # note 99 is not in the kit: left to the GM drums

    gm = np.zeros_like(hits)
    gm[int(0.5 * sr) : int(0.5 * sr) + 100] = 0.5  # a different "GM" sound
    window = WindowPlan(0, 0.0, 3.0, "verse", 1.0, 0.0, 0.0, ())
    only_kit, _ = process_stem("drums", gm, sr, RenderPlan((window,)), kit_track=hits)
    no_kit, _ = process_stem(
        "drums",
        gm,
        sr,
        RenderPlan((WindowPlan(0, 0.0, 3.0, "v", 0.0, 0.0, 0.0, ()),)),
        kit_track=hits,
    )
    assert np.abs(only_kit[int(1.5 * sr) : int(1.6 * sr)]).max() > 0.01  # the kit's second hit
    assert np.abs(no_kit[int(1.5 * sr) : int(1.6 * sr)]).max() < 1e-6


def test_mastering_measures_once_and_masters_as_master_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One bus mastered at several ceilings (as the MP3's second encode asks) reads its
    loudness and true-peak envelope once, and each master is byte for byte what ``master``
    gives at that ceiling; measures of other audio are refused."""
    from render import mix
    from render.limiter import measure_input, normalize

    sr = 44100
    rng = np.random.default_rng(2)
    t = np.arange(3 * sr) / sr
    tone = 0.1 * np.sin(2 * np.pi * 110 * t)
    tone[rng.integers(0, tone.size, 30)] = 0.95  # clicks the limiter has to hold
    bus = np.stack([tone, 0.8 * tone], axis=1).astype(np.float32)
    reads: list[int] = []

    def counted(audio: np.ndarray, sample_rate: int, **kw: int) -> mix.InputMeasures:
        reads.append(len(audio))
        return measure_input(audio, sample_rate, **kw)

    monkeypatch.setattr(mix, "measure_input", counted)
    mastering = mix.Mastering(bus, sr, seconds=2.5)
    for ceiling in (-1.0, -1.4, -2.0):
        audio, stats = mastering.at(-14.0, ceiling)
        expected, expected_stats = mix.master(bus, sr, seconds=2.5, ceiling_dbtp=ceiling)
        assert audio.tobytes() == expected.tobytes()
        assert stats == expected_stats
    assert reads[0] == round(2.5 * sr)
    assert len(reads) == 1 + 3  # once for the Mastering, once per master() call
    with pytest.raises(ValueError, match="measures"):
        normalize(bus, sr, measures=measure_input(bus[:1000], sr))
