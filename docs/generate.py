#!/usr/bin/env python3
"""Write the tutorials in docs/ from their scripts, running every command for real.

Each tutorial below is prose and shell commands. The commands run in a fresh temporary
folder holding copies of the example releases, with the rebuildable of this checkout,
and their output (stdout and stderr, as a terminal shows them without colour) is
written under each command, with the exit code when it is not 0. Nothing in the output
is edited by hand: `python docs/generate.py` rewrites docs/tutorial-*.md, and
`python docs/generate.py --check` (run by tests/spec/test_docs.py) fails when a
tutorial is stale, so the docs can never show output the tool no longer gives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

#: a tutorial: (file stem, title, the examples it copies as name -> example folder, parts)
#: a part is ("text", markdown) or ("run", shell command)
Part = tuple[str, str]
TUTORIALS: list[tuple[str, str, dict[str, str], list[Part]]] = [
    ("tutorial-software", "Tutorial: a software release", {"hello": "software-hello"}, [
        ("text", "A small Python tool, `hello`, built into a zip application by "
                 "`build.py`. The release ships its sources, its build script, the pinned "
                 "environment and the built `dist/hello.pyz`; `rebuild.yaml` says how the "
                 "output is made from the sources."),
        ("run", "rebuildable validate hello"),
        ("text", "Someone rebuilds the application and the bytes change. Validation "
                 "catches it at once, with the place in the manifest:"),
        ("run", "printf 'extra' >> hello/dist/hello.pyz && rebuildable validate --quiet hello"),
        ("text", "If the change is meant, `update` refreshes the digests and sizes in "
                 "place (comments, steps and formatting stay as written):"),
        ("run", "rebuildable update hello && rebuildable validate --quiet hello"),
        ("text", "The manifest as a CycloneDX 1.6 BOM, for SBOM tooling (its first lines):"),
        ("run", "rebuildable export hello --to cyclonedx | head -n 12"),
        ("text", "A checksum list, as release pages often carry, checked like "
                 "`sha256sum -c`:"),
        ("run", "cd hello && rebuildable hash dist/hello.pyz build.py > SHA256SUMS && "
                "rebuildable hash --check SHA256SUMS"),
    ]),
    ("tutorial-ml-lora", "Tutorial: a fine-tuned model (a LoRA adapter)",
     {"lora": "adapter-lora-tiny"}, [
        ("text", "A LoRA adapter trained on top of a base model. The base is an "
                 "`upstream` release (here shipped inside, under `upstream/base`), pinned "
                 "by the digest of its manifest; the adapter's training step consumes the "
                 "base's weights as `base:weights`."),
        ("run", "rebuildable validate lora"),
        ("text", "The same release as SPDX 3.0.1 with the AI and Dataset profiles "
                 "(`SOURCE_DATE_EPOCH` fixes its one time stamp); the element types it "
                 "holds:"),
        ("run", "SOURCE_DATE_EPOCH=1700000000 rebuildable export lora --to spdx3 | "
                "python3 -c \"import json,sys,collections; g=json.load(sys.stdin)['@graph']; "
                "print(dict(sorted(collections.Counter(n['type'] for n in g).items())))\""),
        ("text", "A publisher who has only a Hugging Face model card can start from it: "
                 "`import model-card` lists the folder's files and carries the card's "
                 "licence, base model and datasets over, then says what is left to pin."),
        ("run", "mkdir card && cp lora/adapter/adapter.safetensors card/ && printf -- "
                "'---\\nlicense: apache-2.0\\nbase_model: org/tiny-base\\n"
                "base_model_relation: adapter\\ndatasets: [org/gadgets]\\n"
                "library_name: peft\\n---\\n# tiny adapter\\n' > card/README.md && "
                "rebuildable import model-card card/README.md"),
    ]),
    ("tutorial-dataset", "Tutorial: a dataset release", {"reviews": "dataset-reviews-clean"}, [
        ("text", "A cleaned dataset: the raw reviews, the cleaning script and its config "
                 "are the sources; the train/test split and its statistics are outputs."),
        ("run", "rebuildable validate reviews"),
        ("text", "A dataset published with only a `SHA256SUMS` file becomes a draft "
                 "manifest in one command (the digests are kept as the list states them):"),
        ("run", "mkdir plain && cp reviews/derived/*.csv plain/ && cd plain && "
                "sha256sum *.csv > SHA256SUMS && rebuildable import sha256sums SHA256SUMS "
                "--license CC0-1.0"),
    ]),
    ("tutorial-artwork", "Tutorial: an artwork", {"art": "artwork-ora"}, [
        ("text", "A drawing kept as a layered OpenRaster file (`artwork.ora`, the "
                 "source) and exported to PNG by `export.py` (the output)."),
        ("run", "rebuildable validate art"),
        ("text", "Flattening the image and shipping the PNG alone would hide the source: "
                 "the layered file is what the manifest requires."),
        ("run", "rm art/artwork.ora && rebuildable validate --quiet art"),
    ]),
]


def _env(bin_dir: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
    return {**keep, "PATH": f"{bin_dir}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100", "LC_ALL": "C.UTF-8",
            "TZ": "UTC", "PYTHONPATH": str(ROOT / "src")}


def _shim(folder: Path) -> str:
    """A `rebuildable` on PATH that runs this checkout with this Python."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "rebuildable"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c "
                    "'import sys; from rebuildable.cli import main; sys.argv[0] = "
                    "\"rebuildable\"; main()' \"$@\"\n")
    shim.chmod(0o755)
    return str(bin_dir)


def render(stem: str, title: str, examples: dict[str, str], parts: list[Part]) -> str:
    out = [f"# {title}", "",
           "<!-- Generated by docs/generate.py from the real tool; do not edit by hand. -->",
           ""]
    with tempfile.TemporaryDirectory(prefix="rebuildable-docs-") as tmp:
        work = Path(tmp)
        bin_dir = _shim(work)
        for name, example in examples.items():
            shutil.copytree(EXAMPLES / example, work / name)
        env = _env(bin_dir)
        for kind, body in parts:
            if kind == "text":
                out += [body, ""]
                continue
            run = subprocess.run(["bash", "-o", "pipefail", "-c", body], cwd=work, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 check=False, timeout=300)
            text = run.stdout.replace(tmp, "/tmp/work")  # noqa: S108 - a label, not a path used
            out += ["```console", f"$ {body}"]
            out += [line.rstrip() for line in text.rstrip("\n").split("\n")] if text else []
            if run.returncode:
                out.append(f"[exit code {run.returncode}]")
            out += ["```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a tutorial is stale")
    args = parser.parse_args()
    stale = []
    for stem, title, examples, parts in TUTORIALS:
        path = DOCS / f"{stem}.md"
        text = render(stem, title, examples, parts)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
            continue
        path.write_text(text, encoding="utf-8")
    for name in stale:
        print(f"stale: docs/{name} (run: python docs/generate.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
