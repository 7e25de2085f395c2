"""Building a kit from drum recordings (seed 001, steps 1 and 2).

For each audio file (or every audio file under a folder): decode and check it
(:mod:`render.kit.audio`), isolate the drums (:mod:`render.kit.separate`), find the onsets and
cut the hits (:mod:`render.kit.onsets`). Then over all hits: measure them
(:mod:`render.kit.features`), classify them (:mod:`render.kit.classify`), keep each
near-duplicate sound once (:mod:`render.kit.dedupe`), give each a role and build the pools
(:mod:`render.kit.roles`, with CLAP when configured), and write the kit folder
(:mod:`render.kit.manifest`).

A broken, silent or too-short file, or one without any hit, is reported and skipped; the build
fails (KitError) only when nothing usable remains. The folder is built beside its final place
and moved there at the end, so a failed build leaves any earlier kit as it was. The same input
and settings give the same kit.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from render.audio_io import READ_ALLOWED, write_audio
from render.kit.audio import UnusableAudio, find_audio_files, read_clip
from render.kit.clap import ClapEmbedder, Embedder, similarities
from render.kit.classes import Role
from render.kit.classify import DrumClassifier
from render.kit.dedupe import THRESHOLD, fingerprint, near_duplicates
from render.kit.errors import KitError
from render.kit.features import hit_features
from render.kit.manifest import HITS_DIR, MANIFEST_NAME, HitSource, KitHit, KitManifest
from render.kit.onsets import Slice, detect_onsets, slice_hits
from render.kit.roles import (
    CLAP_WEIGHT,
    ROLE_PROMPTS,
    best_role,
    clap_role_scores,
    fuse,
    kit_levels,
    rule_scores,
)
from render.kit.separate import SeparationSettings, Separator

logger = logging.getLogger(__name__)

#: Hits of one class kept at most (the most confident ones): a kit needs variety, not hundreds.
MAX_PER_CLASS: Final = 32


@dataclass(frozen=True, slots=True)
class KitSettings:
    """How to build: the separation, the classifier model (None: the shipped one), a CLAP
    checkpoint folder (None: rules only) and its weight, the near-duplicate threshold and the
    most hits kept per class."""

    separation: SeparationSettings = field(default_factory=SeparationSettings)
    classifier: Path | None = None
    clap_checkpoint: Path | None = None
    clap_weight: float = CLAP_WEIGHT
    dedupe_threshold: float = THRESHOLD
    max_per_class: int = MAX_PER_CLASS


@dataclass(frozen=True, slots=True)
class FileReport:
    """One input file's outcome: ``ok`` with its seconds and hits, or ``skipped`` and why."""

    file: Path
    status: Literal["ok", "skipped"]
    reason: str = ""
    seconds: float = 0.0
    hits: int = 0


@dataclass(frozen=True, slots=True)
class BuildResult:
    root: Path
    manifest: KitManifest
    files: tuple[FileReport, ...]

    @property
    def skipped(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.status == "skipped")

    @property
    def seconds_of_audio(self) -> float:
        return float(sum(f.seconds for f in self.files))


def _prepare_out(out: Path, replace: bool) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise KitError(f"{out}: --out: not a folder -- give a new or empty folder", path=out)
    if not any(out.iterdir()):
        return
    if not (out / MANIFEST_NAME).is_file():
        raise KitError(
            f"{out}: --out: a folder that holds other files and no kit -- give a new or empty "
            "folder",
            path=out,
        )
    if not replace:
        raise KitError(
            f"{out}: --out: a kit is already there -- pass --replace to build it again",
            path=out,
        )


def _cut(path: Path, separator: Separator) -> tuple[FileReport, list[Slice]]:
    try:
        clip = read_clip(path)
    except UnusableAudio as exc:
        return FileReport(path, "skipped", exc.reason), []
    drums = separator.drums(clip.audio, clip.sample_rate)
    onsets = detect_onsets(drums.mean(axis=1), clip.sample_rate)
    hits = slice_hits(drums, clip.sample_rate, onsets, source=path)
    if not hits:
        return FileReport(path, "skipped", "no drum hits found", seconds=clip.seconds), []
    return FileReport(path, "ok", seconds=clip.seconds, hits=len(hits)), hits


def _clap_scores(
    embedder: Embedder | None, hits: Sequence[Slice]
) -> list[dict[Role, float]] | None:
    if embedder is None:
        return None
    prompts = [p for role in ROLE_PROMPTS for p in ROLE_PROMPTS[role]]
    sims = similarities(embedder, [h.mono() for h in hits], hits[0].sample_rate, prompts)
    return clap_role_scores(sims, embedder.logit_scale)


