"""The read side over HTTP: the record's fields (by the contract's names), the exact
bytes, the badge's states, and the pages: every value escaped, nothing loaded from
elsewhere."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import httpx

from rebuildable import api
from rebuildable.registry.store import open_store
from tests.support.hostile_releases import (
    HOSTILE_MARKUP,
    HOSTILE_URI,
    markup_in_every_free_text_field,
)
from tests.support.registry import Server, namespace, publish_dir, upload
from tests.support.signing import key, release

# The names fixed by ../shared/design/contract.md ("The registry service") and the
# record spec/registry.md gives in full.
CONTRACT_RECORD = {"namespace", "name", "version", "digest", "published_at", "ok", "verdicts",
                   "signers", "upstream", "artifacts"}
RECORD = CONTRACT_RECORD | {"manifest", "envelope_digest", "archive_digest", "archive_size"}
UPSTREAM_PIN = {"id", "relation", "name", "version", "path", "uri", "digest", "release"}
ARTIFACT = {"id", "path", "uri", "kind", "role", "digest", "size", "license"}
REFERENCE = {"namespace", "name", "version", "digest", "relation"}
LINEAGE_ITEM = REFERENCE | {"id", "published"}


def test_the_record_and_its_references_have_the_contracts_fields(server: Server,
                                                                 work: Path) -> None:
    ns, token = namespace(server)
    base = publish_dir(work / "base", name="base", version="1.0.0", description=ns)
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    derived = publish_dir(work / "derived", name="derived", version="1.0.0", upstream=[{
        "id": "base", "relation": "fine-tune-of", "name": "base", "version": "1.0.0",
        "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                     "digest": {"sha256": pin}}}])
    with server.client() as c:
        assert upload(c, ns, token, base).status_code == 201
        published = upload(c, ns, token, derived)
        assert published.status_code == 201
        path = f"/api/v1/namespaces/{ns}/releases/derived/1.0.0"
        record = c.get(path).json()
        assert published.json() == record
        assert set(record) == RECORD
        assert record["published_at"].endswith("Z")
        assert record["digest"] == "sha256:" + hashlib.sha256(
            (derived / "rebuild.yaml").read_bytes()).hexdigest()
        assert record["archive_digest"].startswith("sha256:")
        assert record["envelope_digest"] == "sha256:" + hashlib.sha256(
            (derived / "rebuild.dsse.json").read_bytes()).hexdigest()
        assert [set(u) for u in record["upstream"]] == [UPSTREAM_PIN]
        assert set(record["upstream"][0]["release"]) == REFERENCE
        assert record["upstream"][0]["release"]["digest"] == f"sha256:{pin}"
        assert all(set(a) == ARTIFACT for a in record["artifacts"])
        assert {a["role"] for a in record["artifacts"]} == {"source", "output"}
        assert {a["license"] for a in record["artifacts"]} == {"Apache-2.0"}
        assert c.get(f"/api/v1/releases/{record['digest']}").json() == record
        lineage = c.get(path + "/lineage").json()
        assert set(lineage) == {"upstream", "downstream", "downstream_total"}
        assert lineage["downstream_total"] == 0
        assert [set(u) for u in lineage["upstream"]] == [LINEAGE_ITEM]
        down = c.get(f"/api/v1/namespaces/{ns}/releases/base/1.0.0/lineage").json()
        assert [set(d) for d in down["downstream"]] == [LINEAGE_ITEM]
        assert down["downstream_total"] == 1
        weights = next(a for a in record["artifacts"] if a["id"] == "model-weights.bin")
        found = c.get("/api/v1/search", params={
            "artifact": f"sha256:{weights['digest']['sha256']}"}).json()
        assert set(found) == {"releases", "total"}
        assert found["total"] == len(found["releases"])
        assert all(set(r) == {"namespace", "name", "version", "digest", "artifacts"}
                   for r in found["releases"])


def _odd_bytes_release(root: Path, manifest_name: str) -> Path:
    """A signed release whose manifest and envelope bytes no serialiser would write:
    a byte-order mark (YAML), CRLF line ends, non-ASCII, a tab, trailing spaces."""
    release(root, name=f"bytes-{root.name}", version="1.0.0", manifest_name=manifest_name,
            description="naïve — 日本語\ttab  trailing  ")
    manifest = root / manifest_name
    data = manifest.read_bytes().replace(b"\n", b"\r\n")
    manifest.write_bytes(data if manifest_name.endswith(".json") else b"\xef\xbb\xbf" + data)
    api.sign(root, key("alice"))
    envelope = root / "rebuild.dsse.json"
    envelope.write_bytes(json.dumps(json.loads(envelope.read_bytes()), indent=3)
                         .replace("\n", " \r\n").encode() + b"\r\n\r\n")
    return root


def test_manifest_and_envelope_are_served_byte_for_byte(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    with server.client() as c:
        for name, kind in (("rebuild.yaml", "application/yaml"),
                           ("rebuild.json", "application/json")):
            root = _odd_bytes_release(work / name.replace(".", "-"), name)
            manifest = (root / name).read_bytes()
            envelope = (root / "rebuild.dsse.json").read_bytes()
            assert upload(c, ns, token, root).status_code == 201
            path = f"/api/v1/namespaces/{ns}/releases/bytes-{root.name}/1.0.0"
            got = c.get(path + "/manifest")
            assert got.content == manifest
            assert got.headers["content-type"].startswith(kind)
            assert c.get(path + "/envelope").content == envelope
            for alg in ("sha256", "sha512"):
                digest = f"{alg}:{hashlib.new(alg, manifest).hexdigest()}"
                assert c.get(f"/api/v1/releases/{digest}/manifest").content == manifest
                assert c.get(f"/api/v1/releases/{digest}").json()["name"] == f"bytes-{root.name}"
            assert c.get(path).json()["manifest"] == name


def _badge(c: httpx.Client, ns: str, name: str) -> tuple[str, str]:
    """(words, colour) of a release's badge, read as XML."""
    r = c.get(f"/api/v1/namespaces/{ns}/releases/{name}/1.0.0/badge.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    svg = ET.fromstring(r.content)
    ns_svg = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(f"{ns_svg}text")]
    colour = [rect.get("fill") for rect in svg.iter(f"{ns_svg}rect")][1]
    return str(texts[1]), str(colour)


