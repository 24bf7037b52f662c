"""The layout holds: imports point down (bot → commands → integrations → store) and no
module imports another that imports it back, however long the loop.

The graph is read from the source with ``ast`` (every ``import``, including those inside
functions and under TYPE_CHECKING, and the packages an import runs on its way), so a cycle
is caught even where Python would tolerate it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "commands", "integrations", "store")
TOOLING = ("bench", "testing")  # outside the wheel; the product never imports them
PACKAGES = PRODUCT + TOOLING
# What each top-level package may import of the others.
ALLOWED = {
    "bot": {"bot", "commands", "integrations", "store"},
    "commands": {"commands", "integrations", "store"},
    "integrations": {"integrations", "store"},
    "store": {"store"},
    "testing": {*PRODUCT, "testing"},
    "bench": {*PRODUCT, "testing", "bench"},
}
# The framework at the top of commands/ and the infrastructure at the top of store/; every
# other module lives in its capability's folder.
TOP_LEVEL = {
    "commands": {"__init__", "core", "dispatch", "parse", "text", "format", "refs", "links", "words",
                 "registry"},
    "store": {"__init__", "db", "base", "models", "imports", "exports", "migrate", "phones", "i18n",
              "collector", "cache_version", "workers"},
}
CAPABILITIES = {"team", "queue", "shifts", "callbacks", "callers", "calls", "stats"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports (``from pkg import mod`` resolves to pkg.mod)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first: those are imports too, except
    # the packages ``name`` itself lives in (Python has them loaded before it runs).
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    parents = {".".join(t.split(".")[:i]) for t in targets for i in range(1, t.count(".") + 1)}
    return {t for t in targets | (parents - own) if t in modules and t != name}


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, …, a], or None (iterative DFS, white/grey/black)."""
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                return [*path[path.index(child):], child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(edges[child]))))
    return None


def test_the_project_has_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_imports_point_down() -> None:
    wrong = [f"{src} imports {dst}"
             for src, targets in graph().items() for dst in targets
             if dst.split(".")[0] not in ALLOWED[src.split(".")[0]]]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": set(), "c": {"b"}}, None),
    ({"a": {"a2"}, "a2": {"b"}, "b": {"a2"}}, ["a2", "b", "a2"]),
])
def test_find_cycle_sees_loops_of_any_length(edges: dict[str, set[str]],
                                             expected: list[str] | None) -> None:
    assert find_cycle(edges) == expected


def test_the_graph_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    modules = {"bot.x": tmp_path / "x.py", "store.y": tmp_path / "y.py", "store.z": tmp_path}
    (tmp_path / "x.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from store import y\n"
        "def f():\n    import store.z\n")
    assert imports_of("bot.x", modules["bot.x"], modules) == {"store.y", "store.z"}


def test_importing_a_module_runs_the_packages_on_its_way(tmp_path: Path) -> None:
    # A module under bot/ importing bot.cli.base also runs bot/cli/__init__; such a loop
    # once made an import fail when nothing else had loaded the CLI first.
    modules = {"bot.doors.x": tmp_path / "doors.py", "bot.cli": tmp_path,
               "bot.cli.base": tmp_path, "bot.doors": tmp_path, "bot": tmp_path}
    (tmp_path / "doors.py").write_text("from bot.cli.base import Cli\n")
    assert imports_of("bot.doors.x", modules["bot.doors.x"], modules) == {
        "bot.cli", "bot.cli.base"}


IMPORT_ALL = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports() -> None:
    # Every module, imported in a fresh interpreter: none fails at import time (the suite
    # itself never loads the benchmarks' or a few CLI modules). Whether each would also
    # import *first*, on its own, is settled by the static graph above: Python can only
    # fail on import order through a loop, and the graph (which sees imports inside
    # functions and under TYPE_CHECKING too) has none.
    names = sorted(n for n in project_modules() if not n.endswith("__main__"))
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL, *names], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_commands_and_store_keep_only_their_framework_at_the_top() -> None:
    for floor, allowed in TOP_LEVEL.items():
        modules = {p.stem for p in (ROOT / floor).glob("*.py")}
        assert modules - allowed == set(), (
            f"{floor}/ holds {sorted(modules - allowed)} at the top: put each in its "
            "capability's folder")


def test_both_floors_have_the_same_capability_folders() -> None:
    for floor in ("commands", "store"):
        folders = {p.parent.name for p in (ROOT / floor).glob("*/__init__.py")}
        assert folders >= CAPABILITIES, f"{floor}/ lacks {sorted(CAPABILITIES - folders)}"


def test_subpackages_hold_a_docstring_and_import_nothing() -> None:
    inits = [p for floor in ("commands", "store") for p in (ROOT / floor).glob("*/__init__.py")]
    inits += list((ROOT / "integrations" / "pbx").glob("*/__init__.py"))
    assert inits
    for path in inits:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no docstring"
        assert len(tree.body) == 1, f"{path.relative_to(ROOT)} holds more than its docstring"


def test_the_product_imports_no_tooling() -> None:
    wrong = [f"{src} imports {dst}" for src, targets in graph().items() for dst in targets
             if src.split(".")[0] in PRODUCT and dst.split(".")[0] in TOOLING]
    assert not wrong, "\n".join(wrong)


def test_the_wheel_and_the_deployment_leave_the_tooling_out() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packaged = setuptools.find_packages(where=str(ROOT), include=include)
    assert {p.split(".")[0] for p in packaged} == set(PRODUCT), packaged
    ignored = (ROOT / ".gcloudignore").read_text(encoding="utf-8").split()
    for folder in (*TOOLING, "tests", "docs"):
        assert f"{folder}/" in ignored, f"App Engine would deploy {folder}/"


# What the repository holds at its top: the four product packages, the tooling, the docs and
# the files that build, deploy and check it. Anything else belongs in one of the folders.
TOP = {*PACKAGES, "tests", "docs", ".ci", "Makefile", "README.md", "pyproject.toml",
       ".gitignore", "app.yaml", "cron.yaml", ".gcloudignore",
       "Dockerfile", "compose.yaml", ".dockerignore"}


def test_the_top_of_the_repository_holds_only_what_is_allowed() -> None:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: " + listed.stderr.strip())
    top = {path.split("/", 1)[0] for path in listed.stdout.splitlines()}
    assert top - TOP == set(), f"unexpected at the top of the repository: {sorted(top - TOP)}"
