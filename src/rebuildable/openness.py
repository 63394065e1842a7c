"""Openness: is each artifact under an open licence, and is the release open source?

A licence expression is judged under a :class:`LicencePolicy` (what counts as open for that kind
of artifact): code must be under an OSI-approved or FSF free licence; data, weights,
images and documents may also be under an open data or content licence (CC-BY, CC0,
ODbL, CDLA...). Licences that forbid commercial use, modified versions or fields of use
(RAIL, "community" model licences) are not open, whatever they call themselves, and so
is any ``LicenseRef-`` that this module does not know. ``OR`` takes the most open option,
``AND`` the least open part.

The data behind it is ``data/licenses.json`` (the SPDX License List's OSI and FSF flags
plus the curated tables of ``scripts/gen_license_data.py``) and the ScanCode licence
categories that ``license_expression`` ships.

Openness is inherited: an output is no more open than what it is built from, and a
release is no more open than the upstream artifacts its steps consume.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
)

from rebuildable.graph import StepGraph, needs
from rebuildable.model import Artifact, Manifest, split_ref

__all__ = [
    "CODE_KINDS",
    "CODE_POLICY",
    "CONTENT_POLICY",
    "ArtifactOpenness",
    "Judgement",
    "LicencePolicy",
    "OpennessStatus",
    "assess_artifacts",
    "classify",
    "license_data",
    "mof_assessment",
    "osaid_assessment",
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
    scancode: dict[str, str]  # lower-case LicenseRef-scancode-... / SPDX id -> category


@cache
def license_data() -> LicenseData:
    raw = json.loads(resources.files("rebuildable").joinpath("data/licenses.json")
                     .read_text(encoding="utf-8"))
    licenses = {k.lower(): {"id": k, **v} for k, v in raw["licenses"].items()}
    exact = frozenset(x.lower() for x in raw["open_content"] if not x.endswith("*"))
    prefixes = tuple(x[:-1].lower() for x in raw["open_content"] if x.endswith("*"))
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
    return LicenseData(raw["spdx_license_list_version"], licenses, exact, prefixes,
                       tuple(raw["not_open_families"]), scancode)


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


_LICENSING = Licensing()


def classify(expression: str | None, policy: LicencePolicy = CONTENT_POLICY) -> Judgement:
    """Judge an SPDX licence expression: ``OR`` is the most open option, ``AND`` the
    least open part, ``WITH`` the licence's own judgement (exceptions add permissions)."""
    if expression is None or not expression.strip():
        return Judgement(OpennessStatus.UNKNOWN, ("no licence is declared",))
    return _classify_expression(expression, policy)


@lru_cache(maxsize=4096)
def _classify_expression(expression: str, policy: LicencePolicy) -> Judgement:
    # Cached: a release repeats a few licence expressions over many artifacts (100,000
    # dataset shards under one licence), and parsing one costs ~0.2 ms.
    try:
        parsed = _LICENSING.parse(expression, validate=False, strict=False)
    except ExpressionError as exc:
        return Judgement(OpennessStatus.UNKNOWN,
                         (f"{expression!r} is not a valid SPDX expression: {exc}",))
    if parsed is None:
        return Judgement(OpennessStatus.UNKNOWN, ("no licence is declared",))
    return _judge(parsed, policy)


def _judge(node: Any, policy: LicencePolicy) -> Judgement:
    if isinstance(node, LicenseWithExceptionSymbol):
        return _judge(node.license_symbol, policy)
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


# -- artifacts and the release ----------------------------------------------------------


@dataclass(slots=True)
class ArtifactOpenness:
    """One artifact's licence judgement, and what it inherits from what it is made of."""

    ref: str  # "weights" or "base:weights"
    name: str  # path or uri
    kind: str | None
    license: str | None
    own: Judgement
    effective: OpennessStatus = OpennessStatus.OPEN
    #: refs of ancestors (inputs of the steps that made it) that are not open
    because: list[str] = field(default_factory=list)
    upstream: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "license": self.license,
                               **_judgement_dict(self.own), "effective": self.effective.value}
        if self.because:
            out["because"] = list(self.because)
        if self.upstream:
            out["upstream"] = self.upstream
        return out


@lru_cache(maxsize=4096)
def _judgement_dict(judgement: Judgement) -> dict[str, Any]:
    # Shared by every artifact under the same licence; callers copy it (``**``).
    return judgement.to_dict()


