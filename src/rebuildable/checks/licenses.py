"""Licences: every ``license`` field is an SPDX licence expression.

* The expression must follow the SPDX grammar (SPDX 2.3 Annex D): licence ids,
  ``LicenseRef-`` references, ``+``, ``AND``/``OR``/``WITH`` (upper or lower case) and
  parentheses, with an exception id after ``WITH`` and nowhere else
  (``license.invalid``, an error).
* Every id must be on the SPDX licence or exception list, or be a ``LicenseRef-`` /
  ``DocumentRef-...:LicenseRef-`` / ``AdditionRef-`` reference (``license.unknown-id``);
  ids the SPDX list deprecated give ``license.deprecated-id``. Ids match case-insensitively.
* An artifact with no licence of its own, in a release that declares none, gives
  ``license.missing``.

The structure is parsed by ``license-expression`` (over placeholders, so that its own
licence index cannot merge or reinterpret ids); the ids are checked against the SPDX
License List shipped in ``data/licenses.json`` (see ``scripts/gen_license_data.py``).
Both are loaded once per process and each distinct expression is parsed once
(:func:`analyze` is cached), so 100,000 artifacts that share a few expressions cost a
few parses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from rebuildable.context import Context
from rebuildable.findings import Finding, finding
from rebuildable.load import join_pointer
from rebuildable.state import declare

if TYPE_CHECKING:
    from license_expression import Licensing

#: findings of one kind about one expression, at most; the rest are counted in the last
_MAX_PER_EXPRESSION = 20

# Replacements the SPDX License List recommends for its deprecated ids (for the hint);
# which ids are deprecated comes from the list itself (data/licenses.json).
REPLACEMENTS: dict[str, str] = {
    "AGPL-1.0": "AGPL-1.0-only or AGPL-1.0-or-later",
    "AGPL-3.0": "AGPL-3.0-only or AGPL-3.0-or-later",
    "BSD-2-Clause-FreeBSD": "BSD-2-Clause",
    "BSD-2-Clause-NetBSD": "BSD-2-Clause",
    "bzip2-1.0.5": "bzip2-1.0.6",
    "eCos-2.0": "GPL-2.0-or-later WITH eCos-exception-2.0",
    "GFDL-1.1": "GFDL-1.1-only or GFDL-1.1-or-later",
    "GFDL-1.2": "GFDL-1.2-only or GFDL-1.2-or-later",
    "GFDL-1.3": "GFDL-1.3-only or GFDL-1.3-or-later",
    "GPL-1.0": "GPL-1.0-only",
    "GPL-1.0+": "GPL-1.0-or-later",
    "GPL-2.0": "GPL-2.0-only",
    "GPL-2.0+": "GPL-2.0-or-later",
    "GPL-2.0-with-autoconf-exception": "GPL-2.0-only WITH Autoconf-exception-2.0",
    "GPL-2.0-with-bison-exception": "GPL-2.0-or-later WITH Bison-exception-2.2",
    "GPL-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
    "GPL-2.0-with-font-exception": "GPL-2.0-only WITH Font-exception-2.0",
    "GPL-2.0-with-GCC-exception": "GPL-2.0-only WITH GCC-exception-2.0",
    "GPL-3.0": "GPL-3.0-only",
    "GPL-3.0+": "GPL-3.0-or-later",
    "GPL-3.0-with-autoconf-exception": "GPL-3.0-only WITH Autoconf-exception-3.0",
    "GPL-3.0-with-GCC-exception": "GPL-3.0-only WITH GCC-exception-3.1",
    "LGPL-2.0": "LGPL-2.0-only",
    "LGPL-2.0+": "LGPL-2.0-or-later",
    "LGPL-2.1": "LGPL-2.1-only",
    "LGPL-2.1+": "LGPL-2.1-or-later",
    "LGPL-3.0": "LGPL-3.0-only",
    "LGPL-3.0+": "LGPL-3.0-or-later",
    "StandardML-NJ": "SMLNJ",
    "wxWindows": "LGPL-2.0-or-later WITH WxWindows-exception-3.1",
}
#: exceptions the SPDX list deprecated (the shipped exception list carries no flags)
DEPRECATED_EXCEPTIONS = frozenset({"Nokia-Qt-exception-1.1"})

_PARENS = ("(", ")")
_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")
_OPERATORS = {"AND": "AND", "and": "AND", "OR": "OR", "or": "OR", "WITH": "WITH", "with": "WITH"}
_IDSTRING = re.compile(r"[A-Za-z0-9.-]+\Z")
_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.-]+:)?(?:LicenseRef|AdditionRef)-[A-Za-z0-9.-]+\Z")


@dataclass(frozen=True, slots=True)
class LicenseInfo:
    """What one licence expression says, parsed once."""

    expression: str
    #: why the expression is not a valid SPDX expression; None when it is
    error: str | None = None
    #: licence and exception ids as written (without a trailing '+'), in order, unique
    ids: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    #: deprecated id -> recommended replacement (None when the list names none)
    deprecated: tuple[tuple[str, str | None], ...] = ()
    #: the ids normalised to the SPDX list's spelling (LicenseRefs as written)
    canonical: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Catalogue:
    version: str
    licenses: dict[str, str]  # lower-case id -> the SPDX list's spelling
    exceptions: dict[str, str]
    deprecated: dict[str, str]


@cache
def _catalogue() -> _Catalogue:
    """The SPDX licence and exception ids, from the SPDX License List the package ships."""
    raw = json.loads(resources.files("rebuildable").joinpath("data/licenses.json")
                     .read_text("utf-8"))
    licenses = {k.lower(): k for k in raw["licenses"]}
    exceptions = {k.lower(): k for k in raw["exceptions"]}
    deprecated = {k.lower(): k for k, v in raw["licenses"].items() if v.get("deprecated")}
    deprecated.update({k.lower(): k for k in DEPRECATED_EXCEPTIONS if k.lower() in exceptions})
    return _Catalogue(str(raw.get("spdx_license_list_version", "")), licenses, exceptions,
                      deprecated)


def spdx_list_version() -> str:
    """The version of the SPDX License List the ids are checked against."""
    return _catalogue().version


@cache
def _structure_parser() -> Licensing:
    """A symbol-less licensing object: checks the structure of placeholder expressions.
    Imported here: a release whose expressions are single ids never needs it."""
    from license_expression import Licensing  # noqa: PLC0415

    return Licensing()


def _kind(token: str) -> str:
    """'ref' (LicenseRef-...), 'addition' (AdditionRef-...), 'license', 'exception' or
    'unknown'."""
    if _REF.match(token):
        return "addition" if "AdditionRef-" in token else "ref"
    cat = _catalogue()
    low = token.lower()
    if low in cat.licenses:
        return "license"
    if low in cat.exceptions:
        return "exception"
    return "unknown"


@lru_cache(maxsize=4096)
def analyze(expression: str) -> LicenseInfo:
    """Parse and classify one licence expression (cached: call it freely)."""
    tokens = _tokens(expression)
    if not tokens:
        return LicenseInfo(expression, error="the expression is empty")
    try:
        ids, raw, placeholder = _placeholders(expression, tokens)
    except _MalformedError as exc:
        return LicenseInfo(expression, error=str(exc))
    kinds = {i: _kind(ident) for i, ident in enumerate(ids)}
    if len(placeholder) == 1 == len(ids):  # one id: the parser would return its symbol
        error = _symbol_error(ids, kinds, 0, plus=placeholder[0].endswith("+"))
    else:
        try:
            parsed = _structure_parser().parse(" ".join(placeholder))
        except Exception as exc:  # license-expression raises several unrelated types
            message = str(exc).split(" for token:")[0] or type(exc).__name__
            return LicenseInfo(expression, error=f"not a valid SPDX expression: {message}")
        if parsed is None:
            return LicenseInfo(expression, error="the expression is empty")
        error = _with_error(parsed, ids, kinds)
    if error is not None:
        return LicenseInfo(expression, error=error, ids=tuple(dict.fromkeys(ids)))
    return _classified(expression, ids, raw, kinds)


class _MalformedError(ValueError):
    """A token that no SPDX expression may hold where it stands (the message says why)."""


def _tokens(expression: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space run
            break
        tokens.append(m.group(0).strip())
        pos = m.end()
    return tokens


def _placeholders(expression: str,
                  tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The ids (without '+'), the ids as written, and the expression with each id
    replaced by ``id<N>`` (the structure parser then never sees an unknown id)."""
    ids: list[str] = []
    raw: list[str] = []  # as written, with any '+'
    placeholder: list[str] = []
    previous_operand = False
    for token in tokens:
        if token in _PARENS:
            opening = token == _PARENS[0]
            if not opening and placeholder and placeholder[-1] == _PARENS[0]:
                raise _MalformedError("empty parentheses")
            if opening and previous_operand:
                raise _MalformedError(f"an operator is missing before '(' in {expression!r}")
            placeholder.append(token)
            previous_operand = not opening
            continue
        if token in _OPERATORS:
            placeholder.append(_OPERATORS[token])
            previous_operand = False
            continue
        base = _checked_id(token, previous_operand)
        placeholder.append(f"id{len(ids)}" + ("+" if base != token else ""))
        ids.append(base)
        raw.append(token)
        previous_operand = True
    return ids, raw, placeholder


