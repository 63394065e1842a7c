"""The core of ``rebuildable update``: re-hash the files an existing manifest lists and
refresh their digests and sizes, changing nothing else.

The manifest is edited as text, not re-serialised: each digest or size is replaced at
the place the YAML composer says its scalar starts and ends, so comments, key order,
quoting style, blank lines and flow mappings stay as the author wrote them. A missing
``size`` (or ``digest``) is inserted beside the artifact's other keys in the mapping's
own style. The edited text is loaded again and must equal the old data with only those
values changed; anything else is a bug and nothing is written.

A signed manifest (``rebuild.dsse.json`` beside it) is refused without ``force``: the
signature binds the manifest's data, so refreshed digests would no longer match it.
External (``uri:``) artifacts are left alone: they are not re-fetched here.
"""

from __future__ import annotations

import codecs
import copy
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rebuildable.atomic import write_atomic
from rebuildable.defaults import DEFAULT_ALGORITHM
from rebuildable.digest import ALGORITHMS, HashJob, HashResult, available, hash_members
from rebuildable.errors import MemberError, RebuildableError, UsageError
from rebuildable.findings import Severity
from rebuildable.load.yaml_core import resolve_plain
from rebuildable.model import envelope_path
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.release import FolderRelease, open_release, safe_relative

__all__ = ["Change", "Update", "UpdateError", "UpdateRefusedError", "plan_update",
           "write_update"]


class UpdateError(RebuildableError):
    """The manifest cannot be updated (it does not load, or the edit would be unsafe)."""


class UpdateRefusedError(UpdateError, UsageError):
    """The caller asked for something update will not do without being told to."""


@dataclass(frozen=True, slots=True)
class Change:
    artifact: str
    path: str
    #: ``digest.<alg>`` or ``size``
    field: str
    old: str | int | None
    new: str | int


@dataclass
class Update:
    manifest: Path
    original: str
    text: str
    changes: list[Change] = field(default_factory=list)
    #: files that could not be re-hashed (missing, unreadable, changing), as "path: why"
    problems: list[str] = field(default_factory=list)
    #: artifacts left alone, as "id: why" (external artifacts, unknown algorithms)
    skipped: list[str] = field(default_factory=list)
    #: a signature envelope sits beside the manifest (and ``force`` was given)
    signed: bool = False
    #: the file began with a UTF-8 byte order mark, which the rewrite keeps: an editor or
    #: tool that wrote it may need it, and update changes only digests and sizes
    bom: bool = False

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class _Edit:
    start: int
    end: int
    text: str


# -- reading -------------------------------------------------------------------------------

def _open_folder(target: str | os.PathLike[str]) -> FolderRelease:
    release = open_release(target)
    if not isinstance(release, FolderRelease):
        release.close()
        raise UpdateRefusedError(f"{target}: update works on a folder or a manifest file, "
                                 "not an archive (unpack it first)")
    return release


def _load(raw: bytes, name: str) -> tuple[str, Any]:
    from rebuildable.schema import load_document  # noqa: PLC0415 - schema is heavy

    loaded = load_document(raw, name)
    errors = [f for f in loaded.findings if f.severity is Severity.ERROR]
    if loaded.document is None or errors:
        first = errors[0] if errors else None
        where = ""
        if first is not None and first.location is not None and first.location.line:
            where = f" (line {first.location.line})"
        detail = f"{first.code}: {first.message}{where}" if first else "it does not load"
        raise UpdateError(f"{name} cannot be updated: {detail}; fix it first "
                          "(rebuildable validate lists every problem)")
    data = loaded.document.data
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), list):
        raise UpdateError(f"{name} has no artifacts list to update")
    return raw.decode("utf-8-sig"), data


def _algorithms(art: dict[str, Any]) -> tuple[tuple[str, ...], list[str]]:
    digest = art.get("digest")
    names = list(digest) if isinstance(digest, dict) and digest else [DEFAULT_ALGORITHM]
    usable = [n for n in names if n in ALGORITHMS]
    unknown = [n for n in names if n not in ALGORITHMS]
    missing = [n for n in usable if not available(n)]
    if missing:
        raise UpdateRefusedError(f"digest algorithm {missing[0]!r} is not available here "
                                 f"(pip install 'rebuildable[{missing[0]}]')")
    return tuple(usable), unknown


# -- planning --------------------------------------------------------------------------------

