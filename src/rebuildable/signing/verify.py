"""Signature verification of a release: the core of ``rebuildable verify`` and of the
``signature`` check that ``rebuildable validate --key/--trust`` runs.

Order of work (spec/signatures.md):

1. build the trust policy (keys, threshold, policy file); impossible values are findings
   (``sig.bad-key``, ``sig.bad-threshold``, ``sig.bad-policy``) and the CLI's exit 2;
2. read ``rebuild.dsse.json`` beside the manifest and parse it strictly, once;
3. refuse another ``payloadType`` and an envelope without signatures;
4. verify every signature against every trusted key over the PAE bytes;
5. only when a trusted key verified them, parse the payload bytes strictly as an in-toto
   Statement v1 of our predicate type;
6. compare the signed predicate with the manifest on disk as data (canonical JSON), and
   the signed subjects with the artifacts and with the files' digests.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from rebuildable.context import Context, Options
from rebuildable.digest import ALGORITHMS, available, hash_stream, pinned_digests
from rebuildable.errors import MemberError, UsageError
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.load import Limits
from rebuildable.model import envelope_path
from rebuildable.sections import PolicyOutcome, Signatures
from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, EnvelopeError, SignedFile, read_signed
from rebuildable.signing.keys import BadKeyError
from rebuildable.signing.statement import (
    StatementError,
    canonical,
    differences,
    intoto_digest_name,
    manifest_digest_name,
    parse_statement,
    subjects,
)
from rebuildable.signing.trust import PolicyError, PolicyResult, TrustPolicy, build_policy
from rebuildable.state import declare

__all__ = ["SECTION", "envelope_path", "policy_from_options", "signature_check",
           "signature_findings"]

SECTION = "signatures"
MAX_DIFFERENCES = 20


@dataclass(frozen=True, eq=False)
class _Place:
    """Where the envelope's findings point: the release's ``rebuild.dsse.json`` or the file
    given with ``--bundle`` (a path from the working folder), at the line of a pointer in
    it (through ``/dsseEnvelope`` inside a Sigstore bundle)."""

    file: str
    from_cwd: bool = False
    signed: SignedFile | None = None

    def at(self, pointer: str | None = None) -> Location:
        if pointer is None or self.signed is None:
            return Location(self.file, None, None, pointer, from_cwd=self.from_cwd)
        return replace(self.signed.locate(self.file, pointer), from_cwd=self.from_cwd)


def policy_from_options(options: Options) -> TrustPolicy:
    """The trust policy the options ask for; raises UsageError (or a subclass) otherwise."""
    try:
        return build_policy(options.keys, options.threshold, options.trust, options.limits)
    except BadKeyError as exc:
        raise UsageError(exc.message) from exc


def _usage_finding(exc: UsageError) -> Finding:
    code = getattr(exc, "code", "sig.bad-policy")
    if isinstance(exc.__cause__, BadKeyError):
        code = "sig.bad-key"
    location = exc.location if isinstance(exc, PolicyError) else None
    return finding(code, str(exc), location=location)


def signature_findings(ctx: Context) -> Iterator[Finding]:
    """Everything the signature check says; fills ``ctx.sections["signatures"]``.

    A check that ends unverified always says so with an error, whatever path led there:
    ``verify`` (and ``validate --key``) exit 0 only for a verified release.
    """
    errors = 0
    for f in _signature_findings(ctx):
        errors += f.severity is Severity.ERROR
        yield f
    section = ctx.sections.get(SECTION)
    verified = isinstance(section, Signatures) and section.verified
    error = section.error if isinstance(section, Signatures) else None
    if not verified and not errors:
        place = (_Place(section.envelope, ctx.options.bundle is not None)
                 if isinstance(section, Signatures)
                 else _Place(envelope_path(ctx.release.manifest_name)))
        yield finding("sig.not-verified",
                      "the signatures were checked but the release is not verified"
                      + (f": {error}" if error else ""),
                      location=place.at())


def _signature_findings(ctx: Context) -> Iterator[Finding]:
    section = Signatures(envelope_path(ctx.release.manifest_name), checked=True)
    ctx.sections[SECTION] = section
    try:
        policy = policy_from_options(ctx.options)
    except UsageError as exc:
        section.error = str(exc)
        yield _usage_finding(exc)
        return
    section.policy = policy.describe()
    signed = yield from _read_envelope(ctx, section)
    if signed is None:
        return
    envelope = signed.envelope
    section.payload_type = envelope.payload_type
    section.signature_count = len(envelope.signatures)
    path = section.envelope
    place = _Place(path, ctx.options.bundle is not None, signed)
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        yield finding("sig.wrong-payload-type",
                      f"{path}: payloadType is {envelope.payload_type!r}, "
                      f"expected {IN_TOTO_PAYLOAD_TYPE!r}",
                      location=place.at("/payloadType"))
        return
    if not envelope.signatures:
        yield finding("sig.no-signatures", f"{path} holds no signatures",
                      location=place.at("/signatures"))
        return

    name = ctx.manifest.name
    result = policy.evaluate(envelope, name)
    section.outcome = _outcome(result)
    yield from _policy_findings(result, place, len(envelope.signatures))
    if not result.verified_keys:
        return  # nothing trusted vouches for these bytes: never parse them

    limits = ctx.options.limits
    try:
        stmt = parse_statement(envelope.payload,
                               Limits(limits.max_bytes, limits.max_depth + 2))
    except StatementError as exc:
        yield finding(exc.code, f"{path}: {exc.message}", location=place.at("/payload"))
        section.verified = False
        return
    ok_data = yield from _compare_predicate(ctx, stmt.predicate)
    ok_subjects = yield from _compare_subjects(ctx, stmt.subjects, place)
    section.predicate_matches = ok_data
    section.subjects_match = ok_subjects
    section.verified = bool(result) and ok_data and ok_subjects
    if section.verified:
        signers = ", ".join(f"{k.source} ({k.keyid[:16]})" for k in result.verified_keys)
        needed = max((v.threshold for v in result.verifications), default=1)
        yield finding("sig.verified",
                      f"signed by {len(result.verified_keys)} trusted key(s), threshold "
                      f"{needed} met, 0 missing: {signers}",
                      data={"verified_keys": [k.keyid for k in result.verified_keys]})


def _read_envelope(ctx: Context,
                   section: Signatures) -> Generator[Finding, None, SignedFile | None]:
    """Generator: yields findings, returns the parsed file or None.

    The envelope is the release's ``rebuild.dsse.json`` or, with ``Options.bundle``, that
    file; either may be a bare DSSE envelope or a Sigstore bundle that holds one."""
    if ctx.options.bundle is not None:
        section.envelope = str(ctx.options.bundle)
        return (yield from _read_given(ctx, section, ctx.options.bundle))
    path = section.envelope
    loc = Location(path)
    try:
        with ctx.release.open(path) as fh:
            raw = _read_bounded(fh, ctx.options.limits.max_bytes)
    except MemberError as exc:
        if exc.code == "integrity.missing":
            yield finding("sig.missing-envelope",
                          f"trusted keys were given, but there is no {path} beside the manifest",
                          location=loc)
        else:
            yield finding("sig.malformed-envelope", f"{path}: {exc.message}", location=loc)
        return None
    except OSError as exc:
        yield finding("sig.malformed-envelope", f"{path}: {exc.strerror or exc}", location=loc)
        return None
    return (yield from _parse(ctx, section, raw, loc))


def _read_given(ctx: Context, section: Signatures,
                given: Path) -> Generator[Finding, None, SignedFile | None]:
    path = str(given)
    loc = Location(path, from_cwd=True)
    try:
        with given.open("rb") as fh:
            raw = _read_bounded(fh, ctx.options.limits.max_bytes)
    except OSError as exc:
        yield finding("sig.malformed-envelope", f"{path}: {exc.strerror or exc}", location=loc)
        return None
    return (yield from _parse(ctx, section, raw, loc))


def _parse(ctx: Context, section: Signatures, raw: bytes | None,
           loc: Location) -> Generator[Finding, None, SignedFile | None]:
    path = loc.file
    if raw is None:
        yield finding("sig.malformed-envelope",
                      f"{path} is larger than {ctx.options.limits.max_bytes} bytes", location=loc)
        return None
    try:
        signed = read_signed(raw, path, ctx.options.limits)
    except EnvelopeError as exc:
        where = exc.location or loc
        yield finding("sig.malformed-envelope", exc.message,
                      location=replace(where, from_cwd=loc.from_cwd))
        return None
    section.bundle = signed.media_type
    return signed


def _read_bounded(fh: BinaryIO, limit: int) -> bytes | None:
    raw = fh.read(limit + 1)
    return None if len(raw) > limit else raw


def _outcome(result: PolicyResult) -> PolicyOutcome:
    verifications = [v.to_dict() for v in result.verifications]
    signers: dict[int, dict[str, Any]] = {}
    for v in result.verifications:
        for s in v.signers:
            entry = signers.setdefault(s.index, {"index": s.index, "keyid": s.keyid_hint,
                                                 "verified_by": None})
            if s.verified_by is not None:
                entry["verified_by"] = s.verified_by.keyid
    return PolicyOutcome(
        holds=bool(result),
        verified_keys=[k.keyid for k in result.verified_keys],
        missing=sum(v.missing for v in result.verifications),
        signers=[signers[i] for i in sorted(signers)],
        checks=verifications,
        violations=[{"code": v.code, "message": v.message} for v in result.violations],
    )


def _policy_findings(result: PolicyResult, place: _Place, n_sigs: int) -> Iterator[Finding]:
    path = place.file
    loc = place.at("/signatures")
    for v in result.violations:
        yield finding(v.code, v.message, location=loc, data=v.data,
                      severity=Severity.WARNING if v.warning else None)
    hints = {s.index: s.keyid_hint for check in result.verifications for s in check.signers}
    unverified: set[int] = set(range(n_sigs))
    for check in result.verifications:
        unverified -= {s.index for s in check.signers if s.verified_by is not None}
        if check or not check.signers:
            continue  # met, or could not be reached at all (a violation then says why)
        if not check.verified_keys:
            yield finding("sig.invalid",
                          f"{path}: none of the {n_sigs} signature(s) verifies with the "
                          f"{len(check.keys)} trusted key(s)",
                          location=loc, data={"threshold": check.threshold,
                                              "missing": check.missing})
        else:
            yield finding("sig.below-threshold",
                          f"{path}: {len(check.verified_keys)} of the required {check.threshold} "
                          f"distinct trusted keys signed; {check.missing} missing (signed: "
                          + ", ".join(f"{k.source} ({k.keyid[:16]})" for k in check.verified_keys)
                          + ")",
                          location=loc,
                          data={"threshold": check.threshold, "missing": check.missing,
                                "verified_keys": [k.keyid for k in check.verified_keys]})
    if result.verifications:
        for index in sorted(unverified):
            hint = hints.get(index)
            said = f" (keyid says {hint[:16]})" if hint else ""
            yield finding("sig.unverified-signature",
                          f"{path}: signature {index}{said} verifies with none of the trusted keys",
                          location=place.at(f"/signatures/{index}"))


def _compare_predicate(ctx: Context,
                       predicate: Mapping[str, Any]) -> Generator[Finding, None, bool]:
    """Generator: yields findings; returns True when the signed data equals the manifest's."""
    current = ctx.document.data
    try:
        same = canonical(predicate) == canonical(current)
    except StatementError as exc:
        yield finding("sig.payload-mismatch", exc.message, location=ctx.locate(""))
        return False
    if same:
        return True
    diffs = list(differences(predicate, current))
    if not diffs:  # equal trees, different canonical bytes: cannot happen, but never pass it
        diffs = [("", "the canonical forms differ")]
    signed_name, signed_version = predicate.get("name"), predicate.get("version")
    m = ctx.manifest
    if signed_name == m.name and signed_version != m.version:
        what = (f"the signature is over version {signed_version!r} of {m.name!r}, "
                f"not this version {m.version!r} (rollback or stale signature)")
    elif signed_name != m.name:
        what = f"the signature is over another release ({signed_name!r}, not {m.name!r})"
    else:
        what = "the manifest changed since it was signed"
    data = {"signed_name": signed_name, "signed_version": signed_version,
            "differences": [p for p, _ in diffs[:MAX_DIFFERENCES]]}
    for pointer, detail in diffs[:MAX_DIFFERENCES]:
        yield finding("sig.payload-mismatch", f"{what}: {pointer or '/'}: {detail}",
                      location=ctx.locate(pointer), data=data)
    if len(diffs) > MAX_DIFFERENCES:
        yield finding("sig.payload-mismatch",
                      f"... and {len(diffs) - MAX_DIFFERENCES} more differences",
                      location=ctx.locate(""), data=data)
    return False


