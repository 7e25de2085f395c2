"""Catalogue recordings without MIDI, transcribed to MIDI so that they train the MIDI branch too
(``chromatic train scorer --dataset DIR``, :func:`training.scorer.supervised.build_examples`).

A track with no ``midi`` is transcribed by the installed per-stem models
(:mod:`render.transcription`):

- when it lists ``stems``, each stem's recording by the model its name routes to
  (:func:`~render.transcription.transcriber.transcribe_stem`: exact, else a model of the same
  role, else ``other``; a stem no model serves is left out, with a warning), one MIDI track per
  stem;
- else its ``audio``, a mix, is heard by every model, each writing the part its role plays in it
  (:func:`~render.transcription.transcriber.transcribe_mix`: bass, drums, lead, and piano,
  guitar, strings or pads once their models are installed), one MIDI track per model.

Each transcription is cached under the catalogue's cache folder, ``<catalogue>/cache/
transcribed/<sha256 of the audio file>-<models>.mid`` for a mix and ``<sha256>-<models>.<stem>
.mid`` for a stem, where ``<models>`` is a digest of the models that heard it (their stems and
file bytes), so a recording is transcribed once whatever its name or place, and again only when
its bytes change or other models are installed. A recording in which no
model hears a note is cached with no notes; a track with no notes at all trains the audio branch
alone, as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from music.midi_io import Song, read_midi, write_midi
from music.notes import Part
from render.transcription.decode import to_song
from render.transcription.recording import read_recording
from render.transcription.taxonomy import NoModelError
from render.transcription.transcriber import transcribe_mix, transcribe_stem

logger = logging.getLogger(__name__)

#: The cache folder of transcriptions, relative to the catalogue's folder.
CACHE_DIR: Final = Path("cache") / "transcribed"
_CHUNK: Final = 1 << 20


def file_digest(path: Path) -> str:
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
    _models_key: str = field(default="", init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha256()
        for stem in sorted(self.models):
            digest.update(f"{stem}={file_digest(self.models[stem])};".encode())
        self._models_key = digest.hexdigest()[:16]

    def cached(self, audio: Path, stem: str | None = None) -> Path:
        """Where the transcription of ``audio`` (as ``stem``, else as a mix) by these models is
        cached."""
        suffix = ".mid" if stem is None else f".{stem}.mid"
        return self.folder / f"{file_digest(audio)}-{self._models_key}{suffix}"

    def midi_of(self, audio: Path) -> Path:
        """The cached MIDI transcription of the mix at ``audio`` (made on a miss)."""
        cached = self.cached(audio)
        if self._hit(cached, audio):
            return cached
        samples, sr = read_recording(audio, field="audio")
        parts = transcribe_mix(samples, sr, models=self.models)
        return self._write(cached, audio, [p for p in parts if p.notes])

    def song_of_stems(self, stems: Sequence[tuple[str, Path]]) -> Song:
        """The stems' cached transcriptions (each made on a miss) as one song, a track each."""
        parts: list[Part] = []
        for stem, audio in stems:
            cached = self.cached(audio, stem)
            if not self._hit(cached, audio):
                samples, sr = read_recording(audio, field=f"stems.{stem}")
                try:
                    part = transcribe_stem(samples, sr, stem=stem, models=self.models)
                except NoModelError as exc:
                    logger.warning("%s: stem %s left out: %s", audio.name, stem, exc)
                    continue
                self._write(cached, audio, [part] if part.notes else [])
            parts += read_midi(cached).parts
        return to_song(parts)

    def _hit(self, cached: Path, audio: Path) -> bool:
        if cached.is_file():
            self.reused.append(audio)
            return True
        return False

    def _write(self, cached: Path, audio: Path, parts: list[Part]) -> Path:
        logger.info(
            "%s: transcribed by %s (%d notes)",
            audio.name,
            ", ".join(p.name for p in parts) or "no model",
            sum(len(p.notes) for p in parts),
        )
        write_midi(to_song(parts), cached, instrument_names=True)
        self.transcribed.append(audio)
        return cached
