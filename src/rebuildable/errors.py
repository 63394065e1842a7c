"""One exception root; a subtree per phase. Only fatal conditions raise: problems in
one item of a release are findings, not exceptions."""

from __future__ import annotations

import re
from collections.abc import Mapping

#: how a message names an option: its API name in backquotes, e.g. `threshold`
_OPTION = re.compile(r"`([a-z][a-z_]*)`")


class RebuildableError(Exception):
    """Root of every exception this package raises on purpose.

    Messages name the options they are about by their API names in backquotes
    (`force`, `threshold`); a front end shows them its own way (:meth:`describe`): the
    core knows nothing of command-line flags.
    """

    #: the option or argument the error is about (its API name), when there is one
    field: str | None = None

    def describe(self, names: Mapping[str, str]) -> str:
        """The message with each `option` spelled as ``names`` says (unknown ones as is)."""
        return spell_options(str(self), names)


def spell_options(message: str, names: Mapping[str, str]) -> str:
    """``message`` with each `option` it names spelled as ``names`` says."""
    return _OPTION.sub(lambda m: names.get(m.group(1), m.group(0)), message)


class UsageError(RebuildableError):
    """The caller asked for something impossible (bad option values, conflicting options).

    ``field`` names the option it is about (e.g. ``"threshold"``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
