"""YAML a person gives us is read bounded: a billion-laughs bomb, a merge-key bomb, recursive
aliases, deep nesting and oversized files are refused with one error naming the file, before
anything is built from them. (Bounded by structure, not by a timer: see agents/yaml_limits.)"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agents.errors import ProposalError, ReviewError
from agents.proposal import PROPOSAL_MAX_BYTES, load_proposal
from agents.review import load_review_document
from agents.yaml_limits import YamlLimitError, check_yaml_structure, read_text_limited

LEVELS = "abcdefghi"


def _billion_laughs() -> str:
    """The classic bomb: nine levels of nine aliases, 9**9 = 387 million strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise(LEVELS):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\ntitle: *i\n"


def _merge_bomb() -> str:
    """Merge keys doubling a mapping 30 times: the loader itself would copy 2**30 entries."""
    lines = ["m0: &m0 {k: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], x{i}: 1}}" for i in range(1, 31)]
    return "\n".join(lines) + "\ntitle: Song\n"


def test_the_bomb_is_small() -> None:
    assert len(_billion_laughs().encode()) < 700


@pytest.mark.parametrize("text", [_billion_laughs(), _merge_bomb()], ids=["laughs", "merge"])
def test_an_alias_bomb_proposal_is_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bomb.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    message = str(info.value)
    assert message.startswith(f"{path}: yaml: more than 100,000 values once its aliases")
    assert "\n" not in message


def test_a_review_yml_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "review.yml"
    path.write_text(_billion_laughs() + "candidates: *i\n", encoding="utf-8")
    with pytest.raises(ReviewError) as info:
        load_review_document(path)
    assert str(info.value).startswith(f"{path}: yaml: more than 1,000,000 values")


def test_recursive_aliases_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    with pytest.raises(YamlLimitError, match=r"alias \*a inside the value it names"):
        check_yaml_structure("title: &a [1, [2, *a]]\n", max_nodes=1000)
    path = tmp_path / "deep.yml"
    path.write_text("title: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    with pytest.raises(ProposalError, match=r"yaml: lists or mappings nested more than 64 deep"):
        load_proposal(path)


def test_modest_aliases_are_fine_and_counted_as_expanded() -> None:
    text = "a: &x [1, 2, 3]\nb: *x\nc: [*x, *x]\n"
    # root 1; a 1 + [1, 3] 4; b 1 + *x 4; c 1 + [1 + 2 * 4]: 21 values once expanded
    check_yaml_structure(text, max_nodes=21)
    with pytest.raises(YamlLimitError, match="more than 20 values"):
        check_yaml_structure(text, max_nodes=20)


def test_an_oversized_proposal_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("title: Song\nconcept: |\n")
        line = "  " + "word " * 20 + "\n"
        fh.write(line * (PROPOSAL_MAX_BYTES // len(line) + 10))
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    assert str(info.value) == f"{path}: file: more than 1 MiB -- a YAML file of at most 1 MiB"


def test_read_text_limited_reads_at_most_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.yml"
    path.write_bytes(b"x" * 100)
    assert read_text_limited(path, max_bytes=100) == "x" * 100
    with pytest.raises(
        YamlLimitError, match="file: more than 99 bytes -- a YAML file of at most 99"
    ):
        read_text_limited(path, max_bytes=99)