def _checked_id(token: str, previous_operand: bool) -> str:
    """``token`` as an id, without a trailing '+'; :class:`_MalformedError` otherwise."""
    if token.upper() in ("AND", "OR", "WITH"):
        raise _MalformedError(f"operator {token!r} must be written "
                              f"{token.upper()!r} or {token.lower()!r}")
    base = token[:-1] if token.endswith("+") else token
    if _REF.match(base) and base != token:
        raise _MalformedError(f"{token!r}: '+' can only follow an id of the SPDX licence list")
    if not (_REF.match(base) or _IDSTRING.match(base)):
        raise _MalformedError(f"{token!r} is not a licence identifier "
                              "(letters, digits, '.' and '-' only)")
    if previous_operand:
        raise _MalformedError(f"an operator (AND, OR, WITH) is missing "
                              f"before {token!r}; ids never contain spaces")
    return base


def _classified(expression: str, ids: list[str], raw: list[str],
                kinds: dict[int, str]) -> LicenseInfo:
    """A well-formed expression's ids: unknown, deprecated, and as the list spells them."""
    cat = _catalogue()
    unknown: dict[str, None] = {}
    deprecated: dict[str, str | None] = {}
    canonical: dict[str, None] = {}
    for i, ident in enumerate(ids):
        low = ident.lower()
        if kinds[i] == "unknown":
            unknown[ident] = None
            canonical[ident] = None
            continue
        spelled = next((cat.deprecated[k] for k in (raw[i].lower(), low)
                        if k in cat.deprecated), None)
        if spelled is not None:
            deprecated[spelled] = REPLACEMENTS.get(spelled)
        canonical[cat.licenses.get(low) or cat.exceptions.get(low) or ident] = None
    return LicenseInfo(expression, ids=tuple(dict.fromkeys(ids)), unknown=tuple(unknown),
                       deprecated=tuple(deprecated.items()), canonical=tuple(canonical))


