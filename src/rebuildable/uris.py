"""[PATH-11]: what an external artifact's ``uri`` (or a shard index line's) must be.

Its own module, below the checks: the path check and the shard index reader both apply
the rule, and the reader must not import a check.
"""

from __future__ import annotations

import re

__all__ = ["uri_problem"]

# RFC 3986: scheme ":" then characters allowed in a URI (unreserved, reserved, '%').
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+\Z")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: a URI every rule below accepts (a common scheme with its authority, only characters
#: _URI allows, no '%'), checked with one match: a release may list 100,000 URIs
_PLAIN_URI = re.compile(r"(?:https?|ftp|s3|gs)://[A-Za-z0-9\-._~\[\]!$&'()*+,;=]"
                        r"[A-Za-z0-9\-._~:/?#\[\]!$&'()*+,;=]*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def uri_problem(uri: str) -> str | None:
    if _PLAIN_URI.match(uri):
        return None
    if not _URI.match(uri):
        if ":" not in uri or not _SCHEME.match(uri):
            return "has no scheme (a relative reference is not an external location)"
        return "holds characters a URI may not (spaces, control characters, non-ASCII)"
    if _BAD_PERCENT.search(uri):
        return "has a '%' not followed by two hex digits"
    scheme, _, rest = uri.partition(":")
    if scheme.lower() in ("http", "https", "ftp", "s3", "gs"):
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
        host = authority.rpartition("@")[2]
        host = host.rpartition(":")[0] if ":" in host and not host.endswith("]") else host
        if not rest.startswith("//") or not host:
            return f"a {scheme} URI needs an authority ('{scheme}://host/...')"
    return None
