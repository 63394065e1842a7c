"""Schema errors (from the pure-Python validator) as located findings, one per problem,
naming the artifact, step or upstream they are about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rebuildable.findings import Finding, finding
from rebuildable.load import Document, join_pointer
from rebuildable.schema_validators import is_valid, validator
from rebuildable.suggest import closest

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


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
    kind = error.validator
    if kind == "required":
        yield from _missing_fields(doc, error, pointer)
        return
    if (
        kind == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(error.schema, dict)
    ):
        yield from _unknown_fields(doc, error, pointer)
        return
    where = pointer or "/"
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


def _missing_fields(doc: Document, error: ValidationError, pointer: str) -> Iterator[Finding]:
    required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
    missing = [r for r in required if isinstance(error.instance, dict) and r not in error.instance]
    for field in missing:
        yield _with_subject(
            doc,
            finding(
                "schema.missing-field",
                f"{pointer or '/'}: required field {field!r} is missing",
                location=doc.locate(pointer),
            ),
        )


def _unknown_fields(doc: Document, error: ValidationError, pointer: str) -> Iterator[Finding]:
    schema: dict[str, Any] = error.schema  # type: ignore[assignment]
    allowed = set(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    instance: dict[str, Any] = error.instance  # type: ignore[assignment]
    for key in instance:
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
                f"{pointer or '/'}: unknown field {key!r}",
                location=doc.locate(join_pointer(pointer, key)),
                hint=hint,
            ),
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