def _compare_subjects(ctx: Context,
                      signed: tuple[tuple[str, dict[str, str]], ...], place: _Place,
                      ) -> Generator[Finding, None, bool]:
    """Generator: yields findings; returns True when subjects, artifacts and files agree."""
    ok = True
    expected = [(s["name"], s["digest"]) for s in subjects(ctx.document.data)]
    if sorted(signed, key=_subject_key) != sorted(expected, key=_subject_key):
        ok = False
        signed_names = {n for n, _ in signed}
        expected_names = {n for n, _ in expected}
        extra, lost = signed_names - expected_names, expected_names - signed_names
        detail = []
        if extra:
            detail.append(f"signed but not artifacts: {', '.join(sorted(extra)[:5])}")
        if lost:
            detail.append(f"artifacts not signed: {', '.join(sorted(lost)[:5])}")
        if not detail:
            detail.append("their digests differ")
        yield finding("sig.subject-mismatch",
                      "the signed subjects do not list the manifest's artifacts: "
                      + "; ".join(detail),
                      location=place.at("/payload"))
    hashes = ctx.state.hashes
    # Each artifact is checked against its own signed subject: a path listed twice has
    # two subjects, and both must hold (the first one alone would let the second lie).
    signed_digests: dict[str, list[dict[str, str]]] = {}
    for name, signed_digest in signed:
        signed_digests.setdefault(name, []).append(signed_digest)
    external: list[str] = []
    for art in ctx.manifest.artifacts:
        if art.path is None:
            if art.uri is not None:
                external.append(art.uri)
            continue
        if not signed_digests.get(art.path):
            continue  # not signed at all (reported above)
        digest = signed_digests[art.path].pop(0)
        where = ctx.locate(f"{art.pointer}/digest")
        wanted = {manifest_digest_name(n): v for n, v in digest.items()
                  if available(manifest_digest_name(n))}
        if not pinned_digests(wanted, checkable=True):
            ok = False
            # A subject nobody can check is not verified (an error, never a warning); nor
            # is one checked by md5 or sha1 alone, which anyone can forge a match for.
            if not wanted:
                why = "by no digest algorithm that can be computed here"
            elif any(ALGORITHMS[n].strong for n in wanted):
                why = "by no well-formed strong digest"
            else:
                why = "only by md5 or sha1, which anyone can forge a match for"
            yield finding("sig.uncheckable-subject",
                          f"{art.path}: its signed subject "
                          f"({', '.join(sorted(digest)) or 'no digest'}) is pinned {why}, so "
                          "the signed file cannot be checked",
                          artifact=art.id, location=where,
                          data={"algorithms": sorted(digest)})
            continue
        actual, problem = _digests_of(ctx, art.path, tuple(wanted), hashes)
        if actual is None:
            ok = False
            yield finding("sig.subject-mismatch",
                          f"{art.path}: the signed file cannot be checked: {problem}",
                          artifact=art.id, location=where)
            continue
        bad = sorted(n for n, v in wanted.items() if actual.get(n) != v)
        if bad:
            ok = False
            yield finding("sig.subject-mismatch",
                          f"{art.path}: the file's {', '.join(intoto_digest_name(b) for b in bad)} "
                          "differs from the signed subject digest",
                          artifact=art.id, location=where)
    if external and not ctx.options.fetch:
        shown = ", ".join(external[:3]) + (f" and {len(external) - 3} more"
                                           if len(external) > 3 else "")
        yield finding("sig.external-not-fetched",
                      f"{len(external)} signed subject(s) are external and were not fetched "
                      f"({shown}): the signature vouches for their digests, not for the bytes "
                      "at those addresses today",
                      location=Location(envelope_path(ctx.release.manifest_name), None, None,
                                        "/payload"),
                      data={"external": len(external)})
    return ok


