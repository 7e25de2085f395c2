"""Note F-measure of a transcription model on held-out rendered stems (mir_eval).

Pitched stems: ``mir_eval.transcription`` precision, recall and F1 with a 50 ms onset
tolerance, without offsets (``offset_ratio=None``) and with them (mir_eval's default: the
offset within 20% of the note's length or 50 ms). Drums: ``mir_eval.onset.f_measure`` per
drum class (50 ms window) and over all hits with the class as the pitch. Figures are the mean
over clips (each clip is a 10-second song) and the notes pooled over all clips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np

from render.transcription.decode import NoteEvent
from render.transcription.taxonomy import BY_NAME, DRUM_CLASSES, drum_class_of

ONSET_TOLERANCE: Final = 0.05
#: Seconds between clips when their notes are pooled into one long piece.
_POOL_GAP: Final = 1000.0


def _arrays(notes: Sequence[NoteEvent]) -> tuple[np.ndarray, np.ndarray]:
    if not notes:
        return np.zeros((0, 2)), np.zeros(0)
    intervals = np.array([[n.start, n.end] for n in notes], dtype=float)
    pitches = 440.0 * 2.0 ** ((np.array([n.pitch for n in notes], dtype=float) - 69.0) / 12.0)
    return intervals, pitches


def note_f(
    ref: Sequence[NoteEvent], est: Sequence[NoteEvent], *, offsets: bool
) -> tuple[float, float, float]:
    """(precision, recall, F1) of ``est`` against ``ref`` (onset 50 ms; offsets if asked)."""
    import mir_eval

    if not ref and not est:
        return 1.0, 1.0, 1.0
    if not ref or not est:
        return 0.0, 0.0, 0.0
    ri, rp = _arrays(ref)
    ei, ep = _arrays(est)
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=ONSET_TOLERANCE, offset_ratio=0.2 if offsets else None
    )
    return float(p), float(r), float(f)


def onset_f(ref: Sequence[float], est: Sequence[float]) -> float:
    """Onset F-measure (50 ms window) of two lists of times."""
    import mir_eval

    if not ref and not est:
        return 1.0
    if not ref or not est:
        return 0.0
    f, _, _ = mir_eval.onset.f_measure(
        np.sort(np.asarray(ref)), np.sort(np.asarray(est)), window=ONSET_TOLERANCE
    )
    return float(f)


def _pooled(clips: Sequence[Sequence[NoteEvent]]) -> list[NoteEvent]:
    return [
        NoteEvent(n.start + i * _POOL_GAP, n.end + i * _POOL_GAP, n.pitch, n.velocity)
        for i, notes in enumerate(clips)
        for n in notes
    ]


def as_drum_classes(notes: Sequence[NoteEvent]) -> list[NoteEvent]:
    """Drum notes with the pitch replaced by the class's GM note (unmapped notes dropped)."""
    out = []
    for n in notes:
        c = drum_class_of(n.pitch)
        if c is not None:
            out.append(NoteEvent(n.start, n.end, DRUM_CLASSES[c][1], n.velocity))
    return out


def score_stem(
    stem: str, refs: Sequence[Sequence[NoteEvent]], ests: Sequence[Sequence[NoteEvent]]
) -> dict[str, Any]:
    """F-measures of a stem's model over clips (``refs[i]`` against ``ests[i]``)."""
    if len(refs) != len(ests) or not refs:
        raise ValueError(f"refs/ests: {len(refs)} and {len(ests)} clips -- the same, at least 1")
    if BY_NAME[stem].is_drum:
        refs = [as_drum_classes(r) for r in refs]
        ests = [as_drum_classes(e) for e in ests]
        per_class = {}
        for name, note, _ in DRUM_CLASSES:
            ref_t = [[n.start for n in r if n.pitch == note] for r in refs]
            est_t = [[n.start for n in e if n.pitch == note] for e in ests]
            scored = [onset_f(r, e) for r, e in zip(ref_t, est_t, strict=True) if r or e]
            per_class[name] = {
                "f_onset": round(float(np.mean(scored)), 4) if scored else None,
                "ref_hits": sum(len(r) for r in ref_t),
            }
        result: dict[str, Any] = {"per_class": per_class}
    else:
        result = {}
    for offsets, key in ((False, "onset"), (True, "onset_offset")):
        scores = [note_f(r, e, offsets=offsets) for r, e in zip(refs, ests, strict=True)]
        pooled = note_f(_pooled(refs), _pooled(ests), offsets=offsets)
        result[key] = {
            "precision": round(float(np.mean([s[0] for s in scores])), 4),
            "recall": round(float(np.mean([s[1] for s in scores])), 4),
            "f1": round(float(np.mean([s[2] for s in scores])), 4),
            "f1_pooled": round(pooled[2], 4),
        }
    result["clips"] = len(refs)
    result["ref_notes"] = sum(len(r) for r in refs)
    return result


def evaluate(
    transcribe: Callable[[np.ndarray], list[NoteEvent]],
    clips: Sequence[tuple[np.ndarray, Sequence[NoteEvent]]],
    stem: str,
) -> dict[str, Any]:
    """Run ``transcribe`` (mono 16 kHz audio -> notes) on each ``(audio, reference notes)``
    and score it with :func:`score_stem`."""
    ests = [transcribe(audio) for audio, _ in clips]
    return score_stem(stem, [list(ref) for _, ref in clips], ests)