def _judge_artifact(ref: str, artifact: Artifact, manifest: Manifest,
                    upstream: str | None = None) -> ArtifactOpenness:
    lic = manifest.license_of(artifact)
    return ArtifactOpenness(ref, artifact.name, artifact.kind, lic,
                            classify(lic, policy_for_kind(artifact.kind)), upstream=upstream)


def assess_artifacts(manifest: Manifest, upstream_artifacts: Mapping[str, ArtifactOpenness | None],
                     ) -> dict[str, ArtifactOpenness]:
    """Judge every artifact of ``manifest`` and every upstream artifact its steps consume.

    ``upstream_artifacts`` maps each consumed ``UP:ART`` reference to that artifact's
    judgement as its own release computed it (``effective`` included), or None when the
    upstream could not be checked.
    """
    out: dict[str, ArtifactOpenness] = {}
    index = manifest.artifact_index()
    for ident, art in index.items():
        out[ident] = _judge_artifact(ident, art, manifest)
    for ref, judged in upstream_artifacts.items():
        if judged is None:
            up, name = split_ref(ref)
            why = f"upstream {up!r} was not checked, so {name!r} cannot be judged"
            out[ref] = ArtifactOpenness(ref, ref, None, None,
                                        Judgement(OpennessStatus.UNKNOWN, (why,)),
                                        effective=OpennessStatus.UNKNOWN, upstream=up)
        else:
            out[ref] = judged
    producers = StepGraph(manifest).producers
    done: set[str] = set(upstream_artifacts)
    visiting: set[str] = set()

    def effective(ref: str) -> OpennessStatus:
        item = out.get(ref)
        if item is None:
            return OpennessStatus.UNKNOWN
        if ref in done or ref in visiting:  # upstream, finished, or a step cycle
            return item.effective if ref in done else item.own.status
        visiting.add(ref)
        status = item.own.status
        step = producers.get(ref)
        if step is not None:
            for dep in needs(step):
                dep_status = effective(dep)
                if dep_status is not OpennessStatus.OPEN:
                    item.because.append(dep)
                if dep_status.rank < status.rank:
                    status = dep_status
        item.effective = status
        visiting.discard(ref)
        done.add(ref)
        return status

    for ident in index:
        effective(ident)
    return out


def release_failures(judged: Mapping[str, ArtifactOpenness]) -> list[ArtifactOpenness]:
    """What keeps a release from being open source: its own artifacts whose licence is
    not open, and consumed upstream artifacts that are not open (with their ancestry)."""
    return [item for item in judged.values()
            if (item.upstream is None and not item.own.open)
            or (item.upstream is not None and item.effective is not OpennessStatus.OPEN)]


def describe_failure(item: ArtifactOpenness) -> str:
    where = f"upstream artifact {item.ref!r}" if item.upstream else f"artifact {item.ref!r}"
    lic = item.license or "no licence"
    if item.upstream and item.own.open and item.because:
        why = f"it is built from {', '.join(item.because)}, which are not open"
    elif item.upstream and item.own.open:
        why = "what it is built from in its own release is not open"
    else:
        why = "; ".join(item.own.reasons) or item.own.status.value
    return f"{where} ({item.name}, {lic}): {why}"


# -- MOF and OSAID -----------------------------------------------------------------------

