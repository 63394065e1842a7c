"""Server-rendered HTML: the index (with search) and a page per release. Jinja2 with
autoescaping on, no scripts, no external assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from rebuildable.registry.errors import RegistryError
from rebuildable.registry.graph import layout
from rebuildable.registry.queries import Queries

__all__ = ["Pages"]

#: the manifest text shown on a page is cut here (the exact bytes are one link away)
MAX_SHOWN = 256 * 1024


class Pages:
    def __init__(self, queries: Queries) -> None:
        self.queries = queries
        self.env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))

    def index(self, q: str) -> str:
        q = q.strip()[:200]
        error = None
        releases: list[dict[str, Any]] = []
        total = 0
        by_artifact = ":" in q
        with self.queries.db.read() as s:
            try:
                if by_artifact:
                    releases, total = self.queries.search_artifact(s, q)
                else:
                    releases, total = self.queries.recent(s, q)
            except RegistryError as exc:
                error = exc.message
        return self.env.get_template("index.html").render(
            q=q, releases=releases, total=total, error=error, by_artifact=by_artifact)

    def release(self, namespace: str, name: str, version: str) -> str:
        qs = self.queries
        with qs.db.read() as s:
            row = qs.release(s, namespace, name, version)
            record = qs.record(s, row)
            lineage = qs.lineage(s, row)

            def lineage_of(ref: dict[str, Any]) -> dict[str, Any]:
                if ref["digest"] == record["digest"]:
                    return lineage
                return qs.lineage(s, qs.by_digest(s, ref["digest"]))

            graph = layout(record, lineage_of)
            report = row.report
        raw = qs.manifest_bytes(row)
        text = raw[:MAX_SHOWN].decode("utf-8", "replace")
        if len(raw) > MAX_SHOWN:
            text += f"\n… ({len(raw) - MAX_SHOWN} more bytes)"
        return self.env.get_template("release.html").render(
            r=record, report=report, lineage=lineage, graph=graph, manifest_text=text)
