"""The report's sections beside its findings, as typed data: ``verdicts``, ``signatures``,
``keyless``, ``formats``, ``c2pa``, ``shards`` and ``rebuild`` (``schemas/report.schema.json``).

Checks and the rebuild fill them; renderers read their fields. Each ``to_dict`` gives
the section's JSON with its keys in the order reports have always printed them (the
golden reports pin that order), optional keys left out rather than null where the
schema says so. The records inside are typed too: a rebuild's step records
(:mod:`rebuildable.rebuild_records`), one artifact's openness
(:class:`~rebuildable.openness.ArtifactOpenness`), MOF components and the OSAID view
(:mod:`rebuildable.openness.frameworks`). A signature policy's description stays a
plain dict: it is a tree of whatever policies were combined, each describing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:  # the records only: sections load nothing of the openness machinery
    from rebuildable.openness import ArtifactOpenness, MofComponent, OsaidAssessment
    from rebuildable.rebuild_records import StepRecord  # nor of the rebuild's


class Section(Protocol):
    """What :class:`~rebuildable.report.Report` keeps under ``sections``."""

    #: the report key this section is written under
    NAME: ClassVar[str]

    def to_dict(self) -> dict[str, Any]: ...


# -- verdicts --------------------------------------------------------------------------


@dataclass
class Verdict:
    """One yes/no verdict (intact, complete) and why not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons}


@dataclass
class LicenceCount:
    """One licence expression of the release's own artifacts: its status, how many."""

    #: "open", "not-open" or "unknown"
    status: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "count": self.count}


@dataclass
class OpenSourceVerdict:
    ok: bool
    #: True when the caller required it (``Options.require``): then a failure is an error
    required: bool
    reasons: list[str]
    #: the SPDX License List the licences were judged against
    license_data: str
    #: the artifacts that are not fully open, and every upstream artifact consumed
    artifacts: dict[str, ArtifactOpenness] = field(default_factory=dict)
    #: each licence expression of the release's own artifacts ("(none)" for none)
    licences: dict[str, LicenceCount] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "required": self.required, "reasons": self.reasons,
                "license-data": self.license_data,
                "artifacts": {k: v.to_dict() for k, v in self.artifacts.items()},
                "licences": {k: v.to_dict() for k, v in self.licences.items()}}


@dataclass
class UpstreamVerdict:
    """What the outer report says of one upstream."""

    status: str
    source: str | None
    sha256: str | None
    #: the upstream's name and version, when its manifest was read
    release: tuple[str | None, str | None] | None = None
    #: the upstream's own counts and open-source verdict, when it was validated
    counts: dict[str, int] | None = None
    open_source: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "source": self.source,
                               "sha256": self.sha256}
        if self.release is not None:
            out["name"], out["version"] = self.release
        if self.counts is not None:
            out["counts"] = self.counts
            out["open-source"] = self.open_source
        return out


@dataclass
class MofVerdict:
    """Where the release stands against the Model Openness Framework."""

    #: the class reached ("Class III", ...), None when none is
    klass: str | None
    #: False for releases whose profiles are not models: then nothing else is said
    applicable: bool = True
    name: str | None = None
    next: str | None = None
    missing_for_next: list[str] = field(default_factory=list)
    components: dict[str, MofComponent] = field(default_factory=dict)
    framework: str = ""

    @classmethod
    def not_applicable(cls) -> MofVerdict:
        return cls(None, applicable=False)

    @classmethod
    def from_assessment(cls, data: dict[str, Any]) -> MofVerdict:
        """From :func:`rebuildable.openness.mof_assessment`'s dict."""
        return cls(data["class"], name=data["name"], next=data["next"],
                   missing_for_next=list(data["missing-for-next"]),
                   components=data["components"], framework=data["framework"])

    def to_dict(self) -> dict[str, Any]:
        if not self.applicable:
            return {"class": None, "applicable": False, "components": {}}
        return {"framework": self.framework, "class": self.klass, "name": self.name,
                "next": self.next, "missing-for-next": self.missing_for_next,
                "components": {k: v.to_dict() for k, v in self.components.items()}}


@dataclass
class RebuildabilityVerdict:
    """How far the trained parameters can be rebuilt (:mod:`rebuildable.rebuildability`)."""

    mode: str
    words: str
    reasons: list[str]
    steps: dict[str, str]
    practical_hours: float

    @classmethod
    def from_assessment(cls, data: dict[str, Any]) -> RebuildabilityVerdict:
        return cls(data["mode"], data["words"], list(data["reasons"]), dict(data["steps"]),
                   data["practical-hours"])

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "words": self.words, "reasons": self.reasons,
                "steps": self.steps, "practical-hours": self.practical_hours}


@dataclass
class Verdicts:
    NAME: ClassVar[str] = "verdicts"

    intact: Verdict
    complete: Verdict
    open_source: OpenSourceVerdict
    upstream: dict[str, UpstreamVerdict]
    mof: MofVerdict = field(default_factory=MofVerdict.not_applicable)
    #: the OSI Open Source AI Definition view (model profiles only)
    osaid: OsaidAssessment | None = None
    rebuildable: RebuildabilityVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intact": self.intact.to_dict(), "complete": self.complete.to_dict(),
            "open-source": self.open_source.to_dict(),
            "upstream": {k: v.to_dict() for k, v in self.upstream.items()},
            "mof": self.mof.to_dict(),
        }
        if self.osaid is not None:
            out["osaid"] = self.osaid.to_dict()
        if self.rebuildable is not None:
            out["rebuildable"] = self.rebuildable.to_dict()
        return out


