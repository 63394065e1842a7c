"""'Did you mean ...?': the closest known word to a mistyped one (difflib)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest"]


def closest(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The known word ``word`` was most likely meant to be, or None.

    A case-insensitive match wins (``Run`` for ``run``); otherwise difflib's closest
    match at ``cutoff`` similarity or better (``licence`` -> ``license``, ``ouputs`` ->
    ``outputs``, ``traning-code`` -> ``training-code``).
    """
    options = [c for c in dict.fromkeys(choices) if c != word]
    folded = [c for c in options if c.casefold() == word.casefold()]
    if folded:
        return folded[0]
    import difflib  # noqa: PLC0415 - only on a mistake, never on a clean start

    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None
