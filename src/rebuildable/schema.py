"""The JSON Schemas shipped with the package, and the mapping of schema errors to findings.

The Python ``jsonschema`` validator is the one source of findings. When the optional
``jsonschema-rs`` accelerator is installed it answers the common question "is this
document valid?" first, so a valid document never pays for the slow path and an
invalid one gets exactly the findings it would get without the accelerator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from rebuildable.findings import Finding, finding
from rebuildable.load import (
    Document,
    Limits,
    LoadResult,
    coerce_to_schema,
    join_pointer,
    load_manifest,
)
from rebuildable.suggest import closest

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

# jsonschema and referencing (with attrs) are imported where they are used: with the
# jsonschema-rs accelerator a valid manifest never needs them, and importing them costs
# about 0.15 s of CPU on every run of the command line.

SCHEMA_NAMES = ("manifest", "report")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema by short name ("manifest", "report", "policy", ...)."""
    text = (
        resources.files("rebuildable").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def registry() -> Registry[Any]:
    from referencing import Registry, Resource  # noqa: PLC0415 - see the imports above

    reg: Registry[Any] = Registry()
    folder = resources.files("rebuildable").joinpath("schemas")
    for entry in folder.iterdir():
        if entry.name.endswith(".schema.json"):
            contents = json.loads(entry.read_text("utf-8"))
            reg = reg.with_resource(contents["$id"], Resource.from_contents(contents))
    return reg


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    r"""Compile a JSON Schema (ECMA-262) pattern so that Python matches what ECMA matches.

    The one difference that matters for our schemas: in Python ``$`` also matches
    before a final newline, so ``"abc\n"`` would pass ``^[a-z]+$``; in ECMA-262 (and in
    jsonschema-rs) it does not. An unescaped ``$`` outside a character class becomes
    ``\Z``, so the accelerated and the pure-Python validators decide alike.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "$":
            c = r"\Z"
        out.append(c)
        i += 1
    return re.compile("".join(out))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        from jsonschema.exceptions import ValidationError  # noqa: PLC0415

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema  # noqa: PLC0415 - see the imports above

    schema = load_schema(name)
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]
    checker: jsonschema.protocols.Validator = cls(schema, registry=registry())
    return checker


@cache
def _fast_validator(name: str) -> Any | None:
    try:
        import jsonschema_rs  # noqa: PLC0415 - optional accelerator
    except ImportError:
        return None
    return jsonschema_rs.validator_for(load_schema(name))


def accelerated() -> bool:
    return _fast_validator("manifest") is not None


def is_valid(name: str, data: Any, *, use_accelerator: bool = True) -> bool:
    fast = _fast_validator(name) if use_accelerator else None
    if fast is not None:
        return bool(fast.is_valid(data))
    return bool(validator(name).is_valid(data))


# ------------------------------------------------------------------ string coercion


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


# ------------------------------------------------------------------------- findings


def _pointer(path: Any) -> str:
    out = ""
    for token in path:
        out = join_pointer(out, token)
    return out


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """For oneOf/anyOf failures, the most relevant error of the closest branch."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match  # noqa: PLC0415

        best = best_match(error.context)
        if best is not None and best.validator not in ("not",):
            yield from _leaf_errors(best)
            return
    yield error


def schema_findings(
    doc: Document, name: str = "manifest", *, use_accelerator: bool = True
) -> list[Finding]:
    data = doc.data
    if is_valid(name, data, use_accelerator=use_accelerator):
        return []
    out: list[Finding] = []
    for error in validator(name).iter_errors(data):
        out.extend(_to_findings(doc, error))
    # One problem reached through two schema paths gives one finding.
    unique: dict[tuple[str, str | None, str], Finding] = {}
    for f in out:
        unique.setdefault((f.code, f.location.pointer if f.location else None, f.message), f)
    return list(unique.values())


def _to_findings(doc: Document, error: ValidationError) -> Iterator[Finding]:
    pointer = _pointer(error.absolute_path)
    instance = error.instance
    if error.validator == "oneOf" and not isinstance(instance, dict):
        return  # path-xor-uri of a non-mapping: its 'type' error says it all (one code)
    if (
        error.validator == "oneOf"
        and isinstance(instance, dict)
        and (
            "path" in instance
            or "uri" in instance
            or pointer.startswith(("/artifacts/", "/upstream/"))
        )
        and not pointer.startswith("/steps")
    ):
        has_path, has_uri = "path" in instance, "uri" in instance
        if has_path and has_uri:
            yield _with_subject(
                doc,
                finding(
                    "schema.invalid-value",
                    f"{pointer or '/'}: give either 'path' or 'uri', not both",
                    location=doc.locate(join_pointer(pointer, "uri")),
                ),
            )
            return
        if not has_path and not has_uri:
            yield _with_subject(
                doc,
                finding(
                    "schema.missing-field",
                    f"{pointer or '/'}: needs 'path' (a shipped file) "
                    "or 'uri' (an external artifact)",
                    location=doc.locate(pointer),
                ),
            )
            return
    for leaf in _leaf_errors(error):
        yield from _leaf_findings(doc, leaf)


def _leaf_findings(doc: Document, error: ValidationError) -> Iterator[Finding]:
    pointer = _pointer(error.absolute_path)
    where = pointer or "/"
    kind = error.validator
    if kind == "required":
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [
            r for r in required if isinstance(error.instance, dict) and r not in error.instance
        ]
        for field in missing:
            yield _with_subject(
                doc,
                finding(
                    "schema.missing-field",
                    f"{where}: required field {field!r} is missing",
                    location=doc.locate(pointer),
                ),
            )
        return
    if (
        kind == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(error.schema, dict)
    ):
        allowed = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        for key in error.instance:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            hint = None
            meant = closest(key, sorted(allowed))
            if meant is not None and meant.casefold() == key.casefold():
                hint = f"Did you mean {meant!r}? Field names are case-sensitive."
            elif meant is not None:
                hint = (f"Did you mean {meant!r}? Fields that are not in the spec must "
                        "start with 'x-'.")
            yield _with_subject(
                doc,
                finding(
                    "schema.unknown-field",
                    f"{where}: unknown field {key!r}",
                    location=doc.locate(join_pointer(pointer, key)),
                    hint=hint,
                ),
            )
        return
    if kind == "type":
        yield _with_subject(
            doc,
            finding(
                "schema.wrong-type",
                f"{where}: expected {_type_name(error.validator_value)}, "
                f"got {_describe(error.instance)}",
                location=doc.locate(pointer),
            ),
        )
        return
    message = error.message
    if kind == "pattern":
        message = f"{_describe(error.instance)} does not match {error.validator_value!r}"
    elif kind == "minItems" and error.validator_value == 1:
        message = "must not be empty"
    elif kind in ("enum", "const"):
        message = f"{_describe(error.instance)} is not one of {error.validator_value!r}"
    elif kind == "not":
        message = "has fields that exclude each other"
    yield _with_subject(
        doc, finding("schema.invalid-value", f"{where}: {message}", location=doc.locate(pointer))
    )


def _type_name(value: Any) -> str:
    names = {
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "object": "a mapping",
        "array": "a list",
        "boolean": "a boolean",
        "null": "null",
    }
    if isinstance(value, list):
        return " or ".join(names.get(v, str(v)) for v in value)
    return names.get(value, str(value))


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) < 80 else repr(value[:77] + "...")
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _with_subject(doc: Document, f: Finding) -> Finding:
    """Attach the artifact/step/upstream id the finding is about, read from the data."""
    pointer = f.location.pointer if f.location else None
    if not pointer or not isinstance(doc.data, dict):
        return f
    parts = pointer.split("/")
    if (
        len(parts) < 3
        or parts[1] not in ("artifacts", "steps", "upstream")
        or not parts[2].isdigit()
    ):
        return f
    items = doc.data.get(parts[1])
    index = int(parts[2])
    if not isinstance(items, list) or index >= len(items) or not isinstance(items[index], dict):
        return f
    ident = items[index].get("id")
    if not isinstance(ident, str):
        return f
    if parts[1] == "artifacts":
        return replace(f, artifact=ident)
    if parts[1] == "steps":
        return replace(f, step=ident)
    return replace(f, upstream=ident)