# -- signatures ------------------------------------------------------------------------


@dataclass
class PolicyOutcome:
    """What the trust policy made of the envelope's signatures."""

    holds: bool
    verified_keys: list[str]
    missing: int
    signers: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    violations: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"policy_holds": self.holds, "verified_keys": self.verified_keys,
                "missing": self.missing, "signers": self.signers, "checks": self.checks,
                "violations": self.violations}


@dataclass
class Signatures:
    NAME: ClassVar[str] = "signatures"

    #: the envelope's path in the release, or the file given (``Options.bundle``)
    envelope: str
    #: False when no trusted keys were given: the envelope is only mentioned
    checked: bool
    verified: bool = False
    #: why no policy could be built from the options
    error: str | None = None
    policy: dict[str, Any] | None = None
    #: the Sigstore bundle media type, when the envelope came inside one
    bundle: str | None = None
    payload_type: str | None = None
    signature_count: int | None = None
    outcome: PolicyOutcome | None = None
    predicate_matches: bool | None = None
    subjects_match: bool | None = None

    @property
    def verified_keys(self) -> list[str]:
        return self.outcome.verified_keys if self.outcome is not None else []

    @property
    def missing(self) -> int | None:
        return self.outcome.missing if self.outcome is not None else None

    def to_dict(self) -> dict[str, Any]:
        if not self.checked:
            return {"envelope": self.envelope, "verified": self.verified, "checked": False}
        out: dict[str, Any] = {"envelope": self.envelope, "checked": True,
                               "verified": self.verified}
        for key, value in (("error", self.error), ("policy", self.policy),
                           ("bundle", self.bundle), ("payloadType", self.payload_type),
                           ("signature_count", self.signature_count)):
            if value is not None:
                out[key] = value
        if self.outcome is not None:
            out.update(self.outcome.to_dict())
        for key, flag in (("predicate_matches", self.predicate_matches),
                          ("subjects_match", self.subjects_match)):
            if flag is not None:
                out[key] = flag
        return out


@dataclass
class Keyless:
    NAME: ClassVar[str] = "keyless"

    bundle: str
    identity: str
    issuer: str | None
    #: whose shipped trusted root was used: "production" or "staging"
    instance: str
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "identity": self.identity, "issuer": self.issuer,
                "instance": self.instance, "verified": self.verified}


# -- formats ---------------------------------------------------------------------------


@dataclass
class Formats:
    """What the content checks read inside each artifact, by artifact id."""

    NAME: ClassVar[str] = "formats"

    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.artifacts)


@dataclass
class C2pa:
    """C2PA manifests embedded in shipped images, by artifact id (``spec/c2pa.md``)."""

    NAME: ClassVar[str] = "c2pa"

    #: each entry: path, state, intact, trusted, signer, generator, ingredients, parent
    #: (the listed artifact its parent ingredient names, or None)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.artifacts)


# -- shards ----------------------------------------------------------------------------


@dataclass
class ShardIndexSummary:
    """What reading one shard index found (spec/shards.md, section 4)."""

    path: str
    lines: int = 0
    shards: int = 0
    malformed: int = 0
    unsorted: int = 0
    duplicate: int = 0
    #: the sum of the sizes its well-formed lines declare
    bytes: int = 0
    #: its bytes are those the manifest pins ([SHD-6])
    pinned: bool = False
    #: set when the shards were fetched (``validate --fetch``)
    fetched: int | None = None
    verified: int | None = None
    failed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path, "lines": self.lines, "shards": self.shards,
            "malformed": self.malformed, "unsorted": self.unsorted,
            "duplicate": self.duplicate, "bytes": self.bytes, "pinned": self.pinned}
        if self.fetched is not None:
            out.update(fetched=self.fetched, verified=self.verified, failed=self.failed)
        return out


@dataclass
class Shards:
    """Each shard index of the release, by artifact id."""

    NAME: ClassVar[str] = "shards"

    indexes: dict[str, ShardIndexSummary] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v.to_dict() for k, v in self.indexes.items()}


# -- rebuild ---------------------------------------------------------------------------


@dataclass
class Rebuild:
    """A rebuild's run: how steps were isolated, and each step's (or segment's) record.

    A refused rebuild (structural errors, [REB-1]) has only ``validation`` and no steps."""

    NAME: ClassVar[str] = "rebuild"

    refused: bool
    #: the static validation's verdict: ok, counts, error codes
    validation: dict[str, Any]
    steps: list[StepRecord] = field(default_factory=list)
    isolation: dict[str, Any] | None = None
    source_date_epoch: dict[str, Any] | None = None
    #: "all", "step" or "sample"
    mode: str = "all"
    twice: bool = False
    #: the kept work folder (``keep``), else None
    work_dir: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    #: the sampled replay's seed and counts (``mode`` "sample")
    sample: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.refused:
            return {"refused": True, "validation": self.validation,
                    "steps": [s.to_dict() for s in self.steps]}
        out: dict[str, Any] = {"refused": False}
        # Both are set by every run; left out when not (the schema has no null for them).
        if self.isolation is not None:
            out["isolation"] = self.isolation
        if self.source_date_epoch is not None:
            out["source_date_epoch"] = self.source_date_epoch
        out.update({"mode": self.mode, "twice": self.twice, "work_dir": self.work_dir,
                    "steps": [s.to_dict() for s in self.steps], "summary": self.summary})
        if self.sample is not None:
            out["sample"] = self.sample
        out["validation"] = self.validation
        return out
