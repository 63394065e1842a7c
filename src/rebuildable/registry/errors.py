"""The registry's one error type: an HTTP status, a stable code and a message (and, when
the engine refused a release, its report)."""

from __future__ import annotations

from typing import Any

from rebuildable.errors import RebuildableError


class RegistryError(RebuildableError):
    def __init__(self, status: int, code: str, message: str,
                 report: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.report = report
        #: answered with ``Connection: close``: the request's body is not all read, and
        #: what remains of it cannot be told from a next request
        self.close = False

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": {"code": self.code, "message": self.message}}
        if self.report is not None:
            out["report"] = self.report
        return out
