"""What the checks of one validation compute for the checks after them.

One typed field per thing computed; ``None`` means "no check provided it in this run".
A check declares which fields it ``needs`` (an earlier check must provide them), which it
``uses`` when present, and which it ``provides``; :func:`check_order` verifies a sequence
of checks once, before any of them runs, so a check placed before its producer is a
programming error caught by the tests rather than a silent empty value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebuildable.checks.completeness import Closure
    from rebuildable.checks.licenses import LicenseInfo
    from rebuildable.context import Context
    from rebuildable.digest import HashResult
    from rebuildable.findings import Finding
    from rebuildable.formats import FormatInfo
    from rebuildable.upstream import ResolvedUpstream

__all__ = ["Check", "CheckOrderError", "State", "check_order", "declare"]


@dataclass
class State:
    """Values one check computes and later ones read (see each check's declaration)."""

    #: pointers of artifacts whose path is unusable (paths): nothing reads those files
    unusable_paths: set[str] | None = None
    #: path -> hash result of every shipped file that was hashed (integrity)
    hashes: dict[str, HashResult] | None = None
    #: upstream id -> what resolving and validating it gave (upstream)
    upstream: dict[str, ResolvedUpstream] | None = None
    #: outputs, sources and the closure of the outputs (completeness)
    closure: Closure | None = None
    #: licence expression -> its analysis (licenses)
    licences: dict[str, LicenseInfo] | None = None
    #: path -> what the file's bytes are (content; computed on first use)
    formats: dict[str, FormatInfo] | None = None
    #: export artifact id -> the listed artifact its intact C2PA manifest names as its
    #: parent (c2pa)
    c2pa_parents: dict[str, str] | None = None
    #: the profiles whose rules ran (profile)
    profiles: list[str] | None = None
    #: why profile rules judged by names alone, when they had to (profile)
    profile_sniffing: str | None = None
    #: normalised path -> a shipped path, for "did you mean" hints (integrity, private)
    similar_paths: dict[str, str] | None = field(default=None, repr=False)


#: the names a check may declare
STATE_FIELDS = frozenset(f.name for f in fields(State))


class CheckOrderError(ValueError):
    """A sequence of checks in which some check needs what no earlier check provides."""


@dataclass(frozen=True)
class Check:
    """A check: a function of the context that yields findings, with what it reads and
    writes of :class:`State`."""

    run: Callable[[Context], Iterable[Finding]]
    name: str
    needs: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()
    provides: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = (self.needs | self.uses | self.provides) - STATE_FIELDS
        if unknown:
            raise CheckOrderError(f"check {self.name}: unknown state {sorted(unknown)}")

    def __call__(self, ctx: Context) -> Iterable[Finding]:
        return self.run(ctx)


def declare(*, needs: Iterable[str] = (), uses: Iterable[str] = (),
            provides: Iterable[str] = ()) -> Callable[[Callable[[Context], Iterable[Finding]]],
                                                      Check]:
    """Decorate a check function with what it needs, uses and provides."""

    def wrap(fn: Callable[[Context], Iterable[Finding]]) -> Check:
        name = fn.__module__.rpartition(".")[2]
        return Check(fn, name, frozenset(needs), frozenset(uses), frozenset(provides))

    return wrap


def check_order(checks: Sequence[Check]) -> None:
    """Raise :class:`CheckOrderError` when a check needs state no earlier check provides."""
    provided: set[str] = set()
    for check in checks:
        missing = check.needs - provided
        if missing:
            raise CheckOrderError(
                f"check {check.name} needs {', '.join(sorted(missing))}, which no earlier "
                "check provides")
        provided |= check.provides
