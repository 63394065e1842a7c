"""JSON, read strictly: no repeated or case-colliding keys, no NaN/Infinity, bounded depth."""

from __future__ import annotations

import json
import math
from itertools import chain, compress, repeat
from typing import Any

from rebuildable.findings import Finding, Location, finding
from rebuildable.load.document import (
    MAX_INT_LITERAL,
    MAX_SAFE_INT,
    OVERSIZED_INT,
    Document,
    Limits,
    join_pointer,
)
from rebuildable.load.jsonpos import JsonLocator, json_key_problems


class DuplicateKeyError(ValueError):
    """A JSON object holds the same key twice (raised by :func:`unique_keys`)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for embedded JSON (file headers): refuse repeated keys,
    which different readers resolve differently."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return out


def load_json(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
    data = _clean_json(text, limits)
    if data is not _UNCLEAN:
        doc = Document(file, "json", data)
        doc.numbers_in_range = True
        doc._locator = JsonLocator(text).locate
        return doc, []
    return _strict_json(text, file, limits)


class _UncleanError(Exception):
    """The fast path met something the strict path must judge (and locate)."""


_UNCLEAN: Any = object()


def _dict_once(items: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(items)
    if len(out) != len(items):
        raise _UncleanError
    return out


def _refuse_constant(name: str) -> Any:
    raise _UncleanError


def _clean_json(text: str, limits: Limits) -> Any:
    """The data of a document with nothing to report, or ``_UNCLEAN``.

    The C parser with the least Python per object (a hook that only compares lengths);
    then one level-by-level pass checks depth, numbers and case-colliding keys over
    distinct keys only. Anything odd sends the text to :func:`_strict_json`, which finds
    and locates every problem: a clean 100,000-artifact manifest costs about 1.5x a bare
    ``json.loads``, and a dirty one what it always did.
    """
    try:
        data = json.loads(text, object_pairs_hook=_dict_once, parse_constant=_refuse_constant,
                          parse_int=_safe_int, parse_float=_finite_float)
    except (_UncleanError, ValueError, RecursionError):
        return _UNCLEAN
    dicts: list[dict[str, Any]] = [data] if type(data) is dict else []
    lists: list[list[Any]] = [data] if type(data) is list else []
    keys: set[str] = set()
    depth, all_dicts = 0, []
    # Level by level, each step in C (map, compress, chain): no Python code runs per value.
    while dicts or lists:
        if depth > limits.max_depth:
            return _UNCLEAN
        all_dicts.append(dicts)
        keys.update(chain.from_iterable(dicts))
        children = list(chain(chain.from_iterable(map(dict.values, dicts)),
                              chain.from_iterable(lists)))
        dicts = list(compress(children, map(isinstance, children, repeat(dict))))
        lists = list(compress(children, map(isinstance, children, repeat(list))))
        depth += 1
    if any(k != k.casefold() for k in keys) and any(
        len(set(map(str.casefold, d))) != len(d) for d in chain.from_iterable(all_dicts)
    ):
        return _UNCLEAN  # keys that differ only in case
    return data


def _safe_int(text: str) -> int:
    # 15 digits are always within 2^53; longer literals are judged by the strict path
    if len(text) > 15:
        raise _UncleanError
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _UncleanError
    return value


def _strict_json(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
    findings: list[Finding] = []
    problems: list[tuple[str, str]] = []  # (code, key)
    suspect: list[str] = []  # number literals outside the I-JSON range

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        # Fast path in C: no key repeats, even case-folded. Otherwise keep the first of
        # each and remember the problem (located later by a slower scan).
        out = dict(items)
        if len(out) == len(items) and len(set(map(str.casefold, out))) == len(out):
            return out
        out = {}
        folded: set[str] = set()
        for k, v in items:
            if k in out:
                problems.append(("load.duplicate-key", k))
                continue
            low = k.casefold()
            if low in folded:
                problems.append(("load.case-colliding-keys", k))
                continue
            folded.add(low)
            out[k] = v
        return out

    def parse_int(text: str) -> int:
        # A literal past Python's 4,300-digit conversion limit stands in as OVERSIZED_INT.
        value = int(text) if len(text) <= MAX_INT_LITERAL else (
            -OVERSIZED_INT if text.startswith("-") else OVERSIZED_INT)
        if value > MAX_SAFE_INT or value < -MAX_SAFE_INT:
            suspect.append(text)
        return value

    def parse_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            suspect.append(text)
        return value

    def bad_constant(name: str) -> Any:
        # NaN and Infinity are not JSON; like 1e999 they are reported and kept [LOAD-10].
        suspect.append(name)
        return float(name)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant,
                          parse_int=parse_int, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        findings.append(
            finding(
                "load.syntax",
                f"{file}: {exc.msg}",
                location=Location(file, exc.lineno, exc.colno, None),
            )
        )
        return None, findings
    except RecursionError:
        findings.append(
            finding(
                "load.too-deep",
                f"{file}: nesting too deep",
                location=Location(file, None, None, None),
            )
        )
        return None, findings
    except ValueError as exc:
        findings.append(
            finding(
                "load.number-range", f"{file}: {exc}", location=Location(file, None, None, None)
            )
        )
        return None, findings
    doc = Document(file, "json", data)
    doc.numbers_in_range = not suspect
    doc._locator = JsonLocator(text).locate
    if problems:
        for code, pointer, line, col in json_key_problems(text):
            key = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            msg = (
                f"{file}: duplicate key {key!r}"
                if code == "load.duplicate-key"
                else f"{file}: key {key!r} differs only in case from another key"
            )
            findings.append(finding(code, msg, location=Location(file, line, col, pointer)))
    depth_finding = _check_depth(data, limits.max_depth)
    if depth_finding is not None:
        findings.append(
            finding(
                "load.too-deep",
                f"{file}: nesting deeper than {limits.max_depth}",
                location=doc.locate(depth_finding),
            )
        )
        return None, findings
    return doc, findings


def _check_depth(data: Any, max_depth: int) -> str | None:
    """The pointer of the first container nested deeper than ``max_depth``, or None."""
    # Level by level, with no per-value tuples: a pointer is built (slowly) only when
    # something is too deep.
    level = [data] if type(data) is dict or type(data) is list else []
    depth = 0
    while level:
        if depth > max_depth:
            return _deep_pointer(data, max_depth)
        children: list[Any] = []
        extend = children.extend
        for value in level:
            extend(value.values() if type(value) is dict else value)
        level = [v for v in children if type(v) is dict or type(v) is list]
        depth += 1
    return None


def _deep_pointer(data: Any, max_depth: int) -> str | None:
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, pointer, depth = stack.pop()
        if depth > max_depth:
            return pointer
        if isinstance(value, dict):
            stack.extend(
                (v, join_pointer(pointer, k), depth + 1)
                for k, v in value.items()
                if isinstance(v, dict | list)
            )
        elif isinstance(value, list):
            stack.extend(
                (v, f"{pointer}/{i}", depth + 1)
                for i, v in enumerate(value)
                if isinstance(v, dict | list)
            )
    return None
