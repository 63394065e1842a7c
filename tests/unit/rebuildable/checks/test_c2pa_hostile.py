"""Hostile C2PA manifests: ingredient titles and identifiers a signer controls, and a
file that points the library at a URL. Each ends in a finding or nothing, never a
crash, a link to a file the ingredient does not name, or a request leaving the machine."""

from __future__ import annotations

import hashlib
import http.server
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.formats.c2pa import CLIP, parse_store
from rebuildable.report import Report
from tests.support import formats_build as fb
from tests.support import make_release, optional

optional.require("c2pa")
from tests.support import c2pa_build as cb  # noqa: E402 - needs c2pa

SOURCE = fb.ora(["sky", "ink"])


@pytest.fixture(scope="module")
def signer() -> cb.TestSigner:
    return cb.make_signer()


def release(tmp_path: Path, export: bytes, extra: dict[str, bytes] | None = None) -> Report:
    files = {"art/cover.ora": SOURCE, **(extra or {}), "out/cover.png": export}
    ids = {"art/cover.ora": "cover-src", "out/cover.png": "cover-png"}
    steps = [{"id": "export", "run": "krita --export art/cover.ora out/cover.png",
              "inputs": ["cover-src"], "outputs": ["cover-png"]}]
    root = make_release(tmp_path / "rel", files, steps, ids=ids,
                        kinds={"out/cover.png": "raster-image"})
    report = validate(root, Options())
    assert not [f for f in report.findings if f.code.startswith("internal.")]
    return report


def signed(signer: cb.TestSigner, ingredient: dict[str, Any]) -> bytes:
    return cb.sign_image(signer, "png", cb.plain_image("png"), [ingredient])


def c2pa_codes(report: Report) -> list[str]:
    return sorted(f.code for f in report.findings if f.code.startswith("c2pa."))


@pytest.mark.parametrize("title", ["../../etc/passwd", "/etc/passwd", "data/../passwd",
                                   "C:/Windows/passwd", "x/./passwd", "\\\\host\\passwd"])
def test_a_title_that_is_no_release_path_links_nothing(tmp_path: Path, signer: cb.TestSigner,
                                                       title: str) -> None:
    """Hostile asset: an ingredient titled with a path outside the release, and a listed
    file of the same base name. Before: linked by base name, then judged against the
    step (c2pa.parent-contradicts-step, an error about a file the claim never named)."""
    report = release(tmp_path, signed(signer, cb.ingredient(title)),
                     extra={"data/passwd": b"root:x:0:0\n"})
    assert c2pa_codes(report) == ["c2pa.parent-not-shipped", "c2pa.untrusted"]
    assert report.to_dict()["c2pa"]["cover-png"]["parent"] is None


def test_a_title_naming_several_listed_files_links_none_and_says_so(
        tmp_path: Path, signer: cb.TestSigner) -> None:
    """Before: the warning said the release does not list the file, which it does, twice."""
    report = release(tmp_path, signed(signer, cb.ingredient("cover.ora")),
                     extra={"old/cover.ora": fb.ora(["old"])})
    found = [f for f in report.findings if f.code == "c2pa.parent-not-shipped"]
    assert len(found) == 1
    assert "names 2 listed files (art/cover.ora, old/cover.ora)" in found[0].message
    assert "does not list" not in found[0].message


def test_an_export_is_never_its_own_parent(tmp_path: Path, signer: cb.TestSigner) -> None:
    """A re-saved file's ingredient carries its own name (an earlier version). Before: the
    export was linked to itself."""
    report = release(tmp_path, signed(signer, cb.ingredient("out/cover.png")))
    assert report.to_dict()["c2pa"]["cover-png"]["parent"] is None
    assert c2pa_codes(report) == ["c2pa.parent-not-shipped", "c2pa.untrusted"]


@pytest.mark.parametrize("instance_id", [
    "sha256:" + "ab" * 16,  # 32 hex digits: no sha256
    "sha256:" + "ab" * 40,
    "sha256:" + "zz" * 32,
    "sha256:" + hashlib.sha256(b"other").hexdigest() + "\n",
])
def test_a_malformed_digest_identifier_pins_nothing(tmp_path: Path, signer: cb.TestSigner,
                                                    instance_id: str) -> None:
    """Before: a sha256 identifier of 32 to 128 hex digits (or with a newline after it)
    counted as a digest; differing from the listed one, it was reported as an export made
    from another version (c2pa.parent-digest-mismatch, an error)."""
    ingredient = {**cb.ingredient("art/cover.ora"), "instance_id": instance_id}
    report = release(tmp_path, signed(signer, ingredient))
    assert c2pa_codes(report) == ["c2pa.untrusted"]
    assert report.to_dict()["c2pa"]["cover-png"]["parent"]["by"] == "title"


