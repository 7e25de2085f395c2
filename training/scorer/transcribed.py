"""Catalogue recordings without MIDI, transcribed to MIDI so that they train the MIDI branch too
(``chromatic train scorer --dataset DIR``, :func:`training.scorer.supervised.build_examples`).

A track with ``audio`` and no ``midi`` is transcribed by the installed per-stem models
(:mod:`render.transcription`): the track's recording is a mix, so every model hears it and
writes the part its role plays in it (:func:`~render.transcription.transcriber.transcribe_mix`:
bass, drums, lead, and piano, guitar, strings or pads once their models are installed), one MIDI
track per model. The MIDI is cached under the catalogue's cache folder,
``<catalogue>/cache/transcribed/<sha256 of the audio file>.mid``, so a recording is transcribed
once whatever its name or place, and again only when its bytes change. A recording in which no
model hears a note is cached as a MIDI file with no notes and trains the audio branch alone, as
before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from music.midi_io import write_midi
from render.transcription.decode import to_song
from render.transcription.recording import read_recording
from render.transcription.transcriber import transcribe_mix

logger = logging.getLogger(__name__)

#: The cache folder of transcriptions, relative to the catalogue's folder.
CACHE_DIR: Final = Path("cache") / "transcribed"
_CHUNK: Final = 1 << 20


def audio_digest(path: Path) -> str:
    """The SHA-256 of the file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(slots=True)
class Transcriptions:
    """The transcription cache of one catalogue: ``folder`` of ``<sha256>.mid`` files and the
    ``models`` (stem name -> ONNX file) that fill it; counts what it transcribed and reused."""

    folder: Path
    models: Mapping[str, Path]
    transcribed: list[Path] = field(default_factory=list)
    reused: list[Path] = field(default_factory=list)

    def midi_of(self, audio: Path) -> Path:
        """The cached MIDI transcription of the recording at ``audio`` (made on a miss)."""
        cached = self.folder / f"{audio_digest(audio)}.mid"
        if cached.is_file():
            self.reused.append(audio)
            return cached
        samples, sr = read_recording(audio, field="audio")
        parts = transcribe_mix(samples, sr, models=self.models)
        heard = [p for p in parts if p.notes]
        logger.info(
            "%s: transcribed by %s (%d notes)",
            audio.name,
            ", ".join(p.name for p in heard) or "no model",
            sum(len(p.notes) for p in heard),
        )
        write_midi(to_song(heard), cached, instrument_names=True)
        self.transcribed.append(audio)
        return cached

    @property
    def used(self) -> list[Path]:
        """Every recording whose transcription was asked for (made or reused)."""
        return [*self.transcribed, *self.reused]
