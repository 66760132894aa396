"""The package graph: a kernel at the bottom, the domains above it, the console, the lab and the app on top.

Each top-level package may import only packages below it in `LAYERS`, and no module imports one of ours
inside a function (the old way of dodging a circle). Read from the source with `ast`, so a lazy import
cannot hide an edge. A new package takes its place in `LAYERS`; an edge that points up is a design
question, not a test to loosen.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Bottom first. Each may import those before it (and itself), never those after.
LAYERS = [
    "kernel",  # database, settings, data errors, CLI options, child processes, the services catalogue
    "softphone",  # pjsua2 softphone and bots: a tool of its own, nothing of ours below it but the kernel
    "ami",  # Asterisk manager client
    "geo",  # areas, facilities, callers, distances
    "shifts",  # staff, rosters, shift times, endpoints and their SIP secrets
    "desks",  # desks (Asterisk queues), topics, skills, member sync
    "routing",  # locating a caller, the router, plans, call records
    "dispatch",  # ambulance units and crews, hospital beds, the dispatch recommendation
    "complaints",  # the complaints desk: numbers, statuses, service levels, public view
    "agi",  # the FastAGI server and its scripts (route, outcome), the AstDB report collector
    "staffing",  # Erlang C staffing from call records and rosters
    "web",  # the console
    "lab",  # Asterisk runner, SIPp, stack, demo, replay, sample region, load lab, synthetic country
    "siaga",  # the app: composition root, engine processes, CLI front-ends
]
RANK = {name: i for i, name in enumerate(LAYERS)}


def _modules() -> list[Path]:
    return sorted(p for name in LAYERS for p in (ROOT / name).rglob("*.py"))


def _ours(module: str | None) -> str | None:
    top = (module or "").split(".")[0]
    return top if top in RANK else None


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node, node.module or ""))
    return found


def _local_imports(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            found += _imports(fn)
    return found


def test_every_package_is_placed() -> None:
    tops = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert tops <= set(LAYERS), f"packages without a layer: {sorted(tops - set(LAYERS))}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    here = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        f"line {node.lineno}: {module}"
        for node, module in _imports(tree)
        if (there := _ours(module)) is not None and RANK[there] > RANK[here]
    ]
    assert not upward, f"{here} sits below what it imports: {upward}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_local_imports_of_ours(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local = [f"line {node.lineno}: {module}" for node, module in _local_imports(tree) if _ours(module)]
    assert not local, f"imports inside functions: {local}"


def test_the_kernel_imports_nothing_of_ours() -> None:
    for path in (ROOT / "kernel").rglob("*.py"):
        mods = [m for _, m in _imports(ast.parse(path.read_text(encoding="utf-8"))) if _ours(m)]
        assert all(m.startswith("kernel") for m in mods), f"{path.name}: {mods}"