def build_kit(
    inputs: Iterable[Path],
    out: Path,
    *,
    settings: KitSettings | None = None,
    replace: bool = False,
    on_file: Callable[[FileReport], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    embedder: Embedder | None = None,
) -> BuildResult:
    """Build a kit from ``inputs`` (files and folders) into the folder ``out`` (module
    docstring). ``on_start(number of files)`` and ``on_file(report)`` follow progress;
    ``embedder`` overrides the CLAP checkpoint of ``settings``. Raises KitError when ``out``
    is taken (a kit there needs ``replace``) or nothing usable remains."""
    settings = settings or KitSettings()
    out = Path(out)
    _prepare_out(out, replace)
    files, missing = find_audio_files(inputs)
    reports = [FileReport(p, "skipped", why) for p, why in missing]
    separator = Separator(settings.separation)
    classifier = DrumClassifier.load(settings.classifier)
    if embedder is None and settings.clap_checkpoint is not None:
        embedder = ClapEmbedder(settings.clap_checkpoint)
    if on_start is not None:
        on_start(len(files))
    slices: list[Slice] = []
    for path in files:
        report, hits = _cut(path, separator)
        if report.status == "skipped":
            logger.warning("%s: skipped (%s)", path, report.reason)
        reports.append(report)
        slices += hits
        if on_file is not None:
            on_file(report)
    if not slices:
        shown = "; ".join(f"{r.file}: {r.reason}" for r in reports[:5]) or "no files given"
        raise KitError(
            f"no usable drum audio: {len(reports)} file(s), all skipped ({shown}) -- give "
            f"{READ_ALLOWED} recordings with drum hits",
            path=None,
        )
    made = _assemble(slices, settings, classifier, embedder)
    manifest = KitManifest(
        hits=tuple(h for h, _ in made),
        sample_rate=slices[0].sample_rate,
        separation=separator.describe(),
        classifier={"model": str(settings.classifier or "shipped"), **_classifier_info(classifier)},
        roles={
            "method": "rules+clap" if embedder is not None else "rules",
            **(
                {"clap": embedder.describe(), "clap_weight": settings.clap_weight}
                if embedder
                else {}
            ),
        },
        sources=tuple(
            {"file": str(r.file), "seconds": round(r.seconds, 3), "hits": r.hits}
            for r in reports
            if r.status == "ok"
        ),
        skipped=tuple(
            {"file": str(r.file), "reason": r.reason} for r in reports if r.status == "skipped"
        ),
    )
    _write(out, manifest, [(h.file, s) for h, s in made])
    return BuildResult(root=out, manifest=manifest, files=tuple(reports))


def _classifier_info(model: DrumClassifier) -> dict[str, Any]:
    return {"trees": int(model.roots.size), "trained_on": list(model.meta.get("trained_on", []))}


def _assemble(
    slices: Sequence[Slice],
    settings: KitSettings,
    classifier: DrumClassifier,
    embedder: Embedder | None,
) -> list[tuple[KitHit, Slice]]:
    """Measure, classify, de-duplicate, score roles and name the hits."""
    feats = []
    for s in slices:
        f = hit_features(s.mono(), s.sample_rate)
        f["energy_db"] -= s.gain_db  # the level it had before it was normalised
        feats.append(f)
    classes = classifier.classify_many(feats)
    owner = near_duplicates(
        [fingerprint(s.mono(), s.sample_rate) for s in slices],
        [s.end - s.start for s in slices],
        threshold=settings.dedupe_threshold,
    )
    kept = [i for i, o in enumerate(owner) if o == i]
    by_class: dict[str, list[int]] = {}
    for i in sorted(kept, key=lambda i: (-classes[i].confidence, i)):
        by_class.setdefault(classes[i].drum_class, []).append(i)
    kept = sorted(i for members in by_class.values() for i in members[: settings.max_per_class])
    levels = kit_levels([feats[i]["energy_db"] for i in kept])
    clap = _clap_scores(embedder, [slices[i] for i in kept])
    counters: dict[str, int] = {}
    out = []
    for k, i in enumerate(kept):
        s, c = slices[i], classes[i]
        roles = fuse(
            rule_scores(feats[i], levels[k]), clap[k] if clap else None, settings.clap_weight
        )
        counters[c.drum_class] = counters.get(c.drum_class, 0) + 1
        hit_id = f"{c.drum_class}_{counters[c.drum_class]:03d}"
        dups = tuple(
            HitSource(str(slices[j].source), slices[j].start, slices[j].end)
            for j, o in enumerate(owner)
            if o == i and j != i
        )
        out.append(
            (
                KitHit(
                    id=hit_id,
                    file=f"{HITS_DIR}/{hit_id}.wav",
                    drum_class=c.drum_class,
                    confidence=c.confidence,
                    class_scores=c.scores,
                    role=best_role(roles),
                    role_scores={str(k): v for k, v in roles.items()},
                    features=feats[i],
                    source=HitSource(str(s.source), s.start, s.end),
                    gain_db=s.gain_db,
                    level_db=s.level_db,
                    duplicates=dups,
                ),
                s,
            )
        )
    return out


def _write(out: Path, manifest: KitManifest, files: Sequence[tuple[str, Slice]]) -> None:
    """Write the kit into a folder beside ``out`` and move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        (tmp / HITS_DIR).mkdir(parents=True)
        for name, s in files:
            write_audio(tmp / name, s.audio, s.sample_rate)
        manifest.save(tmp)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("kit: %d hits in %s", len(files), out)
