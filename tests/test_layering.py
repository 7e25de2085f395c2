"""The layers import one way: read every module's imports (without running it) and check that
no package reaches above its layer, and that one module owns each runtime."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = (
    "music",
    "inference",
    "generators",
    "scoring",
    "evolution",
    "render",
    "agents",
    "training",
)

#: What each low layer may import of the project (itself included). ``agents`` and ``training``
#: are the top floors and are not limited here.
ALLOWED = {
    "music": {"music"},
    "inference": {"inference", "music"},
    "generators": {"generators", "inference", "music"},
    "scoring": {"scoring", "inference", "generators", "music"},
    "evolution": {"evolution", "scoring", "generators", "inference", "music"},
    "render": {"render", "scoring", "generators", "inference", "music"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below(package: str) -> None:
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_onnxruntime_is_imported_only_by_the_inference_adapter() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in FIRST_PARTY
        for path in _modules(package)
        if any(name.split(".")[0] == "onnxruntime" for name in _imports(path))
    }
    assert users == {"inference/onnx.py"}


def test_run_level_errors_live_with_the_agent() -> None:
    import music.errors
    from agents.errors import ProposalError, ReviewError, RunStateError
    from music.errors import ChromaticError, InputError

    for name in ("ProposalError", "ReviewError", "RunStateError"):
        assert not hasattr(music.errors, name)
    assert issubclass(ProposalError, InputError) and issubclass(ReviewError, InputError)
    assert issubclass(RunStateError, ChromaticError)
    err = ReviewError(file="r.yml", field="candidates[0].status", value="ok", allowed="pending")
    assert str(err) == "r.yml: candidates[0].status: 'ok' -- pending"


#: Outside training/, only these import torch (or libraries built on it), each inside its
#: functions: Demucs separation and CLAP role scores of a kit build, when a person configures
#: a local checkpoint (DESIGN §7). Nothing else in the runtime may import it.
TORCH_USERS = {"render/kit/demucs_model.py", "render/kit/clap.py"}
TORCH_LIBRARIES = {"torch", "demucs", "transformers"}


def test_torch_is_imported_by_training_and_lazily_by_two_kit_modules_only() -> None:
    at_top: list[str] = []
    users: set[str] = set()
    for package in FIRST_PARTY:
        for path in _modules(package):
            rel = str(path.relative_to(ROOT))
            if rel.startswith("training/"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module]
                    if isinstance(node, ast.ImportFrom) and node.module
                    else []
                )
                if any(n.split(".")[0] in TORCH_LIBRARIES for n in names):
                    users.add(rel)
                    if node in tree.body:
                        at_top.append(rel)
    assert users == TORCH_USERS and at_top == []
