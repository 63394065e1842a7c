"""The human report: findings grouped by what they are about, then a one-line verdict.

Groups come in this order: each artifact, each step, each upstream, then findings
about the release as a whole. Inside a group, errors come first, then warnings, then
notes, each in manifest order. Colour is applied only when the caller asks (the CLI
asks on a terminal, unless ``NO_COLOR`` or ``--no-color``); the text is the same
either way.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

from rebuildable.findings import Finding, Severity
from rebuildable.jsonsafe import encodable
from rebuildable.render._places import ArchivePlace, shown_path
from rebuildable.report import Report
from rebuildable.sections import C2pa, Rebuild, Signatures, Verdicts

#: the width the report is laid out for; long lines are never wrapped (soft wrap)
WIDTH = 100

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow",
                   Severity.INFO: "blue"}
_SEVERITY_LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}
_GROUP_ORDER = {"artifact": 0, "step": 1, "upstream": 2, "release": 3}


def _group_of(f: Finding) -> tuple[str, str]:
    if f.artifact is not None:
        return "artifact", f.artifact
    if f.step is not None:
        return "step", f.step
    if f.upstream is not None:
        return "upstream", f.upstream
    return "release", ""


def _position(f: Finding) -> tuple[int, int]:
    loc = f.location
    if loc is None or loc.line is None:
        return (1 << 30, 0)
    return (loc.line, loc.column or 0)


def group_findings(findings: Iterable[Finding]) -> list[tuple[tuple[str, str], list[Finding]]]:
    """Findings grouped by subject, groups in render order, findings sorted within."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault(_group_of(f), []).append(f)
    for items in groups.values():
        items.sort(key=lambda f: (f.severity.rank, _position(f), f.code, f.message))

    def order(item: tuple[tuple[str, str], list[Finding]]) -> tuple[int, tuple[int, int], str]:
        (kind, name), items = item
        first = min(_position(f) for f in items)
        return (_GROUP_ORDER[kind], first, name)

    return sorted(groups.items(), key=order)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(report: Report) -> str:
    """The counts part of the verdict line: ``2 errors, 1 warning`` (infos when any)."""
    counts = report.counts
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    return ", ".join(parts)


def release_label(report: Report) -> str:
    info = report.release
    if info.name is not None:
        return f"{info.name} {info.version}" if info.version is not None else info.name
    return info.manifest or "release"


# C0 and C1 controls (ESC starts terminal escape sequences), DEL, and the bidirectional
# overrides and isolates ("Trojan Source") are shown as escapes, never sent raw: names
# and messages may come from a hostile manifest or archive.
_UNSAFE = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}
_UNSAFE.update({c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                           0x200E, 0x200F, 0x061C]})
_UNSAFE.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})


#: the control codes rich strips from printed text (bell, backspace, vertical tab,
#: form feed, carriage return), removed the same way without importing rich
_CONTROL_CODES = dict.fromkeys([7, 8, 11, 12, 13])


def safe(text: str) -> str:
    """``text`` with control and bidi-override characters, and lone surrogates (which no
    output encoding can write), written as escapes."""
    return encodable(text.translate(_UNSAFE))


#: one line of the report: the line's base style, and its (text, style) pieces; the
#: base style applies under every piece, as with ``rich.text.Text(..., style=base)``
Piece = tuple[str, str | None]
Line = tuple[str | None, list[Piece]]


def _verdict_pieces(report: Report) -> Line:
    pieces: list[Piece] = [("OK", "bold green") if report.ok else ("FAIL", "bold red")]
    pieces.append((f" {safe(release_label(report))}: ", None))
    if report.fatal:
        pieces.append(("could not be read; ", None))
    pieces.append((summary(report), None))
    if report.strict and report.count(Severity.WARNING):
        pieces.append((" (strict: warnings count as errors)", None))
    return None, pieces


def verdict_line(report: Report) -> Text:
    return _to_text(_verdict_pieces(report))


def _heading(kind: str, name: str) -> Line:
    if kind == "release":
        return "bold", [("release", None)]
    return "bold", [(f"{kind} ", None), (safe(name), "bold magenta")]


