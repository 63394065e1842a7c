#!/usr/bin/env python3
"""List the functions of ``src/rebuildable`` longer than a limit (60 lines by default),
longest first: the house rule is "functions under ~60 lines where a split reads better".

    python scripts/long_functions.py          # over 60 lines
    python scripts/long_functions.py 50       # over 50 lines

A function's length runs from its first decorator to its last line, docstring and
comments included; nested functions are listed on their own (and count in their parent).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rebuildable"


def long_functions(root: Path, limit: int) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []

    def walk(node: ast.AST, module: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                length = (child.end_lineno or child.lineno) - start + 1
                if length > limit:
                    rows.append((length, f"{module}.{prefix}{child.name}"))
                walk(child, module, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, module, f"{prefix}{child.name}.")

    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        walk(ast.parse(path.read_text("utf-8"), str(path)), module, "")
    return sorted(rows, key=lambda row: (-row[0], row[1]))


def main(argv: list[str]) -> int:
    limit = int(argv[0]) if argv else 60
    for length, name in long_functions(SRC, limit):
        print(f"{length:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
