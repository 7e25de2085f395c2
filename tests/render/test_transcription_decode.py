"""Features and decoding of the transcription runtime: mel frames where the pitch is, and
posteriors turned into the notes and hits they describe."""

from __future__ import annotations

import numpy as np
import pytest

from render.transcription.decode import (
    NoteEvent,
    drum_hits,
    onset_peaks,
    pitched_notes,
    to_part,
)
from render.transcription.features import (
    FRAMES_PER_SECOND,
    SAMPLE_RATE,
    log_mel,
    mel_basis,
    n_frames,
    to_model_rate,
)


def test_log_mel_shape_and_pitch() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    low = log_mel(np.sin(2 * np.pi * 110.0 * t).astype(np.float32))
    high = log_mel(np.sin(2 * np.pi * 880.0 * t).astype(np.float32))
    assert low.shape == (n_frames(SAMPLE_RATE), 229) == (63, 229)
    freqs = np.fft.rfftfreq(2048, 1 / SAMPLE_RATE)
    centre = (mel_basis() @ freqs) / mel_basis().sum(axis=1)
    assert abs(centre[int(low[30].argmax())] - 110.0) < 15.0
    assert abs(centre[int(high[30].argmax())] - 880.0) < 40.0


def test_resample_to_model_rate() -> None:
    stereo = np.zeros((44100, 2), dtype=np.float32)
    assert to_model_rate(stereo, 44100).shape == (16000,)
    with pytest.raises(ValueError, match="sample_rate"):
        to_model_rate(stereo, 0)


def test_onset_peaks_merge_neighbours() -> None:
    p = np.array([0.1, 0.9, 0.8, 0.95, 0.1, 0.2, 0.7, 0.3], dtype=np.float32)
    assert onset_peaks(p, 0.5).tolist() == [1, 6]


def test_pitched_notes_follow_frames_and_split_on_new_onset() -> None:
    onset = np.zeros((100, 3), dtype=np.float32)
    frame = np.zeros((100, 3), dtype=np.float32)
    onset[10, 1] = 0.9
    frame[10:40, 1] = 0.8  # one note of 30 frames
    onset[50, 2] = 0.9
    onset[60, 2] = 0.9
    frame[50:80, 2] = 0.8  # a repeated note: two notes
    notes = pitched_notes(onset, frame, low=40, fps=50.0)
    assert [(n.pitch, n.start, n.end) for n in notes] == [
        (41, 0.2, 0.8),
        (42, 1.0, 1.2),
        (42, 1.2, 1.6),
    ]


def test_frame_starts_add_notes_the_onsets_missed() -> None:
    onset = np.zeros((100, 2), dtype=np.float32)
    frame = np.zeros((100, 2), dtype=np.float32)
    onset[10, 0] = 0.9
    frame[11:30, 0] = 0.8  # its onset found: no second note one frame later
    frame[40:60, 0] = 0.8  # no onset peak: a note only with frame starts
    frame[70:72, 0] = 0.8  # too short to start a note
    frame[20:50, 1] = 0.4  # under the frame threshold
    plain = pitched_notes(onset, frame, low=60, fps=50.0)
    assert [(n.pitch, n.start, n.end) for n in plain] == [(60, 0.2, 0.6)]
    more = pitched_notes(onset, frame, low=60, fps=50.0, frame_starts=True)
    assert [(n.pitch, n.start, n.end) for n in more] == [(60, 0.2, 0.6), (60, 0.8, 1.2)]
    low = pitched_notes(onset, frame, low=60, fps=50.0, frame_threshold=0.3, frame_starts=True)
    assert (61, 0.4, 1.0) in [(n.pitch, n.start, n.end) for n in low]


def test_drum_hits_per_class() -> None:
    onset = np.zeros((50, 2), dtype=np.float32)
    onset[5, 0] = onset[25, 0] = onset[15, 1] = 0.8
    onset[35, 1] = 0.3  # below the threshold
    hits = drum_hits(onset, notes=[36, 42], fps=FRAMES_PER_SECOND)
    assert [(h.pitch, round(h.start * FRAMES_PER_SECOND)) for h in hits] == [
        (36, 5),
        (42, 15),
        (36, 25),
    ]


def test_to_part_in_quarter_notes_at_120() -> None:
    part = to_part([NoteEvent(0.5, 1.0, 40)], name="bass", program=33)
    assert (part.notes[0].start, part.notes[0].end, part.program) == (1.0, 2.0, 33)
    with pytest.raises(ValueError, match="start < end"):
        NoteEvent(1.0, 1.0, 40)
