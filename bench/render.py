"""Render benchmark: real-time factor per stem (each engine and SoundFont) and for the whole
render (stems, analysis, RenderPlan, mix, master, files) of a 2-minute 4-part song.

    python -m bench.render      # prints the figures, writes bench/results/render.json

Real-time factor = seconds of audio / seconds of wall time (goal: >= 50x per stem); the
whole render also reports CPU seconds, which other work on a shared machine inflates less.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result
from music.gm import PART_PROGRAMS
from music.meter import Meter, bars_to_seconds
from music.midi_io import Song
from music.notes import Note, Part
from render.assemble import build_song, plan_arrangement
from render.audio_io import read_audio
from render.backends import available_backends
from render.loudness import integrated_loudness, true_peak_db
from render.pipeline import render_song
from render.previews import preview_song, render_preview
from render.soundfont import SYSTEM_SOUNDFONTS, bundled_soundfont
from render.synth import Synthesizer

BPM = 120.0
METER = Meter(4, 4)
FORM = [("verse", 16), ("chorus", 16), ("verse", 16), ("chorus", 12)]  # 60 bars = 120 s


def phrases(label: str, seed: int) -> dict[str, Part]:
    """Four bars of each part, different per label."""
    rng = np.random.default_rng(seed)
    bar = METER.bar_qn
    roots = [60, 57, 53, 55] if label == "verse" else [65, 60, 55, 62]
    chords, bass, drums, melody = [], [], [], []
    for b in range(4):
        r = roots[b]
        chords += [Note(b * bar, (b + 1) * bar, r + iv, 80) for iv in (0, 4, 7, 12)]
        for beat in range(4):
            fifth = 7 if beat == 2 else 0
            bass.append(Note(b * bar + beat, b * bar + beat + 0.8, r - 24 + fifth, 95))
        for e in range(8):
            t = b * bar + e * 0.5
            drums.append(Note(t, t + 0.1, 42, 70))
            if e in (0, 5):
                drums.append(Note(t, t + 0.1, 36, 110))
            if e in (2, 6):
                drums.append(Note(t, t + 0.1, 38, 100))
    q = 0.0
    while q < 4 * bar:
        d = float(rng.choice([0.5, 1.0]))
        melody.append(Note(q, q + 0.9 * d, int(rng.choice([72, 74, 76, 79, 81])), 90))
        q += d
    return {
        "chords": Part("chords", tuple(chords), program=PART_PROGRAMS["chords"]),
        "drums": Part("drums", tuple(drums), is_drum=True),
        "bass": Part("bass", tuple(bass), program=PART_PROGRAMS["bass"]),
        "melody": Part("melody", tuple(melody), program=PART_PROGRAMS["melody"]),
    }


def two_minute_song() -> tuple[Song, float]:
    verse, chorus = phrases("verse", 1), phrases("chorus", 2)
    approved = {name: {"verse": verse[name], "chorus": chorus[name]} for name in verse}
    arrangement = plan_arrangement(FORM, approved, bpm=BPM, meter=METER, phrase_qn=4 * METER.bar_qn)
    return build_song(arrangement, approved), arrangement.total_qn


def per_stem(song: Song, soundfont: Path, backend: str, seconds: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    synth = Synthesizer(soundfont, backend=backend)
    load = time.perf_counter() - t0
    rtf = {}
    for part in song.parts:
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            synth.render_part(part, song.bpm, seconds=seconds)
            best = min(best, time.perf_counter() - t0)
        rtf[part.name] = round(seconds / best, 1)
    synth.close()
    return {"soundfont": soundfont.name, "backend": backend, "load_s": round(load, 3), "rtf": rtf}


AGENT_PREVIEWS = 10


def agent_previews(folder: Path) -> float:
    """Seconds per preview as the agent writes them (agents/phases/preview_writer.py): 20 s, mono
    MP3, its engine, ten melody candidates over the same chords, drums and bass."""
    from agents.phases.preview_writer import PREVIEW_CHANNELS
    from render.previews import preview_backend

    verse = phrases("verse", 1)
    under = [verse["chords"], verse["drums"], verse["bass"]]
    backend = preview_backend()
    Synthesizer(backend=backend).close()  # page the SoundFont in, as a warm agent has it
    cache: dict[Any, np.ndarray] = {}
    t0 = time.perf_counter()
    for k in range(AGENT_PREVIEWS):
        melody = phrases("verse", 10 + k)["melody"]
        song = preview_song(melody, under, BPM, METER)
        out = folder / f"agent_{k}.mp3"
        render_preview(song, out, channels=PREVIEW_CHANNELS, backend=backend, cache=cache)
    return (time.perf_counter() - t0) / AGENT_PREVIEWS


def main() -> dict[str, Any]:
    song, total_qn = two_minute_song()
    seconds = bars_to_seconds(METER, sum(b for _, b in FORM), BPM)
    fonts = [p for p in SYSTEM_SOUNDFONTS if p.is_file()][:1]
    bundled = bundled_soundfont()
    fonts += [bundled] if bundled is not None else []
    engines = [per_stem(song, sf, be, seconds) for be in available_backends() for sf in fonts]
    for e in engines:
        print(f"{e['backend']:14s} {e['soundfont']:16s} load {e['load_s']:.2f}s  rtf {e['rtf']}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        c0 = time.process_time()
        result = render_song(
            Path(tmp), song, sections=FORM, total_qn=total_qn, color="Indigo", mood=["dreamy"]
        )
        whole = time.perf_counter() - t0
        cpu = time.process_time() - c0
        audio, sr = read_audio(result.mix_wav)
        measured = {
            "duration_s": round(audio.shape[0] / sr, 4),
            "arrangement_s": round(seconds, 4),
            "integrated_lufs": round(integrated_loudness(audio, sr), 3),
            "true_peak_dbtp": round(true_peak_db(audio), 3),
        }
        preview = preview_song(song.parts[-1], song.parts[:-1], BPM, METER)
        t0 = time.perf_counter()
        render_preview(preview, Path(tmp) / "preview.ogg", max_seconds=20.0)
        preview_s = time.perf_counter() - t0
        agent_preview_s = agent_previews(Path(tmp))
    render = {
        "backend": result.backend,
        "soundfont": result.soundfont.name,
        "seconds_of_audio": round(seconds, 2),
        "wall_s": round(whole, 2),
        "rtf_whole": round(seconds / whole, 1),
        "cpu_s": round(cpu, 2),
        "rtf_whole_cpu": round(seconds / cpu, 1),
        "stage_s": {k: round(v, 2) for k, v in result.timings.items()},
        "master": measured,
        "preview_20s_wall_s": round(preview_s, 2),
        "agent_preview_20s_wall_s": round(agent_preview_s, 3),
    }
    print(
        f"whole render of {seconds:.0f} s, 4 parts: {whole:.1f} s wall = {seconds / whole:.1f}x "
        f"real time ({cpu:.1f} s CPU = {seconds / cpu:.1f}x); stages {render['stage_s']}"
    )
    print(f"master: {measured}; 20 s preview in {preview_s:.2f} s")
    print(
        f"agent previews (MP3, mono, {AGENT_PREVIEWS} melodies over 3 parts, the parts "
        f"underneath synthesized once): {agent_preview_s:.3f} s each"
    )
    data = {"per_stem": engines, "whole": render, "goal_rtf_per_stem": 50}
    path = write_result("render", data)
    print(f"wrote {path}")
    return data


if __name__ == "__main__":
    main()
