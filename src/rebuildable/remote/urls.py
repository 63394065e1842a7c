"""What a URL may show in a report: credentials never, the rest as written."""

from __future__ import annotations

import urllib.parse

#: query parameters that carry secrets in pre-signed or token-bearing URLs
_SECRET_PARAMS = frozenset({
    "token", "access_token", "sig", "signature", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "x-goog-signature", "x-goog-credential", "key", "api_key",
    "apikey", "password", "se", "sp", "sv",
})

#: schemes read by the standard library's HTTP client (exact control of redirects and ranges)
HTTP_SCHEMES = frozenset({"http", "https"})


def scheme_of(uri: str) -> str:
    return urllib.parse.urlsplit(uri).scheme.lower()


def redact(uri: str) -> str:
    """``uri`` with user, password and secret query values replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError:
        return "<unparseable URI>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = urllib.parse.urlencode(
            [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def host_of(uri: str) -> str:
    try:
        return (urllib.parse.urlsplit(uri).hostname or "").lower()
    except ValueError:
        return ""
