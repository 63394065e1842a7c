"""One exception root; a subtree per phase. Only fatal conditions raise: problems in
one item of a release are findings, not exceptions."""

from __future__ import annotations


class RebuildableError(Exception):
    """Root of every exception this package raises on purpose."""


class UsageError(RebuildableError):
    """The caller asked for something impossible (bad option values, conflicting flags)."""


class ReleaseError(RebuildableError):
    """The release cannot be opened at all (no such path, no manifest, unreadable archive).

    ``code`` is the finding code that a report carries for it.
    """

    def __init__(self, code: str, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


class MemberError(RebuildableError):
    """One member of a release cannot be read as a regular file (missing, link, special)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
