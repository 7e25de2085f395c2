"""The one atomic write: the whole file or the previous one, never half of it; a refused write
is one StorageError naming the file; temp files keep the target's suffix and are found by the
leftover globs."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from music.errors import StorageError
from music.files import TEMP_GLOBS, atomic_path, write_bytes_atomic, write_text_atomic


def test_write_then_read_back(tmp_path: Path) -> None:
    out = write_text_atomic(tmp_path / "deep" / "folder" / "review.yml", "a: 1\n")
    assert out.read_text(encoding="utf-8") == "a: 1\n"
    write_bytes_atomic(out, b"b: 2\n")  # overwrite
    assert out.read_bytes() == b"b: 2\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["review.yml"]


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"x")
    out = write_text_atomic(tmp_path / "review.yml", "x")
    assert stat.S_IMODE(os.stat(out).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)


def test_temp_file_keeps_the_suffix_and_matches_the_leftover_globs(tmp_path: Path) -> None:
    seen: list[Path] = []
    with atomic_path(tmp_path / "weights.npz") as tmp:
        seen.append(tmp)
        np.savez(tmp, x=np.arange(3))  # numpy would add .npz to a name without it
        assert any(tmp.match(glob) for glob in TEMP_GLOBS)
    assert seen[0].suffix == ".npz" and seen[0].parent == tmp_path and not seen[0].exists()
    assert np.load(tmp_path / "weights.npz")["x"].tolist() == [0, 1, 2]


def test_a_failure_keeps_the_previous_file_and_removes_the_temp(tmp_path: Path) -> None:
    out = write_text_atomic(tmp_path / "review.yml", "before\n")
    with pytest.raises(RuntimeError, match="encoder broke"), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("encoder broke")
    assert out.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["review.yml"]


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.ENOSPC, "free disk space or choose a writable folder"),
        (errno.EROFS, "free disk space or choose a writable folder"),
        (errno.EISDIR, "the path is not a folder"),
    ],
)
def test_a_refused_write_is_one_storage_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, hint: str
) -> None:
    out = write_text_atomic(tmp_path / "review.yml", "before\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code), str(src))

    monkeypatch.setattr("music.files.os.replace", refuse)
    with pytest.raises(StorageError) as info:
        write_text_atomic(out, "after\n")
    message = str(info.value)
    assert message.startswith(f"{out}: cannot write ({os.strerror(code)}) -- ")
    assert hint in message and "\n" not in message
    assert out.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["review.yml"]
