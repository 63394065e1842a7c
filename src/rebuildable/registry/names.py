"""What a namespace, release name and version may look like in a registry path.

Each is one URL path segment: no ``/``, no ``..``, no control characters, bounded length.
A release whose manifest ``name`` does not fit is refused at publish time.
"""

from __future__ import annotations

import re

from rebuildable.registry.versions import VERSION_PATTERN

__all__ = ["NAMESPACE_PATTERN", "NAME_PATTERN", "VERSION_PATTERN", "valid_name",
           "valid_namespace"]

NAMESPACE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$"
_NAMESPACE = re.compile(NAMESPACE_PATTERN)
_NAME = re.compile(NAME_PATTERN)


def valid_namespace(text: str) -> bool:
    return _NAMESPACE.fullmatch(text) is not None


def valid_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None
