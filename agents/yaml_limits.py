"""Bounded reading of YAML a person gives us (proposals, review.yml).

YAML anchors and aliases let a few hundred bytes stand for a billion values (the "billion
laughs"), and merge keys (``<<: *a``) make the loader itself copy them; deep nesting exhausts
the stack. Both are refused here *before* anything is built from the text:

* :func:`read_text_limited` reads at most ``max_bytes`` (plus one, to tell) of the file;
* :func:`check_yaml_structure` walks the parser's event stream once and counts every value as
  it would be after expanding the aliases (an alias counts as the whole subtree it names),
  stopping at the first value past ``max_nodes`` or the first level past ``max_depth``; an
  alias to a collection it sits inside (a recursive document) is refused too.

The work is linear in the text and stops early, so a bomb costs milliseconds. Each check
raises :class:`YamlLimitError` with the value shown and what is allowed, for the caller to
turn into its own error naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)

MAX_DEPTH: Final = 64


class _Plain:
    """Text shown as it is where an error message shows a value's repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class YamlLimitError(ValueError):
    """A YAML file past a size, node or nesting limit; ``field`` is ``file`` (size) or
    ``yaml`` (structure)."""

    def __init__(self, *, field: str, value: str, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value} -- {allowed}")

    @property
    def shown(self) -> object:
        """The value for an InputError (its repr is the text, unquoted)."""
        return _Plain(self.value)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:g} MiB"
    return f"{n / 2**10:g} KiB" if n >= 2**10 else f"{n} bytes"


def read_text_limited(path: Path, *, max_bytes: int) -> str:
    """The file's UTF-8 text, refusing one larger than ``max_bytes`` without reading the
    rest. Raises YamlLimitError (too large), OSError or UnicodeDecodeError."""
    with Path(path).open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlLimitError(
            field="file",
            value=f"more than {_size(max_bytes)}",
            allowed=f"a YAML file of at most {_size(max_bytes)}",
        )
    return data.decode("utf-8")


def check_yaml_structure(text: str, *, max_nodes: int, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a document that expands past ``max_nodes`` values (aliases counted as what they
    stand for) or nests deeper than ``max_depth``, or whose alias names a collection it is
    inside. Raises YamlLimitError; YAML syntax errors propagate as ruamel's YAMLError."""
    expanded = 0  # values so far, with every alias expanded
    sizes: dict[str, int] = {}  # anchor -> expanded size of what it names
    open_frames: list[tuple[str | None, int]] = []  # (anchor, expanded count at its start)
    parser = YAML(typ="safe", pure=True)
    for event in parser.parse(text):
        if isinstance(event, AliasEvent):
            anchor = str(event.anchor)
            if any(a == anchor for a, _ in open_frames):
                raise YamlLimitError(
                    field="yaml",
                    value=f"alias *{anchor} inside the value it names",
                    allowed="a document without recursive aliases",
                )
            expanded += sizes.get(anchor, 1)  # an unknown anchor is the loader's error
        elif isinstance(event, ScalarEvent | CollectionStartEvent):
            expanded += 1
            named: str | None = event.anchor if isinstance(event, NodeEvent) else None
            if isinstance(event, CollectionStartEvent):
                open_frames.append((named, expanded - 1))
                if len(open_frames) > max_depth:
                    raise YamlLimitError(
                        field="yaml",
                        value=f"lists or mappings nested more than {max_depth} deep",
                        allowed=f"at most {max_depth} levels of nesting",
                    )
            elif named is not None:
                sizes[str(named)] = 1
        elif isinstance(event, CollectionEndEvent):
            named, start = open_frames.pop()
            if named is not None:
                sizes[str(named)] = expanded - start
        if expanded > max_nodes:
            raise YamlLimitError(
                field="yaml",
                value=f"more than {max_nodes:,} values once its aliases are expanded",
                allowed=f"at most {max_nodes:,} values (anchors and aliases (&a, *a) used "
                "sparingly, never to multiply data)",
            )
