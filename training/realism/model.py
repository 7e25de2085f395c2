"""The realism model: logistic regression over standardised metric values, their squares and
undefined-value flags, fitted by Newton's method with an L2 penalty (deterministic: no random
start, no sampling), and its ONNX graph, which takes the raw values and does the rest.

Classes count equally (each real row weighs ``n / (2 n_real)``, each generated one
``n / (2 n_generated)``), so ``P(real) = 0.5`` is the boundary whatever the counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from scoring.realism import INPUT, OUTPUT

#: Standardised values are clipped here, so one wild value cannot dominate.
CLIP: Final = 6.0
NEWTON_STEPS: Final = 50
OPSET: Final = 17


@dataclass(frozen=True, slots=True)
class RealismModel:
    """Per feature: the mean and spread of the training rows (``mean``, ``scale``); the
    weights of ``[z, z**2, undefined]`` (``3 * features``) and the bias."""

    features: tuple[str, ...]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float

    def expand(self, x: NDArray[Any]) -> NDArray[np.float64]:
        """The model's inputs of raw values ``x`` (NaN: undefined)."""
        x = np.asarray(x, dtype=np.float64)
        missing = np.isnan(x)
        z = np.where(missing, 0.0, (np.where(missing, 0.0, x) - self.mean) / self.scale)
        z = np.clip(z, -CLIP, CLIP)
        return np.concatenate([z, z * z, missing.astype(np.float64)], axis=1)

    def p_real(self, x: NDArray[Any]) -> NDArray[np.float64]:
        logit = self.expand(x) @ self.weights + self.bias
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-logit))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "weights": [round(float(v), 8) for v in self.weights],
            "bias": round(self.bias, 8),
        }


def _normaliser(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per column the mean and standard deviation of the defined values (0 and 1 where a
    column has too few or no spread)."""
    mean = np.zeros(x.shape[1])
    scale = np.ones(x.shape[1])
    for j in range(x.shape[1]):
        col = x[:, j][~np.isnan(x[:, j])]
        if col.size >= 2:
            mean[j] = float(col.mean())
            sd = float(col.std())
            scale[j] = sd if sd > 1e-9 else 1.0
    return mean, scale


def fit(features: Sequence[str], x: NDArray[Any], y: NDArray[Any], *, l2: float) -> RealismModel:
    """Fit the model to raw rows ``x`` (NaN: undefined) with labels ``y`` (1 real, 0 ours)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_real, n_ours = float(y.sum()), float((1 - y).sum())
    if n_real == 0 or n_ours == 0:
        raise ValueError(f"rows: {int(n_real)} real, {int(n_ours)} generated -- need both")
    mean, scale = _normaliser(x)
    model = RealismModel(tuple(features), mean, scale, np.zeros(3 * x.shape[1]), 0.0)
    a = np.concatenate([model.expand(x), np.ones((x.shape[0], 1))], axis=1)
    sample_w = np.where(y > 0.5, 0.5 * len(y) / n_real, 0.5 * len(y) / n_ours)
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0
    beta = np.zeros(a.shape[1])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(a @ beta)))
        grad = a.T @ (sample_w * (p - y)) / len(y) + penalty * beta
        hess = (a.T * (sample_w * p * (1 - p))) @ a / len(y) + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return RealismModel(tuple(features), mean, scale, beta[:-1].copy(), float(beta[-1]))


def onnx_bytes(model: RealismModel) -> bytes:
    """The model as an ONNX graph: input ``metrics`` ``[N, F]`` float32 (NaN: undefined),
    output ``p_real`` ``[N]`` float32."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    f = len(model.features)

    def const(name: str, value: NDArray[Any]) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    inits = [
        const("mean", model.mean.reshape(1, f)),
        const("scale", model.scale.reshape(1, f)),
        const("lo", np.array(-CLIP)),
        const("hi", np.array(CLIP)),
        const("w", model.weights.reshape(3 * f, 1)),
        const("b", np.array([model.bias])),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
    ]
    nodes = [
        helper.make_node("IsNaN", [INPUT], ["missing"]),
        helper.make_node("Where", ["missing", "mean", INPUT], ["filled"]),
        helper.make_node("Sub", ["filled", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["z_raw"]),
        helper.make_node("Clip", ["z_raw", "lo", "hi"], ["z"]),
        helper.make_node("Mul", ["z", "z"], ["z2"]),
        helper.make_node("Cast", ["missing"], ["flags"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["z", "z2", "flags"], ["expanded"], axis=1),
        helper.make_node("MatMul", ["expanded", "w"], ["dot"]),
        helper.make_node("Add", ["dot", "b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_col"]),
        helper.make_node("Reshape", ["p_col", "flat"], [OUTPUT]),
    ]
    graph = helper.make_graph(
        nodes,
        "realism",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["n", f])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["n"])],
        initializer=inits,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="chromatic"
    )
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())