def _index(symbol: Any) -> int:
    return int(str(symbol.key)[2:].rstrip("+"))


def _with_error(node: Any, ids: list[str], kinds: dict[int, str]) -> str | None:
    """Exceptions only after WITH, and only exceptions there."""
    from license_expression import (  # noqa: PLC0415 - see _structure_parser
        LicenseSymbol,
        LicenseWithExceptionSymbol,
    )

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, LicenseWithExceptionSymbol):
            lic, exc = _index(current.license_symbol), _index(current.exception_symbol)
            if kinds[lic] in ("exception", "addition"):
                return f"{ids[lic]!r} is a licence exception; it can only follow WITH"
            if kinds[exc] in ("license", "ref"):
                return f"{ids[exc]!r} is a licence, not an exception; WITH takes an exception"
            if str(current.exception_symbol.key).endswith("+"):
                return f"{ids[exc]!r}: '+' cannot follow an exception"
        elif isinstance(current, LicenseSymbol):
            error = _symbol_error(ids, kinds, _index(current), plus=str(current.key).endswith("+"))
            if error is not None:
                return error
        else:
            stack.extend(getattr(current, "args", ()))
    return None


def _symbol_error(ids: list[str], kinds: dict[int, str], i: int, *, plus: bool) -> str | None:
    """An exception standing alone, outside WITH."""
    if kinds[i] in ("exception", "addition") and not plus:
        return f"{ids[i]!r} is a licence exception; write it as 'LICENCE WITH {ids[i]}'"
    return None


