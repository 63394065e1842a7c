"""How a rebuild is asked for: the options the CLI, the API and tests fill in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rebuildable.defaults import DEFAULT_TIMEOUT
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.rebuild.outputs import DEFAULT_MAX_OUTPUT_SIZE


@dataclass(frozen=True)
class RebuildOptions:
    """How to rebuild. Immutable; the CLI and tests build one each."""

    timeout: float = DEFAULT_TIMEOUT
    #: folders searched for external inputs, matched by digest
    inputs_dirs: tuple[Path, ...] = ()
    #: download external inputs (https/http), verified by digest before use
    fetch: bool = False
    #: folders holding upstream releases (a manifest matching the pinned digest)
    upstream_dirs: tuple[Path, ...] = ()
    #: keep the work folders for inspection (their place is in the report)
    keep: bool = False
    #: rebuild only this step; inputs made by other steps are taken as shipped
    step: str | None = None
    #: run each step twice in fresh folders and compare the two runs
    twice: bool = False
    #: "auto" (strongest that works), "bwrap", "unshare" or "none"
    isolation: str = "auto"
    strict: bool = False
    #: where private work folders are made (default: the system's temporary folder)
    work_root: Path | None = None
    progress: Progress = NO_PROGRESS
    #: the environment whose PATH steps get (default: this process's)
    caller_env: dict[str, str] | None = None
    #: an output larger than this (bytes) is refused, not copied ([REB-19])
    max_output_size: int = DEFAULT_MAX_OUTPUT_SIZE
    #: replay this many segments chosen at random instead of running steps in full
    sample: int | None = None
    #: the seed that chooses them (default: a fresh random one, reported)
    seed: int | None = None
    #: a folder of wheels that locked environments are installed from
    wheels: Path | None = None
    #: let the environment phase (only) reach the package index
    allow_network_for_environment: bool = False

