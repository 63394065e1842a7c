"""What fetching is asked to do and what it gave: plain data, importable without the
HTTP stack (``validate`` builds options on every run, and fetches only with ``--fetch``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rebuildable.digest import CHUNK

__all__ = ["DEFAULT_MAX_BYTES", "SMALL_OBJECT", "FetchOptions", "FetchResult"]

#: how many bytes an external artifact without a declared size may have
DEFAULT_MAX_BYTES = 1 << 40
#: objects up to this size (on fsspec stores) are read with one ranged request
SMALL_OBJECT = 4 * CHUNK


@dataclass(frozen=True)
class FetchOptions:
    """How external artifacts are fetched. Immutable; shared by threads and Dask tasks."""

    #: transfers at once
    concurrency: int = 4
    #: further attempts after a transient failure (connection dropped, 5xx, 429, time-out)
    retries: int = 3
    #: first back-off in seconds; doubled at each further attempt
    backoff: float = 0.5
    #: socket time-out for one read, in seconds
    timeout: float = 30.0
    #: bound for an artifact that declares no size
    max_bytes: int = DEFAULT_MAX_BYTES
    #: on a Dask cluster: artifacts smaller than this are batched into tasks of about
    #: this many bytes (see :mod:`rebuildable.remote.distributed`)
    batch_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class FetchResult:
    """What streaming one URI gave. ``problem`` is a finding code (``fetch.*``) or None."""

    uri: str
    digests: dict[str, str] = field(default_factory=dict)
    size: int = 0
    problem: str | None = None
    message: str = ""
    #: the redacted URL the bytes finally came from, when a redirect changed the host
    redirected_to: str | None = None
    attempts: int = 1
    resumed: int = 0