def test_the_badge_names_what_holds_what_does_not_and_altered_bytes(server: Server,
                                                                    work: Path) -> None:
    ns, token = namespace(server)
    open_release = publish_dir(work / "open", name="open", version="1.0.0", description=ns)
    closed = publish_dir(work / "closed", name="closed", version="1.0.0", description=ns,
                         license="CC-BY-NC-4.0")
    with server.client() as c:
        assert upload(c, ns, token, open_release).status_code == 201
        assert upload(c, ns, token, closed).status_code == 201
        assert _badge(c, ns, "open") == ("signed · intact · complete · open-source", "#2e7d32")
        assert _badge(c, ns, "closed") == ("signed · intact · complete · not open-source",
                                           "#a65c00")
        # A refused release has no record, so no badge: its URL is a JSON 404.
        missing = c.get(f"/api/v1/namespaces/{ns}/releases/tampered/1.0.0/badge.svg")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not-found"

        # The stored manifest altered behind the registry's back: the badge turns red,
        # and the bytes are not served as the published ones.
        record = c.get(f"/api/v1/namespaces/{ns}/releases/open/1.0.0").json()
        store = open_store(server.config.store_url)
        sha = record["digest"].removeprefix("sha256:")
        blob = Path(store.root) / "sha256" / sha[:2] / sha[2:]  # type: ignore[attr-defined]
        original = blob.read_bytes()
        blob.write_bytes(original.replace(b"open", b"0pen", 1))
        try:
            assert _badge(c, ns, "open") == ("stored bytes altered", "#c62828")
            for path in (f"/api/v1/namespaces/{ns}/releases/open/1.0.0/manifest",
                         f"/api/v1/releases/{record['digest']}/manifest", f"/{ns}/open/1.0.0"):
                r = c.get(path)
                assert r.status_code == 500, path
                assert r.json()["error"]["code"] == "stored-bytes-altered"
            # The record itself (database only) still reads; the envelope is untouched.
            assert c.get(f"/api/v1/namespaces/{ns}/releases/open/1.0.0").status_code == 200
            assert c.get(f"/api/v1/namespaces/{ns}/releases/open/1.0.0/envelope"
                         ).status_code == 200
        finally:
            blob.write_bytes(original)
        assert _badge(c, ns, "open")[1] == "#2e7d32"


# -- pages -----------------------------------------------------------------------------

