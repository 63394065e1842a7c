"""``import dvc dvc.yaml|dvc.lock [DIR]``: a DVC pipeline as steps.

Each stage becomes a step: ``cmd`` -> ``run`` (a list joined with ``&&``; a ``wdir``
becomes a ``cd``), ``deps`` -> ``inputs``, ``outs`` (and ``metrics``/``plots`` files)
-> ``outputs``, and the params files a stage reads (``params.yaml`` by default) are
``config`` artifacts among its inputs. A folder listed as a dependency or output stands
for every file in it. ``dvc.lock`` digests are kept: md5 alone never pins an artifact,
so every file that is there is also hashed with sha256; a file that is not there (not
yet ``dvc pull``-ed) keeps its md5 and is noted. ``foreach``/``matrix`` stages are
noted and skipped.
"""

from __future__ import annotations

import shlex
from pathlib import Path, PurePosixPath
from typing import Any

from rebuildable.draft import slugify
from rebuildable.importers._base import (
    MAX_SOURCE_BYTES,
    Imported,
    ImportSourceError,
    artifacts_for,
    base_data,
    draft_text,
    normalise_path,
)
from rebuildable.load import load_manifest
from rebuildable.readlimit import read_limited
from rebuildable.release import EntryType, FolderRelease

DEFAULT_PARAMS = "params.yaml"


def _load(path: Path) -> dict[str, Any]:
    try:
        raw = read_limited(path, MAX_SOURCE_BYTES)
    except OSError as exc:
        raise ImportSourceError(f"{path}: {exc.strerror or exc}") from exc
    loaded = load_manifest(raw, path.name)
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        detail = loaded.findings[0].message if loaded.findings else "not a YAML mapping"
        raise ImportSourceError(f"{path}: {detail}")
    return loaded.document.data


