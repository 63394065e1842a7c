"""The progress interface the engine reports to. The core never draws anything: the
CLI passes a rich-backed implementation on a terminal, and everyone else gets
:data:`NO_PROGRESS`."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int) -> None:
        """A phase begins; ``total`` is in the phase's unit (bytes when hashing)."""

    def advance(self, amount: int) -> None:
        """Some of the current phase is done; may be called from worker threads."""

    def finish(self) -> None:
        """The current phase ended."""


class _NoProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()
