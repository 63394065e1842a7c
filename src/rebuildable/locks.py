"""Which files are Python environment locks: what ``rebuildable init`` drafts as kind
``environment`` and what ``rebuildable rebuild`` materialises ([REB-24]).

One definition for both, so that a file the draft calls a lock is the file the rebuild
builds: a PEP 751 ``pylock.toml`` / ``pylock.NAME.toml``, or a ``.txt`` requirements file
whose requirements carry ``--hash`` (pip's hash-checking mode).
"""

from __future__ import annotations

import re

__all__ = ["PYLOCK", "python_lock_kind"]

#: PEP 751's file names: ``pylock.toml`` or ``pylock.NAME.toml`` (NAME without dots)
PYLOCK = re.compile(r"(?:^|/)pylock(?:\.[^/.]+)?\.toml\Z")


def python_lock_kind(path: str, head: bytes) -> str | None:
    """``"pylock"``, ``"requirements"`` or None, from the path and the first bytes.

    A ``.txt`` counts as a lock when its bytes hold ``--hash`` (pip then refuses to
    install anything unhashed); whether every line is pinned is for the reader of the
    lock to check, and a rebuild that finds otherwise reports it.
    """
    if PYLOCK.search(path):
        return "pylock"
    if path.endswith(".txt") and b"--hash" in head:
        return "requirements"
    return None
