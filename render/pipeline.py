"""The whole render of one song: stems -> analysis -> RenderPlan -> mix -> master -> files.

Files (all written atomically, in ``out_dir``, the run directory):
``stems/<part>.wav`` (24-bit PCM, or 32-bit float with ``stem_format="float32"``),
``analysis.json``, ``render_plan.json``, ``mix.wav`` (24-bit) and ``mix.mp3`` (LAME V2), all at
the synthesizer's sample rate (44.1 or 48 kHz). The master is exactly the arrangement's
length (``total_qn`` quarter notes, default: the song's last note rounded up to whole bars) at
-14 LUFS, under -1 dBTP; the MP3 holds the ceiling as decoded (render.mp3).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from music.meter import qn_to_seconds
from music.midi_io import Song
from render.analysis import Analysis, analyze_stems
from render.audio_io import ensure_writable_dir, write_audio, write_json
from render.errors import RenderError
from render.mix import Mastering, mix_stems
from render.mp3 import Mp3Stats, write_mp3_master
from render.renderplan import RenderPlan, default_plan
from render.sampler import render_hits
from render.stem_files import PartTrack, pcm_headroom_gain, stem_path, write_stems
from render.synth import Synthesizer

logger = logging.getLogger(__name__)

DEFAULT_LUFS: Final = -14.0
DEFAULT_CEILING_DBTP: Final = -1.0
#: The stem of the drum part played on a sample kit (``stems/drums_kit.wav``).
KIT_STEM: Final = "drums_kit"

#: Plays a drum part on a sample kit: ``(part, bpm, sample_rate, seconds) -> [frames, 2]``.
DrumTrack = PartTrack


@dataclass(frozen=True, slots=True)
class RenderPaths:
    """Where a render writes, under one folder (a run directory)."""

    root: Path

    @property
    def stems_dir(self) -> Path:
        return self.root / "stems"

    @property
    def mix_wav(self) -> Path:
        return self.root / "mix.wav"

    @property
    def mix_mp3(self) -> Path:
        return self.root / "mix.mp3"

    @property
    def render_plan(self) -> Path:
        return self.root / "render_plan.json"

    @property
    def analysis(self) -> Path:
        return self.root / "analysis.json"


#: The render's steps after the stems (one per part), in order.
STEPS_AFTER_STEMS: Final = ("analysis", "mix", "master", "write")


@dataclass(frozen=True, slots=True)
class RenderStep:
    """A render step just finished: ``name`` (``stem <part>``, then analysis, mix, master,
    write), its number (1-based) and the number of steps of the whole render."""

    name: str
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What a render wrote and measured. Times in seconds; loudness in LUFS; peak in dBTP."""

    stems: Mapping[str, Path]
    mix_wav: Path
    mix_mp3: Path | None
    render_plan: Path
    analysis: Path
    plan: RenderPlan
    seconds: float
    integrated_lufs: float
    true_peak_dbtp: float
    backend: str
    soundfont: Path
    timings: Mapping[str, float] = field(default_factory=dict)
    sample_rate: int = 44100
    stem_format: str = "pcm24"
    #: The MP3 as decoded (None when no MP3 was written).
    mp3: Mp3Stats | None = None
    #: Gain of the stem files (dB; below 0 only when 24-bit stems would have clipped).
    stem_file_gain_db: float = 0.0


def song_length_qn(song: Song) -> float:
    """The song's last note-off rounded up to whole bars, in quarter notes."""
    bar = song.meter.bar_qn
    return bar * max(1, math.ceil(song.end / bar - 1e-6))


