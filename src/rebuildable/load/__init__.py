"""Strict loading of manifests (YAML and JSON) with source positions.

What this module guarantees to the rest of the engine:

* one meaning per document: duplicate keys, keys that differ only in case,
  anchors/aliases, merge keys and explicit or custom tags are refused;
* YAML plain scalars are read by the YAML 1.2 core schema, and the text the author
  wrote is kept so that fields the schema wants as strings keep that exact text
  (``version: 1.10`` stays ``"1.10"``); see :func:`coerce_to_schema`;
* bounded size and depth, strict UTF-8, no NUL, a BOM is dropped with a warning;
* every problem is a :class:`~rebuildable.findings.Finding` with line and column;
  loading never raises for bad input.
"""

from rebuildable.load.coerce import coerce_to_schema
from rebuildable.load.document import (
    MAX_SAFE_INT,
    Document,
    Limits,
    LoadResult,
    escape_pointer_token,
    gc_paused,
    join_pointer,
)
from rebuildable.load.json import DuplicateKeyError, unique_keys
from rebuildable.load.manifest import load_manifest
from rebuildable.load.text import decode
from rebuildable.load.yaml import HAVE_LIBYAML

__all__ = [
    "HAVE_LIBYAML",
    "MAX_SAFE_INT",
    "Document",
    "DuplicateKeyError",
    "Limits",
    "LoadResult",
    "coerce_to_schema",
    "decode",
    "escape_pointer_token",
    "gc_paused",
    "join_pointer",
    "load_manifest",
    "unique_keys",
]
