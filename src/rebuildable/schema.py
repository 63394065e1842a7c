"""The manifest and report schemas: one import for everything schema-related.

The parts live in modules named for what they do:

* :mod:`rebuildable.schema_files`: the shipped schemas by short name, and their registry;
* :mod:`rebuildable.schema_validators`: the jsonschema-rs fast path and the pure-Python
  validator;
* :mod:`rebuildable.schema_strings`: where the schema wants a string, and the manifest
  load every reader goes through (:func:`load_document`);
* :mod:`rebuildable.schema_findings`: schema errors as located findings.
"""

from rebuildable.schema_files import SCHEMA_NAMES, load_schema, registry
from rebuildable.schema_findings import schema_findings
from rebuildable.schema_strings import load_document, wants_string
from rebuildable.schema_validators import accelerated, is_valid, validator

__all__ = [
    "SCHEMA_NAMES",
    "accelerated",
    "is_valid",
    "load_document",
    "load_schema",
    "registry",
    "schema_findings",
    "validator",
    "wants_string",
]
