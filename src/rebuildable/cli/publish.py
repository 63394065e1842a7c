"""`rebuildable publish [RELEASE] --registry URL --namespace NS [--token T]`.

Uploads a signed release (manifest, envelope and the release's files as one archive). The
token may come from ``REBUILDABLE_TOKEN``. Exit codes: 0 published (or identical already
there), 1 refused by the registry (its findings printed), 2 usage, auth or network error.
Works on a plain install (standard library HTTP).
"""

from __future__ import annotations

import json

import click

from rebuildable import api
from rebuildable.cli.common import Choice, fail, note
from rebuildable.render.text import safe

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@click.command("publish")
@click.argument("release", default=".", metavar="[RELEASE]")
@click.option("--registry", "url", required=True, metavar="URL", help="The registry's URL.")
@click.option("--namespace", required=True, help="The namespace to publish to.")
@click.option("--token", envvar="REBUILDABLE_TOKEN", default=None, show_envvar=True,
              help="A publish or admin token of the namespace.")
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text",
              show_default=True, help="json: the registry's answer as JSON on stdout.")
def command(*, release: str, url: str, namespace: str, token: str | None, fmt: str) -> None:
    """Upload RELEASE (folder, manifest or archive; default .) to a registry."""
    try:
        outcome = api.publish(release, url, namespace, token or "")
    except api.UsageError as exc:
        fail(str(exc))
    if fmt == "json":
        body = outcome.record if outcome.published else {
            "error": outcome.error, **({"report": outcome.report} if outcome.report else {})}
        click.echo(json.dumps({"status": outcome.status, **(body or {})}, indent=2))
    if outcome.published:
        rec = outcome.record or {}
        if fmt == "text":
            what = "already published (identical)" if outcome.identical else "published"
            click.echo(safe(f"{what}: {rec.get('namespace')}/{rec.get('name')} "
                            f"{rec.get('version')} {rec.get('digest')}"))
        return
    error = outcome.error or {}
    message = f"{error.get('code', 'error')}: {error.get('message', '')} (HTTP {outcome.status})"
    if not outcome.refused:
        fail(f"registry: {message}")
    if fmt == "text":
        note(f"refused by the registry: {message}")
        _print_findings(outcome.report)
    raise SystemExit(1)


def _print_findings(report: dict[str, object] | None) -> None:
    findings = report.get("findings") if report else None
    if not isinstance(findings, list):
        return
    for f in sorted((f for f in findings if isinstance(f, dict)),
                    key=lambda f: SEVERITY_ORDER.get(str(f.get("severity")), 3)):
        if f.get("severity") == "info":
            continue
        loc = f.get("location") or {}
        where = ""
        if isinstance(loc, dict) and loc.get("file"):
            where = f"{loc['file']}:{loc['line']}: " if loc.get("line") else f"{loc['file']}: "
        # (the registry is another machine: its text may hold terminal escapes)
        click.echo(safe(f"{where}{f.get('severity')}: {f.get('message')} [{f.get('code')}]"))