def render_song(
    out_dir: Path,
    song: Song,
    plan: RenderPlan | None = None,
    *,
    sections: Sequence[tuple[str, int]] | None = None,
    total_qn: float | None = None,
    color: object = "White",
    mood: Sequence[str] = (),
    synth: Synthesizer | None = None,
    soundfont: Path | str | None = None,
    backend: str | None = None,
    target_lufs: float = DEFAULT_LUFS,
    ceiling_dbtp: float = DEFAULT_CEILING_DBTP,
    drum_kit: Mapping[int, np.ndarray] | None = None,
    drum_track: DrumTrack | None = None,
    write_mp3: bool = True,
    on_step: Callable[[RenderStep], None] | None = None,
    stem_format: str = "pcm24",
    voices: Mapping[str, PartTrack] | None = None,
) -> RenderResult:
    """Render ``song`` into ``out_dir`` (see the module docstring).

    ``plan``: the RenderPlan to apply; None builds :func:`render.renderplan.default_plan` from
    the analysis, ``color`` and ``mood``. ``sections``: the form (label, bars) for the
    analysis's section windows. ``drum_kit``: GM drum note -> one-shot sample, blended over
    the GM drums by sampleInfluence. ``drum_track``: plays the drum part on a sample kit
    (:class:`render.kit.play.KitPlayer`), written as ``stems/drums_kit.wav`` and blended
    the same way (it takes the place of ``drum_kit``). ``stem_format``: ``pcm24`` or
    ``float32`` stem WAVs; the sample rate is ``synth``'s. ``voices``: part name -> what
    plays that part's stem instead of the SoundFont (a DDSP timbre for the melody).
    ``on_step`` is called as each step finishes (a progress display). Raises RenderError
    for a song with no notes, an unwritable folder or a missing/broken SoundFont, before
    anything is written."""
    if not any(p.notes for p in song.parts):
        raise RenderError("song: no part has any notes -- there is nothing to render")
    paths = RenderPaths(Path(out_dir))
    ensure_writable_dir(paths.root)
    own_synth = synth is None
    synth = synth or Synthesizer(soundfont, backend=backend)
    timings: dict[str, float] = {}
    drums = next((p for p in song.parts if p.is_drum), None)
    kit_given = drums is not None and (drum_track is not None or bool(drum_kit))
    total = len(song.parts) + len(STEPS_AFTER_STEMS) + int(kit_given)
    done: list[str] = []

    def step(name: str) -> None:
        done.append(name)
        if on_step is not None:
            on_step(RenderStep(name=name, index=len(done), total=total))

    try:
        length_qn = total_qn if total_qn is not None else song_length_qn(song)
        seconds = qn_to_seconds(length_qn, song.bpm)
        t0 = time.perf_counter()
        stems = write_stems(
            song,
            paths.stems_dir,
            synth,
            seconds=seconds,
            wav_format=stem_format,
            on_stem=lambda n: step(f"stem {n}"),
            voices=voices,
        )
        timings["stems"] = time.perf_counter() - t0
        sr = stems.sample_rate
        t0 = time.perf_counter()
        analysis = analyze_stems(
            stems.audio, sr, bpm=song.bpm, meter=song.meter, sections=sections, seconds=seconds
        )
        timings["analysis"] = time.perf_counter() - t0
        step("analysis")
        plan = plan or default_plan(analysis, color=color, mood=mood)
        kit_track = None
        stem_files = dict(stems.paths)
        if drums is not None and drum_track is not None:
            kit_track = drum_track(drums, song.bpm, sr, stems.seconds)
        elif drums is not None and drum_kit:
            kit_track = render_hits(drums, song.bpm, drum_kit, sr, seconds=stems.seconds)
        if kit_track is not None:
            gain = pcm_headroom_gain({KIT_STEM: kit_track}) if stem_format == "pcm24" else 1.0
            stem_files[KIT_STEM] = write_audio(
                stem_path(paths.stems_dir, KIT_STEM), kit_track * gain, sr, wav_format=stem_format
            )
            step(f"stem {KIT_STEM}")
        t0 = time.perf_counter()
        bus = mix_stems(stems.audio, sr, plan, kit_track=kit_track)
        timings["mix"] = time.perf_counter() - t0
        step("mix")
        t0 = time.perf_counter()

        mastering = Mastering(bus, sr, seconds=seconds)

        def remaster(ceiling: float) -> np.ndarray:
            return mastering.at(target_lufs, ceiling)[0]

        mastered, stats = mastering.at(target_lufs, ceiling_dbtp)
        timings["master"] = time.perf_counter() - t0
        step("master")
        t0 = time.perf_counter()
        write_json(paths.analysis, analysis.to_dict())
        plan.save(paths.render_plan)
        write_audio(paths.mix_wav, mastered, sr)
        mp3_stats = None
        if write_mp3:
            mp3_stats = write_mp3_master(
                paths.mix_mp3, mastered, sr, ceiling_dbtp=ceiling_dbtp, remaster=remaster
            )
        timings["write"] = time.perf_counter() - t0
        step("write")
    finally:
        if own_synth:
            synth.close()
    logger.info(
        "rendered %.1f s: %.2f LUFS, %.2f dBTP (%s)",
        seconds,
        stats.integrated_lufs,
        stats.true_peak_dbtp,
        ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()),
    )
    return RenderResult(
        stems=stem_files,
        mix_wav=paths.mix_wav,
        mix_mp3=paths.mix_mp3 if write_mp3 else None,
        render_plan=paths.render_plan,
        analysis=paths.analysis,
        plan=plan,
        seconds=seconds,
        integrated_lufs=stats.integrated_lufs,
        true_peak_dbtp=stats.true_peak_dbtp,
        backend=synth.backend,
        soundfont=synth.soundfont,
        timings=timings,
        sample_rate=sr,
        stem_format=stem_format,
        mp3=mp3_stats,
        stem_file_gain_db=stems.file_gain_db,
    )


def load_analysis(path: Path) -> Analysis:
    """Read an ``analysis.json`` written by :func:`render_song`."""
    import json

    try:
        return Analysis.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RenderError(f"{path}: unreadable analysis ({exc})", path=path) from exc
