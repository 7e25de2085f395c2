"""Build the RenderPlan dataset: one JSON line per track with its tempo, the analysis of its
stems (per-bar windows, render.analysis) and its target RenderPlan.

Layout (seed 000)::

    <root>/
      manifest.jsonl            optional: {"id", "stems", "metadata", "render_plan", "tempo"}
      tracks/<id>/stems/*.wav   one WAV per stem (named after the part: chords, drums, ...)
      tracks/<id>/metadata/tempo.json     {"bpm": 120, "meter": "4/4",
                                           "sections": [{"name": "verse", "bars": 8}]}
      tracks/<id>/render_plan.json        the target plan (render.renderplan format or the
                                          seed's, whose window fx applies to every part)

A manifest line's paths (absolute, or relative to the root) replace a track's defaults; with a
manifest only its tracks are used. ``metadata`` (a JSON file) may hold the tempo fields too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from music.errors import InputError
from music.files import write_text_atomic
from music.meter import Meter
from render.analysis import analyze_stems
from render.audio_io import read_audio
from render.renderplan import RenderPlan

log = logging.getLogger(__name__)

DATASET_FILE = "plan_dataset.jsonl"


class DatasetError(InputError):
    """A track of the RenderPlan dataset that cannot be used."""


@dataclass(frozen=True, slots=True)
class TrackPaths:
    id: str
    stems: Path
    tempo: Path
    render_plan: Path
    metadata: Path | None = None


def _read_json(path: Path, field: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(
            file=path, field=field, value=str(exc), allowed="a readable JSON file"
        ) from exc


def find_tracks(root: Path) -> Iterator[TrackPaths]:
    """The tracks of a dataset root: the manifest's, else every folder under ``tracks/``."""
    manifest = root / "manifest.jsonl"
    if manifest.is_file():
        for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    file=manifest,
                    field=f"line {n}",
                    value=line[:80],
                    allowed=f"a JSON object ({exc})",
                ) from exc
            if "id" not in entry:
                raise DatasetError(
                    file=manifest, field=f"line {n}.id", value=None, allowed="a track id"
                )
            tid = str(entry["id"])
            base = root / "tracks" / tid

            def path(key: str, default: Path, e: Mapping[str, Any] = entry) -> Path:
                p = Path(str(e[key])) if key in e else default
                return p if p.is_absolute() else root / p

            metadata = path("metadata", base / "metadata" / "ableton.json")
            yield TrackPaths(
                id=tid,
                stems=path("stems", base / "stems"),
                tempo=path("tempo", base / "metadata" / "tempo.json"),
                render_plan=path("render_plan", base / "render_plan.json"),
                metadata=metadata if metadata.is_file() else None,
            )
        return
    for folder in sorted(p for p in (root / "tracks").glob("*") if p.is_dir()):
        yield TrackPaths(
            id=folder.name,
            stems=folder / "stems",
            tempo=folder / "metadata" / "tempo.json",
            render_plan=folder / "render_plan.json",
        )


def track_row(track: TrackPaths) -> dict[str, Any]:
    """``{"id", "tempo", "analysis", "target"}`` of one track (its stems analysed now)."""
    tempo: dict[str, Any] = {}
    if track.metadata is not None:
        meta = _read_json(track.metadata, "metadata")
        tempo.update({k: meta[k] for k in ("bpm", "meter", "sections") if k in meta})
    if track.tempo.is_file():
        tempo.update(_read_json(track.tempo, "tempo"))
    if "bpm" not in tempo:
        raise DatasetError(file=track.tempo, field="bpm", value=None, allowed="a tempo in bpm")
    try:
        meter = Meter.parse(str(tempo.get("meter", "4/4")))
        bpm = float(tempo["bpm"])
    except (TypeError, ValueError) as exc:
        raise DatasetError(
            file=track.tempo, field="bpm/meter", value=tempo, allowed=str(exc)
        ) from exc
    sections = [(str(s["name"]), int(s["bars"])) for s in tempo.get("sections", [])]
    wavs = sorted(track.stems.glob("*.wav"))
    if not wavs:
        raise DatasetError(
            file=track.stems, field="stems", value=0, allowed="at least one .wav stem"
        )
    stems = {}
    rate = 0
    for wav in wavs:
        audio, sr = read_audio(wav)
        if rate and sr != rate:
            raise DatasetError(
                file=wav, field="sample_rate", value=sr, allowed=f"{rate} like the others"
            )
        rate = sr
        stems[wav.stem] = audio
    analysis = analyze_stems(stems, rate, bpm=bpm, meter=meter, sections=sections or None)
    plan = RenderPlan.load(track.render_plan)
    return {
        "id": track.id,
        "tempo": {"bpm": bpm, "meter": str(meter)},
        "analysis": analysis.to_dict(),
        "target": plan.to_dict(),
    }


def build_dataset(root: Path, out: Path | None = None) -> Path:
    """Analyse every track under ``root`` and write the rows to ``out`` (default
    ``root/plan_dataset.jsonl``) atomically; returns the path."""
    root = Path(root)
    out = Path(out) if out is not None else root / DATASET_FILE
    rows = [track_row(t) for t in find_tracks(root)]
    if not rows:
        raise DatasetError(
            file=root, field="tracks", value=0, allowed="tracks/<id>/ folders or a manifest.jsonl"
        )
    write_text_atomic(out, "".join(json.dumps(r) + "\n" for r in rows))
    log.info("wrote %d tracks to %s", len(rows), out)
    return out


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a dataset JSONL file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
