"""Strict loading of manifests (YAML and JSON) with source positions.

What this module guarantees to the rest of the engine:

* one meaning per document: duplicate keys, keys that differ only in case,
  anchors/aliases, merge keys and explicit or custom tags are refused;
* YAML plain scalars are read by the YAML 1.2 core schema, and the text the author
  wrote is kept so that fields the schema wants as strings keep that exact text
  (``version: 1.10`` stays ``"1.10"``); see :func:`coerce_to_schema`;
* bounded size and depth, strict UTF-8, no NUL, a BOM is dropped with a warning;
* every problem is a :class:`~rebuildable.findings.Finding` with line and column;
  loading never raises for bad input.
"""

from __future__ import annotations

import bisect
import gc
import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from rebuildable.findings import Finding, Location, finding

try:  # libyaml's parser is ~10x faster; fall back quietly where pyyaml was built without it
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the platform's pyyaml build
    HAVE_LIBYAML = False

MAX_SAFE_INT = 2**53 - 1
_PLAIN_TAG = "tag:rebuildable.dev,2026:plain"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
_NULL_RE = re.compile(r"(?:null|Null|NULL|~|)\Z")
_BOOL_RE = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(?:nan|NaN|NAN)\Z")
# Plain scalars that YAML 1.1 readers (PyYAML's default, many others) read as non-strings.
_YAML11_SURPRISE_RE = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)\Z"
)


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 128 * 1024 * 1024
    max_depth: int = 64


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, token: str | int) -> str:
    return f"{parent}/{escape_pointer_token(token)}"


@dataclass
class Document:
    """A loaded manifest: JSON-compatible data plus the means to locate any pointer in it."""

    file: str
    format: str  # "yaml" or "json"
    data: Any
    # YAML: pointer -> (line, column), 1-based, for every key/item; JSON: filled lazily.
    _positions: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    # YAML plain scalars that resolved to a non-string: pointer -> the text as written.
    plain_text: dict[str, str] = field(default_factory=dict, repr=False)
    _locator: Callable[[str], tuple[int, int] | None] | None = field(default=None, repr=False)
    #: JSON: the parser saw no number outside the I-JSON range, so no scan is needed
    numbers_in_range: bool = False

    def position(self, pointer: str) -> tuple[int, int] | None:
        """The (line, column) of the value at ``pointer``, or of its nearest located parent."""
        probe = pointer
        while True:
            pos = self._positions.get(probe)
            if pos is None and self._locator is not None:
                pos = self._locator(probe)
            if pos is not None:
                return pos
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]

    def locate(self, pointer: str) -> Location:
        pos = self.position(pointer)
        if pos is None:
            return Location(self.file, None, None, pointer)
        return Location(self.file, pos[0], pos[1], pointer)


@dataclass
class LoadResult:
    document: Document | None
    findings: list[Finding]


@contextmanager
def gc_paused() -> Iterator[None]:
    # Building millions of small objects triggers the cyclic GC over and over; none of
    # them are cyclic, so pausing it roughly triples the speed of big manifests.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _line_col_of_offset(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def decode(raw: bytes, file: str, limits: Limits) -> tuple[str | None, list[Finding]]:
    """Bytes to text: bounded, strict UTF-8, no NUL; a UTF-8 BOM is dropped with a warning."""
    out: list[Finding] = []
    if len(raw) > limits.max_bytes:
        out.append(
            finding(
                "load.too-large",
                f"{file} is {len(raw)} bytes; the limit is {limits.max_bytes}",
                location=Location(file, None, None, ""),
            )
        )
        return None, out
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        out.append(
            finding(
                "load.encoding",
                f"{file} is UTF-16 or UTF-32; manifests are UTF-8",
                location=Location(file, 1, 1, ""),
            )
        )
        return None, out
    if raw.startswith(b"\xef\xbb\xbf"):
        out.append(
            finding(
                "load.bom",
                f"{file} starts with a UTF-8 byte order mark",
                location=Location(file, 1, 1, ""),
            )
        )
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        out.append(
            finding(
                "load.encoding",
                f"{file}: invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start}",
                location=Location(file, line, col, None),
            )
        )
        return None, out
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _line_col_of_offset(text, nul)
        out.append(
            finding(
                "load.encoding",
                f"{file}: NUL character at line {line}",
                location=Location(file, line, col, None),
            )
        )
        return None, out
    return text, out