def _finding_lines(f: Finding, manifest: str | None = None,
                   base: str | None = None) -> list[Line]:
    label = _SEVERITY_LABEL[f.severity]
    lines: list[Line] = [
        (None, [("  ", None), (f"{label:<8}", _SEVERITY_STYLE[f.severity]), (" ", None),
                (safe(f.code), "cyan"), ("  ", None), (safe(f.message), None)])
    ]
    extra_subjects = [f"{k} {safe(v)}" for k, v in (("step", f.step), ("upstream", f.upstream))
                      if v is not None and _group_of(f) != (k, v)]
    if extra_subjects:
        lines.append(("dim", [("           " + ", ".join(extra_subjects), None)]))
    loc = f.location
    if loc is not None:
        where = shown_path(loc, manifest, base)  # clickable from the working directory
        if loc.line is not None:
            where += f":{loc.line}"
            if loc.column is not None:
                where += f":{loc.column}"
        at: list[Piece] = [("           at ", None), (safe(where), "underline")]
        if loc.pointer:
            at.append((f" ({safe(loc.pointer)})", "dim"))
        lines.append(("dim", at))
    excerpt = f.data.get("excerpt")
    if isinstance(excerpt, list):  # e.g. the tail of a failed step's standard error
        lines.extend((None, [("           | ", "dim"), (safe(str(x)), None)]) for x in excerpt)
    if f.hint:
        lines.append(("dim", [("           hint: ", None), (safe(f.hint), "italic")]))
    return lines


def _to_text(line: Line) -> Text:
    from rich.text import Text  # noqa: PLC0415 - rich loads only for coloured output

    base, pieces = line
    text = Text(style=base or "")
    for piece, style in pieces:
        text.append(piece, style=style)
    return text


def _plain(line: Line) -> str:
    # Exactly what rich prints for the same Text without colour: control codes that
    # move the cursor are stripped, tabs expanded; nothing wraps (soft wrap).
    return "".join(piece for piece, _ in line[1]).translate(_CONTROL_CODES).expandtabs(4)


def _yes_no(ok: bool) -> Piece:
    return ("yes", "green") if ok else ("NO", "bold red")


def _verdicts_lines(verdicts: Verdicts) -> list[Line]:
    pieces: list[Piece] = [("verdicts:", "bold")]
    for verdict, label in ((verdicts.intact, "intact"), (verdicts.complete, "complete"),
                           (verdicts.open_source, "open source")):
        pieces.extend([(f" {label} ", None), _yes_no(verdict.ok), (",", None)])
    if verdicts.rebuildable is not None:
        pieces.append((f" rebuildable {safe(verdicts.rebuildable.words)},", None))
    pieces[-1] = (pieces[-1][0].rstrip(","), pieces[-1][1]) if pieces[-1][0] != "," else ("", None)
    lines: list[Line] = [(None, pieces)]
    mof = verdicts.mof
    if mof.klass or mof.next:
        text = f"  Model Openness Framework: {mof.name or mof.klass or 'none'}"
        if mof.next and mof.missing_for_next:
            text += f"; for {mof.next} add: {', '.join(mof.missing_for_next)}"
        lines.append((None, [(safe(text), None)]))
    return lines


def _signatures_lines(section: Signatures) -> list[Line]:
    if not section.checked:
        return []
    text = f" {len(section.verified_keys)} trusted key(s) verified"
    if section.missing:
        text += f", {section.missing} more needed"
    return [(None, [("signatures:", "bold"), (" ", None), _yes_no(section.verified),
                    (text, None)])]


def _c2pa_lines(section: C2pa) -> list[Line]:
    """One line per export that an intact C2PA manifest links to a listed artifact."""
    lines: list[Line] = []
    for entry in section.artifacts.values():
        parent = entry.get("parent")
        if parent is None:
            continue
        trust = "trusted" if entry.get("trusted") else "not trusted here"
        text = (f"  {entry.get('path')} made from {parent.get('path')} (C2PA parent, by "
                f"{parent.get('by')}; signer {entry.get('signer') or 'unnamed'}, {trust})")
        lines.append((None, [(safe(text), None)]))
    if lines:
        lines.insert(0, (None, [("c2pa:", "bold"), (f" {len(lines)} export(s) linked to "
                                                     "their source", None)]))
    return lines