#: (component, MOF title, class, kinds that provide it, policy); after the Model Openness
#: Framework (White et al., arXiv:2403.13784): Class III Open Model, Class II Open
#: Tooling, Class I Open Science, each class including the ones above it
MOF_COMPONENTS: tuple[tuple[str, str, str, frozenset[str], LicencePolicy], ...] = (
    ("model-architecture", "Model architecture", "III",
     frozenset({"model-architecture", "training-code", "inference-code", "source-code"}),
     CODE_POLICY),
    ("model-parameters", "Model parameters (final)", "III", frozenset({"weights", "adapter"}),
     CONTENT_POLICY),
    ("technical-report", "Technical report", "III", frozenset({"technical-report"}),
     CONTENT_POLICY),
    ("evaluation-results", "Evaluation results", "III", frozenset({"evaluation-results"}),
     CONTENT_POLICY),
    ("model-card", "Model card", "III", frozenset({"model-card"}), CONTENT_POLICY),
    ("data-card", "Data card", "III", frozenset({"data-card"}), CONTENT_POLICY),
    ("sample-outputs", "Sample model outputs", "III", frozenset({"sample-outputs"}),
     CONTENT_POLICY),
    ("training-code", "Training, validation and testing code", "II",
     frozenset({"training-code"}), CODE_POLICY),
    ("inference-code", "Inference code", "II", frozenset({"inference-code"}), CODE_POLICY),
    ("evaluation-code", "Evaluation code", "II", frozenset({"evaluation-code"}), CODE_POLICY),
    ("evaluation-data", "Evaluation data", "II", frozenset({"evaluation-data"}),
     CONTENT_POLICY),
    ("supporting-libraries", "Supporting libraries and tools", "II",
     frozenset({"environment"}), CONTENT_POLICY),
    ("research-paper", "Research paper", "I", frozenset({"research-paper"}), CONTENT_POLICY),
    ("datasets", "Datasets", "I", frozenset({"dataset"}), CONTENT_POLICY),
    ("data-preprocessing-code", "Data preprocessing code", "I",
     frozenset({"data-processing-code"}), CODE_POLICY),
    ("model-parameters-intermediate", "Model parameters (intermediate)", "I",
     frozenset({"checkpoint"}), CONTENT_POLICY),
)
MOF_CLASS_NAMES = {"III": "Class III (Open Model)", "II": "Class II (Open Tooling)",
                   "I": "Class I (Open Science)"}


def mof_assessment(manifest: Manifest) -> dict[str, Any]:
    """Which MOF components the release ships, under open licences, and the class reached.

    Only the release's own artifacts count (an adapter's "model parameters" are the
    adapter); each component is open when every artifact providing it is open under the
    component's policy (code: OSI/FSF; the rest: also open data/content licences).
    """
    components: dict[str, Any] = {}
    for comp, title, klass, kinds, policy in MOF_COMPONENTS:
        arts = [a for a in manifest.artifacts if a.kind in kinds]
        judged = [classify(manifest.license_of(a), policy) for a in arts]
        components[comp] = {
            "title": title, "class": klass, "present": bool(arts),
            "open": bool(arts) and all(j.open for j in judged),
            "artifacts": [a.id for a in arts],
        }
    reached: str | None = None
    missing: dict[str, list[str]] = {}
    for klass in ("III", "II", "I"):
        lacking = [c for c, v in components.items()
                   if v["class"] in _classes_up_to(klass) and not v["open"]]
        if lacking:
            missing[klass] = lacking
            break
        reached = klass
    next_class = next(iter(missing), None)
    return {
        "framework": "Model Openness Framework (arXiv:2403.13784)",
        "class": MOF_CLASS_NAMES[reached].split(" (")[0] if reached else None,
        "name": MOF_CLASS_NAMES[reached] if reached else None,
        "next": MOF_CLASS_NAMES[next_class].split(" (")[0] if next_class else None,
        "missing-for-next": [components[c]["title"] for c in missing.get(next_class or "", [])],
        "components": components,
    }


def _classes_up_to(klass: str) -> tuple[str, ...]:
    return {"III": ("III",), "II": ("III", "II"), "I": ("III", "II", "I")}[klass]


def osaid_assessment(manifest: Manifest) -> dict[str, Any]:
    """The OSI Open Source AI Definition 1.0's three preferred-form elements: data
    information (the data, or exact instructions to obtain it), code (training and data
    processing) and parameters, each present and open."""
    def element(kinds: Iterable[str], policy: LicencePolicy) -> dict[str, Any]:
        wanted = frozenset(kinds)
        arts = [a for a in manifest.artifacts if a.kind in wanted]
        return {"present": bool(arts),
                "open": bool(arts) and all(classify(manifest.license_of(a), policy).open
                                           for a in arts),
                "artifacts": [a.id for a in arts]}

    out = {
        "data-information": element(("dataset", "data-recipe", "data-card"), CONTENT_POLICY),
        "code": element(("training-code", "data-processing-code", "inference-code"),
                        CODE_POLICY),
        "parameters": element(("weights", "adapter"), CONTENT_POLICY),
    }
    return {"definition": "OSI Open Source AI Definition 1.0",
            "ok": all(v["present"] and v["open"] for v in out.values()), **out}
