"""Openness frameworks for models: the Model Openness Framework (MOF) classes and the
Open Source AI Definition (OSAID) components, judged from kinds and licences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rebuildable.model import Manifest
from rebuildable.openness.licences import CODE_POLICY, CONTENT_POLICY, LicencePolicy, classify

__all__ = ["MOF_CLASS_NAMES", "MOF_COMPONENTS", "MofComponent", "OsaidAssessment",
           "OsaidElement", "mof_assessment", "osaid_assessment"]


@dataclass(frozen=True)
class MofComponent:
    """One MOF component: whether the release ships it, and all of it openly."""

    title: str
    #: the MOF class that asks for it: "I", "II" or "III"
    klass: str
    present: bool
    open: bool
    artifacts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "class": self.klass, "present": self.present,
                "open": self.open, "artifacts": list(self.artifacts)}


@dataclass(frozen=True)
class OsaidElement:
    """One of the OSAID's preferred-form elements: shipped, and all of it openly."""

    present: bool
    open: bool
    artifacts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"present": self.present, "open": self.open, "artifacts": list(self.artifacts)}


@dataclass(frozen=True)
class OsaidAssessment:
    """The OSI Open Source AI Definition view of a model release."""

    data_information: OsaidElement
    code: OsaidElement
    parameters: OsaidElement
    definition: str = "OSI Open Source AI Definition 1.0"

    @property
    def ok(self) -> bool:
        return all(e.present and e.open
                   for e in (self.data_information, self.code, self.parameters))

    def to_dict(self) -> dict[str, Any]:
        return {"definition": self.definition, "ok": self.ok,
                "data-information": self.data_information.to_dict(),
                "code": self.code.to_dict(), "parameters": self.parameters.to_dict()}


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
    ("datasets", "Datasets", "I", frozenset({"dataset", "shard-index"}), CONTENT_POLICY),
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
    components: dict[str, MofComponent] = {}
    for comp, title, klass, kinds, policy in MOF_COMPONENTS:
        arts = [a for a in manifest.artifacts if a.kind in kinds]
        judged = [classify(manifest.license_of(a), policy) for a in arts]
        components[comp] = MofComponent(title, klass, present=bool(arts),
                                        open=bool(arts) and all(j.open for j in judged),
                                        artifacts=[a.id for a in arts])
    reached: str | None = None
    missing: dict[str, list[str]] = {}
    for klass in ("III", "II", "I"):
        lacking = [c for c, v in components.items()
                   if v.klass in _classes_up_to(klass) and not v.open]
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
        "missing-for-next": [components[c].title for c in missing.get(next_class or "", [])],
        "components": components,
    }


def _classes_up_to(klass: str) -> tuple[str, ...]:
    return {"III": ("III",), "II": ("III", "II"), "I": ("III", "II", "I")}[klass]


def osaid_assessment(manifest: Manifest) -> OsaidAssessment:
    """The OSI Open Source AI Definition 1.0's three preferred-form elements: data
    information (the data, or exact instructions to obtain it), code (training and data
    processing) and parameters, each present and open."""
    def element(kinds: Iterable[str], policy: LicencePolicy) -> OsaidElement:
        wanted = frozenset(kinds)
        arts = [a for a in manifest.artifacts if a.kind in wanted]
        return OsaidElement(present=bool(arts),
                            open=bool(arts) and all(
                                classify(manifest.license_of(a), policy).open for a in arts),
                            artifacts=[a.id for a in arts])

    return OsaidAssessment(
        data_information=element(("dataset", "shard-index", "data-recipe", "data-card"),
                                 CONTENT_POLICY),
        code=element(("training-code", "data-processing-code", "inference-code"), CODE_POLICY),
        parameters=element(("weights", "adapter"), CONTENT_POLICY))
