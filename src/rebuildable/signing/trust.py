"""Trust policies: which keys must have signed, how many, and for which release names.

Policies are small composable objects (in the manner of sigstore-python's verification
policies): :class:`Threshold` (k of n distinct keys), :class:`ReleaseNames` (the release
name must match a pattern) and :class:`AllOf` (every member must hold; an empty
``AllOf`` is refused, never a pass). :func:`build_policy` turns the ``keys``,
``threshold`` and ``trust`` options into one policy; :func:`load_policy` reads a
policy file with the project's strict loader and its JSON Schema.
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rebuildable import schema
from rebuildable.errors import UsageError
from rebuildable.findings import Location
from rebuildable.load import Limits, coerce_to_schema, load_manifest
from rebuildable.readlimit import read_limited
from rebuildable.signing.dsse import (
    Envelope,
    ThresholdError,
    VerificationResult,
    check_threshold,
    distinct_keys,
    verify_envelope,
)
from rebuildable.signing.keyfiles import MAX_KEY_BYTES
from rebuildable.signing.keys import BadKeyError, PublicKey, load_public_key

__all__ = [
    "POLICY_FORMAT",
    "AllOf",
    "NoKeysError",
    "PolicyError",
    "PolicyResult",
    "ReleaseNames",
    "Threshold",
    "TrustPolicy",
    "TrustedKey",
    "Violation",
    "build_policy",
    "load_policy",
]

POLICY_FORMAT = "rebuildable-policy/0.1"
MAX_POLICY_BYTES = 1024 * 1024


class PolicyError(UsageError):
    """A trust policy file cannot be used (``sig.bad-policy``); carries a location."""

    code = "sig.bad-policy"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The policy file is a path the user gave, not a place inside the release.
        self.location = replace(location, from_cwd=True) if location is not None else None


class NoKeysError(UsageError):
    """Signatures were asked for, but no trusted key was given (``sig.bad-key``)."""

    code = "sig.bad-key"


@dataclass(frozen=True)
class Violation:
    """One reason a policy does not hold: a finding code, a message and details."""

    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    warning: bool = False  # reported, but does not by itself make the policy fail


@dataclass(frozen=True)
class PolicyResult:
    """What a policy found. Truthy when it holds."""

    verifications: tuple[VerificationResult, ...] = ()
    violations: tuple[Violation, ...] = ()

    def __bool__(self) -> bool:
        return all(self.verifications) and not any(not v.warning for v in self.violations)

    @property
    def verified_keys(self) -> tuple[PublicKey, ...]:
        return distinct_keys(k for r in self.verifications for k in r.verified_keys)

    def __add__(self, other: PolicyResult) -> PolicyResult:
        return PolicyResult(self.verifications + other.verifications,
                            self.violations + other.violations)


class TrustPolicy(ABC):
    """Something that holds, or not, for a signed envelope of a named release."""

    @abstractmethod
    def evaluate(self, envelope: Envelope, release_name: str | None) -> PolicyResult:
        """Judge ``envelope``; never raises for a bad envelope."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """A JSON-compatible description for reports."""


@dataclass(frozen=True)
class TrustedKey:
    key: PublicKey
    #: release-name patterns this key may sign for; None = no restriction of its own
    releases: tuple[str, ...] | None = None

    def allowed_for(self, name: str | None) -> bool:
        return self.releases is None or (name is not None and _matches(name, self.releases))


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


@dataclass(frozen=True)
class Threshold(TrustPolicy):
    """At least ``threshold`` distinct trusted keys verified a signature.

    A key restricted to other release names does not count for this release. Raises
    :class:`ThresholdError` when the threshold is below 1 or above the number of
    distinct keys (the same public key listed twice counts once).
    """

    keys: tuple[TrustedKey, ...]
    threshold: int = 1

    def __post_init__(self) -> None:
        check_threshold([k.key for k in self.keys], self.threshold)

    def evaluate(self, envelope: Envelope, release_name: str | None) -> PolicyResult:
        allowed = [k.key for k in self.keys if k.allowed_for(release_name)]
        barred = distinct_keys(k.key for k in self.keys if not k.allowed_for(release_name))
        barred = tuple(k for k in barred if k not in allowed)
        unique = distinct_keys(allowed)
        violations: list[Violation] = []
        if barred:
            data = envelope.pae()
            for key in barred:
                if any(key.verify(s.sig, data) for s in envelope.signatures):
                    violations.append(Violation(
                        "sig.untrusted-name",
                        f"key {key.source} ({key.keyid[:16]}) signed, but the policy does not "
                        f"trust it for release {release_name!r}; its signature does not count",
                        {"keyid": key.keyid, "release": release_name}, warning=True))
        if len(unique) < self.threshold:
            # Fewer keys may sign this name than the threshold asks for: nothing can pass.
            result = VerificationResult(self.threshold, unique, (), ())
            violations.append(Violation(
                "sig.untrusted-name",
                f"only {len(unique)} of the trusted keys may sign for release {release_name!r}; "
                f"the threshold is {self.threshold}", {"release": release_name}))
            return PolicyResult((result,), tuple(violations))
        result = verify_envelope(envelope, unique, self.threshold)
        return PolicyResult((result,), tuple(violations))

    def describe(self) -> dict[str, Any]:
        return {"threshold": self.threshold,
                "keys": [{"keyid": k.key.keyid, "type": k.key.type, "source": k.key.source,
                          "releases": list(k.releases) if k.releases is not None else None}
                         for k in self.keys]}


@dataclass(frozen=True)
class ReleaseNames(TrustPolicy):
    """The release's name matches one of ``patterns`` (fnmatch-style, case-sensitive)."""

    patterns: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.patterns:
            raise ValueError("ReleaseNames needs at least one pattern")

    def evaluate(self, envelope: Envelope, release_name: str | None) -> PolicyResult:
        if release_name is not None and _matches(release_name, self.patterns):
            return PolicyResult()
        return PolicyResult((), (Violation(
            "sig.untrusted-name",
            f"the trust policy does not cover release {release_name!r} "
            f"(it names {', '.join(self.patterns)})",
            {"release": release_name, "patterns": list(self.patterns)}),))

    def describe(self) -> dict[str, Any]:
        return {"releases": list(self.patterns)}


