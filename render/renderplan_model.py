"""The learned RenderPlan model at run time (numpy only): features from an analysis, a JSON
model (the seed's per-window linear regressor, or a small MLP trained in training/renderplan),
and a RenderPlan predicted from them.

Features per window (:data:`FEATURE_NAMES`, all roughly in [-2, 2]): the mix's level, level
relative to the song's mean, change from the previous window, onset density, brightness, its
section's level, position in the song and in the section; per part of chords, drums, bass,
melody: present, level, density, brightness and share of the mix energy.

Targets (:data:`TARGET_NAMES`): sampleInfluence, styleInfluence, weirdness and, per part,
chorus, sat, reverbSend and comp. Predictions are clipped to [0, 1].

Model JSON: ``{"format": "chromatic-renderplan", "version": 1, "kind": "linear"|"mlp",
"features": [...], "targets": [...], "x_mean": [...], "x_std": [...], "layers": [{"w": [[..]],
"b": [..]}, ...], "activation": "tanh"}``; hidden layers use the activation, the last none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.analysis import Analysis, Features
from render.assemble import PART_ORDER
from render.errors import RenderError
from render.renderplan import FX_NAMES, GLOBAL_NAMES, FxSettings, RenderPlan, WindowPlan

MODEL_FORMAT: Final = "chromatic-renderplan"
MODEL_VERSION: Final = 1
_PART_FEATURES: Final = ("present", "level", "density", "brightness", "share")
FEATURE_NAMES: Final[tuple[str, ...]] = (
    "mix.level",
    "mix.relLevel",
    "mix.delta",
    "mix.density",
    "mix.brightness",
    "section.level",
    "pos.song",
    "pos.section",
    *(f"{p}.{f}" for p in PART_ORDER for f in _PART_FEATURES),
)
TARGET_NAMES: Final[tuple[str, ...]] = (
    *GLOBAL_NAMES,
    *(f"{p}.{fx}" for p in PART_ORDER for fx in FX_NAMES),
)


def _level(f: Features) -> float:
    """dBFS mapped so -60 dB -> 0 and 0 dB -> 1 (clipped)."""
    return float(np.clip((f.energy_db + 60.0) / 60.0, 0.0, 1.0))


def window_features(analysis: Analysis) -> np.ndarray:
    """``[windows, len(FEATURE_NAMES)]`` float64 features of every window."""
    wins = analysis.windows
    if not wins:
        raise RenderError("analysis: no windows -- nothing to predict from")
    levels = np.array([_level(w.mix) for w in wins])
    section_level = levels.copy()
    section_pos = np.zeros(len(wins))
    for _, first, end, feats in analysis.sections:
        section_level[first:end] = _level(feats)
        span = max(1, end - first - 1)
        section_pos[first:end] = (np.arange(end - first)) / span
    rows = []
    for i, w in enumerate(wins):
        row = [
            levels[i],
            (levels[i] - levels.mean()) * 5.0,
            (levels[i] - levels[i - 1]) * 5.0 if i else 0.0,
            min(w.mix.density, 20.0) / 10.0,
            min(w.mix.brightness, 10000.0) / 5000.0,
            section_level[i],
            i / max(1, len(wins) - 1),
            section_pos[i],
        ]
        mix_power = max(w.mix.energy**2, 1e-12)
        for part in PART_ORDER:
            f = w.stem(part)
            if f is None:
                row += [0.0, 0.0, 0.0, 0.0, 0.0]
            else:
                row += [
                    1.0,
                    _level(f),
                    min(f.density, 20.0) / 10.0,
                    min(f.brightness, 10000.0) / 5000.0,
                    min(f.energy**2 / mix_power, 2.0),
                ]
        rows.append(row)
    return np.asarray(rows, dtype=np.float64)


def plan_targets(plan: RenderPlan, analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, mask)``, both ``[windows, len(TARGET_NAMES)]``: the plan's values at each
    analysis window (matched by the window's middle time); mask 0 where the plan gives no
    value for a part (a stem the track does not have)."""
    y = np.zeros((len(analysis.windows), len(TARGET_NAMES)))
    mask = np.ones_like(y)
    for i, w in enumerate(analysis.windows):
        pw = plan.window_at((w.start + w.end) / 2)
        y[i, :3] = (pw.sample_influence, pw.style_influence, pw.weirdness)
        named = dict(pw.fx)
        for k, part in enumerate(PART_ORDER):
            col = 3 + k * len(FX_NAMES)
            if part in named or "*" in named:
                fx = pw.fx_for(part).to_dict()
                y[i, col : col + len(FX_NAMES)] = [fx[name] for name in FX_NAMES]
            else:
                mask[i, col : col + len(FX_NAMES)] = 0.0
    return y, mask


