"""Lineage stored at publish time, by digest: a base published after the release derived
from it links up; ``validate --registry`` fetches upstream manifests from the registry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.registry import graph, queries
from rebuildable.registry.pages import Pages
from tests.support.registry import Server, namespace, publish_dir, upload
from tests.support.signing import FILES
from tests.support.web import answering


def _derived(root: Path, base: Path, name: str = "derived", version: str = "1.0.0") -> Path:
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    upstream = [{"id": "base", "relation": "fine-tune-of", "name": "base", "version": "1.0.0",
                 "manifest": {"uri": "https://models.example.org/base/rebuild.yaml",
                              "digest": {"sha256": pin}}}]
    return publish_dir(root, name=name, version=version, upstream=upstream)


def _codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_lineage_links_up_when_the_base_comes_later(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    base = publish_dir(work / "base", name="base", version="1.0.0", description=ns)
    derived = _derived(work / "derived", base)
    with server.client() as c:
        r = upload(c, ns, token, derived)
        assert r.status_code == 201, r.text
        path = f"/api/v1/namespaces/{ns}/releases/derived/1.0.0"
        assert "upstream.not-resolved" in _codes(c.get(path + "/report").json())
        before = c.get(path + "/lineage").json()
        assert before["downstream"] == []
        assert [(u["id"], u["published"], u["relation"]) for u in before["upstream"]] == [
            ("base", False, "fine-tune-of")]

        assert upload(c, ns, token, base).status_code == 201
        after = c.get(path + "/lineage").json()
        up = after["upstream"][0]
        assert (up["namespace"], up["name"], up["version"], up["published"]) == (
            ns, "base", "1.0.0", True)
        base_digest = "sha256:" + hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
        assert up["digest"] == base_digest
        down = c.get(f"/api/v1/namespaces/{ns}/releases/base/1.0.0/lineage").json()["downstream"]
        assert [(d["namespace"], d["name"], d["version"], d["relation"]) for d in down] == [
            (ns, "derived", "1.0.0", "fine-tune-of")]
        assert c.get(path).json()["upstream"][0]["release"]["digest"] == base_digest

        # Published now that the base is here, a release is validated with its upstream
        # resolved from the registry itself.
        second = _derived(work / "second", base, name="derived", version="1.1.0")
        assert upload(c, ns, token, second).status_code == 201
        report = c.get(f"/api/v1/namespaces/{ns}/releases/derived/1.1.0/report").json()
        assert "upstream.valid" in _codes(report)
        page = c.get(f"/{ns}/base/1.0.0").text
        assert 'id="lineage"' in page
        assert "derived 1.1.0" in page


def test_validate_resolves_upstream_from_the_registry(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    # (a description of its own: identical bytes may be published by another test)
    base = publish_dir(work / "base", name="base", version="1.0.0", description=ns)
    derived = _derived(work / "derived", base)
    runner = CliRunner()

    def validate(*extra: str) -> set[str]:
        result = runner.invoke(cli, ["validate", str(derived), "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        return _codes(json.loads(result.stdout))

    assert "upstream.not-resolved" in validate("--registry", server.url)
    with server.client() as c:
        assert upload(c, ns, token, base).status_code == 201
    assert "upstream.valid" in validate("--registry", server.url)
    assert "upstream.not-resolved" in validate()
    bad = runner.invoke(cli, ["validate", str(derived), "--registry", "ftp://x"])
    assert bad.exit_code == 2

def _on(base: Path, ident: str = "base", relation: str = "fine-tune-of") -> list[dict[str, Any]]:
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    return [{"id": ident, "relation": relation,
             "manifest": {"uri": f"https://models.example.org/{base.name}/rebuild.yaml",
                          "digest": {"sha256": pin}}}]


def _refs(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["name"], i["version"], i["relation"], i["published"]) for i in items]


def test_a_fine_tune_chain_of_three_links_up_in_any_publishing_order(server: Server,
                                                                      work: Path) -> None:
    """base <- tuned <- chat: published chat first, then base, then tuned (the middle
    link last), every edge appears in both directions, and only direct neighbours."""
    ns, token = namespace(server)
    base = publish_dir(work / "base", name="base", version="1.0.0", description=ns)
    tuned = publish_dir(work / "tuned", name="tuned", version="1.0.0", upstream=_on(base))
    chat = publish_dir(work / "chat", name="chat", version="1.0.0",
                       upstream=_on(tuned, "tuned", "derived-from"))
    with server.client() as c:
        for release in (chat, base, tuned):
            assert upload(c, ns, token, release).status_code == 201

        def lineage(name: str) -> dict[str, Any]:
            r = c.get(f"/api/v1/namespaces/{ns}/releases/{name}/1.0.0/lineage")
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        assert _refs(lineage("base")["upstream"]) == []
        assert _refs(lineage("base")["downstream"]) == [("tuned", "1.0.0", "fine-tune-of", True)]
        assert _refs(lineage("tuned")["upstream"]) == [("base", "1.0.0", "fine-tune-of", True)]
        assert _refs(lineage("tuned")["downstream"]) == [("chat", "1.0.0", "derived-from", True)]
        assert _refs(lineage("chat")["upstream"]) == [("tuned", "1.0.0", "derived-from", True)]
        assert _refs(lineage("chat")["downstream"]) == []
        # The page draws two generations each way: chat's graph holds all three.
        page = c.get(f"/{ns}/chat/1.0.0").text
        graph = page[page.index('<svg id="lineage"'):page.index("</svg>", page.index(
            '<svg id="lineage"'))]
        assert graph.count('<g class="node') == 3
        assert graph.count('<g class="edge">') == 2
        assert "base 1.0.0" in graph
        assert "tuned 1.0.0" in graph
        # chat was published before its upstream: its report says so, and it stays the
        # report of record (lineage is resolved when read, the report is not rewritten).
        report = c.get(f"/api/v1/namespaces/{ns}/releases/chat/1.0.0/report").json()
        assert report["verdicts"]["upstream"]["tuned"]["status"] == "unresolved"

    # Resolved from the registry now, the whole chain: chat's upstream tuned is fetched
    # by digest, and so is tuned's own upstream base.
    result = CliRunner().invoke(cli, ["validate", str(chat), "--format", "json",
                                      "--registry", server.url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    up = report["verdicts"]["upstream"]["tuned"]
    assert (up["status"], up["name"]) == ("valid", "tuned")
    # tuned's own upstream (base) resolved from the registry too: otherwise its
    # validation would carry an upstream.not-resolved warning.
    assert up["counts"]["warning"] == 0, up


def test_search_by_artifact_digest_finds_who_ships_and_who_consumes(server: Server,
                                                                     work: Path) -> None:
    """One release ships a file; another consumes the same bytes by URI (an external
    artifact): a search by that digest names both, with the ids each gives the file."""
    ns, token = namespace(server)
    shipper = publish_dir(work / "ship", name="ship", version="1.0.0", description=ns)
    weights = hashlib.sha256(FILES["model/weights.bin"]).hexdigest()
    consumer = publish_dir(work / "use", name="use", version="1.0.0", extra_artifacts=[{
        "id": "their-weights", "uri": "https://models.example.org/ship/weights.bin",
        "kind": "weights", "size": len(FILES["model/weights.bin"]),
        "digest": {"sha256": weights}}])
    with server.client() as c:
        assert upload(c, ns, token, shipper).status_code == 201
        assert upload(c, ns, token, consumer).status_code == 201
        for query in (f"sha256:{weights}", f"sha256:{weights.upper()}"):
            found = c.get("/api/v1/search", params={"artifact": query})
            assert found.status_code == 200
            mine = sorted((r["name"], r["artifacts"]) for r in found.json()["releases"]
                          if r["namespace"] == ns)
            # (use ships the same weights file too: one entry, both ids)
            assert mine == [("ship", ["model-weights.bin"]),
                            ("use", ["model-weights.bin", "their-weights"])]
        assert c.get("/api/v1/search", params={"artifact": "sha256:" + "f" * 64}).json() == {
            "releases": [], "total": 0}
        bad = c.get("/api/v1/search", params={"artifact": "sha256:not-hex"})
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "bad-request"
        # The index page searches the same way, by digest or by name.
        page = c.get("/", params={"q": f"sha256:{weights}"}).text
        assert f"/{ns}/ship/1.0.0" in page
        assert f"/{ns}/use/1.0.0" in page
        assert "their-weights" in page
        by_name = c.get("/", params={"q": "use"}).text
        assert f"/{ns}/use/1.0.0" in by_name
        assert f"/{ns}/ship/1.0.0" not in by_name


def test_validate_believes_no_registry_bytes_that_miss_the_pin(work: Path) -> None:
    """A registry (or whatever answers at its URL) that sends other bytes than the pinned
    manifest's does not resolve the upstream: the pin is checked on what arrived."""
    base = publish_dir(work / "base", name="base", version="1.0.0")
    derived = _derived(work / "derived", base)
    other = (base / "rebuild.yaml").read_bytes().replace(b"1.0.0", b"6.6.6")
    for status, body in ((200, other), (200, b""), (500, b"oops")):
        with answering(status, body, "application/octet-stream") as url:
            result = CliRunner().invoke(cli, ["validate", str(derived), "--format", "json",
                                              "--registry", url])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert "upstream.not-resolved" in _codes(report), (status, body[:20])
        assert "upstream.valid" not in _codes(report)
        assert report["verdicts"]["upstream"]["base"]["status"] == "unresolved"


