"""Where the manifest schema wants a string: YAML plain scalars there keep their text
(``version: 1.10`` stays "1.10"), and the load that every reader of manifests goes through."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from rebuildable.load import Limits, LoadResult, coerce_to_schema, load_manifest
from rebuildable.schema_files import load_schema


def _deref(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(schema, dict):  # boolean schemas say nothing about types
        return {}
    current: dict[str, Any] = schema
    for _ in range(32):
        ref = current.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        target: Any = root
        for token in ref[2:].split("/"):
            target = target[token]
        if not isinstance(target, dict):
            return {}
        current = target
    return current


def _child_schemas(
    schema: dict[str, Any], token: str, root: dict[str, Any]
) -> list[dict[str, Any]]:
    schema = _deref(schema, root)
    out: list[dict[str, Any]] = []
    for combo in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(combo, ()):
            out.extend(_child_schemas(branch, token, root))
    props = schema.get("properties", {})
    if token in props:
        out.append(props[token])
    else:
        matched = False
        for pattern, sub in schema.get("patternProperties", {}).items():
            if re.search(pattern, token):
                out.append(sub)
                matched = True
        extra = schema.get("additionalProperties")
        if not matched and isinstance(extra, dict):
            out.append(extra)
    items = schema.get("items")
    if isinstance(items, dict) and token.isdigit():
        out.append(items)
    return out


def _is_string_schema(schema: dict[str, Any], root: dict[str, Any]) -> bool:
    schema = _deref(schema, root)
    kind = schema.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(e, str) for e in enum):
        return True
    branches = [b for combo in ("oneOf", "anyOf") for b in schema.get(combo, ())]
    branches += [schema[k] for k in ("then", "else") if isinstance(schema.get(k), dict)]
    return any(_is_string_schema(b, root) for b in branches)


def wants_string(pointer: str, name: str = "manifest") -> bool:
    """Does the schema want a string at ``pointer`` (under any branch)?"""
    return _wants_string_cached(_INDEX.sub("/0", pointer), name)


_INDEX = re.compile(r"/\d+(?=/|$)")


@cache
def _wants_string_cached(pointer: str, name: str) -> bool:
    root = load_schema(name)
    current = [root]
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        current = [c for s in current for c in _child_schemas(s, token, root)]
        if not current:
            return False
    return any(_is_string_schema(s, root) for s in current)


def load_document(raw: bytes, name: str, limits: Limits | None = None) -> LoadResult:
    """A manifest exactly as the validation engine sees it: the strict load, then the
    manifest schema's string coercion (``version: 1.10`` stays the string "1.10").

    The engine, signing, export and rebuild all read manifests through it, so the data
    they sign, compare and rebuild from is the validated data.
    """
    loaded = load_manifest(raw, name, limits=limits)
    if loaded.document is not None:
        loaded.findings.extend(coerce_to_schema(loaded.document, wants_string))
    return loaded
