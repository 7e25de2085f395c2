"""After the last gate: assemble the approved parts into the song and render it.

Reads every phase's approved MIDI (``<phase>/approved/<label>.mid``; the phase's name is the
part's name), places the form's sections in order (a section plays the part approved for its
label, or the nearest section's: see :mod:`render.assemble`), and writes into the run
directory ``song.mid``, ``arrangement.json``, ``stems/<part>.wav``, ``analysis.json``,
``render_plan.json``, ``mix.wav`` and ``mix.mp3``, then ``render.json`` (what was rendered
and measured) last, so its presence says the render is complete.

Resumable: every file is written to a temp file and renamed; the SoundFont and the output
folders are checked before anything is written; temp files left by a killed render are
removed when it runs again, and the re-run overwrites every output.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.builder import KitUse
from agents.errors import RunStateError
from agents.phases.approved import is_imported
from agents.proposal import Proposal
from agents.rundir import RunDir
from music.files import TEMP_GLOBS, write_text_atomic
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Note, Part, lyric_events, with_lyric_events
from render.assemble import assemble_to_files
from render.audio_io import ensure_writable_dir
from render.ddsp import load_timbre
from render.kit.manifest import load_kit
from render.kit.play import KitPlayer
from render.pipeline import RenderStep, render_song
from render.settings import RenderSettings
from render.synth import Synthesizer, release_shared_synthesizers

logger = logging.getLogger(__name__)


def sweep_temp_files(run: RunDir) -> list[Path]:
    """Remove temp files a killed render left in the run directory and ``stems/``."""
    removed = []
    for folder in (run.root, run.stems):
        if not folder.is_dir():
            continue
        for pattern in TEMP_GLOBS:
            for path in folder.glob(pattern):
                if path.is_file():
                    path.unlink()
                    removed.append(path)
    if removed:
        logger.info("removed %d temp files of an interrupted render", len(removed))
    return removed


def _as_part(path: Path, name: str) -> Part:
    """The approved MIDI at ``path`` as one Part named ``name`` (all its tracks' notes and
    lyric events; the first track's program and drum flag)."""
    song = read_midi(path)
    first = song.parts[0]
    notes: list[Note] = sorted(
        (n for p in song.parts for n in p.notes), key=lambda n: (n.start, n.pitch)
    )
    part = Part(name, tuple(notes), program=first.program, is_drum=first.is_drum)
    return with_lyric_events(part, [e for p in song.parts for e in lyric_events(p)])


def approved_parts(
    run: RunDir, approved: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, Part]]:
    """``{part: {label: Part}}`` from ``approved`` (phase -> its approved labels), in phase
    order. Raises RunStateError when no phase has an approved label, or a file is missing."""
    parts: dict[str, dict[str, Part]] = {}
    for phase, labels in approved.items():
        by_label = {label: _as_part(run.approved_midi(phase, label), phase) for label in labels}
        if by_label:
            parts[phase] = by_label
    if not parts:
        raise RunStateError(
            f"{run.root}: nothing approved yet (no {', '.join(approved) or 'phase'}/approved/"
            "*.mid) -- approve candidates and `chromatic resume` the run before rendering"
        )
    return parts


def imported_labels(
    run: RunDir, approved: Mapping[str, Sequence[str]]
) -> frozenset[tuple[str, str]]:
    """The ``(phase, label)`` pairs of ``approved`` a person imported (``chromatic import``):
    the song plays them exactly as written."""
    return frozenset(
        (phase, label)
        for phase, labels in approved.items()
        for label in labels
        if is_imported(run, phase, label)
    )


def approved_on_disk(run: RunDir, phases: Sequence[str]) -> dict[str, list[str]]:
    """Each phase's approved labels as promoted files show them (``<phase>/approved/*.mid``)."""
    return {
        phase: sorted(p.stem for p in run.approved(phase).glob("*.mid"))
        for phase in phases
        if run.approved(phase).is_dir()
    }


