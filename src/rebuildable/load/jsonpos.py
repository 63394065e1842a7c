"""Source positions in JSON text: pointers to (line, column), and repeated keys located."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator

from rebuildable.load.document import join_pointer, line_col_of_offset

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class JsonLocator:
    """Positions of JSON pointers, found by walking down the text.

    Each container's children (array element offsets, object key and value offsets)
    are indexed lazily: only as far as the pointers asked for so far, resuming where
    the last lookup stopped and skipping sibling values in C. So pointing at the
    ``artifacts`` key never decodes the (possibly huge) array behind it, and locating
    one pointer per item of a 100,000-item array costs one pass over that array.
    Line numbers come from counting newlines for the first few lookups, then from a
    bisect over line starts once lookups are many.
    """

    _COUNT_LOOKUPS = 32

    def __init__(self, text: str) -> None:
        self.text = text
        # container offset -> (children found so far, offset to resume at or -1 when done)
        self._arrays: dict[int, tuple[list[int], int]] = {}
        self._objects: dict[int, tuple[dict[str, tuple[int, int]], int]] = {}
        self._line_starts: list[int] | None = None
        self._lookups = 0

    def _ws(self, idx: int) -> int:
        m = _WS.match(self.text, idx)
        return m.end() if m else idx

    def _element(self, idx: int, want: int) -> int | None:
        """Offset of element ``want`` of the array whose '[' is at ``idx``."""
        text = self.text
        elements, i = self._arrays.get(idx, ([], self._ws(idx + 1)))
        while len(elements) <= want and i >= 0:
            if text[i] == "]":
                i = -1
                break
            elements.append(i)
            _, i = _DECODER.raw_decode(text, i)
            i = self._ws(i)
            if text[i] == ",":
                i = self._ws(i + 1)
        self._arrays[idx] = (elements, i)
        return elements[want] if want < len(elements) else None

    def _member(self, idx: int, key: str) -> tuple[int, int] | None:
        """(offset of the key, offset of its value) in the object whose '{' is at ``idx``;
        the first occurrence of the key."""
        text = self.text
        members, i = self._objects.get(idx, ({}, self._ws(idx + 1)))
        while key not in members and i >= 0:
            if text[i] == "}":
                i = -1
                break
            key_at = i
            name, i = _DECODER.raw_decode(text, i)
            i = self._ws(self._ws(i) + 1)  # ':'
            members.setdefault(name, (key_at, i))
            if name == key:
                # Stop before decoding the value: resume here next time.
                self._objects[idx] = (members, -2 - i)
                return members[key]
            i = self._skip_value(i)
        self._objects[idx] = (members, i)
        return members.get(key)

    def _skip_value(self, i: int) -> int:
        text = self.text
        _, i = _DECODER.raw_decode(text, i)
        i = self._ws(i)
        if text[i] == ",":
            i = self._ws(i + 1)
        return i

    def _resume(self, idx: int) -> None:
        # A lookup that stopped at a key left "value still to skip" encoded as -2 - offset.
        members, i = self._objects.get(idx, ({}, 0))
        if i <= -2:
            self._objects[idx] = (members, self._skip_value(-2 - i))

    def _line_col(self, offset: int) -> tuple[int, int]:
        self._lookups += 1
        if self._line_starts is None and self._lookups <= self._COUNT_LOOKUPS:
            return line_col_of_offset(self.text, offset)
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def locate(self, pointer: str) -> tuple[int, int] | None:
        text = self.text
        idx = self._ws(0)
        key_at = idx
        if pointer:
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
            try:
                for token in tokens:
                    if text[idx] == "{":
                        self._resume(idx)
                        member = self._member(idx, token)
                        if member is None:
                            return None
                        key_at, idx = member
                    elif text[idx] == "[" and token.isdigit():
                        element = self._element(idx, int(token))
                        if element is None:
                            return None
                        key_at = idx = element
                    else:
                        return None
            except (ValueError, IndexError):
                return None
        return self._line_col(key_at)


def json_key_problems(text: str) -> Iterator[tuple[str, str, int, int]]:
    """Pure-Python scan for duplicate and case-colliding keys; only runs when some exist."""
    idx = 0

    def ws(i: int) -> int:
        m = _WS.match(text, i)
        return m.end() if m else i

    def value(i: int, pointer: str) -> Iterator[tuple[str, str, int, int]]:
        nonlocal idx
        i = ws(i)
        ch = text[i]
        if ch == "{":
            i = ws(i + 1)
            seen: set[str] = set()
            folded: set[str] = set()
            while text[i] != "}":
                key_at = i
                key, i = _DECODER.raw_decode(text, i)
                child = join_pointer(pointer, key)
                i = ws(ws(i) + 1)
                if key in seen:
                    yield ("load.duplicate-key", child, *line_col_of_offset(text, key_at))
                elif key.casefold() in folded:
                    yield ("load.case-colliding-keys", child, *line_col_of_offset(text, key_at))
                seen.add(key)
                folded.add(key.casefold())
                yield from value(i, child)
                i = ws(idx)
                if text[i] == ",":
                    i = ws(i + 1)
            idx = i + 1
        elif ch == "[":
            i = ws(i + 1)
            n = 0
            while text[i] != "]":
                yield from value(i, f"{pointer}/{n}")
                n += 1
                i = ws(idx)
                if text[i] == ",":
                    i = ws(i + 1)
            idx = i + 1
        else:
            _, idx = _DECODER.raw_decode(text, i)

    yield from value(0, "")
