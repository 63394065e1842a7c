#!/usr/bin/env python3
"""Rewrite the golden reports in ``tests/golden/expected/`` from the current code.

Usage (from the repository root)::

    python tests/golden/regenerate.py          # rewrite every golden file
    python tests/golden/regenerate.py --check  # exit 1 when any is stale (what the test does)

Run it after a change that alters reports on purpose (a new check, a reworded
message), then review ``git diff tests/golden/expected`` before committing: the diff
is the user-visible change. Exit codes are not regenerated: they are the contract and
live in ``cases.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "src"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from tests.golden.cases import CASES, EXPECTED, expected_path, run_case, scratch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    EXPECTED.mkdir(exist_ok=True)
    wanted: set[Path] = set()
    stale: list[str] = []
    wrong_exit: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, scratch(Path(tmp)):
        for case in CASES:
            for fmt in case.formats:
                code, text, _ = run_case(case, fmt)
                if code != case.exit_code:
                    wrong_exit.append(f"{case.name} ({fmt}): exit {code}, "
                                      f"cases.py says {case.exit_code}")
                path = expected_path(case, fmt)
                wanted.add(path)
                old = path.read_text(encoding="utf-8") if path.exists() else None
                if old != text:
                    stale.append(str(path.relative_to(ROOT)))
                    if not args.check:
                        path.write_text(text, encoding="utf-8", newline="\n")
    orphans = sorted(p for p in EXPECTED.iterdir() if p.is_file() and p not in wanted)
    for path in orphans:
        stale.append(f"{path.relative_to(ROOT)} (no case)")
        if not args.check:
            path.unlink()
    for line in wrong_exit:
        print(f"exit code differs: {line}", file=sys.stderr)
    verb = "stale" if args.check else "rewritten"
    for name in stale:
        print(f"{verb}: {name}")
    if not stale:
        print("golden files are up to date")
    return 1 if (args.check and stale) or wrong_exit else 0


if __name__ == "__main__":
    sys.exit(main())