def load_manifest(raw: bytes, file: str, *, limits: Limits | None = None) -> LoadResult:
    """Load manifest bytes; the format follows the file name (``.json`` or YAML)."""
    limits = limits or Limits()
    text, findings = decode(raw, file, limits)
    if text is None:
        return LoadResult(None, findings)
    loader = _load_json if file.lower().endswith(".json") else _load_yaml
    with gc_paused():
        doc, more = loader(text, file, limits)
    findings.extend(more)
    if doc is not None and "\\u" in text.lower():  # surrogates come only from escapes
        findings.extend(_surrogate_findings(doc))
    if doc is not None and not isinstance(doc.data, dict):
        findings.append(
            finding(
                "load.not-a-mapping",
                f"{file}: the top level must be a mapping, not {_kind(doc.data)}",
                location=doc.locate(""),
            )
        )
        return LoadResult(None, findings)
    return LoadResult(doc, findings)


def _surrogate_findings(doc: Document) -> Iterator[Finding]:
    """A lone surrogate escape (``"\\ud800"``) gives a string that is no Unicode text:
    other readers refuse it or read U+FFFD, and as a path it would match a file name
    that is not UTF-8. Each such key or value is an error at its place."""
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                where = join_pointer(pointer, k)
                if _SURROGATE.search(k):
                    yield _surrogate_finding(doc, k, where)
                stack.append((v, where))
        elif isinstance(value, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))
        elif isinstance(value, str) and _SURROGATE.search(value):
            yield _surrogate_finding(doc, value, pointer)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_finding(doc: Document, text: str, pointer: str) -> Finding:
    found = _SURROGATE.search(text)
    code = f"\\u{ord(found.group()):04x}" if found else "a surrogate"
    return finding("load.encoding",
                   f"{doc.file}: {pointer or '/'} holds a lone surrogate ({code}), which is "
                   "not a Unicode character", location=doc.locate(pointer))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "a mapping",
        list: "a sequence",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- YAML


class _StrictResolver(BaseResolver):
    """Tags every untagged plain scalar as 'plain' so we resolve it ourselves (YAML 1.2)."""


_StrictResolver.add_implicit_resolver(_PLAIN_TAG, re.compile(r".*", re.DOTALL), None)
_StrictResolver.add_implicit_resolver(_PLAIN_TAG, re.compile(r"\Z"), [""])