@dataclass(frozen=True)
class AllOf(TrustPolicy):
    """Every member policy must hold. An empty AllOf is an error, never a pass."""

    policies: tuple[TrustPolicy, ...]

    def __post_init__(self) -> None:
        if not self.policies:
            raise ValueError("AllOf needs at least one policy")

    def evaluate(self, envelope: Envelope, release_name: str | None) -> PolicyResult:
        out = PolicyResult()
        for policy in self.policies:
            out = out + policy.evaluate(envelope, release_name)
        return out

    def describe(self) -> dict[str, Any]:
        return {"all_of": [p.describe() for p in self.policies]}


# --------------------------------------------------------------------------- policy files


def load_policy(path: Path, limits: Limits | None = None) -> TrustPolicy:
    """Read a policy file (YAML or JSON) strictly and build its policy.

    Raises :class:`PolicyError` with a located message when it cannot be used.
    """
    label = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise PolicyError(f"{label}: cannot read the trust policy: {exc.strerror or exc}",
                          Location(label)) from exc
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{label}: the trust policy is larger than {MAX_POLICY_BYTES} bytes",
                          Location(label))
    loaded = load_manifest(raw, label, limits=limits)
    if loaded.document is not None:
        # Numbers beyond I-JSON (a threshold of 5,000 digits stands in as 2^64): located
        # findings with the text as written. A policy has no strings to coerce.
        loaded.findings.extend(coerce_to_schema(loaded.document, lambda _pointer: False))
    problems = [f for f in loaded.findings if f.severity.value == "error"]
    doc = loaded.document
    if doc is not None and not problems:
        problems = [f for f in schema.schema_findings(doc, "policy", use_accelerator=False)
                    if f.severity.value == "error"]
    if doc is None or problems:
        first = problems[0] if problems else None
        message = first.message if first else f"{label}: not a trust policy"
        if first is not None and not message.startswith(label):
            message = f"{label}: {message}"
        raise PolicyError(message, first.location if first else Location(label))
    data = doc.data
    keys: list[TrustedKey] = []
    for i, entry in enumerate(data["keys"]):
        pointer = f"/keys/{i}"
        source = f"{label}#{entry['id']}"
        if "pem" in entry:
            pem = entry["pem"].encode("utf-8")
        else:
            key_path = path.parent / entry["path"]
            try:
                pem = read_limited(key_path, MAX_KEY_BYTES)
            except OSError as exc:
                raise PolicyError(f"{label}: key {entry['id']!r}: cannot read {key_path}: "
                                  f"{exc.strerror or exc}", doc.locate(f"{pointer}/path")) from exc
        try:
            key = load_public_key(pem, source)
        except BadKeyError as exc:
            why = exc.message.removeprefix(source + ": ")
            raise PolicyError(f"{label}: key {entry['id']!r}: {why}",
                              doc.locate(pointer)) from exc
        releases = entry.get("releases")
        keys.append(TrustedKey(key, tuple(releases) if releases is not None else None))
    try:
        threshold_policy = Threshold(tuple(keys), data.get("threshold", 1))
    except ThresholdError as exc:
        raise PolicyError(f"{label}: {exc}", doc.locate("/threshold")) from exc
    names = data.get("releases")
    if names is None:
        return threshold_policy
    return AllOf((ReleaseNames(tuple(names)), threshold_policy))


def build_policy(keys: Sequence[PublicKey | bytes], threshold: int | None = None,
                 trust: Path | None = None, limits: Limits | None = None) -> TrustPolicy:
    """One policy from the command-line options.

    ``keys`` (PEM bytes or loaded keys) with ``threshold`` (default 1) make a
    :class:`Threshold`; ``trust`` adds the policy file's policy; both together must
    both hold. Raises :class:`UsageError` (``BadKeyError`` is wrapped) when nothing is
    trusted or a value is impossible.
    """
    parts: list[TrustPolicy] = []
    if keys:
        loaded: list[TrustedKey] = []
        for i, key in enumerate(keys):
            if isinstance(key, PublicKey):
                loaded.append(TrustedKey(key))
            else:
                loaded.append(TrustedKey(load_public_key(key, f"key {i + 1}")))
        parts.append(Threshold(tuple(loaded), 1 if threshold is None else threshold))
    elif threshold is not None:
        raise ThresholdError("`threshold` applies to `keys` keys; a trust policy sets its own "
                             "threshold", field="threshold")
    if trust is not None:
        parts.append(load_policy(trust, limits))
    if not parts:
        raise NoKeysError("no trusted keys: give `keys` (public keys) or a `trust` policy",
                          field="keys")
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
