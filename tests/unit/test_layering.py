"""The layering, enforced: an ``ast`` walk over src/rebuildable collects every import
(module level and inside functions; ``if TYPE_CHECKING:`` blocks are types only and
left out) and checks the rules of the project guide."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.support.paths import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "rebuildable"

#: modules of the shell: the command line and the renderers
#: (and ``python -m rebuildable``, which only calls the command line)
SHELL = ("rebuildable.cli", "rebuildable.render", "rebuildable.__main__")
#: what ``cli/*`` may import of the package (besides click, rich and the stdlib)
CLI_MAY_IMPORT = ("rebuildable.api", "rebuildable.render", "rebuildable.cli",
                  "rebuildable._version")
#: cli.common draws reports and progress: it may also name these data types
CLI_COMMON_MAY_IMPORT = (*CLI_MAY_IMPORT, "rebuildable.errors", "rebuildable.progress",
                         "rebuildable.report")
#: modules that build on a validation: they take an ``engine.Validation`` or go through api
BUILD_ON_VALIDATION = ("rebuildable.signing", "rebuildable.rebuild", "rebuildable.registry",
                       "rebuildable.export")
#: known exceptions (module prefix, imported prefix), each with the reason it is still here
PENDING: set[tuple[str, str]] = set()
#: how many rebuildable modules ``import rebuildable.model`` loads (was 47 of 79)
MODEL_IMPORT_BUDGET = 3


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports(module: str, top_level_only: bool = False) -> tuple[str, ...]:
    """Every module ``module`` imports (a ``from X import y`` of a submodule names X.y)."""
    path = modules()[module]
    found: list[str] = []

    def walk(body: list[ast.stmt], top: bool) -> None:
        for node in body:
            if isinstance(node, ast.If) and _type_checking(node):
                walk(node.orelse, top)
                continue
            if isinstance(node, ast.Import) and (top or not top_level_only):
                found.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and (top or not top_level_only):
                base = _resolve(module, node, path.name == "__init__.py")
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.append(full if full in modules() else base)
            inner = top and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for name in ("body", "orelse", "finalbody"):
                sub = getattr(node, name, None)
                if isinstance(sub, list):
                    walk(sub, inner)
            for handler in getattr(node, "handlers", ()):
                walk(handler.body, inner)

    walk(ast.parse(path.read_text("utf-8")).body, True)
    return tuple(dict.fromkeys(found))


def _under(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(rule: str, pairs: Iterator[tuple[str, str]]) -> list[str]:
    return [f"{rule}: {m} imports {i}" for m, i in pairs
            if not any(_under(m, pm) and _under(i, pi) for pm, pi in PENDING)]


def test_core_never_imports_the_shell_or_ui_libraries() -> None:
    bad = _violations("core", (
        (m, i) for m in modules() if not _under(m, SHELL)
        for i in imports(m) if _under(i, (*SHELL, "click", "rich"))))
    assert bad == []


def test_checks_never_import_the_engine() -> None:
    bad = _violations("checks", (
        (m, i) for m in modules() if _under(m, "rebuildable.checks")
        for i in imports(m) if _under(i, ("rebuildable.engine", "rebuildable.api"))))
    assert bad == []


def test_the_cli_goes_through_the_api() -> None:
    def allowed(module: str) -> tuple[str, ...]:
        return CLI_COMMON_MAY_IMPORT if module == "rebuildable.cli.common" else CLI_MAY_IMPORT

    bad = _violations("cli", (
        (m, i) for m in modules() if _under(m, "rebuildable.cli")
        for i in imports(m) if _under(i, "rebuildable") and not _under(i, allowed(m))))
    assert bad == []


def test_signing_rebuild_registry_export_take_engine_results() -> None:
    # they take an engine.Validation (a type: TYPE_CHECKING imports are not counted) or
    # call the api; the engine itself is never theirs to run
    bad = _violations("builds on a validation", (
        (m, i) for m in modules() if _under(m, BUILD_ON_VALIDATION)
        for i in imports(m) if _under(i, "rebuildable.engine")))
    assert bad == []


def test_signing_and_rebuild_never_call_back_into_the_api() -> None:
    # api.sign and api.rebuild call them: importing the api back would be a cycle
    bad = _violations("called by the api", (
        (m, i) for m in modules() if _under(m, ("rebuildable.signing", "rebuildable.rebuild"))
        for i in imports(m) if _under(i, "rebuildable.api")))
    assert bad == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_module_level_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for m in modules():
        targets = {i for i in imports(m, top_level_only=True) if i in modules() and i != m}
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        for t in list(targets):
            parts = t.split(".")
            targets.update(".".join(parts[:k]) for k in range(2, len(parts)))
        targets.discard(m)
        graph[m] = {t for t in targets if not m.startswith(t + ".")}
    assert _cycle(graph) is None


def test_importing_the_model_stays_light() -> None:
    code = ("import sys, rebuildable.model; "
            "print(sorted(m for m in sys.modules if m.startswith('rebuildable')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    loaded = eval(out.stdout)
    assert len(loaded) <= MODEL_IMPORT_BUDGET, loaded


def test_the_rules_see_imports_inside_functions_and_skip_type_checking_blocks() -> None:
    # guards against a walker that silently finds nothing
    assert "rebuildable.engine" in imports("rebuildable.api")  # inside functions
    assert "rebuildable.engine" not in imports("rebuildable.api", top_level_only=True)
    assert "rebuildable.engine" not in imports("rebuildable.signing.sign")  # TYPE_CHECKING
    assert "rebuildable.signing.verify" in imports("rebuildable.checks.signature")
