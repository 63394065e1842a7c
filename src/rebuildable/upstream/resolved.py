"""What resolving one upstream yields: its status and, when its bytes match the pin, its
manifest, its own validation report and its own resolved upstreams."""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rebuildable.model import ENVELOPE_NAME, Artifact, Manifest, UpstreamRef

if TYPE_CHECKING:
    from rebuildable.report import Report


class UpstreamStatus(enum.StrEnum):
    VALID = "valid"  # resolved, pin matches, validated without errors
    INVALID = "invalid"  # resolved, pin matches, validation found errors
    UNRESOLVED = "unresolved"  # a uri upstream with no local copy
    MISSING = "missing"  # a path upstream that is not a regular file of the release
    ESCAPES = "escapes"  # a path upstream that is not a safe relative path
    WEAK = "weak"  # no strong digest to check the bytes against
    MISMATCH = "mismatch"  # bytes differ from the pin
    CYCLE = "cycle"
    TOO_DEEP = "too-deep"

    @property
    def checked(self) -> bool:
        """True when the upstream's bytes are the pinned ones and it was validated."""
        return self in (UpstreamStatus.VALID, UpstreamStatus.INVALID)


@dataclass
class ResolvedUpstream:
    ref: UpstreamRef
    status: UpstreamStatus
    #: where it was found: a path inside the release or a file on disk
    source: str | None = None
    #: sha256 of the manifest bytes that were read
    sha256: str | None = None
    #: the upstream's manifest model (only when its bytes match the pin)
    manifest: Manifest | None = None
    #: the upstream's own validation report (only when validated)
    report: Report | None = None
    #: True when only the manifest was available (no files to check)
    manifest_only: bool = False
    #: the upstream's own upstreams, as its validation resolved them
    nested: dict[str, ResolvedUpstream] = field(default_factory=dict)

    def artifact(self, ident: str) -> Artifact | None:
        if self.manifest is None:
            return None
        return self.manifest.artifact_index().get(ident)

    def covered_paths(self) -> set[str]:
        """Paths, relative to the folder of this upstream's manifest, that its manifest
        and its own (nested) upstreams account for: manifest, envelope, artifacts."""
        if self.manifest is None or self.source is None:
            return set()
        name = posixpath.basename(self.source)
        out = {name, ENVELOPE_NAME}
        out.update(a.path for a in self.manifest.artifacts if a.path is not None)
        # Its own upstream manifests are listed by it, as in its own validation [FILE-1].
        out.update(u.path for u in self.manifest.upstream if u.path is not None)
        for inner in self.nested.values():
            if inner.source is None or inner.source.startswith("/") or not inner.checked:
                continue
            folder = posixpath.dirname(inner.source)
            out.update(posixpath.join(folder, p) if folder else p for p in inner.covered_paths())
        return out

    @property
    def checked(self) -> bool:
        return self.status.checked
