"""The fast path for clean YAML: libyaml's events straight to data, with no nodes.

Composing nodes (libyaml calling our resolver back for every scalar) and walking them
in Python cost about 9 s for a 100,000-artifact manifest; reading the events alone
costs about 1.7 s. This path builds the data from the events and keeps, per container,
the offset of each key or item instead of a pointer string: a
finding's location is looked up from it when asked (:class:`EventPositions`).

It handles only documents with nothing to report: the first sign of anything the
strict loader would judge (an anchor, alias, tag, merge key, complex key, repeated or
case-colliding key, a plain scalar YAML 1.1 reads differently, a second document, depth
near the bound, a number outside the I-JSON range, a syntax error) makes it give up,
and the strict loader (:mod:`rebuildable.load.yaml`) reads the text again and reports,
located as ever.
"""

from __future__ import annotations

import bisect
import math
import re
from array import array
from itertools import chain
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from rebuildable.load.document import MAX_SAFE_INT, join_pointer
from rebuildable.load.yaml_core import YAML11_SURPRISE_RE, resolve_plain

#: first characters of every plain scalar the YAML 1.2 core schema resolves to a
#: non-string, or that YAML 1.1 readers read as one; other plain scalars are strings
_MAYBE_NOT_STRING = frozenset("0123456789+-.~nNtTfFyYoO")


class _UncleanError(Exception):
    """Something the strict loader must judge."""


class EventPositions:
    """(line, column) of a key or item, from the marks kept while reading the events."""

    def __init__(self, text: str, data: Any, marks: dict[int, array[int]], root: int) -> None:
        self._text = text
        self._data = data
        self._marks = marks
        self._root = root
        self._line_starts: list[int] | None = None

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in re.finditer("\n", self._text))]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def locate(self, pointer: str) -> tuple[int, int] | None:
        if not pointer:
            return self._line_col(self._root)
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        node = self._data
        for token in tokens[:-1]:
            node = _child(node, token)
            if node is None:
                return None
        index = _index(node, tokens[-1])
        packed = self._marks.get(id(node))
        if index is None or packed is None or index >= len(packed):
            return None
        return self._line_col(packed[index])


def _child(node: Any, token: str) -> Any:
    if type(node) is dict:
        return node.get(token)
    if type(node) is list and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None


def _index(node: Any, token: str) -> int | None:
    if type(node) is dict:
        return list(node).index(token) if token in node else None
    if type(node) is list and token.isdigit() and int(token) < len(node):
        return int(token)
    return None


def _in_range(value: Any) -> bool:
    if type(value) is int:
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
    return type(value) is not float or math.isfinite(value)


def _join(pointer: str, token: str | int) -> str:
    if type(token) is str and ("~" in token or "/" in token):
        return join_pointer(pointer, token)
    return f"{pointer}/{token}"


def load_clean_yaml(
    text: str, max_depth: int
) -> tuple[Any, dict[str, str], EventPositions] | None:
    """(data, plain texts of non-string plain scalars, positions), or None when the
    strict loader must read the text."""
    from yaml._yaml import CParser  # noqa: PLC0415 - only where libyaml is built

    parser = CParser(text)
    try:
        get = parser.get_event
        if type(get()) is not StreamStartEvent:
            return None
        start = get()
        if type(start) is not DocumentStartEvent or start.version or start.tags:
            return None
        first = get()
        if type(first) is not MappingStartEvent or first.anchor or first.tag:
            return None
        plain_text: dict[str, str] = {}
        marks: dict[int, array[int]] = {}
        mappings: list[dict[str, Any]] = []
        # Anchors and tags need a '&' or a '!' somewhere: without one, the events
        # need not be asked for them.
        careful = "&" in text or "!" in text
        data = _read_mapping(get, plain_text=plain_text, marks=marks, mappings=mappings,
                             max_depth=max_depth, careful=careful)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            return None  # a second document: the strict loader says so
        if not _keys_fold_apart(mappings):
            return None
    except (_UncleanError, yaml.YAMLError):
        return None
    finally:
        parser.dispose()
    return data, plain_text, EventPositions(text, data, marks, first.start_mark.index)  # type: ignore[union-attr]


def _read_mapping(
    get: Any,
    *,
    plain_text: dict[str, str],
    marks: dict[int, array[int]],
    mappings: list[dict[str, Any]],
    max_depth: int,
    careful: bool,
) -> dict[str, Any]:
    """The root mapping and everything under it, from the events after its start."""
    root: dict[str, Any] = {}
    mappings.append(root)
    marks[id(root)] = pos = array("q")
    # One frame per open container: (container, pointer, is_dict, positions)
    stack: list[tuple[Any, str, bool, array[int]]] = []
    container: Any = root
    pointer, is_dict = "", True
    key: Any = None
    maybe, surprise, scalar = _MAYBE_NOT_STRING, YAML11_SURPRISE_RE.match, ScalarEvent
    in_range = _in_range
    while True:
        e = get()
        kind = type(e)
        if kind is scalar:
            if careful and (e.anchor is not None or e.tag is not None):
                raise _UncleanError
            value = e.value
            if is_dict and key is None:
                if value in container or (value == "<<" and e.implicit[0]):
                    raise _UncleanError
                key = value
                pos.append(e.start_mark.index)
                continue
            if e.implicit[0] and (not value or value[0] in maybe):
                resolved = resolve_plain(value)
                if type(resolved) is not str:
                    if not in_range(resolved):
                        raise _UncleanError
                    plain_text[_join(pointer, key if is_dict else len(container))] = value
                    value = resolved
                elif surprise(value):
                    raise _UncleanError
            if is_dict:
                container[key] = value
                key = None
            else:
                pos.append(e.start_mark.index)
                container.append(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if (careful and (e.anchor is not None or e.tag is not None)) or (
                is_dict and key is None
            ):
                raise _UncleanError
            if len(stack) + 2 >= max_depth:
                raise _UncleanError  # near the bound: the strict loader judges exactly
            child: Any = {} if kind is MappingStartEvent else []
            if is_dict:
                where = _join(pointer, key)
                container[key] = child
                key = None
            else:
                where = f"{pointer}/{len(container)}"
                pos.append(e.start_mark.index)
                container.append(child)
            stack.append((container, pointer, is_dict, pos))
            container, pointer, is_dict = child, where, kind is MappingStartEvent
            marks[id(child)] = pos = array("q")
            if is_dict:
                mappings.append(child)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not stack:
                return root
            container, pointer, is_dict, pos = stack.pop()
        else:
            raise _UncleanError  # an alias, or anything else the strict loader must judge


def _keys_fold_apart(mappings: list[dict[str, Any]]) -> bool:
    """No two keys of one mapping differ only in case. Checked over the distinct keys
    first: when every key is already case-folded no two can collide."""
    keys = set(chain.from_iterable(mappings))
    if all(k == k.casefold() for k in keys):
        return True
    return all(len(set(map(str.casefold, d))) == len(d) for d in mappings)
