"""Judging SPDX licence expressions: open, not open or unknown, for code or for content.

A licence expression is judged under a :class:`LicencePolicy` (what counts as open for that kind
of artifact): code must be under an OSI-approved or FSF free licence; data, weights,
images and documents may also be under an open data or content licence (CC-BY, CC0,
ODbL, CDLA...). Licences that forbid commercial use, modified versions or fields of use
(RAIL, "community" model licences) are not open, whatever they call themselves, and so
is any ``LicenseRef-`` that this module does not know. ``OR`` takes the most open option,
``AND`` the least open part, ``L WITH E`` is ``L`` when ``E`` is on the SPDX exception
list and at best unknown otherwise.

The data behind it is ``data/licenses.json`` (the SPDX License List's OSI and FSF flags
plus the curated tables of ``scripts/gen_license_data.py``) and the ScanCode licence
categories that ``license_expression`` ships.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from license_expression import Licensing

__all__ = [
    "CODE_KINDS",
    "CODE_POLICY",
    "CONTENT_POLICY",
    "Judgement",
    "LicencePolicy",
    "OpennessStatus",
    "classify",
    "classify_id",
    "license_data",
    "policy_for_kind",
]


class OpennessStatus(enum.StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"  # nothing says it is open (undocumented LicenseRef, no licence...)
    NOT_OPEN = "not-open"  # known not to be open (non-commercial, no-derivatives, RAIL...)

    @property
    def rank(self) -> int:
        return {"open": 2, "unknown": 1, "not-open": 0}[self.value]


@dataclass(frozen=True)
class LicencePolicy:
    """What counts as open for one kind of artifact: the accepted bases."""

    name: str
    accepts: frozenset[str]
    wants: str  # for messages: "an OSI-approved or FSF free software licence"


#: bases a licence can have: "osi" (OSI-approved), "fsf" (FSF free/libre), "open-content"
#: (the curated open data/content table) and "scancode-open" (a LicenseRef-scancode-... key
#: that ScanCode files as permissive, copyleft or public domain)
CODE_POLICY = LicencePolicy("code", frozenset({"osi", "fsf"}),
                            "an OSI-approved or FSF free software licence")
CONTENT_POLICY = LicencePolicy("content",
                               frozenset({"osi", "fsf", "open-content", "scancode-open"}),
                               "an open source, open data or open content licence")

CODE_KINDS = frozenset({"source-code", "build-script", "training-code", "evaluation-code",
                        "data-processing-code", "inference-code", "model-architecture"})


def policy_for_kind(kind: str | None) -> LicencePolicy:
    return CODE_POLICY if kind in CODE_KINDS else CONTENT_POLICY


@dataclass(frozen=True)
class Judgement:
    status: OpennessStatus
    reasons: tuple[str, ...] = ()
    bases: frozenset[str] = frozenset()
    family: str | None = None

    @property
    def open(self) -> bool:
        return self.status is OpennessStatus.OPEN

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status.value, "reasons": list(self.reasons)}
        if self.bases:
            out["bases"] = sorted(self.bases)
        if self.family:
            out["family"] = self.family
        return out


# -- licence data ---------------------------------------------------------------------

_OPEN_SCANCODE = frozenset({"Permissive", "Copyleft", "Copyleft Limited", "Public Domain"})


@dataclass(frozen=True)
class LicenseData:
    version: str
    licenses: dict[str, dict[str, Any]]  # lower-case id -> entry (with "id")
    open_exact: frozenset[str]  # lower-case ids
    open_prefixes: tuple[str, ...]  # lower-case prefixes
    families: tuple[dict[str, Any], ...]
    #: lower-case ids of the SPDX exception list: each only adds permissions
    exceptions: frozenset[str] = frozenset()

    @cached_property
    def scancode(self) -> dict[str, str]:
        """Lower-case LicenseRef-scancode-... / SPDX id -> ScanCode category. Read on first
        use: the index is ~1 MB of JSON, and an id with an open basis never needs it."""
        return _scancode_index()


@cache
def license_data() -> LicenseData:
    raw = json.loads(resources.files("rebuildable").joinpath("data/licenses.json")
                     .read_text(encoding="utf-8"))
    licenses = {k.lower(): {"id": k, **v} for k, v in raw["licenses"].items()}
    exact = frozenset(x.lower() for x in raw["open_content"] if not x.endswith("*"))
    prefixes = tuple(x[:-1].lower() for x in raw["open_content"] if x.endswith("*"))
    return LicenseData(raw["spdx_license_list_version"], licenses, exact, prefixes,
                       tuple(raw["not_open_families"]),
                       frozenset(k.lower() for k in raw["exceptions"]))


def _scancode_index() -> dict[str, str]:
    scancode: dict[str, str] = {}
    try:
        index = json.loads(resources.files("license_expression")
                           .joinpath("data/scancode-licensedb-index.json")
                           .read_text(encoding="utf-8"))
    except (OSError, ValueError):  # pragma: no cover - packaging problem: degrade, don't fail
        index = []
    for item in index:
        key = item.get("spdx_license_key")
        if isinstance(key, str) and isinstance(item.get("category"), str):
            scancode[key.lower()] = item["category"]
    return scancode


def _family(ident: str, data: LicenseData) -> dict[str, Any] | None:
    name = ident.lower()
    name = re.sub(r"^licenseref-", "", name)
    name = re.sub(r"^scancode-", "", name)
    tokens = set(re.split(r"[-_.\s]+", name))
    for fam in data.families:
        if name in (x.lower() for x in fam.get("exact", ())):
            return fam
        if ident.lower() in (x.lower() for x in fam.get("exact", ())):
            return fam
        if tokens & {x.lower() for x in fam.get("token", ())}:
            return fam
        if any(x.lower() in name for x in fam.get("contains", ())):
            return fam
    return None


def classify_id(ident: str, policy: LicencePolicy = CONTENT_POLICY) -> Judgement:
    """Judge one licence identifier under ``policy``."""
    data = license_data()
    upper = ident.upper()
    if upper == "NONE":
        return Judgement(OpennessStatus.NOT_OPEN, ("NONE: no licence is granted",))
    if upper == "NOASSERTION":
        return Judgement(OpennessStatus.UNKNOWN, ("NOASSERTION: the licence is not stated",))
    key = ident[:-1] if ident.endswith("+") else ident
    fam = _family(key, data)
    if fam is not None:
        return Judgement(OpennessStatus.NOT_OPEN, (f"{ident} {fam['why']}",),
                         family=str(fam["family"]))
    entry = data.licenses.get(key.lower())
    if entry is not None:
        lid = entry["id"]
        found: set[str] = set()
        if entry.get("osi"):
            found.add("osi")
        if entry.get("fsf"):
            found.add("fsf")
        low = lid.lower()
        if low in data.open_exact or low.startswith(data.open_prefixes):
            found.add("open-content")
        frozen = frozenset(found)
        if frozen & policy.accepts:
            return Judgement(OpennessStatus.OPEN, (f"{lid} is {_describe(frozen)}",), frozen)
        if frozen:
            return Judgement(OpennessStatus.NOT_OPEN,
                             (f"{lid} is {_describe(frozen)}, but code needs {policy.wants}",),
                             frozen, family="content-licence-for-code")
        category = data.scancode.get(low)
        if category in _OPEN_SCANCODE:
            return Judgement(OpennessStatus.UNKNOWN, (
                f"{lid} is on the SPDX list but neither OSI-approved, FSF libre nor a listed "
                f"open data licence (ScanCode files it as {category})",))
        why = f" (ScanCode files it as {category})" if category else ""
        return Judgement(OpennessStatus.NOT_OPEN, (
            f"{lid} is neither OSI-approved, FSF libre nor an open data licence{why}",),
            family=(category or "other").lower())
    if key.lower().startswith("licenseref-"):
        category = data.scancode.get(key.lower())
        if category in _OPEN_SCANCODE:
            bases = frozenset({"scancode-open"})
            if bases & policy.accepts:
                return Judgement(OpennessStatus.OPEN,
                                 (f"{ident} is {category.lower()} (ScanCode)",), bases)
            return Judgement(OpennessStatus.UNKNOWN, (
                f"{ident} is {category.lower()} per ScanCode, but code needs {policy.wants}",),
                bases)
        if category is not None:
            return Judgement(OpennessStatus.NOT_OPEN,
                             (f"{ident} is filed by ScanCode as {category}",),
                             family=category.lower())
        return Judgement(OpennessStatus.UNKNOWN, (
            f"{ident} is a licence reference this validator cannot judge; "
            "it does not count as open",))
    return Judgement(OpennessStatus.UNKNOWN, (f"{ident} is not on the SPDX licence list",))


def _describe(bases: frozenset[str]) -> str:
    parts = []
    if "osi" in bases:
        parts.append("OSI-approved")
    if "fsf" in bases:
        parts.append("FSF free")
    if "open-content" in bases:
        parts.append("an open data/content licence")
    if "scancode-open" in bases:
        parts.append("open per ScanCode")
    return " and ".join(parts)


#: one SPDX id and nothing else: what the expression parser would return as one symbol
_PLAIN_ID = re.compile(r"[A-Za-z0-9.\-]+\Z")


@cache
def _licensing() -> Licensing:
    # the parser (and the logging it imports) only for an expression more than one id
    from license_expression import Licensing  # noqa: PLC0415

    return Licensing()


def classify(expression: str | None, policy: LicencePolicy = CONTENT_POLICY) -> Judgement:
    """Judge an SPDX licence expression: ``OR`` is the most open option, ``AND`` the
    least open part, ``WITH`` the licence's own judgement when the exception is a listed
    SPDX exception (those add permissions), at best unknown when it is not."""
    if expression is None or not expression.strip():
        return Judgement(OpennessStatus.UNKNOWN, ("no licence is declared",))
    return _classify_expression(expression, policy)


@lru_cache(maxsize=4096)
def _classify_expression(expression: str, policy: LicencePolicy) -> Judgement:
    # Cached: a release repeats a few licence expressions over many artifacts (100,000
    # dataset shards under one licence), and parsing one costs ~0.2 ms.
    if _PLAIN_ID.match(expression) and expression.upper() not in ("AND", "OR", "WITH"):
        return classify_id(expression, policy)  # what the parser's one symbol would give
    from license_expression import ExpressionError  # noqa: PLC0415 - see _licensing

    try:
        parsed = _licensing().parse(expression, validate=False, strict=False)
    except ExpressionError as exc:
        return Judgement(OpennessStatus.UNKNOWN,
                         (f"{expression!r} is not a valid SPDX expression: {exc}",))
    if parsed is None:
        return Judgement(OpennessStatus.UNKNOWN, ("no licence is declared",))
    return _judge(parsed, policy)


def _judge(node: Any, policy: LicencePolicy) -> Judgement:
    from license_expression import (  # noqa: PLC0415 - see _licensing
        AND,
        OR,
        LicenseSymbol,
        LicenseWithExceptionSymbol,
    )

    if isinstance(node, LicenseWithExceptionSymbol):
        judged = _judge(node.license_symbol, policy)
        addition = str(node.exception_symbol.key)
        if addition.lower() in license_data().exceptions:
            return judged
        # An AdditionRef- (or an id on no list) is text nobody has vetted: it may take
        # permissions away ("WITH AdditionRef-NonCommercial"), so it cannot be open.
        unknown = Judgement(OpennessStatus.UNKNOWN, (
            f"{addition} is not on the SPDX exception list; what it adds to or takes "
            "from the licence cannot be judged",))
        return _combine([judged, unknown], conjunction=True)
    if isinstance(node, LicenseSymbol):
        return classify_id(str(node.key), policy)
    if isinstance(node, AND | OR):
        parts = [_judge(a, policy) for a in node.args]
        return _combine(parts, isinstance(node, AND))
    return Judgement(OpennessStatus.UNKNOWN, (f"cannot judge {node!r}",))  # pragma: no cover


def _combine(parts: list[Judgement], conjunction: bool) -> Judgement:
    pick = min if conjunction else max
    status = pick((p.status for p in parts), key=lambda s: s.rank)
    chosen = [p for p in parts if p.status is status]
    if not conjunction and status is OpennessStatus.OPEN:
        chosen = chosen[:1]  # one open option is enough
    reasons = tuple(dict.fromkeys(r for p in chosen for r in p.reasons))
    if not conjunction and status is not OpennessStatus.OPEN:
        reasons = tuple(dict.fromkeys(r for p in parts for r in p.reasons))
    bases = (frozenset().union(*(p.bases for p in chosen)) if status is OpennessStatus.OPEN
             else frozenset())
    family = next((p.family for p in chosen if p.family), None)
    return Judgement(status, reasons, bases, family)
