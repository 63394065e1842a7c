"""The YAML 1.2 core schema's reading of plain scalars, and the ones YAML 1.1 reads apart."""

from __future__ import annotations

import math
import re
from typing import Any

from rebuildable.load.document import MAX_INT_LITERAL, OVERSIZED_INT

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
_NULL_RE = re.compile(r"(?:null|Null|NULL|~|)\Z")
_BOOL_RE = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(?:nan|NaN|NAN)\Z")
# Plain scalars that YAML 1.1 readers (PyYAML's default, many others) read as non-strings.
YAML11_SURPRISE_RE = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)\Z"
)



def _int(digits: str, base: int) -> int:
    # Python refuses decimal conversions past 4,300 digits, and a long hex or octal
    # literal converts but cannot be printed in decimal. Every such literal is far
    # beyond the I-JSON range: it stands in as OVERSIZED_INT (its text stays in
    # ``Document.plain_text``), so the range check reports it instead of a crash.
    if len(digits) > MAX_INT_LITERAL:
        return -OVERSIZED_INT if digits.startswith("-") else OVERSIZED_INT
    return int(digits, base)


def resolve_plain(text: str) -> Any:
    if _NULL_RE.match(text):
        return None
    if _BOOL_RE.match(text):
        return text[0] in "tT"
    if _INT_RE.match(text):
        return _int(text, 10)
    if _OCT_RE.match(text):
        return _int(text[2:], 8)
    if _HEX_RE.match(text):
        return _int(text[2:], 16)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text