def _isolation_text(isolation: Mapping[str, Any]) -> str:
    method = str(isolation.get("method", "none"))
    parts = ["network " + ("blocked" if isolation.get("network") is False else "OPEN"),
             "read-only system" if isolation.get("readonly_system") else "writable system"]
    timeout = isolation.get("timeout")
    if timeout is not None:
        parts.append(f"timeout {timeout:g} s")
    return f"{method} ({', '.join(parts)})"


def _environment_text(env: Mapping[str, Any]) -> str:
    packages = env.get("packages") or []
    pinned = ", ".join(f"{p.get('name')} {p.get('version')}" for p in packages) or "no packages"
    return (f"{env.get('artifact')} ({env.get('lock')}, from {env.get('source')}): "
            f"{env.get('interpreter', '?')} on {env.get('platform', '?')}; {pinned}")


def _rebuild_lines(section: Rebuild) -> list[Line]:
    lines: list[Line] = []
    isolation = section.isolation
    if isolation is not None:
        lines.append((None, [("isolation:", "bold"),
                             (" " + safe(_isolation_text(isolation)), None)]))
    for step in section.steps:
        own = step.isolation
        status = safe(step.status)
        segment = step.segment
        name = (segment.label if segment else None) or step.id
        text = f"  {'segment' if segment else 'step'} {safe(name or '?')}: {status}"
        if own and (
            isolation is None or _isolation_text(own) != _isolation_text(isolation)
        ):
            text += f", isolation {safe(_isolation_text(own))}"
        lines.append((None, [(text, None)]))
        env = step.environment
        if env is not None:
            lines.append((None, [("    environment: " + safe(_environment_text(env)), None)]))
    return lines


def _section_lines(report: Report) -> list[Line]:
    """A few lines that sum up the report's sections (verdicts, signatures, rebuild)."""
    lines: list[Line] = []
    verdicts = report.section(Verdicts)
    if verdicts is not None:
        lines.extend(_verdicts_lines(verdicts))
    signatures = report.section(Signatures)
    if signatures is not None:
        lines.extend(_signatures_lines(signatures))
    rebuild = report.section(Rebuild)
    if rebuild is not None:
        lines.extend(_rebuild_lines(rebuild))
    c2pa = report.section(C2pa)
    if c2pa is not None:
        lines.extend(_c2pa_lines(c2pa))
    if lines:
        lines.append((None, []))
    return lines


def _report_lines(report: Report, base: str | None = None) -> list[Line]:
    lines: list[Line] = []
    for (kind, name), items in group_findings(report.findings):
        lines.append(_heading(kind, name))
        for f in items:
            lines.extend(_finding_lines(f, report.release.manifest, base))
        lines.append((None, []))
    lines.extend(_section_lines(report))
    lines.append(_verdict_pieces(report))
    return lines


def render_text(report: Report, *, color: bool = False, base: str | None = None,
                archive: ArchivePlace | None = None) -> str:
    """The report as text; with ``color`` the text carries ANSI styles.

    With ``base`` (the release folder from the working directory) places in the
    manifest read ``releases/model/rebuild.yaml:12:5``, which terminals and editors
    open at that line.

    Without colour the lines are joined directly (a report of 100,000 findings renders
    in a fraction of a second); with colour rich styles them, in one print call.
    """
    # Every piece goes through encodable(): a str from a hostile release may hold a lone
    # surrogate, which would make the caller's write fail, not just look odd.
    lines = [(base_style, [(encodable(piece), style) for piece, style in pieces])
             for base_style, pieces in _report_lines(report, base)]
    if not color:
        return "".join(_plain(line) + "\n" for line in lines)
    from rich.console import Console  # noqa: PLC0415 - rich loads only for coloured output
    from rich.text import Text  # noqa: PLC0415

    buffer = io.StringIO()
    console = Console(file=buffer, width=WIDTH, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False,
                      emoji=False, markup=False, soft_wrap=True, legacy_windows=False,
                      force_jupyter=False, force_interactive=False, tab_size=4)
    console.print(Text("\n").join(_to_text(line) for line in lines))
    return buffer.getvalue()