def plan_update(target: str | os.PathLike[str], *, force: bool = False, workers: int = 2,
                progress: Progress = NO_PROGRESS) -> Update:
    """Re-hash every shipped artifact and compute the edited manifest (not written).

    Raises :class:`UpdateRefusedError` for an archive or a signed manifest without
    ``force``, :class:`UpdateError` for a manifest that does not load, and
    :class:`~rebuildable.errors.ReleaseError` when there is no release at all.
    """
    with _open_folder(target) as release:
        assert isinstance(release, FolderRelease)
        name = release.manifest_name
        manifest = release.root / name
        signed = envelope_path(name) in release.entries()
        if signed and not force:
            raise UpdateRefusedError(
                f"{manifest} is signed ({envelope_path(name)}); new digests would no longer "
                "match the signature. Pass `force` to update it anyway, then sign again")
        try:
            raw = release.read_manifest()
        except (MemberError, OSError) as exc:
            raise UpdateError(f"{manifest}: {exc}") from exc
        text, data = _load(raw, name)
        plan = Update(manifest=manifest, original=text, text=text, signed=signed,
                      bom=raw.startswith(codecs.BOM_UTF8))
        jobs = _hash_jobs(data, plan)
        results = hash_members(release.open, list(jobs.values()), workers=workers,
                               progress=progress, identify=release.identity)
    new_data = copy.deepcopy(data)
    _apply(new_data, jobs, results, plan)
    if plan.changes:
        plan.text = _edit(text, data, new_data, name)
    return plan


def _hash_jobs(data: dict[str, Any], plan: Update) -> dict[int, HashJob]:
    """What to hash, by artifact index: each shipped file with the algorithms its digest
    names. External and unsafe artifacts, and unknown algorithms, go into ``plan``."""
    jobs: dict[int, HashJob] = {}
    for index, art in enumerate(data["artifacts"]):
        if not isinstance(art, dict):
            continue
        ident = str(art.get("id", f"#{index}"))
        path = art.get("path")
        if not isinstance(path, str):
            if art.get("uri") is not None:
                plan.skipped.append(f"{ident}: external artifact (not re-fetched)")
            continue
        if not safe_relative(path):
            plan.problems.append(f"{path}: not a safe relative path")
            continue
        algs, unknown = _algorithms(art)
        for alg in unknown:
            plan.skipped.append(f"{ident}: digest algorithm {alg!r} is unknown; kept")
        if algs:
            jobs[index] = HashJob(path, algs)
    return jobs


def _apply(new_data: dict[str, Any], jobs: dict[int, HashJob],
           results: Mapping[str, HashResult], plan: Update) -> None:
    """Write the new digests and sizes into ``new_data``, each change noted in ``plan``."""
    for index, job in jobs.items():
        result = results[job.path]
        if result.error is not None:
            plan.problems.append(f"{job.path}: {result.error.message}")
            continue
        if result.changed:
            plan.problems.append(f"{job.path}: the file changed while it was being hashed")
            continue
        art = new_data["artifacts"][index]
        ident = str(art.get("id", f"#{index}"))
        digest = art.setdefault("digest", {})
        if not isinstance(digest, dict):
            plan.problems.append(f"{ident}: digest is not a mapping; left alone")
            continue
        for alg in job.algorithms:
            if digest.get(alg) != result.digests[alg]:
                plan.changes.append(Change(ident, job.path, f"digest.{alg}", digest.get(alg),
                                           result.digests[alg]))
                digest[alg] = result.digests[alg]
        size = result.size or 0
        if art.get("size") != size:
            plan.changes.append(Change(ident, job.path, "size", art.get("size"), size))
            art["size"] = size


# -- editing the text --------------------------------------------------------------------------

def _compose(text: str) -> yaml.MappingNode | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return node if isinstance(node, yaml.MappingNode) else None


def _get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _scalar_text(value: str | int, style: str | None, is_json: bool) -> str:
    if isinstance(value, int):
        return str(value)
    if is_json or style == '"':
        return json.dumps(value)
    if style == "'":
        return f"'{value}'"
    # plain: keep it plain only when every reader reads it back as this string
    return value if isinstance(resolve_plain(value), str) else json.dumps(value)


def _last_scalar_end(node: yaml.Node) -> int:
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.index


def _insert(text: str, mapping: yaml.MappingNode, key: str, value: str, is_json: bool, *,
            after: str | None = None) -> _Edit | None:
    """An edit adding ``key: value`` to ``mapping`` in its own style, on the line after
    the value of key ``after`` when there is one (None: no safe place)."""
    if not mapping.value:
        return None
    if mapping.flow_style or is_json:
        last = mapping.value[-1][1]
        pair = f", {json.dumps(key)}: {value}" if is_json else f", {key}: {value}"
        return _Edit(last.end_mark.index, last.end_mark.index, pair)
    keys = [k for k, _ in mapping.value]
    # The new line takes the indentation of a key that starts its own line (the first
    # key may share its line with the sequence's "- ").
    if len(keys) < 2:
        return None
    indent = " " * keys[1].start_mark.column
    where = [i for i, k in enumerate(keys) if isinstance(k, yaml.ScalarNode) and k.value == after]
    if where:
        end = _last_scalar_end(mapping.value[where[0]][1])
        newline = text.find("\n", end)
        if newline != -1:
            return _Edit(newline + 1, newline + 1, f"{indent}{key}: {value}\n")
    line_start = text.rfind("\n", 0, keys[1].start_mark.index) + 1
    if text[line_start:keys[1].start_mark.index].strip(" "):
        return None
    return _Edit(line_start, line_start, f"{indent}{key}: {value}\n")


