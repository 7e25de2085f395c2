"""Atomic file writes: a temp file in the same folder, then a rename, so nothing is ever
half-written and a failed write leaves the previous file intact."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def yaml_round_trip() -> YAML:
    """A YAML reader/writer that keeps a person's comments and order when we edit a file."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump_yaml(data: Any) -> str:
    buf = io.StringIO()
    yaml_round_trip().dump(data, buf)
    return buf.getvalue()


def write_yaml_atomic(path: Path, data: Any) -> Path:
    return write_text_atomic(path, dump_yaml(data))
