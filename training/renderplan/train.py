"""Train the RenderPlan models on a dataset: the seed's per-window linear regressor (ridge,
closed form) and a small MLP (torch), each saved as the runtime JSON (render.renderplan_model).

Evaluation holds out whole tracks (every 4th track, at least one, when there are 3 or more;
otherwise it reports the training fit): masked mean squared error of the constant baseline (the
training mean of each target), the linear model and the MLP.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from render.analysis import Analysis
from render.audio_io import write_json
from render.renderplan import RenderPlan
from render.renderplan_model import RenderPlanModel, plan_targets, window_features
from training.renderplan.dataset import DATASET_FILE, build_dataset, read_rows
from training.renderplan.model import MlpConfig

log = logging.getLogger(__name__)

RIDGE = 1e-2
LINEAR_FILE = "plan_model_linear.json"
MLP_FILE = "plan_model_mlp.json"
REPORT_FILE = "report.json"


@dataclass(frozen=True, slots=True)
class TrainReport:
    """Held-out (or training) masked MSE per model, and the files written."""

    mse: dict[str, float]
    tracks_train: int
    tracks_eval: int
    windows_train: int
    linear: Path
    mlp: Path
    extra: dict[str, Any] = field(default_factory=dict)


def arrays(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked ``(features, targets, mask)`` of dataset rows."""
    xs, ys, ms = [], [], []
    for row in rows:
        analysis = Analysis.from_dict(row)
        plan = RenderPlan.from_dict(row["target"])
        y, m = plan_targets(plan, analysis)
        xs.append(window_features(analysis))
        ys.append(y)
        ms.append(m)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ms)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return mean, np.where(std > 1e-8, std, 1.0)


def fit_linear(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, ridge: float = RIDGE
) -> RenderPlanModel:
    """Ridge regression per target on the windows where that target is known."""
    mean, std = _standardise(x)
    z = np.hstack([(x - mean) / std, np.ones((x.shape[0], 1))])
    w = np.zeros((x.shape[1], y.shape[1]))
    b = np.zeros(y.shape[1])
    reg = ridge * np.eye(z.shape[1])
    reg[-1, -1] = 0.0  # no penalty on the bias
    for t in range(y.shape[1]):
        rows = mask[:, t] > 0
        if not rows.any():
            continue
        zt = z[rows]
        coef = np.linalg.solve(zt.T @ zt + reg * rows.sum(), zt.T @ y[rows, t])
        w[:, t], b[t] = coef[:-1], coef[-1]
    return RenderPlanModel(kind="linear", x_mean=mean, x_std=std, layers=((w, b),))


def fit_mlp(x: np.ndarray, y: np.ndarray, mask: np.ndarray, config: MlpConfig) -> RenderPlanModel:
    """Full-batch Adam on the masked MSE; returns the exported runtime model."""
    import torch

    from training.renderplan.model import PlanMlp, export_mlp

    torch.manual_seed(config.seed)
    mean, std = _standardise(x)
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    mt = torch.tensor(mask, dtype=torch.float32)
    net = PlanMlp(config)
    with torch.no_grad():  # start from the targets' mean
        last = net.linears[-1]
        assert isinstance(last, torch.nn.Linear)
        last.bias.copy_(torch.tensor((y * mask).sum(0) / np.maximum(mask.sum(0), 1)))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    for _ in range(config.epochs):
        opt.zero_grad()
        loss = (((net(xt) - yt) ** 2) * mt).sum() / mt.sum().clamp(min=1.0)
        loss.backward()
        opt.step()
    net.eval()
    return export_mlp(net, mean, std)


def masked_mse(pred: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    return float((((pred - y) ** 2) * mask).sum() / max(mask.sum(), 1.0))


def train_renderplan(dataset: Path, out: Path, *, config: MlpConfig | None = None) -> TrainReport:
    """Train both models on ``dataset`` (a dataset root, built first when it has no
    plan_dataset.jsonl, or a .jsonl file) and write them and report.json into ``out``."""
    import torch

    torch.set_num_threads(1)
    config = config or MlpConfig()
    dataset = Path(dataset)
    if dataset.is_dir():
        jsonl = dataset / DATASET_FILE
        if not jsonl.is_file():
            build_dataset(dataset, jsonl)
        dataset = jsonl
    rows = read_rows(dataset)
    held_idx = {i for i in range(len(rows)) if len(rows) >= 3 and i % 4 == 3}
    held = [r for i, r in enumerate(rows) if i in held_idx]
    train = [r for i, r in enumerate(rows) if i not in held_idx]
    evaluation = held or rows
    x, y, m = arrays(train)
    xe, ye, me = arrays(evaluation)
    linear = fit_linear(x, y, m)
    mlp = fit_mlp(x, y, m, config)
    constant = (y * m).sum(0) / np.maximum(m.sum(0), 1)
    mse = {
        "constant": masked_mse(np.broadcast_to(constant, ye.shape), ye, me),
        "linear": masked_mse(linear.predict(xe), ye, me),
        "mlp": masked_mse(mlp.predict(xe), ye, me),
    }
    out = Path(out)
    linear_path = linear.save(out / LINEAR_FILE)
    mlp_path = mlp.save(out / MLP_FILE)
    report = TrainReport(
        mse=mse,
        tracks_train=len(train),
        tracks_eval=len(evaluation),
        windows_train=int(x.shape[0]),
        linear=linear_path,
        mlp=mlp_path,
        extra={"held_out": bool(held), "config": {"layers": config.layers, "width": config.width}},
    )
    write_json(
        out / REPORT_FILE,
        {
            "mse": mse,
            "tracks_train": report.tracks_train,
            "tracks_eval": report.tracks_eval,
            "windows_train": report.windows_train,
            **report.extra,
        },
    )
    log.info("renderplan models: %s", ", ".join(f"{k} {v:.5f}" for k, v in mse.items()))
    return report
