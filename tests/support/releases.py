"""Small builders for releases on disk, shared by every test module.

``make_release`` writes files plus a valid ``rebuild.yaml`` whose artifacts carry the
correct sha256 digests and sizes; tests then break one thing and look for one finding.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["artifact_id", "make_release", "read_manifest", "sha256_hex", "write_manifest"]


_NOT_ID = re.compile(r"[^a-z0-9._-]+")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_id(path: str) -> str:
    """The id ``make_release`` gives the artifact at ``path``: 'src/Train.py' -> 'src-train.py'."""
    ident = _NOT_ID.sub("-", path.lower()).strip("-._")
    return ident or "artifact"


def write_manifest(path: Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as YAML (or JSON when ``path`` ends in .json); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    return path


def read_manifest(root: Path, name: str = "rebuild.yaml") -> dict[str, Any]:
    """Read back the manifest ``make_release`` wrote (to edit it and ``write_manifest`` again)."""
    text = (root / name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    return data


def make_release(root: Path, files: Mapping[str, bytes],
                 steps: Sequence[Mapping[str, Any]] | None = None, *,
                 kinds: Mapping[str, str] | None = None,
                 ids: Mapping[str, str] | None = None,
                 extra_artifacts: Sequence[Mapping[str, Any]] = (),
                 manifest_name: str = "rebuild.yaml",
                 **manifest_fields: Any) -> Path:
    """Write ``files`` (relative POSIX path -> bytes) under ``root`` and a valid manifest.

    Every file becomes an artifact: id from :func:`artifact_id` (or ``ids[path]``), kind
    ``kinds.get(path, "other")``, its sha256 digest and size. ``extra_artifacts`` (e.g.
    external ``uri`` artifacts) are appended as given. ``steps`` go in verbatim.
    ``manifest_fields`` add or override top-level fields (``name``, ``version``,
    ``license``, ``profile``, ``upstream``, ``artifacts``...). Returns ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    kinds = kinds or {}
    ids = ids or {}
    artifacts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        ident = ids.get(rel) or artifact_id(rel)
        base, n = ident, 2
        while ident in seen:
            ident, n = f"{base}-{n}", n + 1
        seen.add(ident)
        artifacts.append({"id": ident, "path": rel, "kind": kinds.get(rel, "other"),
                          "digest": {"sha256": sha256_hex(data)}, "size": len(data)})
    artifacts.extend(dict(a) for a in extra_artifacts)
    manifest: dict[str, Any] = {"spec": "rebuildable/0.1", "name": "example",
                                "version": "1.0.0", "license": "Apache-2.0",
                                "artifacts": artifacts}
    if steps is not None:
        manifest["steps"] = [dict(s) for s in steps]
    manifest.update(manifest_fields)
    write_manifest(root / manifest_name, manifest)
    return root
