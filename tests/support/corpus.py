"""Where the shared corpus of real-world files is, and what a test does when it is not there.

The corpus lives beside the checkout (``../shared/corpus``) and is never copied into the
project. Locally a missing corpus skips the tests that read it; in CI (``CI=true``) it fails
them, so that a broken checkout cannot turn sixty tests into silent skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["CORPUS", "corpus_dir", "corpus_file", "corpus_required", "require_corpus"]

#: the shared corpus of real-world files beside the checkout; REBUILDABLE_CORPUS points
#: elsewhere (a worktree that does not sit beside it)
CORPUS = Path(os.environ.get("REBUILDABLE_CORPUS")
              or Path(__file__).resolve().parents[3] / "shared" / "corpus")


def corpus_required() -> bool:
    """True in CI, where a missing corpus is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _missing(what: str) -> None:
    message = f"shared corpus: {what} is not here ({CORPUS})"
    if corpus_required():
        pytest.fail(message + "; CI=true requires it", pytrace=False)
    pytest.skip(message)


def require_corpus() -> Path:
    """The corpus folder; skips (locally) or fails (CI) the calling test when absent."""
    if not CORPUS.is_dir():
        _missing("the corpus folder")
    return CORPUS


def corpus_dir(rel: str) -> Path:
    """A folder of the corpus, read in place; skips or fails like :func:`require_corpus`."""
    path = CORPUS / rel
    if not path.is_dir():
        _missing(f"folder {rel}")
    return path


def corpus_file(rel: str) -> Path:
    """A corpus file, read in place; skips or fails like :func:`require_corpus`."""
    path = CORPUS / rel
    if not path.is_file():
        _missing(f"file {rel}")
    return path