#: every element the templates write; markup from a manifest would add others
TAGS = {"html", "head", "meta", "title", "style", "body", "header", "main", "h1", "h2",
        "small", "p", "b", "a", "span", "img", "div", "code", "br", "pre", "table", "thead",
        "tbody", "tr", "th", "td", "form", "input", "button", "svg", "defs", "marker",
        "path", "g", "line", "rect", "text", "clippath"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset",
                  "data", "background", "cite", "ping", "manifest", "longdesc"}


class _Page(HTMLParser):
    """Every element, attribute and piece of text of a page, as a browser's parser
    reads them (entities decoded)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"
        self.styles += [v or "" for k, v in attrs if k == "style"]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def assert_self_contained(html: str) -> _Page:
    """No element beyond the templates' own, no event handler, and every URL the page
    could load or follow is a path on this registry (no scheme, no other host)."""
    page = _Page(html)
    assert {tag for tag, _ in page.tags} <= TAGS, {tag for tag, _ in page.tags} - TAGS
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in URL_ATTRIBUTES:
                assert value is not None
                assert value.startswith("/"), (tag, name, value)
                assert not value.startswith("//"), (tag, name, value)
                assert ":" not in value.split("?", 1)[0], (tag, name, value)
            if name in ("marker-end", "clip-path"):  # references inside the page only
                assert value is not None
                assert re.fullmatch(r"url\(#[a-z0-9-]+\)", value), (tag, name, value)
    for css in page.styles:
        assert "url(" not in css
        assert "@import" not in css
    return page


def test_release_page_escapes_hostile_text_and_loads_nothing_from_elsewhere(
        server: Server, work: Path) -> None:
    ns, token = namespace(server)
    hostile = markup_in_every_free_text_field(work / "hostile", key("alice"),
                                              name=f"hostile-{ns}")
    with server.client() as c:
        r = upload(c, ns, token, hostile)
        assert r.status_code == 201, r.text
        page = c.get(f"/{ns}/hostile-{ns}/1.0.0")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    parsed = assert_self_contained(page.text)
    text = "".join(parsed.text)
    # The markup is there as text: in the upstream table (name and version), the
    # artifact table and finding messages (the path; the upstream's URI), the manifest.
    assert f"{HOSTILE_MARKUP} {HOSTILE_MARKUP} (not published here)" in text
    assert HOSTILE_URI in text  # upstream.not-resolved
    hostile_path = "data/" + HOSTILE_MARKUP.replace("/", "_") + ".txt"
    assert text.count(hostile_path) >= 3  # artifact table, two findings
    assert "description: <script>window.pwned=1</script>" in text  # the manifest
    assert "javascript:window.pwned=5" in text  # as text, never as a link
    graph = page.text[page.text.index('<svg id="lineage"'):]
    graph = graph[:graph.index("</svg>")]
    assert "&lt;script&gt;window.pwned=1" in graph  # the unpublished upstream's label
    assert "<script" not in graph


def test_index_page_escapes_the_query_and_searches(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    rel = publish_dir(work / "r", name=f"findme-{ns}", version="1.0.0")
    with server.client() as c:
        assert upload(c, ns, token, rel).status_code == 201
        for q in (HOSTILE_MARKUP, "sha256:" + HOSTILE_MARKUP, "%", "_", "\\"):
            page = c.get("/", params={"q": q})
            assert page.status_code == 200, q
            parsed = assert_self_contained(page.text)
            assert f"findme-{ns}" not in page.text, q  # LIKE wildcards are literal
            if q == HOSTILE_MARKUP:
                assert q in "".join(parsed.text)
        found = c.get("/", params={"q": f"findme-{ns}"})
        assert f'href="/{ns}/findme-{ns}/1.0.0"' in found.text
        # Alike on SQLite and PostgreSQL: ASCII case ignored; a query that no name can
        # hold (NUL, which PostgreSQL refuses in a query, non-ASCII) finds nothing, 200.
        for q in (f"FindMe-{ns.upper()}", f"DME-{ns}"):
            assert f'href="/{ns}/findme-{ns}/1.0.0"' in c.get("/", params={"q": q}).text, q
        for q in ("\x00", f"findme-{ns}\x00", "é", f"ﬁndme-{ns}"):
            page = c.get("/", params={"q": q})
            assert page.status_code == 200, (q, page.text[:300])
            assert f"findme-{ns}/1.0.0" not in page.text, q
        assert_self_contained(c.get("/").text)
        assert_self_contained(c.get(f"/{ns}/findme-{ns}/1.0.0").text)
