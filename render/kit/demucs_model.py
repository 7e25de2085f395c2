"""Demucs from a local checkpoint: load it without running anything the file names, and take
the drums out of a recording.

Imported only when Demucs separation is asked for: it is the one render module that imports
torch (and demucs), and it does so inside its functions. Nothing is downloaded: demucs's own
``get_model`` fetches from the network, so the model is built here from the file.

Checkpoints accepted (``--demucs PATH`` or ``$CHROMATIC_DEMUCS``):

* a ``.th`` file in demucs's own format (a dict of ``klass``, ``args``, ``kwargs``, ``state``,
  as ``demucs.states.serialize_model`` writes and the published models are), read by torch's
  weights-only loader with only the Demucs model classes and ``fractions.Fraction`` allowed;
* a ``.safetensors`` file in demucs's hub export format (tensors, with ``klass``, ``args`` and
  ``kwargs`` as JSON metadata);
* a folder holding a bag of models: a ``<name>.yaml`` with ``models: [signature, ...]``
  (and optional ``weights`` and ``segment``) beside ``<signature>.safetensors`` or
  ``<signature>[-checksum].th`` files, as the hub repositories are laid out.

The model class must be one of :data:`MODEL_CLASSES`; anything else is refused, never imported.
Quantised (diffq) checkpoints are refused with a message saying so.
"""

from __future__ import annotations

import importlib
import json
import pickle
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.kit.audio import resample
from render.kit.errors import KitError

#: The Demucs model classes a checkpoint may name (qualified name -> module, class).
MODEL_CLASSES: Final[dict[str, tuple[str, str]]] = {
    "demucs.htdemucs.HTDemucs": ("demucs.htdemucs", "HTDemucs"),
    "demucs.hdemucs.HDemucs": ("demucs.hdemucs", "HDemucs"),
    "demucs.demucs.Demucs": ("demucs.demucs", "Demucs"),
}
HELP: Final = (
    "a Demucs .th file (demucs.states.serialize_model format), a .safetensors file of demucs's "
    "hub export, or a folder with a bag .yaml and its model files"
)


def _model_class(name: str, path: Path) -> Any:
    if name not in MODEL_CLASSES:
        raise KitError(
            f"{path}: model class {name!r} -- one of {', '.join(MODEL_CLASSES)} ({HELP})",
            path=path,
        )
    module, cls = MODEL_CLASSES[name]
    return getattr(importlib.import_module(module), cls)