def _subject_key(s: tuple[str, dict[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    return s[0], sorted(s[1].items())


def _digests_of(ctx: Context, path: str, algorithms: tuple[str, ...],
                hashes: Any) -> tuple[dict[str, str] | None, str | None]:
    """The file's digests (from the integrity check's cache when it has them all), or
    None and why not."""
    cached = hashes.get(path) if isinstance(hashes, Mapping) else None
    if cached is not None:
        digests = getattr(cached, "digests", None)
        if digests is None and isinstance(cached, Mapping):
            digests = cached.get("digests")
        if (getattr(cached, "error", None) is None and not getattr(cached, "changed", False)
                and isinstance(digests, Mapping) and all(a in digests for a in algorithms)):
            return dict(digests), None
    try:
        with ctx.release.open(path) as fh:
            digests_now, _ = hash_stream(fh, algorithms)
    except MemberError as exc:
        return None, exc.message
    except (OSError, ValueError) as exc:
        return None, str(getattr(exc, "strerror", None) or exc)
    return digests_now, None


# --------------------------------------------------------------------------- entry point


@declare(uses=["hashes"])
def signature_check(ctx: Context) -> Iterator[Finding]:
    """The signature check alone, keys required (``rebuildable verify``): the engine runs it
    as the only check (see :func:`rebuildable.api.verify`)."""
    return signature_findings(ctx)
