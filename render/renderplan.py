"""RenderPlan (seed 000): effect settings per window (bar) and part, and the default plan.

Per window: ``sampleInfluence`` (share of a sample drum kit layered over the GM drums, when a
kit is given), ``styleInfluence`` (how strongly the color's tone tilt is applied), ``weirdness``
(modulation: chorus rate and a phaser on melodic parts), and per part ``chorus``, ``sat``
(saturation), ``reverbSend`` and ``comp`` (compression), all in [0, 1]. Per song: ``tone``
(-1 dark .. +1 bright, a high-shelf tilt scaled by styleInfluence) and ``room`` (reverb size).

The default plan follows the proposal's color, its mood words and each section's energy:

=======  ======  ====  ======  ====  =====  ====  ======  =================================
color    chorus  sat   reverb  comp  tone   room  weird   why
=======  ======  ====  ======  ====  =====  ====  ======  =================================
Red      0.25    0.30  0.30    0.45  -0.15  0.50  0.25    retro, warm, driven
Orange   0.15    0.55  0.25    0.55   0.10  0.40  0.45    intense, chaotic: most saturation
Yellow   0.55    0.10  0.45    0.30   0.40  0.70  0.50    dreamy, cosmic: most chorus, bright
Green    0.20    0.10  0.60    0.30  -0.40  0.85  0.35    dark, eerie, epic: dark, big room
Blue     0.20    0.10  0.35    0.35  -0.10  0.55  0.15    folk, wistful: plain, a little dark
Indigo   0.45    0.15  0.50    0.35   0.00  0.75  0.50    hypnotic, sci-fi: chorus + space
Violet   0.30    0.20  0.30    0.50   0.20  0.50  0.30    pop, soul: compressed, bright
Black    0.15    0.25  0.65    0.35  -0.50  0.90  0.45    dark, ethereal: darkest, most reverb
White    0.30    0.20  0.40    0.40   0.00  0.60  0.30    synthesis: the middle of all
=======  ======  ====  ======  ====  =====  ====  ======  =================================

Mood words add (each word counts once; values clipped to [0, 1], tone to [-1, 1]):
dark/eerie/ominous/creepy: tone -0.15, reverb +0.10; intense/chaotic/aggressive/angry: sat
+0.15, comp +0.10; dreamy/ethereal/cosmic/hypnotic: chorus +0.10, reverb +0.10;
retro/nostalgic: sat +0.05, tone -0.05; catchy/upbeat: comp +0.10, tone +0.05;
surreal/weird/experimental/sci-fi: weirdness +0.15; melancholic/sad/regretful: reverb +0.05.

Per part multipliers: drums chorus x0.2, reverb x0.5, comp x1.2; bass chorus x0.3, reverb x0.2,
comp x1.2; melody reverb x1.1; chords as is. Section energy e in [0, 1] (the section's mix
energy between the song's quietest and loudest section, 70 %, plus the window's own, 30 %):
sat +0.15e, comp +0.10e, reverb -0.10e, chorus +0.05e; sampleInfluence 0.35 + 0.30e;
styleInfluence 0.60 + 0.20e; weirdness + 0.10e.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.analysis import Analysis
from render.assemble import PART_ORDER
from render.audio_io import write_json
from render.errors import RenderError
from scoring.colors import parse_color

FX_NAMES: Final = ("chorus", "sat", "reverbSend", "comp")
GLOBAL_NAMES: Final = ("sampleInfluence", "styleInfluence", "weirdness")
PLAN_VERSION: Final = 1


def _unit(name: str, value: float) -> float:
    v = float(value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name}: {value!r} -- a number in [0, 1]")
    return v


@dataclass(frozen=True, slots=True)
class FxSettings:
    """One part's effects in one window, each in [0, 1]."""

    chorus: float = 0.0
    sat: float = 0.0
    reverb_send: float = 0.0
    comp: float = 0.0

    def __post_init__(self) -> None:
        for name in ("chorus", "sat", "reverb_send", "comp"):
            object.__setattr__(self, name, _unit(f"fx.{name}", getattr(self, name)))

    def to_dict(self) -> dict[str, float]:
        return {
            "chorus": self.chorus,
            "sat": self.sat,
            "reverbSend": self.reverb_send,
            "comp": self.comp,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FxSettings:
        return cls(
            chorus=float(data.get("chorus", 0.0)),
            sat=float(data.get("sat", data.get("saturation", 0.0))),
            reverb_send=float(data.get("reverbSend", data.get("reverb", 0.0))),
            comp=float(data.get("comp", data.get("compression", 0.0))),
        )


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """The plan for one window (seconds ``start``..``end``)."""

    index: int
    start: float
    end: float
    section: str
    sample_influence: float
    style_influence: float
    weirdness: float
    fx: tuple[tuple[str, FxSettings], ...]

    def __post_init__(self) -> None:
        _unit("sampleInfluence", self.sample_influence)
        _unit("styleInfluence", self.style_influence)
        _unit("weirdness", self.weirdness)
        if not self.end > self.start:
            raise ValueError(f"window {self.index}: end {self.end!r} -- after start {self.start!r}")

    def fx_for(self, part: str) -> FxSettings:
        """The part's settings; a part the plan does not name gets the ``*`` entry, else the
        mean of the named parts."""
        table = dict(self.fx)
        if part in table:
            return table[part]
        if "*" in table:
            return table["*"]
        if not table:
            return FxSettings()
        vals = [s.to_dict() for s in table.values()]
        return FxSettings.from_dict({k: float(np.mean([v[k] for v in vals])) for k in vals[0]})


@dataclass(frozen=True, slots=True)
class RenderPlan:
    windows: tuple[WindowPlan, ...]
    tone: float = 0.0
    room: float = 0.5
    source: str = "default"
    meta: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("windows: [] -- a plan needs at least one window")
        if not -1.0 <= self.tone <= 1.0:
            raise ValueError(f"tone: {self.tone!r} -- a number in [-1, 1]")
        _unit("room", self.room)

    def window_at(self, seconds: float) -> WindowPlan:
        for w in self.windows:
            if w.start <= seconds < w.end:
                return w
        return self.windows[-1] if seconds >= self.windows[-1].start else self.windows[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "source": self.source,
            "tone": self.tone,
            "room": self.room,
            "meta": dict(self.meta),
            "windows": [
                {
                    "index": w.index,
                    "start": w.start,
                    "end": w.end,
                    "section": w.section,
                    "sampleInfluence": w.sample_influence,
                    "styleInfluence": w.style_influence,
                    "weirdness": w.weirdness,
                    "fx": {p: s.to_dict() for p, s in w.fx},
                }
                for w in self.windows
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: Path | None = None) -> RenderPlan:
        """Read :meth:`to_dict` output or a seed-style plan, whose window ``fx`` holds the four
        settings directly (they then apply to every part, as the ``*`` entry)."""
        try:
            windows = []
            for i, w in enumerate(data["windows"]):
                fx_raw = w.get("fx") or {}
                fx: tuple[tuple[str, FxSettings], ...]
                if any(k in fx_raw for k in FX_NAMES):
                    fx = (("*", FxSettings.from_dict(fx_raw)),)
                else:
                    fx = tuple((str(p), FxSettings.from_dict(s)) for p, s in fx_raw.items())
                windows.append(
                    WindowPlan(
                        index=int(w.get("index", i)),
                        start=float(w["start"]),
                        end=float(w["end"]),
                        section=str(w.get("section", "song")),
                        sample_influence=float(w.get("sampleInfluence", 0.0)),
                        style_influence=float(w.get("styleInfluence", 0.0)),
                        weirdness=float(w.get("weirdness", 0.0)),
                        fx=fx,
                    )
                )
            meta = tuple((str(k), str(v)) for k, v in (data.get("meta") or {}).items())
            return cls(
                windows=tuple(windows),
                tone=float(data.get("tone", 0.0)),
                room=float(data.get("room", 0.5)),
                source=str(data.get("source", "file")),
                meta=meta,
            )
        except (KeyError, TypeError, ValueError) as exc:
            where = f"{file}: " if file else ""
            raise RenderError(
                f"{where}render plan: {exc!r} -- see render/renderplan.py", path=file
            ) from exc

    def save(self, path: Path) -> Path:
        return write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: Path) -> RenderPlan:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RenderError(f"{path}: unreadable render plan ({exc})", path=path) from exc
        return cls.from_dict(data, file=Path(path))


# (chorus, sat, reverb, comp, tone, room, weirdness)
COLOR_RULES: Final[Mapping[str, tuple[float, float, float, float, float, float, float]]] = {
    "Red": (0.25, 0.30, 0.30, 0.45, -0.15, 0.50, 0.25),
    "Orange": (0.15, 0.55, 0.25, 0.55, 0.10, 0.40, 0.45),
    "Yellow": (0.55, 0.10, 0.45, 0.30, 0.40, 0.70, 0.50),
    "Green": (0.20, 0.10, 0.60, 0.30, -0.40, 0.85, 0.35),
    "Blue": (0.20, 0.10, 0.35, 0.35, -0.10, 0.55, 0.15),
    "Indigo": (0.45, 0.15, 0.50, 0.35, 0.00, 0.75, 0.50),
    "Violet": (0.30, 0.20, 0.30, 0.50, 0.20, 0.50, 0.30),
    "Black": (0.15, 0.25, 0.65, 0.35, -0.50, 0.90, 0.45),
    "White": (0.30, 0.20, 0.40, 0.40, 0.00, 0.60, 0.30),
}

# mood words -> additions to (chorus, sat, reverb, comp, tone, weirdness)
MOOD_RULES: Final[tuple[tuple[frozenset[str], tuple[float, ...]], ...]] = (
    (frozenset({"dark", "eerie", "ominous", "creepy"}), (0, 0, 0.10, 0, -0.15, 0)),
    (frozenset({"intense", "chaotic", "aggressive", "angry"}), (0, 0.15, 0, 0.10, 0, 0)),
    (frozenset({"dreamy", "ethereal", "cosmic", "hypnotic"}), (0.10, 0, 0.10, 0, 0, 0)),
    (frozenset({"retro", "nostalgic"}), (0, 0.05, 0, 0, -0.05, 0)),
    (frozenset({"catchy", "upbeat"}), (0, 0, 0, 0.10, 0.05, 0)),
    (frozenset({"surreal", "weird", "experimental", "sci-fi"}), (0, 0, 0, 0, 0, 0.15)),
    (frozenset({"melancholic", "sad", "regretful"}), (0, 0, 0.05, 0, 0, 0)),
)

# part -> multipliers of (chorus, sat, reverb, comp)
PART_RULES: Final[Mapping[str, tuple[float, float, float, float]]] = {
    "drums": (0.2, 1.0, 0.5, 1.2),
    "bass": (0.3, 1.0, 0.2, 1.2),
    "melody": (1.0, 1.0, 1.1, 1.0),
    "chords": (1.0, 1.0, 1.0, 1.0),
}


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return float(min(hi, max(lo, x)))


def color_base(color: object, mood: Sequence[str] = ()) -> tuple[tuple[float, ...], float, float]:
    """``((chorus, sat, reverb, comp, weirdness), tone, room)`` for a color and mood words."""
    chorus, sat, reverb, comp, tone, room, weird = COLOR_RULES[parse_color(color)]
    words = {w.strip().lower() for m in mood for w in m.replace(",", " ").split()}
    for keys, (dc, ds, dr, dk, dt, dw) in MOOD_RULES:
        if words & keys:
            chorus, sat, reverb, comp, tone, weird = (
                chorus + dc,
                sat + ds,
                reverb + dr,
                comp + dk,
                tone + dt,
                weird + dw,
            )
    base = tuple(_clip(v) for v in (chorus, sat, reverb, comp, weird))
    return base, _clip(tone, -1.0, 1.0), room


def section_energy(analysis: Analysis) -> np.ndarray:
    """Energy in [0, 1] per window: 70 % its section's place between the song's quietest and
    loudest sections (mix dB), 30 % the window's own place between its quietest and loudest."""
    win_db = np.array([w.mix.energy_db for w in analysis.windows])
    sec_db = np.empty_like(win_db)
    for _, first, end, feats in analysis.sections:
        sec_db[first:end] = feats.energy_db
    if not analysis.sections:
        sec_db[:] = win_db

    def scaled(x: np.ndarray) -> np.ndarray:
        lo, hi = float(x.min()), float(x.max())
        return np.full_like(x, 0.5) if hi - lo < 1e-6 else (x - lo) / (hi - lo)

    return 0.7 * scaled(sec_db) + 0.3 * scaled(win_db)


def default_plan(
    analysis: Analysis,
    *,
    color: object,
    mood: Sequence[str] = (),
    parts: Sequence[str] | None = None,
) -> RenderPlan:
    """The rule-table plan (module docstring) for every window of ``analysis``."""
    if not analysis.windows:
        raise RenderError("analysis: no windows -- nothing to plan (was the song empty?)")
    (chorus, sat, reverb, comp, weird), tone, room = color_base(color, mood)
    names = list(parts) if parts is not None else _analysis_parts(analysis)
    energy = section_energy(analysis)
    windows = []
    for w, e in zip(analysis.windows, energy, strict=True):
        fx = []
        for part in names:
            mc, ms, mr, mk = PART_RULES.get(part, (1.0, 1.0, 1.0, 1.0))
            fx.append(
                (
                    part,
                    FxSettings(
                        chorus=_clip((chorus + 0.05 * e) * mc),
                        sat=_clip((sat + 0.15 * e) * ms),
                        reverb_send=_clip((reverb - 0.10 * e) * mr),
                        comp=_clip((comp + 0.10 * e) * mk),
                    ),
                )
            )
        windows.append(
            WindowPlan(
                index=w.index,
                start=w.start,
                end=w.end,
                section=w.section,
                sample_influence=_clip(0.35 + 0.30 * e),
                style_influence=_clip(0.60 + 0.20 * e),
                weirdness=_clip(weird + 0.10 * e),
                fx=tuple(fx),
            )
        )
    color_name = parse_color(color)
    meta = (("color", color_name), ("mood", ", ".join(mood)))
    return RenderPlan(tuple(windows), tone=tone, room=room, source="default", meta=meta)


def _analysis_parts(analysis: Analysis) -> list[str]:
    found = [n for n, _ in analysis.windows[0].stems]
    known = [p for p in PART_ORDER if p in found]
    return known + [n for n in found if n not in known]
