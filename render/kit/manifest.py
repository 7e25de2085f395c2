"""A kit folder: ``kit_manifest.json`` (every hit: its file, class, confidence, role, features,
source file and time), ``role_pools.json`` (hit ids per class and role, editable by hand) and
``hits/<id>.wav`` (24-bit, 44.1 kHz, one hit each, normalised to -1 dBFS).

:func:`load_kit` checks a folder before anything plays from it: the manifest's version and
fields, that every hit file is inside the folder and readable, that the pools name only known
classes, roles and hits. Every problem is one KitError naming the file, the field, the bad
value and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.audio_io import read_audio, write_json
from render.kit.audio import resample
from render.kit.classes import CLASSES, ROLES, DrumClass, Role
from render.kit.errors import KitError

MANIFEST_NAME: Final = "kit_manifest.json"
POOLS_NAME: Final = "role_pools.json"
HITS_DIR: Final = "hits"
VERSION: Final = 1
KIT_HELP: Final = "a kit folder made by `chromatic kit build AUDIO... --out KIT_DIR`"


@dataclass(frozen=True, slots=True)
class HitSource:
    """Where a hit was cut: ``file`` and ``start``..``end`` seconds into it."""

    file: str
    start: float
    end: float

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "start": round(self.start, 4), "end": round(self.end, 4)}


@dataclass(frozen=True, slots=True)
class KitHit:
    """One hit of the kit (see the module docstring); ``duplicates`` are the other places the
    same sound was found (kept once)."""

    id: str
    file: str
    drum_class: DrumClass
    confidence: float
    class_scores: Mapping[str, float]
    role: Role
    role_scores: Mapping[str, float]
    features: Mapping[str, float]
    source: HitSource
    gain_db: float
    level_db: float
    duplicates: tuple[HitSource, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "class": self.drum_class,
            "confidence": round(self.confidence, 4),
            "class_scores": {k: round(v, 4) for k, v in self.class_scores.items()},
            "role": self.role,
            "role_scores": {k: round(v, 4) for k, v in self.role_scores.items()},
            "features": {k: round(v, 5) for k, v in self.features.items()},
            "source": self.source.to_dict(),
            "gain_db": round(self.gain_db, 3),
            "level_db": round(self.level_db, 3),
            "duplicates": [d.to_dict() for d in self.duplicates],
        }


@dataclass(frozen=True, slots=True)
class KitManifest:
    """What a kit build made and how: the separation that ran, the classifier, the role
    scoring, each source file's count of hits, the files skipped and why, and the hits."""

    hits: tuple[KitHit, ...]
    sample_rate: int = 44100
    separation: Mapping[str, Any] = field(default_factory=dict)
    classifier: Mapping[str, Any] = field(default_factory=dict)
    roles: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[Mapping[str, Any], ...] = ()
    skipped: tuple[Mapping[str, str], ...] = ()

    def pools(self) -> dict[str, dict[str, list[str]]]:
        """Hit ids per class and role (each hit in its best role's pool), most confident
        class first; classes and roles without hits are left out."""
        out: dict[str, dict[str, list[str]]] = {}
        order = sorted(self.hits, key=lambda h: (-h.confidence, h.id))
        for h in order:
            out.setdefault(h.drum_class, {}).setdefault(h.role, []).append(h.id)
        return {c: {r: out[c][r] for r in ROLES if r in out[c]} for c in CLASSES if c in out}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "sample_rate": self.sample_rate,
            "separation": dict(self.separation),
            "classifier": dict(self.classifier),
            "roles": dict(self.roles),
            "sources": [dict(s) for s in self.sources],
            "skipped": [dict(s) for s in self.skipped],
            "hits": [h.to_dict() for h in self.hits],
        }

    def save(self, folder: Path) -> None:
        """Write ``kit_manifest.json`` and ``role_pools.json`` into ``folder`` (atomically)."""
        write_json(folder / MANIFEST_NAME, self.to_dict())
        write_json(folder / POOLS_NAME, {"version": VERSION, "pools": self.pools()})