def _entries(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """``deps``/``outs`` items as (path, options): strings or one-key mappings."""
    out: list[tuple[str, dict[str, Any]]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            (key, opts), = item.items()
            out.append((str(key), opts if isinstance(opts, dict) else {}))
        elif isinstance(item, dict) and isinstance(item.get("path"), str):
            out.append((item["path"], item))
    return out


def _params_files(value: Any) -> list[str]:
    files: list[str] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            files.append(DEFAULT_PARAMS)
        elif isinstance(item, dict):
            files.extend(str(k) for k in item)
    return list(dict.fromkeys(files))


class _Files:
    """Release paths for DVC paths: a folder expands to the regular files in it."""

    def __init__(self, root: Path) -> None:
        self.entries = FolderRelease(root, "rebuild.yaml", str(root)).entries()

    def expand(self, path: str) -> list[str]:
        entry = self.entries.get(path)
        if entry is not None and entry.type is EntryType.DIR:
            prefix = path + "/"
            return sorted(p for p, e in self.entries.items()
                          if p.startswith(prefix) and e.type is EntryType.FILE)
        return [path]


def _lock_digests(lock: dict[str, Any], stage: str, wdir: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    data = lock.get("stages", {}).get(stage, {}) if isinstance(lock.get("stages"), dict) else {}
    for key in ("deps", "outs"):
        for item in data.get(key, []) if isinstance(data, dict) else []:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                continue
            md5 = item.get("md5")
            if isinstance(md5, str) and not md5.endswith(".dir") and len(md5) == 32:
                path = normalise_path(str(PurePosixPath(wdir, item["path"])))
                if path is not None:
                    out[path] = {"md5": md5.lower()}
    return out


def _run(cmd: Any, wdir: str) -> str:
    text = " && ".join(str(c) for c in cmd) if isinstance(cmd, list) else str(cmd or "")
    return f"cd {shlex.quote(wdir)} && {text}" if wdir not in ("", ".") else text


#: one stage: its name, its command, the files it reads and the files it makes
_Plan = tuple[str, str, list[str], list[str]]


def _plan_stage(stage: str, spec: dict[str, Any], wdir: str, files: _Files,
                kinds: dict[str, str]) -> _Plan:
    """A stage's files (deps, params files; outs, metrics, plots), folders expanded to
    the files below them; params files are marked as ``config`` in ``kinds``."""
    def rel(p: str) -> str | None:
        return normalise_path(str(PurePosixPath(wdir, p)))

    inputs: list[list[str]] = []
    outputs: list[list[str]] = []
    for path, _ in _entries(spec.get("deps")):
        inputs.extend(files.expand(r) for r in [rel(path)] if r is not None)
    for pfile in _params_files(spec.get("params")):
        r = rel(pfile)
        if r is not None:
            kinds[r] = "config"
            inputs.append([r])
    for key in ("outs", "metrics", "plots"):
        for path, _ in _entries(spec.get(key)):
            outputs.extend(files.expand(r) for r in [rel(path)] if r is not None)
    return (stage, _run(spec.get("cmd"), wdir), [p for group in inputs for p in group],
            [p for group in outputs for p in group])


def import_dvc(source: Path, root: Path, *, name: str, version: str | None = None,
               license: str | None = None) -> Imported:
    folder = source.parent
    yaml_path, lock_path = folder / "dvc.yaml", folder / "dvc.lock"
    if source.name not in ("dvc.yaml", "dvc.lock"):
        raise ImportSourceError(f"{source}: name a dvc.yaml or dvc.lock")
    if not yaml_path.is_file():
        raise ImportSourceError(f"{yaml_path}: no such file (the stages live there)")
    pipeline = _load(yaml_path)
    lock = _load(lock_path) if lock_path.is_file() else {}
    stages = pipeline.get("stages")
    if not isinstance(stages, dict) or not stages:
        raise ImportSourceError(f"{yaml_path}: no stages")
    notes: list[str] = []
    if not lock:
        notes.append("no dvc.lock beside dvc.yaml: digests come from the files alone")
    files = _Files(root)
    prefix = folder.resolve().relative_to(root.resolve()).as_posix() if folder.resolve() != \
        root.resolve() else ""
    known: dict[str, dict[str, str]] = {}
    kinds: dict[str, str] = {}
    plans: list[_Plan] = []
    for stage, spec in stages.items():
        if not isinstance(spec, dict):
            continue
        if "foreach" in spec or "matrix" in spec:
            notes.append(f"stage {stage!r}: foreach/matrix stages are not imported; add them "
                         "by hand")
            continue
        wdir = str(PurePosixPath(prefix, str(spec.get("wdir", "."))))
        known.update(_lock_digests(lock, stage, wdir))
        plans.append(_plan_stage(stage, spec, wdir, files, kinds))
    produced = {p for _, _, _, outs in plans for p in outs}
    every = list(dict.fromkeys([*(p for n in ("dvc.yaml", "dvc.lock")
                                  for p in [normalise_path(str(PurePosixPath(prefix, n)))]
                                  if p is not None and (root / p).is_file()),
                                *(p for _, _, ins, outs in plans for p in [*ins, *outs])]))
    artifacts, ids = artifacts_for(root, every, known=known, kinds=kinds, notes=notes)
    steps = []
    for stage, run, ins, outs in plans:
        step: dict[str, Any] = {"id": slugify(stage), "run": run,
                                "inputs": list(dict.fromkeys(ids[p] for p in ins)),
                                "outputs": list(dict.fromkeys(ids[p] for p in outs))}
        steps.append(step)
    for art in artifacts:
        if art["path"] not in produced and set(art.get("digest", {})) <= {"md5"}:
            notes.append(f"{art['path']}: only an md5 digest (run `dvc pull`, then "
                         "`rebuildable update`)")
    data = base_data(name, version, license)
    data["artifacts"] = artifacts
    data["steps"] = steps
    todo = ["check each artifact's guessed `kind` (outputs of training are `weights`)",
            "add the environment lock file (requirements.txt with hashes, pylock.toml) as an "
            "input of each step"]
    return Imported(data, draft_text(data, str(source), todo), notes)
