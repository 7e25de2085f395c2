"""The page serves only media files inside the run folder: relative paths without '..', and
nothing a symlink leads to outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.files import FileRefused, resolve_run_file


@pytest.fixture
def run(tmp_path: Path) -> Path:
    root = tmp_path / "run"
    (root / "chords" / "previews").mkdir(parents=True)
    (root / "chords" / "previews" / "chord_001.mp3").write_bytes(b"ID3")
    (root / "chords" / "candidates").mkdir()
    (root / "chords" / "candidates" / "chord_001.mid").write_bytes(b"MThd")
    (root / "checkpoints.sqlite").write_bytes(b"SQLite")
    return root


def test_a_media_file_inside_the_run_is_served(run: Path) -> None:
    path = resolve_run_file(run, "chords/previews/chord_001.mp3")
    assert path == (run / "chords" / "previews" / "chord_001.mp3").resolve()
    assert resolve_run_file(run, "chords/candidates/chord_001.mid").suffix == ".mid"


@pytest.mark.parametrize(
    ("relative", "status", "says"),
    [
        ("", 400, "a path relative to the run folder"),
        ("/etc/passwd.mp3", 400, "not an absolute path"),
        ("../outside.mp3", 400, "no '.', '..'"),
        ("chords/../../outside.mp3", 400, "no '.', '..'"),
        ("chords//previews/chord_001.mp3", 400, "empty parts"),
        ("./chords/previews/chord_001.mp3", 400, "no '.'"),
        ("chords\\previews\\chord_001.mp3", 400, "a path relative"),
        ("chords/previews/chord_001.mp3\x00.txt", 400, "a path relative"),
        ("~/music.mp3", 400, "not an absolute path"),
        ("checkpoints.sqlite", 403, ".mp3, .ogg, .wav, .flac, .mid file"),
        ("chords/previews/chord_009.mp3", 404, "no such file"),
        ("x" * 600 + ".mp3", 400, "a path relative"),
    ],
)
def test_a_path_that_is_not_a_media_file_in_the_run_is_refused(
    run: Path, relative: str, status: int, says: str
) -> None:
    with pytest.raises(FileRefused) as caught:
        resolve_run_file(run, relative)
    assert caught.value.status == status
    assert says in str(caught.value)
    assert str(caught.value).startswith("path: ")


def test_a_symlink_out_of_the_run_is_refused_one_inside_is_followed(
    run: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(b"not yours")
    (run / "chords" / "previews" / "leak.mp3").symlink_to(secret)
    (run / "outside").symlink_to(tmp_path)
    for relative in ("chords/previews/leak.mp3", "outside/secret.mp3"):
        with pytest.raises(FileRefused, match="outside the run folder") as caught:
            resolve_run_file(run, relative)
        assert caught.value.status == 403
    (run / "chords" / "previews" / "alias.mp3").symlink_to(
        run / "chords" / "previews" / "chord_001.mp3"
    )
    assert resolve_run_file(run, "chords/previews/alias.mp3").name == "chord_001.mp3"
