"""YAML, read strictly: the YAML 1.2 core schema, no aliases, tags or merge keys, and
the text of every plain scalar kept (see :func:`rebuildable.load.coerce.coerce_to_schema`)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from rebuildable.findings import Finding, Location, finding
from rebuildable.load.document import Document, Limits, join_pointer
from rebuildable.load.yaml_core import YAML11_SURPRISE_RE, resolve_plain
from rebuildable.load.yaml_events import load_clean_yaml

try:  # libyaml's parser is ~10x faster; fall back quietly where pyyaml was built without it
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the platform's pyyaml build
    HAVE_LIBYAML = False


_PLAIN_TAG = "tag:rebuildable.dev,2026:plain"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"

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


def _mark_pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_yaml(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
    clean = load_clean_yaml(text, limits.max_depth) if HAVE_LIBYAML else None
    if clean is not None:
        doc = Document(file, "yaml", clean[0], plain_text=clean[1], numbers_in_range=True)
        doc._locator = clean[2].locate
        return doc, []
    return _strict_yaml(text, file, limits)


def _strict_yaml(text: str, file: str, limits: Limits) -> tuple[Document | None, list[Finding]]:
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
    if any(f.code == "load.too-deep" for f in findings):
        return None, findings  # refused, as in JSON [LOAD-9]
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
        value = resolve_plain(text)
        if not isinstance(value, str):
            self.doc.plain_text[pointer] = text
        elif YAML11_SURPRISE_RE.match(text):
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