class _PurePythonComposer(Reader, Scanner, Parser, Composer, _StrictResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _StrictResolver.__init__(self)


def _composer(text: str) -> Any:
    """A composer for ``text``: libyaml's when present (it calls our resolver back)."""
    if HAVE_LIBYAML:

        class _CComposer(CParser, _StrictResolver):
            pass

        return _CComposer(text)
    return _PurePythonComposer(text)  # pragma: no cover - platform dependent


def _resolve_plain(text: str) -> Any:
    if _NULL_RE.match(text):
        return None
    if _BOOL_RE.match(text):
        return text[0] in "tT"
    if _INT_RE.match(text):
        return int(text)
    if _OCT_RE.match(text):
        return int(text[2:], 8)
    if _HEX_RE.match(text):
        return int(text[2:], 16)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text


def _mark_pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _load_yaml(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
    findings: list[Finding] = []
    loader = _composer(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or str(exc)
        code = "load.syntax"
        if "expected a single document" in (exc.context or ""):
            code = "load.multiple-documents"
            problem = "the stream holds more than one YAML document"
        elif "maximum nesting depth" in problem:
            code = "load.too-deep"
        elif "found undefined alias" in (exc.context or "") or "found duplicate anchor" in (
            exc.context or ""
        ):
            code = "load.alias"
        findings.append(
            finding(code, f"{file}: {problem}", location=Location(file, line, col, None))
        )
        return None, findings
    except yaml.YAMLError as exc:
        findings.append(
            finding("load.syntax", f"{file}: {exc}", location=Location(file, None, None, None))
        )
        return None, findings
    finally:
        loader.dispose()
    if root is None:
        doc = Document(file, "yaml", None)
        doc._positions[""] = (1, 1)
        return doc, findings
    doc = Document(file, "yaml", None)
    walker = _YamlWalker(doc, findings, limits)
    doc.data = walker.walk(root, "", 0)
    doc._positions.setdefault("", _mark_pos(root))
    return doc, findings


class _YamlWalker:
    def __init__(self, doc: Document, findings: list[Finding], limits: Limits) -> None:
        self.doc = doc
        self.findings = findings
        self.limits = limits
        self.seen: set[int] = set()
        self.file = doc.file

    def _loc(self, node: yaml.Node, pointer: str) -> Location:
        line, col = _mark_pos(node)
        return Location(self.file, line, col, pointer)

    def walk(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        # The composer hands back the very same node object for every alias of an anchor.
        ident = id(node)
        if ident in self.seen:
            self.findings.append(
                finding(
                    "load.alias",
                    f"{self.file}: alias to an anchored node",
                    location=self.doc.locate(pointer),
                )
            )
            return None
        if depth > self.limits.max_depth:
            self.findings.append(
                finding(
                    "load.too-deep",
                    f"{self.file}: nesting deeper than {self.limits.max_depth}",
                    location=self._loc(node, pointer),
                )
            )
            return None
        self.seen.add(ident)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self._bad_tag(node, pointer)
                return None
            items = []
            positions = self.doc._positions
            for i, child in enumerate(node.value):
                p = f"{pointer}/{i}"
                positions[p] = _mark_pos(child)
                items.append(self.walk(child, p, depth + 1))
            return items
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self._bad_tag(node, pointer)
                return None
            return self._mapping(node, pointer, depth)
        return None  # pragma: no cover - the composer makes no other node types

    def _bad_tag(self, node: yaml.Node, pointer: str) -> None:
        self.findings.append(
            finding(
                "load.tag",
                f"{self.file}: tag {node.tag!r} is not allowed",
                location=self._loc(node, pointer),
            )
        )

    def _scalar(self, node: yaml.ScalarNode, pointer: str) -> Any:
        if node.tag == _STR_TAG:
            return node.value
        if node.tag != _PLAIN_TAG:
            self._bad_tag(node, pointer)
            return None
        text: str = node.value
        value = _resolve_plain(text)
        if not isinstance(value, str):
            self.doc.plain_text[pointer] = text
        elif _YAML11_SURPRISE_RE.match(text):
            self.findings.append(
                finding(
                    "load.unquoted-string",
                    f"{self.file}: {text!r} is a string here, "
                    "but YAML 1.1 readers read it as another type",
                    location=self._loc(node, pointer),
                )
            )
        return value

    def _mapping(self, node: yaml.MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        folded: dict[str, str] = {}
        positions = self.doc._positions
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.findings.append(
                    finding(
                        "load.syntax",
                        f"{self.file}: mapping keys must be strings",
                        location=self._loc(key_node, pointer),
                    )
                )
                continue
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                key_node.tag == _PLAIN_TAG and key_node.value == "<<"
            ):
                self.findings.append(
                    finding(
                        "load.alias",
                        f"{self.file}: merge keys ('<<') are not allowed",
                        location=self._loc(key_node, pointer),
                    )
                )
                continue
            if key_node.tag not in (_PLAIN_TAG, _STR_TAG):
                self._bad_tag(key_node, pointer)
                continue
            key: str = key_node.value
            child = join_pointer(pointer, key)
            if key in out:
                first = positions.get(child)
                where = f" (first at line {first[0]})" if first else ""
                self.findings.append(
                    finding(
                        "load.duplicate-key",
                        f"{self.file}: duplicate key {key!r}{where}",
                        location=self._loc(key_node, child),
                    )
                )
                continue
            low = key.casefold()
            if low in folded:
                self.findings.append(
                    finding(
                        "load.case-colliding-keys",
                        f"{self.file}: key {key!r} differs only in case from {folded[low]!r}",
                        location=self._loc(key_node, child),
                    )
                )
                continue
            folded[low] = key
            positions[child] = _mark_pos(key_node)
            out[key] = self.walk(value_node, child, depth + 1)
        return out


# --------------------------------------------------------------------------- JSON


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


def _load_json(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
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
        value = int(text)
        if value > MAX_SAFE_INT or value < -MAX_SAFE_INT:
            suspect.append(text)
        return value

    def parse_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            suspect.append(text)
        return value

    def bad_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

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
    doc._locator = _JsonLocator(text).locate
    if problems:
        for code, pointer, line, col in _json_key_problems(text):
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


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _JsonLocator:
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
            return _line_col_of_offset(self.text, offset)
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


def _json_key_problems(text: str) -> Iterator[tuple[str, str, int, int]]:
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
                    yield ("load.duplicate-key", child, *_line_col_of_offset(text, key_at))
                elif key.casefold() in folded:
                    yield ("load.case-colliding-keys", child, *_line_col_of_offset(text, key_at))
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


# ------------------------------------------------------------------- schema coercion


def coerce_to_schema(doc: Document, wants_string: Callable[[str], bool]) -> list[Finding]:
    """Replace YAML plain non-string scalars by their text where the schema wants a string.

    ``wants_string(pointer)`` answers from the schema. Values that stay numbers are then
    checked against the I-JSON range.
    """
    findings: list[Finding] = []
    for pointer, text in doc.plain_text.items():
        if wants_string(pointer):
            _set(doc.data, pointer, text)
            findings.append(
                finding(
                    "load.unquoted-string",
                    f"{doc.file}: {text!r} is kept as the string {text!r}; unquoted, "
                    "other YAML readers may read it as a number, boolean or null",
                    location=doc.locate(pointer),
                )
            )
    findings.extend(_range_findings(doc))
    return findings


def _set(data: Any, pointer: str, value: Any) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    target = data
    for token in tokens[:-1]:
        target = target[int(token)] if isinstance(target, list) else target[token]
    last = tokens[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _out_of_range(value: Any) -> bool:
    if type(value) is int:
        return value > MAX_SAFE_INT or value < -MAX_SAFE_INT
    return type(value) is float and not math.isfinite(value)


def _has_out_of_range_number(data: Any) -> bool:
    """A pointer-free scan for integers beyond 2^53 and non-finite floats (fast path)."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is int:
            if value > MAX_SAFE_INT or value < -MAX_SAFE_INT:
                return True
        elif kind is float and not math.isfinite(value):
            return True
    return False


def _range_findings(doc: Document) -> Iterator[Finding]:
    if doc.numbers_in_range:
        return
    if doc.format == "yaml" and not any(
        _out_of_range(_resolve_plain(text)) for text in doc.plain_text.values()
    ):
        return  # every YAML number came from a plain scalar, and none is out of range
    if not _has_out_of_range_number(doc.data):
        return
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, join_pointer(pointer, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > MAX_SAFE_INT:
            yield finding(
                "load.number-range",
                f"{doc.file}: integer {value} is beyond 2^53 and not exact in JSON",
                location=doc.locate(pointer),
            )
        elif isinstance(value, float) and not math.isfinite(value):
            yield finding(
                "load.number-range",
                f"{doc.file}: {value} is not a JSON number",
                location=doc.locate(pointer),
            )
