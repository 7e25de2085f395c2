"""The run directory's checkpoint database, read strictly.

LangGraph's default serializer rebuilds any Python object a checkpoint names (it imports the
module and calls the type), so a crafted ``checkpoints.sqlite`` could run code on ``status``,
``review`` or ``resume``. This project's state is plain data (dicts, lists, strings, numbers)
plus a few LangGraph types; :class:`StrictSerializer` rebuilds only those, refuses pickle and
JSON-constructor payloads, and stops at the first stored object of any other type with a
:class:`CheckpointError` naming the database and the type. Nothing named in the file is
imported or called before it has been checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import (
    EXT_CONSTRUCTOR_KW_ARGS,
    EXT_CONSTRUCTOR_POS_ARGS,
    EXT_CONSTRUCTOR_SINGLE_ARG,
    EXT_DELTA_SNAPSHOT,
    EXT_METHOD_SINGLE_ARG,
    EXT_NUMPY_ARRAY,
    EXT_PYDANTIC_V1,
    EXT_PYDANTIC_V2,
    JsonPlusSerializer,
    _create_msgpack_ext_hook,
)

from agents.errors import RunStateError

#: The stored types a checkpoint of this project may hold: what LangGraph itself writes for a
#: graph with an interrupt (the gate), and the plain value types it encodes as objects.
ALLOWED_TYPES: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("langgraph.types", "Interrupt"),
        ("langgraph.types", "Command"),
        ("langgraph.types", "Send"),
        ("langgraph.types", "Overwrite"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("collections", "deque"),
        ("datetime", "datetime"),
        ("datetime", "timezone"),
        ("datetime", "timedelta"),
        ("uuid", "UUID"),
        ("pathlib", "Path"),
        ("pathlib", "PosixPath"),
    }
)
#: Stored method calls allowed (``(module, type, method)``).
ALLOWED_METHODS: Final[frozenset[tuple[str, str, str]]] = frozenset(
    {("datetime", "datetime", "fromisoformat")}
)
#: Serialization kinds this project writes; ``pickle`` and ``json`` are refused.
ALLOWED_KINDS: Final = ("null", "bytes", "bytearray", "msgpack")

_CONSTRUCTORS: Final = (
    EXT_CONSTRUCTOR_SINGLE_ARG,
    EXT_CONSTRUCTOR_POS_ARGS,
    EXT_CONSTRUCTOR_KW_ARGS,
    EXT_PYDANTIC_V1,
    EXT_PYDANTIC_V2,
)


class CheckpointError(RunStateError):
    """A checkpoint database that holds something this program never writes."""


def _refuse(path: Path, what: str) -> CheckpointError:
    return CheckpointError(
        f"{path}: stored object {what} -- refused: a checkpoint of this program holds only "
        "plain data and LangGraph's own types; the database was not written by chromatic "
        "(nothing in it was run). Start the run again into a new --out folder"
    )


class StrictSerializer(JsonPlusSerializer):
    """LangGraph's msgpack serializer with an allow-list (:data:`ALLOWED_TYPES`): every stored
    object's type is checked, nested ones first, before anything is imported or called."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # ormsgpack replaces an exception raised in an ext hook by a bare ValueError, so the
        # hook records its refusal here and loads_typed raises it.
        self._refusals = threading.local()
        allowed = set(ALLOWED_TYPES)
        rebuild = _create_msgpack_ext_hook(allowed)  # type: ignore[arg-type]
        super().__init__(
            pickle_fallback=False,
            allowed_json_modules=None,
            allowed_msgpack_modules=tuple(ALLOWED_TYPES),
            __unpack_ext_hook__=self._checked_hook(rebuild),
        )

    def _checked_hook(self, rebuild: Callable[[int, bytes], Any]) -> Callable[[int, bytes], Any]:
        def hook(code: int, data: bytes) -> Any:
            try:
                return checked(code, data)
            except CheckpointError as exc:
                if getattr(self._refusals, "first", None) is None:
                    self._refusals.first = exc
                raise

        def checked(code: int, data: bytes) -> Any:
            if code in _CONSTRUCTORS or code == EXT_METHOD_SINGLE_ARG:
                # Unpacked with this hook, so a nested object is checked before its parent.
                tup = ormsgpack.unpackb(data, ext_hook=hook, option=ormsgpack.OPT_NON_STR_KEYS)
                if not isinstance(tup, list | tuple) or len(tup) < 3:
                    raise _refuse(self.path, f"of unknown shape {type(tup).__name__}")
                module, name = str(tup[0]), str(tup[1])
                if code == EXT_METHOD_SINGLE_ARG:
                    method = str(tup[3]) if len(tup) > 3 else ""
                    if (module, name, method) not in ALLOWED_METHODS:
                        raise _refuse(self.path, f"call {module}.{name}.{method}()")
                elif (module, name) not in ALLOWED_TYPES:
                    raise _refuse(self.path, f"of type {module}.{name}")
            elif code not in (EXT_DELTA_SNAPSHOT, EXT_NUMPY_ARRAY):
                raise _refuse(self.path, f"with unknown extension code {code}")
            return rebuild(code, data)

        return hook

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind = data[0]
        if kind not in ALLOWED_KINDS:
            raise _refuse(self.path, f"in {kind!r} form (allowed: {', '.join(ALLOWED_KINDS)})")
        self._refusals.first = None
        try:
            return super().loads_typed(data)
        except (ValueError, TypeError, ormsgpack.MsgpackDecodeError) as exc:
            refused: CheckpointError | None = self._refusals.first
            if refused is not None:
                raise refused from None
            raise CheckpointError(
                f"{self.path}: a checkpoint is unreadable ({type(exc).__name__}: {exc}) -- "
                "the database is damaged; start the run again into a new --out folder"
            ) from exc
