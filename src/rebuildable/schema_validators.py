"""Validators of the shipped schemas: jsonschema-rs answers "valid or not?" when it is
installed (a default dependency where wheels exist); the pure-Python ``jsonschema``
validator is the fallback and the one source of findings.

With the accelerator a valid document never pays for the slow path, and an invalid one
gets exactly the findings it would get without it: the one pattern difference between
the two (``$`` before a final newline) is closed by :func:`_ecma_regex`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from rebuildable.schema_files import load_schema, registry

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

# jsonschema and referencing (with attrs) are imported where they are used: with the
# jsonschema-rs accelerator a valid manifest never needs them, and importing them costs
# about 0.15 s of CPU on every run of the command line.


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
    # A default dependency where wheels exist; anywhere it is missing or its binary
    # does not load, the pure-Python validator decides alone.
    try:
        import jsonschema_rs  # noqa: PLC0415 - the optional fast path

        return jsonschema_rs.validator_for(load_schema(name))
    except (ImportError, ValueError):
        return None


def accelerated() -> bool:
    return _fast_validator("manifest") is not None


def is_valid(name: str, data: Any, *, use_accelerator: bool = True) -> bool:
    fast = _fast_validator(name) if use_accelerator else None
    if fast is not None:
        return bool(fast.is_valid(data))
    return bool(validator(name).is_valid(data))
