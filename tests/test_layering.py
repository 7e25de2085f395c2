"""The layers import one way: read every module's imports (without running it) and check that
no package reaches above its layer, that no modules import each other in a circle, and that one
module owns each runtime."""

from __future__ import annotations

import ast
import re
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
    "web",
    "cli",
)

#: What each layer may import of the project (itself included), as docs/architecture.md states
#: it: music is the pure core; generators and scoring stand side by side on it (scoring scores
#: notes, never genomes); evolution's fitness is the lowest place that sees both; render uses
#: music and scoring; training may import the formats it trains on (generators, render);
#: agents never import training (nor torch); ``web`` (the review page) stands on agents;
#: ``cli`` is the edge and is not limited.
ALLOWED = {
    "music": {"music"},
    "inference": {"inference", "music"},
    "generators": {"generators", "inference", "music"},
    "scoring": {"scoring", "inference", "music"},
    "evolution": {"evolution", "scoring", "generators", "inference", "music"},
    "render": {"render", "scoring", "inference", "music"},
    "training": {"training", "render", "evolution", "scoring", "generators", "inference", "music"},
    "agents": {"agents", "render", "evolution", "scoring", "generators", "inference", "music"},
    "web": {"web", "agents", "render", "evolution", "scoring", "generators", "inference", "music"},
}
#: The generic GA engine: every module of evolution/ but the per-part fitness.
ENGINE_FREE_OF = {"generators", "scoring"}


def _imports(path: Path, *, members: bool = False) -> set[str]:
    """The absolute imports of ``path`` (anywhere in it); with ``members`` also ``a.b.c`` for
    ``from a.b import c``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if members:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def import_graph(packages: tuple[str, ...] = FIRST_PARTY) -> dict[str, set[str]]:
    """Every project module and the project modules it imports (at the top, inside a function
    or under ``TYPE_CHECKING``: any of them makes the two modules depend on each other).
    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``."""
    paths = {_module_name(p): p for package in packages for p in _modules(package)}

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        names = _imports(path, members=True)
        targets = {known(n) for n in names if n.split(".")[0] in packages}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other through imports (strongly connected
    components of more than one module; Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below(package: str) -> None:
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_the_review_page_sits_between_the_agent_and_the_cli() -> None:
    """``web`` never imports the CLI, and nothing but the CLI imports ``web``."""
    bad = []
    for package in (*FIRST_PARTY, "cli"):
        for path in _modules(package):
            tops = {name.split(".")[0] for name in _imports(path)}
            if package == "web" and "cli" in tops:
                bad.append(f"{path.relative_to(ROOT)} imports cli")
            if package not in ("web", "cli") and "web" in tops:
                bad.append(f"{path.relative_to(ROOT)} imports web")
    assert bad == []
    assert any("web" in {n.split(".")[0] for n in _imports(p)} for p in _modules("cli"))


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert import_cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x", "b"}, "b": set(), "c": {"b"}}
    assert import_cycles(graph) == [["a.x", "a.y", "a.z"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_imports_in_functions_and_for_type_checking() -> None:
    graph = import_graph()
    assert "agents.run_graph" in graph["agents.run_state"]  # imported in a function
    assert "agents.batch_result" in graph["cli.batch"]  # under TYPE_CHECKING


def test_the_architecture_page_states_these_rules() -> None:
    """docs/architecture.md's table says what each layer may import: the same as ALLOWED."""
    stated: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith("/`"):
            layer = cells[0].strip("`/")
            allowed = cells[2].split("(not")[0]
            stated[layer] = {layer, *re.findall(r"`([a-z_]+)`", allowed)}
    assert {k: v for k, v in stated.items() if k in ALLOWED} == ALLOWED
    assert set(stated) == set(FIRST_PARTY)


def _importers(top: str) -> set[str]:
    """The project's modules (paths) that import the package ``top`` (``cli``, ``torch``)."""
    return {
        str(path.relative_to(ROOT))
        for package in FIRST_PARTY
        for path in _modules(package)
        if any(name.split(".")[0] == top for name in _imports(path))
    }


def test_nothing_but_the_cli_imports_the_cli() -> None:
    assert {p for p in _importers("cli") if not p.startswith("cli/")} == set()


def test_the_ga_engine_knows_no_part() -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules("evolution")
        if "fitness" not in path.relative_to(ROOT).parts
        for name in _imports(path)
        if name.split(".")[0] in ENGINE_FREE_OF
    ]
    assert bad == []


def test_onnxruntime_is_imported_only_by_the_inference_adapter() -> None:
    assert _importers("onnxruntime") == {"inference/onnx.py"}


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
