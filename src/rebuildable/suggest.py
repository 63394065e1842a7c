"""'Did you mean ...?': the closest known word to a mistyped one (difflib)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest"]


def closest(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The known word ``word`` was most likely meant to be, or None.

    A match that differs only in case wins (``Run`` for ``run``), then one that differs
    only in case and separators (``sha-256`` and ``SHA_256`` for ``sha256``,
    ``open_source`` for ``open-source``; difflib would rank ``sha3-256`` first);
    otherwise difflib's closest match at ``cutoff`` similarity or better (``licence`` ->
    ``license``, ``ouputs`` -> ``outputs``, ``traning-code`` -> ``training-code``).
    """
    options = [c for c in dict.fromkeys(choices) if c != word]
    for same in (str.casefold, _bare):
        alike = [c for c in options if same(c) == same(word)]
        if alike:
            return alike[0]
    import difflib  # noqa: PLC0415 - only on a mistake, never on a clean start

    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def _bare(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch not in "-_. ")
