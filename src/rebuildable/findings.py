"""Findings: what a check says about a release, as data.

Checks yield :class:`Finding` values; only renderers turn them into text. Every
finding carries a stable code from :mod:`rebuildable.codes`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from rebuildable.codes import CODES


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a finding points: 1-based line and column, plus a JSON pointer."""

    file: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None
    #: True when ``file`` is a path as the user gave it (a trust policy), relative to the
    #: working folder; otherwise it is a path inside the release
    from_cwd: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "pointer": self.pointer}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    artifact: str | None = None
    step: str | None = None
    upstream: str | None = None
    location: Location | None = None
    hint: str | None = None
    # Machine-readable details (expected/actual digests, offsets, ...); optional.
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered finding code {self.code!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "artifact": self.artifact,
            "step": self.step,
            "upstream": self.upstream,
            "location": self.location.to_dict() if self.location else None,
            "hint": self.hint,
        }
        if self.data:
            out["data"] = self.data
        return out


def finding(code: str, message: str, *, severity: Severity | None = None,
            artifact: str | None = None, step: str | None = None,
            upstream: str | None = None, location: Location | None = None,
            hint: str | None = None, data: dict[str, Any] | None = None) -> Finding:
    """Build a finding with the code's registered default severity and hint."""
    spec = CODES[code]
    return Finding(
        code=code,
        severity=severity or Severity(spec.severity),
        message=message,
        artifact=artifact,
        step=step,
        upstream=upstream,
        location=location,
        hint=hint if hint is not None else spec.hint,
        data=dict(data) if data else {},
    )
