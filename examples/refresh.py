"""Keep the bundled example releases honest: rerun their steps, refresh their digests.

    python examples/refresh.py                # refresh digests and sizes of every example
    python examples/refresh.py --run          # first rerun every step, then refresh
    python examples/refresh.py --check        # only report stale digests (exit 1 if any)
    python examples/refresh.py software-hello # limit to some examples

``--run`` runs each step the way a rebuilder does: in a fresh temporary folder that
holds only the step's declared inputs (copied), with ``python3`` from ``PATH``; then it
copies the step's declared outputs back into the example. A step that fails, or does
not write one of its declared outputs, stops the refresh with exit 1.

Digests are rewritten in place, line by line, so the manifests keep their layout and
comments: within each ``- id:`` item of ``artifacts:``, the ``digest: {sha256: "..."}``
and ``size:`` lines that follow a ``path:`` line get the file's current values.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
_ITEM = re.compile(r"^  - id: *(?P<id>\S+)\s*$")
_PATH = re.compile(r"^    path: *(?P<path>\S+)\s*$")
_DIGEST = re.compile(r'^(?P<lead>    digest: \{sha256: ")(?P<hex>[0-9a-f]*)(?P<tail>"\}\s*)$')
_SIZE = re.compile(r"^(?P<lead>    size: *)(?P<size>\d+)(?P<tail>\s*)$")
_SECTION = re.compile(r"^[a-z][a-z-]*:")


def examples(names: list[str]) -> list[Path]:
    found = sorted(p.parent for p in HERE.glob("*/rebuild.yaml"))
    if not names:
        return found
    wanted = [HERE / n for n in names]
    missing = [str(w.name) for w in wanted if w not in found]
    if missing:
        raise SystemExit(f"no such example: {', '.join(missing)}")
    return wanted


def sha256_of(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def refresh_text(root: Path, text: str) -> tuple[str, list[str]]:
    """The manifest text with fresh digests and sizes, and a list of what changed."""
    out: list[str] = []
    changed: list[str] = []
    section = ident = ""
    current: tuple[str, int] | None = None  # the current artifact's file: (sha256, size)
    for line in text.splitlines(keepends=True):
        fresh = line
        if _SECTION.match(line):
            section, current = line.split(":", 1)[0], None
        elif section == "artifacts" and (m := _ITEM.match(line)):
            ident, current = m["id"], None
        elif section == "artifacts" and (m := _PATH.match(line)):
            file = root / m["path"]
            if not file.is_file():
                raise SystemExit(f"{root.name}: {m['path']} is declared but missing")
            current = sha256_of(file)
        elif current is not None and (m := _DIGEST.match(line)):
            fresh = f"{m['lead']}{current[0]}{m['tail']}"
        elif current is not None and (m := _SIZE.match(line)):
            fresh = f"{m['lead']}{current[1]}{m['tail']}"
        if fresh != line:
            changed.append(f"{root.name}: {ident}: {line.strip().split(':')[0]}")
        out.append(fresh)
    return "".join(out), changed


def run_steps(root: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((root / "rebuild.yaml").read_text("utf-8"))
    paths = {a["id"]: a["path"] for a in data["artifacts"] if "path" in a}
    for step in data.get("steps", []):
        with tempfile.TemporaryDirectory(prefix=f"refresh-{step['id']}-") as tmp:
            work = Path(tmp) / "release"
            work.mkdir()
            for ref in step["inputs"]:
                if ref not in paths:
                    raise SystemExit(f"{root.name}: step {step['id']}: input {ref} is not shipped")
                target = work / paths[ref]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / paths[ref], target)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": tmp,
                "TMPDIR": tmp,
                "LANG": "C.UTF-8",
                "TZ": "UTC",
                "SOURCE_DATE_EPOCH": "315532800",
            }
            print(f"{root.name}: {step['id']}: {step['run']}")
            # The manifest's run command is a shell command by definition; these are our own.
            done = subprocess.run(step["run"], shell=True, cwd=work, env=env, check=False)  # noqa: S602
            if done.returncode != 0:
                raise SystemExit(f"{root.name}: step {step['id']} failed ({done.returncode})")
            for ref in step["outputs"]:
                made = work / paths[ref]
                if not made.is_file():
                    raise SystemExit(f"{root.name}: step {step['id']} did not write {paths[ref]}")
                (root / paths[ref]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made, root / paths[ref])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="examples to refresh (default: all)")
    parser.add_argument("--run", action="store_true", help="rerun every step first")
    parser.add_argument("--check", action="store_true", help="only report stale digests")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for root in examples(args.names):
        if args.run and not args.check:
            run_steps(root)
        manifest = root / "rebuild.yaml"
        text = manifest.read_text("utf-8")
        fresh, changed = refresh_text(root, text)
        stale.extend(changed)
        if changed and not args.check:
            manifest.write_text(fresh, "utf-8")
    for item in stale:
        print(("stale: " if args.check else "refreshed: ") + item)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