def test_long_lists_say_how_many_they_leave_out(server: Server, work: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Downstream lists, searches and the index stop at a bound (200); each says how many
    there are in all, and the page's graph draws a "+N more" node instead of dropping
    releases without a word. (The bound is lowered to 2 here, in this process, on the
    server's own database and store.)"""
    ns, token = namespace(server)
    base = publish_dir(work / "base", name="base", version="1.0.0", description=ns)
    with server.client() as c:
        assert upload(c, ns, token, base).status_code == 201
        for i in range(3):
            derived = _derived(work / f"d{i}", base, name=f"derived-{i}-{ns}")
            assert upload(c, ns, token, derived).status_code == 201
        full = c.get(f"/api/v1/namespaces/{ns}/releases/base/1.0.0/lineage").json()
        assert (len(full["downstream"]), full["downstream_total"]) == (3, 3)

    monkeypatch.setattr(queries, "MAX_RESULTS", 2)
    monkeypatch.setattr(graph, "PER_COLUMN", 1)
    registry = api.registry(server.config)
    try:
        q = registry.queries
        with q.db.read() as s:
            row = q.release(s, ns, "base", "1.0.0")
            lineage = q.lineage(s, row)
            assert [d["name"] for d in lineage["downstream"]] == [
                f"derived-0-{ns}", f"derived-1-{ns}"]
            assert lineage["downstream_total"] == 3
            weights = hashlib.sha256(FILES["model/weights.bin"]).hexdigest()
            found, total = q.search_artifact(s, f"sha256:{weights}")
            assert len(found) == 2
            assert total >= 4  # (every release of every test ships these weights)
            named, count = q.recent(s, f"-{ns}")
            assert ([r["name"] for r in named], count) == (
                [f"derived-2-{ns}", f"derived-1-{ns}"], 3)
        page = Pages(q).release(ns, "base", "1.0.0")
        assert "The first 2 of 3 releases derived from this one" in page
        # One node drawn per column, and the two others (one past the column, one past
        # the list) counted in a node of their own.
        assert "+2 more" in page
        index = Pages(q).index(f"-{ns}")
        assert "3 result(s)" in index
        assert "the first 2 shown" in index
    finally:
        registry.close()