def render_run(
    *,
    run: RunDir,
    proposal: Proposal,
    form: Mapping[str, Any],
    approved: Mapping[str, Sequence[str]],
    soundfont: Path | str | None = None,
    backend: str | None = None,
    settings: RenderSettings | None = None,
    on_step: Callable[[RenderStep], None] | None = None,
    kit: KitUse | None = None,
    melody_timbre: str | None = None,
) -> dict[str, Any]:
    """Assemble and render the run (module docstring). ``form``: the song's form as saved in
    plan.json (sections with bars, phrase_bars); ``approved``: phase -> approved labels;
    ``settings``: sample rate and stem format (default 44.1 kHz, 24-bit stems). Returns
    ``render.json``'s content: files relative to the run, seconds, loudness (LUFS), true peak
    (dBTP, of the WAV and of the decoded MP3), sample rate, stem format, timings.
    ``on_step``: called as each render step finishes (see :class:`render.pipeline.RenderStep`).
    ``kit``: a sample kit the drum part is also played on (``stems/drums_kit.wav``, blended
    into the mix by the plan's sampleInfluence), its hits picked as it says, seeded by the
    proposal's seed. ``melody_timbre``: a DDSP timbre the melody stem is played on instead of
    the SoundFont (:func:`render.ddsp.load_timbre`; agents.builder.melody_timbre picks it).

    Raises RunStateError (nothing approved), RenderError (missing or broken SoundFont,
    unwritable folder) before writing anything."""
    t_start = time.perf_counter()
    parts = approved_parts(run, approved)
    sections = [(str(s["name"]), int(s["bars"])) for s in form["sections"]]
    meter: Meter = proposal.meter
    phrase_qn = int(form["phrase_bars"]) * meter.bar_qn
    settings = settings or RenderSettings()
    player = (
        KitPlayer(load_kit(kit.folder), pick=kit.pick, seed=proposal.seed)  # type: ignore[arg-type]
        if kit is not None
        else None
    )
    timbre = load_timbre(melody_timbre) if melody_timbre else None
    release_shared_synthesizers()  # the previews' SoundFont copy: memory the render can use
    # Opening the synthesizer checks the SoundFont before anything is written.
    with Synthesizer(soundfont, backend=backend, sample_rate=settings.sample_rate) as synth:
        ensure_writable_dir(run.root)
        ensure_writable_dir(run.stems)
        sweep_temp_files(run)
        run.render_manifest.unlink(missing_ok=True)  # back only once this render is complete
        assembled = assemble_to_files(
            run.root,
            sections,
            parts,
            bpm=proposal.bpm,
            meter=meter,
            phrase_qn=phrase_qn,
            key=proposal.key,
            seed=proposal.seed,
            as_written=imported_labels(run, approved),
        )
        result = render_song(
            run.root,
            assembled.song,
            sections=sections,
            total_qn=assembled.arrangement.total_qn,
            color=proposal.color,
            mood=proposal.mood,
            synth=synth,
            on_step=on_step,
            stem_format=settings.stem_format,
            drum_track=player.render if player is not None else None,
            voices={"melody": timbre.render_part} if timbre is not None else None,
        )
    assert result.mix_mp3 is not None and result.mp3 is not None
    seconds = time.perf_counter() - t_start
    manifest: dict[str, Any] = {
        "song": run.relative(assembled.song_mid),
        "arrangement": run.relative(assembled.arrangement_json),
        "stems": {name: run.relative(path) for name, path in result.stems.items()},
        "analysis": run.relative(result.analysis),
        "render_plan": run.relative(result.render_plan),
        "mix_wav": run.relative(result.mix_wav),
        "mix_mp3": run.relative(result.mix_mp3),
        "parts": {part: sorted(by_label) for part, by_label in parts.items()},
        "seconds": round(result.seconds, 6),
        "integrated_lufs": round(result.integrated_lufs, 3),
        "true_peak_dbtp": round(result.true_peak_dbtp, 3),
        "mp3_true_peak_dbtp": round(result.mp3.true_peak_dbtp, 3),
        "mp3_integrated_lufs": round(result.mp3.integrated_lufs, 3),
        "mp3_encodes": result.mp3.attempts,
        "sample_rate": result.sample_rate,
        "stem_format": result.stem_format,
        "stem_file_gain_db": round(result.stem_file_gain_db, 3),
        "backend": result.backend,
        "soundfont": str(result.soundfont),
        "plan_source": result.plan.source,
        "kit": None
        if kit is None or player is None
        else {
            "folder": str(kit.folder),
            "pick": kit.pick,
            "hits": len(player.kit.manifest.hits),
            "borrowed": dict(player.substituted),
        },
        "timings": {k: round(v, 3) for k, v in {**result.timings, "total": seconds}.items()},
    }
    if melody_timbre:
        manifest["melody_timbre"] = melody_timbre
    write_text_atomic(run.render_manifest, json.dumps(manifest, indent=2) + "\n")
    logger.info(
        "rendered %s: %.1f s of audio in %.2f s (%.1fx real time)",
        run.root,
        result.seconds,
        seconds,
        result.seconds / max(seconds, 1e-9),
    )
    return manifest
