"""Start-up stays light: what `rebuildable --version` and `rebuildable validate` import.

Speed is measured by benchmarks/, never asserted here; these tests guard the cause of
a slow start instead: heavy modules imported on a path that never uses them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
sys.argv = ["rebuildable", *sys.argv[1:]]
from rebuildable.cli import main
try:
    main()
except SystemExit:
    pass
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""

#: never needed to validate a folder release without keys, fetching or an ignore file
NOT_FOR_VALIDATE = (
    "cryptography",  # signatures: only with an envelope or --key
    "ssl",
    "http.client",  # fetching: only with --fetch
    "rich",  # progress: only on a terminal
    "pathspec",
    "re2",  # .rebuildignore: only when the release has one
    "rebuildable.rebuild",
    "rebuildable.registry",
    "rebuildable.remote.fetch",
    "rebuildable.signing.keys",
    "rebuildable.signing.dsse",
    "blake3",  # only when a digest uses it
    "rebuildable.signing.keyless",  # only with --identity or a keyless bundle
    "rebuildable.signing.statement",
    "rebuildable.shard_index",  # only with a shard-index artifact
    "rebuildable.render.json_report",  # only for --format json / sarif
    "rebuildable.render.sarif",
    "xml.etree.ElementTree",  # format sniffing: only for an XML file or a layered project
    "defusedxml",
    "pickletools",  # only for bytes that may be a pickle
    "concurrent.futures",  # thread pools: only with more than one file to hash or sniff
    "license_expression",  # the expression parser: only for more than one id
    "logging",
    "difflib",  # 'did you mean': only on a mistake
    "rebuildable.rebuild_records",  # a rebuild's records: only when rebuilding
)

#: the registry service's stack (the `registry` extra): only `serve` and `registry ...`
#: import it; a plain install has none of it
SERVICE_STACK = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "jinja2",
                 "python_multipart", "psycopg", "anyio", "botocore", "rebuildable.registry.app",
                 "rebuildable.registry.service", "rebuildable.registry.db")


def _imported(*args: str, cwd: Path) -> set[str]:
    src = Path(__file__).resolve().parents[2] / "src"
    path = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    line = done.stderr.rsplit("\nMODULES ", 1)[-1]
    return set(json.loads(line))


def _tiny_release(root: Path) -> Path:
    (root / "hello.txt").write_bytes(b"hello\n")
    digest = hashlib.sha256(b"hello\n").hexdigest()
    (root / "rebuild.yaml").write_text(
        "spec: rebuildable/0.1\nname: tiny\nversion: '1'\nlicense: CC0-1.0\nartifacts:\n"
        f"  - id: hello\n    path: hello.txt\n    kind: document\n"
        f"    digest: {{sha256: {digest}}}\n    size: 6\n", "utf-8")
    return root


def test_version_imports_neither_click_nor_the_engine(tmp_path: Path) -> None:
    modules = _imported("--version", cwd=tmp_path)
    assert "rebuildable" in modules
    assert {"click", "yaml", "rebuildable.checks", "rebuildable.engine"}.isdisjoint(modules)


def test_validate_imports_only_what_a_plain_release_needs(tmp_path: Path) -> None:
    modules = _imported("validate", str(_tiny_release(tmp_path)), cwd=tmp_path)
    assert "rebuildable.checks.integrity" in modules  # the probe did validate
    assert sorted(m for m in (*NOT_FOR_VALIDATE, *SERVICE_STACK) if m in modules) == []


@pytest.mark.parametrize("args", [
    ("--help",),
    ("publish", "RELEASE", "--registry", "http://127.0.0.1:9", "--namespace", "ns",
     "--token", "t"),
    ("validate", "RELEASE", "--registry", "http://127.0.0.1:9"),
], ids=["help", "publish", "validate-registry"])
def test_registry_clients_need_no_service_stack(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`publish` and `validate --registry` work on a plain install (standard library
    HTTP): neither they nor the command list import the service's extra."""
    release = str(_tiny_release(tmp_path))
    modules = _imported(*(release if a == "RELEASE" else a for a in args), cwd=tmp_path)
    if args[0] == "publish":
        assert "rebuildable.registry.client" in modules  # the probe did try to publish
    assert sorted(m for m in SERVICE_STACK if m in modules) == []


def test_valid_manifest_needs_no_pure_python_validator(tmp_path: Path) -> None:
    if importlib.util.find_spec("jsonschema_rs") is None:
        pytest.skip("jsonschema-rs is not installed: the pure-Python validator decides alone")
    modules = _imported("validate", str(_tiny_release(tmp_path)), cwd=tmp_path)
    assert "jsonschema_rs" in modules
    assert {"jsonschema", "referencing"}.isdisjoint(modules)