def _artifact_edits(text: str, node: yaml.MappingNode, old: dict[str, Any],
                    new: dict[str, Any], is_json: bool) -> Iterator[_Edit]:
    digest_pair = _get(node, "digest")
    new_digest: dict[str, str] = new.get("digest", {})
    if digest_pair is None:
        body = ", ".join(f"{json.dumps(k) if is_json else k}: {json.dumps(v)}"
                         for k, v in new_digest.items())
        edit = _insert(text, node, "digest", "{" + body + "}", is_json, after="kind")
        if edit is None:
            raise UpdateError(f"cannot add a digest to artifact {new.get('id')!r} here")
        yield edit
    else:
        digest_node = digest_pair[1]
        if not isinstance(digest_node, yaml.MappingNode):
            raise UpdateError(f"artifact {new.get('id')!r}: digest is not a mapping")
        for alg, value in new_digest.items():
            if old.get("digest", {}).get(alg) == value:
                continue
            pair = _get(digest_node, alg)
            if pair is None or not isinstance(pair[1], yaml.ScalarNode):
                edit = _insert(text, digest_node, alg, json.dumps(value), is_json)
                if edit is None:
                    raise UpdateError(f"cannot add {alg} to artifact {new.get('id')!r}")
                yield edit
                continue
            scalar = pair[1]
            new_text = _scalar_text(value, scalar.style, is_json)
            if scalar.style in ("|", ">") and text[scalar.end_mark.index - 1:
                                                  scalar.end_mark.index] == "\n":
                # a block scalar's span ends after its line break; the quoted value
                # that replaces it must keep the break, or the next key joins its line
                new_text += "\n"
            yield _Edit(scalar.start_mark.index, scalar.end_mark.index, new_text)
    if old.get("size") == new.get("size"):
        return
    size_pair = _get(node, "size")
    if size_pair is not None and isinstance(size_pair[1], yaml.ScalarNode):
        scalar = size_pair[1]
        yield _Edit(scalar.start_mark.index, scalar.end_mark.index, str(new["size"]))
        return
    edit = _insert(text, node, "size", str(new["size"]), is_json, after="digest")
    if edit is None:
        raise UpdateError(f"cannot add a size to artifact {new.get('id')!r} here")
    yield edit


def _edit(text: str, old: dict[str, Any], new: dict[str, Any], name: str) -> str:
    is_json = name.endswith(".json")
    root = _compose(text)
    artifacts = _get(root, "artifacts") if root is not None else None
    if artifacts is None or not isinstance(artifacts[1], yaml.SequenceNode):
        if is_json:  # a JSON reader pyyaml cannot follow: JSON has no comments to keep
            return json.dumps(new, indent=2, ensure_ascii=False) + "\n"
        raise UpdateError(f"{name}: cannot find the artifacts list in the text")
    edits: list[_Edit] = []
    for index, item in enumerate(artifacts[1].value):
        before, after = old["artifacts"][index], new["artifacts"][index]
        if before == after:
            continue
        if not isinstance(item, yaml.MappingNode):
            raise UpdateError(f"{name}: artifact #{index} is not a mapping")
        edits.extend(_artifact_edits(text, item, before, after, is_json))
    out = text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[:edit.start] + edit.text + out[edit.end:]
    _check_round_trip(out, new, name)
    return out


def _check_round_trip(text: str, expected: dict[str, Any], name: str) -> None:
    from rebuildable.schema import load_document  # noqa: PLC0415

    loaded = load_document(text.encode("utf-8"), name)
    if loaded.document is None or loaded.document.data != expected:
        raise UpdateError(f"{name}: the edited text would not read back as intended; "
                          "nothing was written (please report this)")


# -- writing -------------------------------------------------------------------------------------

def write_update(plan: Update) -> None:
    """Write the edited manifest in place, atomically, keeping the file's mode."""
    target = plan.manifest
    data = (codecs.BOM_UTF8 if plan.bom else b"") + plan.text.encode("utf-8")
    write_atomic(target, data, target.stat().st_mode & 0o7777)
