"""Owner tokens: random, shown once, stored as sha256 hashes, revocable, scoped.

A token reads ``rbl_<id>_<secret>``: the id finds the row, the secret's hash is compared
in constant time. A ``publish`` token may publish to its namespace; an ``admin`` token may
also add keys and create or revoke tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

__all__ = ["SCOPES", "Parsed", "hash_secret", "new_token", "parse_token"]

SCOPES = ("publish", "admin")
_TOKEN = re.compile(r"rbl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")

Parsed = tuple[str, str]


def new_token() -> tuple[str, str, str]:
    """(token id, the token text to show once, the hash to store)."""
    ident = secrets.token_hex(8)
    text = f"rbl_{ident}_{secrets.token_urlsafe(32)}"
    return ident, text, hash_secret(text)


def hash_secret(text: str) -> str:
    return hashlib.sha256(text.encode("ascii", "replace")).hexdigest()


def parse_token(text: str) -> str | None:
    """The token's id, or None when ``text`` cannot be a token."""
    m = _TOKEN.fullmatch(text)
    return m.group(1) if m else None


def matches(text: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(text), stored_hash)