@dataclass(frozen=True, slots=True)
class RenderPlanModel:
    kind: str
    x_mean: np.ndarray
    x_std: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (w [in, out], b [out])
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if self.kind not in ("linear", "mlp"):
            raise ValueError(f"kind: {self.kind!r} -- 'linear' or 'mlp'")
        if self.activation not in ("tanh", "relu"):
            raise ValueError(f"activation: {self.activation!r} -- 'tanh' or 'relu'")
        dims = [self.x_mean.shape[0]] + [w.shape[1] for w, _ in self.layers]
        if dims[0] != len(FEATURE_NAMES) or dims[-1] != len(TARGET_NAMES):
            raise ValueError(
                f"layers: {dims[0]} -> {dims[-1]} -- {len(FEATURE_NAMES)} features -> "
                f"{len(TARGET_NAMES)} targets"
            )

    def predict(self, features: np.ndarray) -> np.ndarray:
        """``[windows, features]`` -> ``[windows, targets]`` in [0, 1]."""
        h = (features - self.x_mean) / self.x_std
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.tanh(h) if self.activation == "tanh" else np.maximum(h, 0.0)
        return np.clip(h, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "kind": self.kind,
            "activation": self.activation,
            "features": list(FEATURE_NAMES),
            "targets": list(TARGET_NAMES),
            "x_mean": self.x_mean.tolist(),
            "x_std": self.x_std.tolist(),
            "layers": [{"w": w.tolist(), "b": b.tolist()} for w, b in self.layers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: Path | None = None) -> RenderPlanModel:
        where = f"{file}: " if file else ""
        if data.get("format") != MODEL_FORMAT:
            raise RenderError(
                f"{where}format: {data.get('format')!r} -- {MODEL_FORMAT!r}", path=file
            )
        if list(data.get("features", [])) != list(FEATURE_NAMES) or list(
            data.get("targets", [])
        ) != list(TARGET_NAMES):
            raise RenderError(
                f"{where}features/targets differ from this version's -- retrain the model",
                path=file,
            )
        try:
            return cls(
                kind=str(data["kind"]),
                x_mean=np.asarray(data["x_mean"], dtype=np.float64),
                x_std=np.asarray(data["x_std"], dtype=np.float64),
                layers=tuple(
                    (
                        np.asarray(layer["w"], dtype=np.float64),
                        np.asarray(layer["b"], dtype=np.float64),
                    )
                    for layer in data["layers"]
                ),
                activation=str(data.get("activation", "tanh")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RenderError(
                f"{where}model: {exc!r} -- see render/renderplan_model.py", path=file
            ) from exc

    def save(self, path: Path) -> Path:
        from render.audio_io import write_json

        return write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: Path) -> RenderPlanModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RenderError(f"{path}: unreadable RenderPlan model ({exc})", path=path) from exc
        return cls.from_dict(data, file=Path(path))


def predict_plan(
    model: RenderPlanModel,
    analysis: Analysis,
    *,
    parts: Sequence[str] = PART_ORDER,
    tone: float = 0.0,
    room: float = 0.5,
) -> RenderPlan:
    """The model's RenderPlan for every window of ``analysis``."""
    y = model.predict(window_features(analysis))
    windows = []
    for w, row in zip(analysis.windows, y, strict=True):
        fx = []
        for k, part in enumerate(PART_ORDER):
            if part in parts:
                col = 3 + k * len(FX_NAMES)
                fx.append((part, FxSettings(*(float(v) for v in row[col : col + len(FX_NAMES)]))))
        windows.append(
            WindowPlan(
                index=w.index,
                start=w.start,
                end=w.end,
                section=w.section,
                sample_influence=float(row[0]),
                style_influence=float(row[1]),
                weirdness=float(row[2]),
                fx=tuple(fx),
            )
        )
    return RenderPlan(tuple(windows), tone=tone, room=room, source=f"model:{model.kind}")


def predict_renderplan(
    model_path: Path, analysis: Analysis | Mapping[str, Any] | Path
) -> RenderPlan:
    """Load the JSON model at ``model_path`` and predict a plan from ``analysis`` (an
    Analysis, its dict, a dataset row, or a path to either as JSON)."""
    model = RenderPlanModel.load(Path(model_path))
    if isinstance(analysis, Analysis):
        return predict_plan(model, analysis)
    data: Mapping[str, Any]
    if isinstance(analysis, Path):
        try:
            data = json.loads(analysis.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RenderError(f"{analysis}: unreadable analysis ({exc})", path=analysis) from exc
    else:
        data = analysis
    return predict_plan(model, Analysis.from_dict(data))
