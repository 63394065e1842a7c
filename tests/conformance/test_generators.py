"""The vector generators: fresh output, and independent of the implementation they test."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATORS = [*sorted((ROOT / "spec" / "conformance").glob("*.py")),
              ROOT / "scripts" / "gen_profile_vectors.py", ROOT / "scripts" / "gen_codes.py"]


def _imported(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Dotted names of the modules ``path`` imports (for ``from M import N``: M and M.N,
    since N may be a submodule)."""
    tree = ast.parse(path.read_text("utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _reaches_implementation(path: Path, seen: set[Path]) -> list[str]:
    """Modules of rebuildable that importing ``path`` loads, through test helpers too
    (a helper's function-level import of rebuildable runs only when that function does)."""
    out = []
    for name in sorted(_imported(path, top_level_only=path not in GENERATORS)):
        if name.split(".")[0] == "rebuildable":
            out.append(f"{path.name}: {name}")
        elif name.split(".")[0] == "tests":
            helper = _module_file(name)
            if helper is not None and helper not in seen:
                seen.add(helper)
                out += _reaches_implementation(helper, seen)
    return out


@pytest.mark.parametrize("path", GENERATORS, ids=lambda p: p.name)
def test_generators_do_not_import_the_implementation(path: Path) -> None:
    """A vector made by the code under test would agree with it by construction."""
    leaning = _reaches_implementation(path, set())
    assert not leaning, f"{path.name} loads the implementation: {leaning}"


def test_generated_core_vectors_are_fresh() -> None:
    script = ROOT / "spec" / "conformance" / "make_core_vectors.py"
    result = subprocess.run([sys.executable, str(script), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + f" (run: python {script.relative_to(ROOT)})"