def test_titles_with_nul_and_of_megabytes_are_reported_clipped(tmp_path: Path,
                                                               signer: cb.TestSigner) -> None:
    for title in ("art/cover.ora\0.png", "a" * 200_000 + ".psd"):
        report = release(tmp_path / str(len(title)), signed(signer, cb.ingredient(title)))
        assert c2pa_codes(report) == ["c2pa.parent-not-shipped", "c2pa.untrusted"]
        entry = report.to_dict()["c2pa"]["cover-png"]
        assert entry["parent"] is None
        assert len(entry["ingredients"][0]["title"]) <= CLIP
        assert all(len(f.message) < 2 * CLIP + 500 for f in report.findings)


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I",
                                                                     zlib.crc32(ctype + data))


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/manifest.c2pa", requests
    server.shutdown()
    server.server_close()


def test_a_remote_manifest_url_is_never_fetched(tmp_path: Path,
                                                listener: tuple[str, list[str]]) -> None:
    """Hostile asset: a PNG with an empty caBX chunk (so the sniffer sends it to the
    library) and XMP dcterms:provenance naming a URL. Before: the library, with its
    default settings, requested the URL while validating."""
    url, requests = listener
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dcterms="http://purl.'
           f'org/dc/terms/" dcterms:provenance="{url}"/></rdf:RDF></x:xmpmeta>').encode()
    plain = cb.plain_image("png")
    end = plain.rindex(b"IEND") - 4
    export = (plain[:end] + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp)
              + _png_chunk(b"caBX", b"") + plain[end:])
    report = release(tmp_path, export)
    assert requests == []
    invalid = [f for f in report.findings if f.code == "c2pa.invalid"]
    assert len(invalid) == 1
    assert "remote" in invalid[0].message.lower()


@pytest.mark.parametrize("store", [
    {"active_manifest": "m", "manifests": {"m": {"ingredients": True}}},
    {"active_manifest": ["m"], "manifests": {}},
    {"validation_results": {"activeManifest": {"failure": 5}}},
    {"validation_status": "x"},
])
def test_a_store_of_unexpected_shapes_reads_as_what_it_holds(store: dict[str, Any]) -> None:
    """Before: TypeError (bool or int not iterable, list unhashable)."""
    manifest = parse_store(store)
    assert manifest is not None
    assert manifest.ingredients == []


def test_an_invalid_verdict_without_codes_is_not_intact() -> None:
    manifest = parse_store({"validation_state": "Invalid", "validation_results": {
        "activeManifest": {"failure": []}}})
    assert manifest is not None
    assert not manifest.intact


def test_a_library_that_refuses_offline_settings_checks_nothing(
        tmp_path: Path, signer: cb.TestSigner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a c2pa release to drop the setting that keeps it off the network, files are
    noted not checked, never read online nor called invalid."""
    import c2pa

    def refuse(config: dict[str, Any]) -> Any:
        raise c2pa.C2paError("unknown setting verify.remote_manifest_fetch")

    export = signed(signer, cb.ingredient("art/cover.ora"))
    monkeypatch.setattr(c2pa.Context, "from_dict", refuse)
    report = release(tmp_path, export)
    found = [f for f in report.findings if f.code.startswith("c2pa.")]
    assert [f.code for f in found] == ["c2pa.not-checked"]
    assert "refuses to read offline" in found[0].message


def test_a_claim_with_thousands_of_ingredients_lists_a_bounded_number(
        tmp_path: Path, signer: cb.TestSigner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile asset: a store whose active manifest lists 5,000 ingredients (a claim may
    list any number): the report entry keeps the first 100 and counts the rest."""
    from rebuildable.checks import c2pa as check

    ingredients = [{"title": f"part-{i}.png", "relationship": "componentOf"}
                   for i in range(5000)]
    store = {"active_manifest": "m", "validation_state": "Valid",
             "manifests": {"m": {"ingredients": ingredients}}}
    monkeypatch.setattr(check, "read_manifest", lambda *_: parse_store(store))
    report = release(tmp_path, signed(signer, {"title": "art/cover.ora"}))
    entry = report.to_dict()["c2pa"]["cover-png"]
    assert len(entry["ingredients"]) == check.MAX_INGREDIENTS
    assert entry["ingredients_omitted"] == 5000 - check.MAX_INGREDIENTS
    assert entry["ingredients"][0]["title"] == "part-0.png"