def _decode(value: Any) -> Any:
    """JSON init arguments of demucs's hub export back to values (fractions included)."""
    if isinstance(value, dict):
        if value.get("_type") == "fraction":
            return Fraction(int(value["numerator"]), int(value["denominator"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _from_package(package: dict[str, Any], path: Path) -> Any:
    from demucs.states import load_model

    state = package.get("state")
    if not isinstance(state, dict):
        raise KitError(f"{path}: no model state in the checkpoint ({HELP})", path=path)
    if state.get("__quantized"):
        raise KitError(
            f"{path}: a quantised (diffq) checkpoint -- not supported; use an unquantised "
            "model such as htdemucs",
            path=path,
        )
    try:
        return load_model(package, strict=False)
    except (RuntimeError, TypeError, ValueError, KeyError) as exc:
        raise KitError(
            f"{path}: the checkpoint does not fit its model ({exc})", path=path
        ) from None


def _load_th(path: Path) -> Any:
    import torch

    classes = [_model_class(n, path) for n in MODEL_CLASSES]
    try:
        with torch.serialization.safe_globals([*classes, Fraction]):
            package = torch.load(str(path), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise KitError(
            f"{path}: not a readable Demucs checkpoint ({exc}) -- {HELP}", path=path
        ) from None
    if not isinstance(package, dict) or "klass" not in package:
        raise KitError(f"{path}: no 'klass' in the checkpoint -- {HELP}", path=path)
    klass = package["klass"]
    name = f"{getattr(klass, '__module__', '?')}.{getattr(klass, '__name__', '?')}"
    _model_class(name, path)
    return _from_package(package, path)


def _load_safetensors(path: Path) -> Any:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 (not a dict)
    except (SafetensorError, OSError) as exc:
        raise KitError(
            f"{path}: not a readable safetensors file ({exc}) -- {HELP}", path=path
        ) from None
    if "structure" in meta:
        raise KitError(
            f"{path}: a quantised (diffq) checkpoint -- not supported; use an unquantised "
            "model such as htdemucs",
            path=path,
        )
    try:
        klass = _model_class(str(meta["klass"]), path)
        args = _decode(json.loads(meta.get("args", "[]")))
        kwargs = _decode(json.loads(meta.get("kwargs", "{}")))
    except (KeyError, json.JSONDecodeError) as exc:
        raise KitError(
            f"{path}: metadata without a model class or arguments ({exc}) -- {HELP}", path=path
        ) from None
    return _from_package({"klass": klass, "args": args, "kwargs": kwargs, "state": tensors}, path)


def _load_file(path: Path) -> Any:
    if path.suffix == ".th":
        return _load_th(path)
    if path.suffix == ".safetensors":
        return _load_safetensors(path)
    raise KitError(f"{path}: not a Demucs checkpoint -- {HELP}", path=path)


def _load_bag(folder: Path) -> Any:
    from demucs.apply import BagOfModels
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    bags = sorted(folder.glob("*.yaml"))
    if len(bags) != 1:
        raise KitError(
            f"{folder}: {len(bags)} .yaml bag files -- exactly one ({HELP})", path=folder
        )
    try:
        bag = YAML(typ="safe", pure=True).load(bags[0].read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise KitError(f"{bags[0]}: unreadable bag ({exc})", path=bags[0]) from None
    sigs = bag.get("models") if isinstance(bag, dict) else None
    if not isinstance(sigs, list) or not sigs:
        raise KitError(f"{bags[0]}: models: {sigs!r} -- a list of model signatures", path=bags[0])
    models = []
    for sig in map(str, sigs):
        found = sorted(folder.glob(f"{sig}.safetensors")) + sorted(folder.glob(f"{sig}*.th"))
        if not found:
            raise KitError(
                f"{folder}: no {sig}.safetensors or {sig}.th for the bag's model {sig!r}",
                path=folder,
            )
        models.append(_load_file(found[0]))
    return BagOfModels(models, bag.get("weights"), bag.get("segment"))


class DemucsSeparator:
    """A loaded Demucs model (or bag of models) that returns the drums of a recording."""

    def __init__(self, model: Any, checkpoint: Path) -> None:
        self.model = model.eval()
        self.checkpoint = checkpoint
        self.sources = [str(s) for s in model.sources]
        if "drums" not in self.sources:
            raise KitError(
                f"{checkpoint}: the model's sources are {self.sources} -- it must have 'drums'",
                path=checkpoint,
            )
        self.sample_rate = int(model.samplerate)
        self.channels = int(model.audio_channels)

    @classmethod
    def load(cls, checkpoint: Path, *, threads: int = 1) -> DemucsSeparator:
        """Load the checkpoint (module docstring) and let torch use ``threads`` CPU threads.
        Raises KitError naming the checkpoint."""
        import torch

        torch.set_num_threads(threads)
        path = Path(checkpoint).expanduser()
        if path.is_dir():
            return cls(_load_bag(path), path)
        if not path.is_file():
            raise KitError(f"{path}: no such Demucs checkpoint -- {HELP}", path=path)
        return cls(_load_file(path), path)

    def describe(self) -> dict[str, Any]:
        return {
            "checkpoint": str(self.checkpoint),
            "model": type(self.model).__name__,
            "sources": self.sources,
            "sample_rate": self.sample_rate,
        }

    def drums(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The ``drums`` source of ``audio`` (float32 ``[frames, channels]``), same shape and
        rate: resampled to the model's rate and channels, normalised as demucs's own
        separation does, split into the model's segments, and brought back."""
        import torch
        from demucs.apply import apply_model

        x = np.asarray(audio, dtype=np.float32)
        frames, channels = x.shape
        y = resample(x, sample_rate, self.sample_rate)
        if y.shape[1] != self.channels:
            y = np.repeat(y.mean(axis=1, keepdims=True), self.channels, axis=1)
        wav = torch.from_numpy(np.ascontiguousarray(y.T))
        ref = wav.mean(0)
        mean, std = float(ref.mean()), float(ref.std()) or 1.0
        with torch.no_grad():
            out = apply_model(
                self.model,
                ((wav - mean) / std)[None],
                shifts=0,
                split=True,
                overlap=0.25,
                progress=False,
                device="cpu",
            )[0]
        drums = (out[self.sources.index("drums")] * std + mean).numpy().T
        back = resample(
            np.ascontiguousarray(drums, dtype=np.float32), self.sample_rate, sample_rate
        )
        if back.shape[1] != channels:
            back = np.repeat(back.mean(axis=1, keepdims=True), channels, axis=1)
        out_audio = np.zeros((frames, channels), dtype=np.float32)
        n = min(frames, back.shape[0])
        out_audio[:n] = back[:n]
        return out_audio