class _Reader:
    """Field access that fails with one KitError naming the file, field, value and allowed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, value: object, allowed: str) -> KitError:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return KitError(f"{self.path}: {where}: {shown} -- {allowed}", path=self.path)

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        kind: type | tuple[type, ...],
        allowed: str,
    ) -> Any:
        if not isinstance(data, Mapping) or key not in data:
            raise self.fail(f"{where}{key}", "<missing>", allowed)
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{where}{key}", value, allowed)
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        value = float(self.get(data, key, where, (int, float), "a number"))
        if not np.isfinite(value):
            raise self.fail(f"{where}{key}", value, "a finite number")
        return value

    def scores(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
        raw = self.get(data, key, where, dict, "a mapping of names to numbers")
        return {str(k): self.number(raw, k, f"{where}{key}.") for k in raw}

    def source(self, data: Mapping[str, Any], where: str) -> HitSource:
        return HitSource(
            file=str(self.get(data, "file", where, str, "a file name")),
            start=self.number(data, "start", where),
            end=self.number(data, "end", where),
        )


def _hit_from_dict(r: _Reader, data: Mapping[str, Any], i: int) -> KitHit:
    w = f"hits[{i}]."
    cls = r.get(data, "class", w, str, f"one of {', '.join(CLASSES)}")
    if cls not in CLASSES:
        raise r.fail(f"{w}class", cls, f"one of {', '.join(CLASSES)}")
    role = r.get(data, "role", w, str, f"one of {', '.join(ROLES)}")
    if role not in ROLES:
        raise r.fail(f"{w}role", role, f"one of {', '.join(ROLES)}")
    dups = (
        r.get(data, "duplicates", w, list, "a list of {file, start, end}")
        if ("duplicates" in data)
        else []
    )
    return KitHit(
        id=r.get(data, "id", w, str, "a hit id such as kick_001"),
        file=r.get(data, "file", w, str, f"a file under {HITS_DIR}/"),
        drum_class=cls,
        confidence=r.number(data, "confidence", w),
        class_scores=r.scores(data, "class_scores", w) if "class_scores" in data else {},
        role=role,
        role_scores=r.scores(data, "role_scores", w) if "role_scores" in data else {},
        features=r.scores(data, "features", w) if "features" in data else {},
        source=r.source(r.get(data, "source", w, dict, "{file, start, end}"), f"{w}source."),
        gain_db=r.number(data, "gain_db", w) if "gain_db" in data else 0.0,
        level_db=r.number(data, "level_db", w) if "level_db" in data else 0.0,
        duplicates=tuple(r.source(d, f"{w}duplicates[{k}].") for k, d in enumerate(dups)),
    )


def manifest_from_dict(data: Any, path: Path) -> KitManifest:
    """A manifest from its JSON data; KitError naming ``path`` and the field otherwise."""
    r = _Reader(path)
    if not isinstance(data, Mapping):
        raise r.fail("manifest", type(data).__name__, "a JSON object")
    version = r.get(data, "version", "", int, f"{VERSION}")
    if version != VERSION:
        raise r.fail("version", version, f"{VERSION} (rebuild the kit with this program)")
    raw_hits = r.get(data, "hits", "", list, "a list of hits")
    hits = tuple(_hit_from_dict(r, h, i) for i, h in enumerate(raw_hits))
    ids = [h.id for h in hits]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise r.fail("hits[*].id", dup, "ids that appear once")
    rate = r.get(data, "sample_rate", "", int, "a sample rate in Hz, e.g. 44100")
    if not 8000 <= rate <= 192000:
        raise r.fail("sample_rate", rate, "8000..192000 Hz")
    return KitManifest(
        hits=hits,
        sample_rate=rate,
        separation=dict(data.get("separation") or {}),
        classifier=dict(data.get("classifier") or {}),
        roles=dict(data.get("roles") or {}),
        sources=tuple(dict(s) for s in data.get("sources") or ()),
        skipped=tuple(dict(s) for s in data.get("skipped") or ()),
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{path}: missing -- {KIT_HELP}", path=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KitError(f"{path}: unreadable JSON ({exc}) -- {KIT_HELP}", path=path) from None


def _pools_from(data: Any, path: Path, ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    r = _Reader(path)
    pools = r.get(data, "pools", "", dict, "a mapping of class -> role -> [hit ids]")
    known = set(ids)
    out: dict[str, dict[str, list[str]]] = {}
    for cls, by_role in pools.items():
        if cls not in CLASSES:
            raise r.fail("pools", cls, f"classes among {', '.join(CLASSES)}")
        if not isinstance(by_role, Mapping):
            raise r.fail(f"pools.{cls}", by_role, "a mapping of role -> [hit ids]")
        for role, members in by_role.items():
            if role not in ROLES:
                raise r.fail(f"pools.{cls}", role, f"roles among {', '.join(ROLES)}")
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise r.fail(f"pools.{cls}.{role}", members, "a list of hit ids")
            unknown = [m for m in members if m not in known]
            if unknown:
                raise r.fail(f"pools.{cls}.{role}", unknown, f"ids of hits in {MANIFEST_NAME}")
            if members:
                out.setdefault(cls, {})[role] = list(members)
    return out


@dataclass(frozen=True, eq=False)
class Kit:
    """A checked kit folder: its manifest and pools; hit audio is read when first asked for."""

    root: Path
    manifest: KitManifest
    pools: Mapping[str, Mapping[str, Sequence[str]]]
    _audio: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)

    def hit(self, hit_id: str) -> KitHit:
        for h in self.manifest.hits:
            if h.id == hit_id:
                return h
        raise KeyError(hit_id)

    def sample(self, hit_id: str, sample_rate: int) -> np.ndarray:
        """The hit's audio as float32 ``[frames, 2]`` at ``sample_rate`` Hz."""
        key = (hit_id, sample_rate)
        if key not in self._audio:
            path = self.root / self.hit(hit_id).file
            audio, sr = read_audio(path)
            x = resample(audio, sr, sample_rate)
            self._audio[key] = x if x.shape[1] == 2 else np.repeat(x[:, :1], 2, axis=1)
        return self._audio[key]


def load_kit(folder: Path | str) -> Kit:
    """Read and check the kit in ``folder`` (module docstring). Raises KitError."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        what = "not a folder" if root.exists() else "no such folder"
        raise KitError(f"{root}: {what} -- {KIT_HELP}", path=root)
    manifest = manifest_from_dict(_read_json(root / MANIFEST_NAME), root / MANIFEST_NAME)
    if not manifest.hits:
        raise KitError(
            f"{root / MANIFEST_NAME}: hits: [] -- a kit with at least one hit", path=root
        )
    base = root.resolve()
    for i, h in enumerate(manifest.hits):
        target = (root / h.file).resolve()
        if not target.is_relative_to(base):
            raise _Reader(root / MANIFEST_NAME).fail(
                f"hits[{i}].file", h.file, "a path inside the kit folder"
            )
        if not target.is_file():
            raise KitError(f"{root / h.file}: hit {h.id}: missing file -- {KIT_HELP}", path=target)
    pools_path = root / POOLS_NAME
    pools = (
        _pools_from(_read_json(pools_path), pools_path, [h.id for h in manifest.hits])
        if pools_path.exists()
        else manifest.pools()
    )
    return Kit(root=root, manifest=manifest, pools=pools)
