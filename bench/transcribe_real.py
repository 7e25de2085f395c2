"""Transcription of a real recording against a reference a person can check by ear: librosa's
pYIN pitch track of the same audio, cut into notes.

    python -m bench.transcribe_real AUDIO --stem lead [--fmin 100 --fmax 1200] [--seconds 30]
        [--lowpass HZ] [--name NAME]

The reference: pYIN (``librosa.pyin``, 22.05 kHz, hop 256) between ``--fmin`` and ``--fmax``
(optionally on the audio low-passed at ``--lowpass`` Hz, for a bass line under a band); a note
starts where a voiced stretch starts or its pitch moves by more than 0.6 semitone from the
stretch's median, lasts at least 50 ms, and takes the median pitch rounded to a semitone.
Printed note by note, so each can be checked against the recording. Figures: notes in each,
mir_eval note F1 (onset 50 ms, pitch within 50 cents), onset F1 (50 and 100 ms), and the pitch
agreement of the transcribed notes with pYIN's median pitch over each note's span (the share
equal to the semitone, and the median absolute difference). Adds the recording's row to
``bench/results/transcribe_real.json`` (one row per ``--name``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS as RESULTS_DIR
from bench.common import write_result
from render.transcription.decode import NoteEvent
from render.transcription.recording import read_recording
from render.transcription.taxonomy import resolve_model
from render.transcription.transcriber import StemTranscriber, installed_models
from training.transcribe.evaluate import note_f, onset_f

RESULTS = RESULTS_DIR / "transcribe_real.json"
PYIN_SR = 22050
HOP = 256
MIN_NOTE_S = 0.05
SPLIT_SEMITONES = 0.6


def pyin_track(
    audio: np.ndarray, sr: int, *, fmin: float, fmax: float, lowpass: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """(times [T] seconds, MIDI pitch [T], NaN where unvoiced) of the mono mix."""
    import librosa
    import scipy.signal

    mono = librosa.resample(audio.mean(axis=1), orig_sr=sr, target_sr=PYIN_SR)
    if lowpass is not None:
        sos = scipy.signal.butter(8, lowpass, btype="low", fs=PYIN_SR, output="sos")
        mono = scipy.signal.sosfiltfilt(sos, mono)
    f0, voiced, _ = librosa.pyin(
        mono, fmin=fmin, fmax=fmax, sr=PYIN_SR, frame_length=2048, hop_length=HOP
    )
    times = librosa.times_like(f0, sr=PYIN_SR, hop_length=HOP)
    midi = np.where(voiced, librosa.hz_to_midi(np.nan_to_num(f0, nan=1.0)), np.nan)
    return times, midi


def pyin_notes(times: np.ndarray, midi: np.ndarray) -> list[NoteEvent]:
    """The pitch track cut into notes (see the module docstring)."""
    notes: list[NoteEvent] = []
    start: int | None = None
    pitches: list[float] = []

    def close(stop: int) -> None:
        if start is not None and times[stop] - times[start] >= MIN_NOTE_S:
            pitch = round(float(np.median(pitches)))
            notes.append(NoteEvent(float(times[start]), float(times[stop]), pitch))

    for i, m in enumerate(midi):
        voiced = not np.isnan(m)
        if start is not None and (
            not voiced or abs(m - float(np.median(pitches))) > SPLIT_SEMITONES
        ):
            close(i)
            start, pitches = None, []
        if voiced:
            if start is None:
                start = i
            pitches.append(float(m))
    close(len(midi) - 1)
    return notes


def pitch_agreement(
    est: list[NoteEvent], times: np.ndarray, midi: np.ndarray
) -> tuple[float, float, int]:
    """(share of ``est`` notes on pYIN's median semitone over their span, median absolute
    difference in semitones, notes with voiced frames to compare)."""
    diffs = []
    for n in est:
        span = midi[(times >= n.start) & (times < max(n.end, n.start + 0.03))]
        span = span[~np.isnan(span)]
        if span.size:
            diffs.append(abs(n.pitch - float(np.median(span))))
    if not diffs:
        return 0.0, float("nan"), 0
    d = np.asarray(diffs)
    return float(np.mean(d < 0.5)), float(np.median(d)), len(diffs)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description="A transcription of a real recording against librosa's pYIN pitch track "
        "of the same audio cut into notes (note and onset F1, pitch agreement)."
    )
    parser.add_argument("audio", type=Path, help="the recording (WAV, FLAC, OGG, MP3)")
    parser.add_argument("--stem", required=True, help="stem or instrument name to route")
    parser.add_argument("--fmin", type=float, default=100.0, help="pYIN's lowest pitch, Hz")
    parser.add_argument("--fmax", type=float, default=1200.0, help="pYIN's highest pitch, Hz")
    parser.add_argument(
        "--lowpass", type=float, default=None, help="low-pass the audio for pYIN at this Hz"
    )
    parser.add_argument("--seconds", type=float, default=None, help="only the first seconds")
    parser.add_argument("--name", default=None, help="the result's name in the JSON")
    args = parser.parse_args(argv)
    audio, sr = read_recording(args.audio)
    if args.seconds is not None:
        audio = audio[: round(args.seconds * sr)]
    route = resolve_model(args.stem, installed_models())
    est = StemTranscriber.load(route.model).transcribe(audio, sr)
    times, midi = pyin_track(audio, sr, fmin=args.fmin, fmax=args.fmax, lowpass=args.lowpass)
    ref = pyin_notes(times, midi)
    print("pYIN reference notes (start, end, pitch):")
    for n in ref:
        print(f"  {n.start:7.3f} {n.end:7.3f} {n.pitch}")
    print(f"model: {route.describe(args.stem)}; its notes:")
    for n in est:
        print(f"  {n.start:7.3f} {n.end:7.3f} {n.pitch}")
    _, _, f1 = note_f(ref, est, offsets=False)
    same, median_diff, compared = pitch_agreement(est, times, midi)
    onsets_ref, onsets_est = [n.start for n in ref], [n.start for n in est]
    result = {
        "name": args.name or args.audio.stem,
        "audio": args.audio.name,
        "seconds": round(audio.shape[0] / sr, 2),
        "stem": args.stem,
        "model": route.served_by,
        "route": route.via,
        "pyin": {"fmin": args.fmin, "fmax": args.fmax, "lowpass": args.lowpass},
        "notes_reference": len(ref),
        "notes_transcribed": len(est),
        "note_f1": round(f1, 3),
        "onset_f1_50ms": round(onset_f(onsets_ref, onsets_est), 3),
        "onset_f1_100ms": round(_onset_f(onsets_ref, onsets_est, 0.1), 3),
        "pitch_on_pyin_semitone": round(same, 3),
        "pitch_median_abs_diff_semitones": round(median_diff, 2),
        "notes_compared": compared,
    }
    print(json.dumps(result, indent=2))
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    rows = [r for r in old.get("recordings", []) if r.get("name") != result["name"]]
    write_result("transcribe_real", {"recordings": [*rows, result]})
    return result


def _onset_f(ref: list[float], est: list[float], window: float) -> float:
    import mir_eval

    if not ref or not est:
        return float(not ref and not est)
    f, _, _ = mir_eval.onset.f_measure(np.sort(ref), np.sort(est), window=window)
    return float(f)


if __name__ == "__main__":
    main()