@declare(provides=["licences"])
def check(ctx: Context) -> Iterator[Finding]:
    m = ctx.manifest
    # expression -> [(pointer of the item, artifact id)]: each distinct expression is
    # analysed once; the pointer to its ``license`` is made only for a finding
    uses: dict[str, list[tuple[str, str | None]]] = {}
    if m.license is not None:
        uses.setdefault(m.license, []).append(("", None))
    missing: list[tuple[str, str | None]] = []
    for a in m.artifacts:
        if a.license is not None:
            uses.setdefault(a.license, []).append((a.pointer, a.id))
        elif m.license is None:
            missing.append((a.pointer, a.id))

    infos = {expr: analyze(expr) for expr in uses}
    ctx.state.licences = infos
    for expr, info in infos.items():
        places = uses[expr]
        if info.error is not None:
            yield from _capped(ctx, "license.invalid", places,
                               f"licence {expr!r} is not a valid SPDX expression: {info.error}",
                               field="license")
            continue
        for ident in info.unknown:
            yield from _capped(ctx, "license.unknown-id", places,
                               f"licence id {ident!r} in {expr!r} is not on the SPDX licence "
                               "list and is not a LicenseRef-", field="license")
        for ident, replacement in info.deprecated:
            instead = f"; use {replacement}" if replacement else ""
            yield from _capped(ctx, "license.deprecated-id", places,
                               f"licence id {ident!r} in {expr!r} is deprecated on the SPDX "
                               f"licence list{instead}", field="license")
    if missing:
        yield from _capped(ctx, "license.missing", missing,
                           "artifact has no license and the release declares none",
                           hint="Add 'license:' to the release (it covers every artifact "
                                "without its own) or to the artifact.")


def _capped(ctx: Context, code: str, places: list[tuple[str, str | None]], message: str,
            *, hint: str | None = None, field: str | None = None) -> Iterator[Finding]:
    """One finding per place, for the first few places; then one that counts the rest.
    ``field``: the member of each place's item the finding points at."""
    for pointer, artifact in places[:_MAX_PER_EXPRESSION]:
        subject = f"artifact {artifact!r}: " if artifact else ""
        yield finding(code, subject + message, artifact=artifact,
                      location=ctx.locate(_at(pointer, field)), hint=hint)
    rest = len(places) - _MAX_PER_EXPRESSION
    if rest > 0:
        pointer, artifact = places[_MAX_PER_EXPRESSION]
        yield finding(code, f"{rest} more artifacts: {message}", artifact=None,
                      location=ctx.locate(_at(pointer, field)), hint=hint,
                      data={"more": rest,
                            "artifacts": [a for _, a in places[_MAX_PER_EXPRESSION:] if a][:1000]})


def _at(pointer: str, field: str | None) -> str:
    return pointer if field is None else join_pointer(pointer, field)
