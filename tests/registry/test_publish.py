"""Publishing and reading over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.signing.keys import PrivateKey
from tests.support import make_release
from tests.support.registry import Server, namespace, pack, publish_dir, upload, upload_archive
from tests.support.signing import key


def _publish_cli(server: Server, release: Path, ns: str, token: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["publish", str(release), "--registry", server.url,
                                      "--namespace", ns], env={"REBUILDABLE_TOKEN": token})
    return result.exit_code, result.stdout, result.stderr


def test_publish_and_read_everything(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    release = publish_dir(work / "rel", name="tiny", version="1.0.0")
    code, out, err = _publish_cli(server, release, ns, token)
    assert code == 0, err
    assert out.startswith(f"published: {ns}/tiny 1.0.0 sha256:")
    manifest = (release / "rebuild.yaml").read_bytes()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    with server.client() as c:
        base = f"/api/v1/namespaces/{ns}/releases/tiny/1.0.0"
        rec = c.get(base).json()
        assert {k: rec[k] for k in ("namespace", "name", "version", "digest", "ok")} == {
            "namespace": ns, "name": "tiny", "version": "1.0.0", "digest": digest, "ok": True}
        assert rec["signers"] == [key("alice").public.keyid]
        assert rec["verdicts"]["intact"] is True
        assert rec["published_at"].endswith("Z")
        assert {a["id"] for a in rec["artifacts"]} == {"src-train.py", "model-weights.bin",
                                                        "config.yaml"}
        assert c.get(base + "/manifest").content == manifest
        assert c.get(base + "/envelope").content == (release / "rebuild.dsse.json").read_bytes()
        report = c.get(base + "/report").json()
        assert report["report"] == "rebuildable-report/0.1"
        assert report["ok"] is True
        badge = c.get(base + "/badge.svg")
        assert badge.headers["content-type"].startswith("image/svg+xml")
        assert "signed" in badge.text
        assert "intact" in badge.text
        assert c.get(f"/api/v1/releases/{digest}").json()["version"] == "1.0.0"
        weights = next(a for a in rec["artifacts"] if a["id"] == "model-weights.bin")
        found = c.get("/api/v1/search",
                      params={"artifact": f"sha256:{weights['digest']['sha256']}"}).json()
        # (other tests publish the same weights in their own namespaces)
        assert [(r["name"], r["artifacts"]) for r in found["releases"]
                if r["namespace"] == ns] == [("tiny", ["model-weights.bin"])]
        page = c.get(f"/{ns}/tiny/1.0.0")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "default-src 'none'" in page.headers["content-security-policy"]


def test_identical_bytes_are_idempotent(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    release = publish_dir(work / "rel", name="same", version="1.0.0")
    assert _publish_cli(server, release, ns, token)[0] == 0
    code, out, _ = _publish_cli(server, release, ns, token)
    assert code == 0
    assert out.startswith("already published (identical)")
    with server.client() as c:
        assert upload(c, ns, token, release).status_code == 200


def test_version_taken_and_rollback_are_409(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    with server.client() as c:
        assert upload(c, ns, token, publish_dir(work / "a", name="lib",
                                                version="2.0.0")).status_code == 201
        other = publish_dir(work / "b", name="lib", version="2.0.0", description="other")
        taken = upload(c, ns, token, other)
        assert taken.status_code == 409
        assert taken.json()["error"]["code"] == "version-taken"
        same_order = upload(c, ns, token, publish_dir(work / "c", name="lib", version="2.0"))
        assert same_order.status_code == 409
        for older in ("1.9.9", "2.0.0-rc.1"):
            back = upload(c, ns, token, publish_dir(work / older, name="lib", version=older))
            assert back.status_code == 409, older
            assert back.json()["error"]["code"] == "rollback"
        assert upload(c, ns, token, publish_dir(work / "d", name="lib",
                                                version="2.0.1-alpha")).status_code == 201
        assert upload(c, ns, token, publish_dir(work / "e", name="lib",
                                                version="2.0.1")).status_code == 201
        bad = upload(c, ns, token, publish_dir(work / "f", name="lib", version="v3"))
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "bad-version"
        # What a refused upload sent is not kept: the first release is unchanged.
        rec = c.get(f"/api/v1/namespaces/{ns}/releases/lib/2.0.0/manifest")
        assert rec.content == (work / "a" / "rebuild.yaml").read_bytes()


def _half_then_hang_up(server: Server, ns: str, token: str) -> None:
    """A publisher whose connection drops in the middle of the archive part."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall((f"POST /api/v1/namespaces/{ns}/releases HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Length: 1000000\r\n"
                      "Content-Type: multipart/form-data; boundary=b0undary\r\n\r\n"
                      "--b0undary\r\nContent-Disposition: form-data; name=\"archive\"\r\n\r\n"
                      ).encode() + b"x" * 300000)
        time.sleep(0.3)


def test_refused_uploads_leave_nothing(server: Server, work: Path) -> None:
    """No record, no row of any table, no blob, no temporary file: whatever refused it
    (the engine, the parts, the version rules, the namespace's keys, a dropped connection)."""
    ns, token = namespace(server)
    keyless, keyless_token = namespace(server, keys_=False)
    with server.client() as c:
        assert upload(c, ns, token, publish_dir(work / "v2", name="x",
                                                version="2.0.0")).status_code == 201
    before = (server.blobs(), server.rows())
    with server.client() as c:
        unsigned_key = publish_dir(work / "k", key("mallory"), name="x", version="3.0.0")
        r = upload(c, ns, token, unsigned_key)
        assert r.status_code == 422
        body = r.json()
        assert body["error"]["code"] == "refused"
        assert any(f["code"].startswith("sig.") for f in body["report"]["findings"])
        tampered = publish_dir(work / "t", name="x", version="3.0.0")
        (tampered / "config.yaml").write_bytes(b"lr: 0.2\n")
        r = upload(c, ns, token, tampered)
        assert r.status_code == 422
        assert "integrity.digest-mismatch" in {f["code"] for f in r.json()["report"]["findings"]}
        good = publish_dir(work / "g", name="x", version="3.0.0")
        r = upload(c, ns, token, good, manifest=b"spec: rebuildable/0.1\n")
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "parts-differ"
        refusals = {"rollback": publish_dir(work / "old", name="x", version="1.0.0"),
                    "version-taken": publish_dir(work / "taken", name="x", version="2.0",
                                                 description="same version, other bytes")}
        for code, release in refusals.items():
            r = upload(c, ns, token, release)
            assert (r.status_code, r.json()["error"]["code"]) == (409, code)
        r = upload(c, keyless, keyless_token, good)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "no-keys")
        _half_then_hang_up(server, ns, token)
        assert c.get(f"/api/v1/namespaces/{ns}/releases/x/3.0.0").status_code == 404
    deadline = time.monotonic() + 20
    while server.temporary_files() and time.monotonic() < deadline:
        time.sleep(0.1)  # the dropped upload is noticed when the server next reads from it
    assert server.temporary_files() == []
    assert (server.blobs(), server.rows()) == before


def test_a_client_still_sending_reads_an_early_refusal(server: Server) -> None:
    """A bad token is known from the headers; the server answers only once the (small)
    body is in, so a client that sends its body after its headers (and asks for the
    connection to be closed, as urllib does) reads the 401 instead of a connection reset
    under it, which `publish` would report as a network error ('Broken pipe')."""
    body = b"--b0undary\r\nContent-Disposition: form-data; name=\"archive\"\r\n\r\n" + \
        b"x" * 200000 + b"\r\n--b0undary--\r\n"
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(("POST /api/v1/namespaces/ns/releases HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer rbl_0123456789abcdef_" + "A" * 43 + "\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                      "Content-Type: multipart/form-data; boundary=b0undary\r\n\r\n").encode())
        time.sleep(0.5)  # the server has long decided by now
        for start in range(0, len(body), 50000):  # as a client on a slow link sends it
            sock.sendall(body[start:start + 50000])
            time.sleep(0.1)
        answer = b""
        while piece := sock.recv(65536):
            answer += piece
            if answer.endswith(b"}}"):
                break
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), head
    assert json.loads(payload)["error"]["code"] == "unauthorised"


def test_a_whole_body_refused_is_answered_at_once(server: Server) -> None:
    """Refused after the whole body is in (a part missing, bad framing): the answer comes
    at once; the server does not wait for more of a body that has ended."""
    ns, token = namespace(server)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/namespaces/{ns}/releases"
    with httpx.Client(base_url=server.url, timeout=10) as c:
        sends: list[tuple[Callable[[], httpx.Response], str]] = [
            (lambda: c.post(url, files={"manifest": ("rebuild.yaml", b"x")}, headers=auth),
             "missing part(s)"),
            (lambda: c.post(url, content=b"--b\r\nnot multipart", headers={
                **auth, "Content-Type": "multipart/form-data; boundary=b"}),
             "malformed multipart body")]
        for send, text in sends:
            start = time.monotonic()
            r = send()
            assert r.status_code == 400, r.text
            assert text in r.json()["error"]["message"]
            assert time.monotonic() - start < 5


def test_threshold_needs_that_many_of_the_namespaces_keys(server: Server, work: Path) -> None:
    ns, token = namespace(server, key("alice"), key("bob"), threshold=2)
    with server.client() as c:
        one = upload(c, ns, token, publish_dir(work / "one", key("alice"), name="t",
                                               version="1.0.0"))
        assert one.status_code == 422
        assert one.json()["error"]["code"] == "refused"
        assert one.json()["report"]["ok"] is False
        both = upload(c, ns, token, publish_dir(work / "both", key("alice"), key("bob"),
                                                name="t", version="1.0.0"))
        assert both.status_code == 201, both.text
        assert sorted(both.json()["signers"]) == sorted([key("alice").public.keyid,
                                                         key("bob").public.keyid])
        # A signature by a key the namespace has not registered does not count.
        stranger = upload(c, ns, token, publish_dir(work / "s", key("alice"), key("mallory"),
                                                    name="t", version="1.0.1"))
        assert stranger.status_code == 422
    ns3, token3 = namespace(server, key("alice"), key("bob"), threshold=3)
    with server.client() as c:
        r = upload(c, ns3, token3, publish_dir(work / "three", key("alice"), key("bob"),
                                               name="t", version="1.0.0"))
        assert (r.status_code, r.json()["error"]["code"]) == (422, "no-keys")


def _cli_report(archive: Path, keyfile: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["validate", str(archive), "--key", str(keyfile),
                                      "--threshold", "1", "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def test_registry_judges_as_validate_with_the_namespaces_keys(server: Server,
                                                               work: Path) -> None:
    """The report the registry keeps (or refuses with) is, byte for byte as JSON data,
    the one `rebuildable validate ARCHIVE --key K --threshold 1 --registry URL` prints for
    the same archive: same findings, same verdicts, same signatures."""
    ns, token = namespace(server)
    alice = work / "alice.pub"
    alice.write_bytes(key("alice").public.pem())
    base = publish_dir(work / "base", name="base", version="1.0.0")
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()

    def derived(root: Path, *keys: PrivateKey, digest: str = pin,
                name: str = "derived") -> Path:
        upstream = [{"id": "base", "relation": "fine-tune-of", "name": "base",
                     "version": "1.0.0", "manifest": {
                         "uri": "https://models.example.org/base/rebuild.yaml",
                         "digest": {"sha256": digest}}}]
        return publish_dir(root, *keys, name=name, version="1.0.0", upstream=upstream)

    tampered = derived(work / "tampered", name="tampered")
    (tampered / "config.yaml").write_bytes(b"lr: 0.2\n")
    cases = [
        ("base", base, 201),
        ("derived", derived(work / "resolved"), 201),  # upstream resolved from the registry
        ("unresolved", derived(work / "unresolved", digest="ab" * 32, name="unresolved"), 201),
        ("tampered", tampered, 422),
        ("stranger", derived(work / "stranger", key("mallory"), name="stranger"), 422),
    ]
    with server.client() as c:
        for name, release, status in cases:
            archive = pack(release)
            expected_code, expected = _cli_report(archive, alice, "--registry", server.url)
            r = upload_archive(c, ns, token, archive)
            assert r.status_code == status, (name, r.text[:500])
            if status == 201:
                got = c.get(f"/api/v1/namespaces/{ns}/releases/{name}/1.0.0/report").json()
            else:
                got = r.json()["report"]
            assert expected_code == (0 if status == 201 else 1), name
            assert got == expected, name
            if name == "unresolved":
                assert expected["counts"]["warning"] > 0
            if name == "derived":
                assert "upstream.valid" in {f["code"] for f in got["findings"]}


def test_tokens_and_namespaces(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    other, other_token = namespace(server)
    release = publish_dir(work / "rel", name="auth", version="1.0.0")
    with server.client() as c:
        assert upload(c, ns, None, release).status_code == 401
        bad = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert upload(c, ns, bad, release).status_code == 401
        assert upload(c, ns, "garbage", release).status_code == 401
        forbidden = upload(c, ns, other_token, release)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["code"] == "forbidden"
        admin = {"Authorization": f"Bearer {token}"}
        made = c.post(f"/api/v1/namespaces/{ns}/tokens", params={"scope": "publish"},
                      headers=admin)
        assert made.status_code == 201
        publish_token = made.json()["token"]
        # A publish token publishes but cannot manage the namespace.
        assert upload(c, ns, publish_token, release).status_code == 201
        pem = key("bob").public.pem()
        assert c.post(f"/api/v1/namespaces/{ns}/keys", content=pem,
                      headers={"Authorization": f"Bearer {publish_token}"}).status_code == 403
        assert c.post(f"/api/v1/namespaces/{other}/keys", content=pem,
                      headers=admin).status_code == 403
        assert c.post(f"/api/v1/namespaces/{ns}/keys", content=pem,
                      headers=admin).status_code == 201
        keys = c.get(f"/api/v1/namespaces/{ns}/keys").json()
        assert len(keys["keys"]) == 2
        revoked = c.delete(f"/api/v1/namespaces/{ns}/tokens/{made.json()['id']}", headers=admin)
        assert revoked.status_code == 204
        again = publish_dir(work / "rel2", name="auth", version="1.0.1")
        assert upload(c, ns, publish_token, again).status_code == 401


#: hostile paths and what they must get: 400 when a segment breaks its rule (checked
#: before any lookup), 404 when no route has that shape
HOSTILE_PATHS = {
    "/api/v1/namespaces/../releases/x/1": 400,
    "/api/v1/namespaces/a/releases/%2e%2e/1": 400,
    "/api/v1/namespaces/a/releases/x/%2e%2e": 400,
    "/api/v1/namespaces/a/releases/..%5c..%5cx/1": 400,
    "/api/v1/namespaces/A/releases/x/1": 400,
    "/api/v1/namespaces/a/releases/x/1.0.0%00": 400,
    "/api/v1/namespaces/a/releases/%C3%A9/1": 400,
    "/api/v1/namespaces/a/releases/x/01.0": 400,
    "/api/v1/namespaces/" + "a" * 300 + "/releases/x/1": 400,
    "/api/v1/namespaces/a/releases/" + "x" * 129 + "/1": 400,
    "/api/v1/releases/sha256:zz": 400,
    "/api/v1/search": 400,
    "/api/v1/search?artifact=" + "a" * 400: 400,
    "/a/b/c%00": 400,
    "/%2e%2e/%2e%2e/etc": 400,
    "/api/v1/namespaces/a/releases/x/..%2f..%2fetc": 404,
    "/api/v1/namespaces/a/releases/x/1.0.0+%2F": 404,  # not a 307 to the path without '/'
    "/a/b/1/": 404,
    "/api/v1/releases/sha256:" + "0" * 64 + "/../x": 404,
    "//etc/passwd": 404,
    "/nowhere": 404,
}


def test_hostile_paths_and_errors_are_json(server: Server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    for path, status in HOSTILE_PATHS.items():
        # Sent as written (an HTTP client would normalise '..' and '%2e%2e' away).
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                         .encode())
            answer = b""
            while piece := sock.recv(65536):
                answer += piece
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == str(status).encode(), (path, head[:200])
        error = json.loads(body)["error"]
        assert set(error) == {"code", "message"}, path
        assert error["code"] == {400: "bad-request", 404: "not-found"}[status], path
        assert b"Traceback" not in body
    with server.client() as c:
        r = c.post("/api/v1/namespaces/a/releases", content=b"x",
                   headers={"Content-Type": "text/plain"})
        assert r.status_code == 401
        assert c.put("/api/v1/namespaces/a/releases").json()["error"]["code"] == \
            "method-not-allowed"
    assert httpx.get(server.url + "/openapi.json").json()["openapi"].startswith("3.")


def test_a_server_fault_is_json_without_a_trace(server: Server, work: Path) -> None:
    """A fault no handler expects (here: a table dropped under the service): 500, the JSON
    error shape with the security headers, nothing of the exception in the answer, and the
    connection still usable."""
    from sqlalchemy import text

    ns, token = namespace(server)
    release = publish_dir(work / "rel", name="faulty", version="1.0.0")
    with server.client() as c:
        assert upload(c, ns, token, release).status_code == 201
        registry = api.registry(server.config)
        try:
            with registry.db.write() as s:
                s.execute(text("DROP TABLE upstream_edges"))
                s.commit()
        finally:
            registry.close()
        r = c.get(f"/api/v1/namespaces/{ns}/releases/faulty/1.0.0")
        assert r.status_code == 500
        assert r.json() == {"error": {"code": "internal", "message":
                                      "internal error (the server's log has the details)"}}
        assert "upstream_edges" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
        # The same (kept-alive) connection goes on being answered.
        assert c.get("/api/v1/health").status_code == 200


def test_no_cross_namespace_token_management(server: Server) -> None:
    ns, token = namespace(server)
    other, other_token = namespace(server)
    mine = {"Authorization": f"Bearer {token}"}
    with server.client() as c:
        theirs = c.post(f"/api/v1/namespaces/{other}/tokens", params={"scope": "admin"},
                        headers={"Authorization": f"Bearer {other_token}"}).json()
        assert c.post(f"/api/v1/namespaces/{other}/tokens", headers=mine).status_code == 403
        assert c.delete(f"/api/v1/namespaces/{other}/tokens/{theirs['id']}",
                        headers=mine).status_code == 403
        # Through my namespace's path, their token is not found (not revoked).
        r = c.delete(f"/api/v1/namespaces/{ns}/tokens/{theirs['id']}", headers=mine)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not-found")
        assert c.post(f"/api/v1/namespaces/{other}/tokens", headers={
            "Authorization": f"Bearer {theirs['token']}"}).status_code == 201
        # The scheme is case-insensitive; the token is not.
        assert c.post(f"/api/v1/namespaces/{ns}/tokens",
                      headers={"Authorization": f"bearer {token}"}).status_code == 201
        assert c.post(f"/api/v1/namespaces/{ns}/tokens",
                      headers={"Authorization": f"Bearer {token.upper()}"}).status_code == 401


def test_the_registry_never_runs_a_releases_steps(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    marker = work / "a-step-ran"
    run = f"python src/train.py && touch {marker}"
    files = {"src/train.py": f"open({str(marker)!r}, 'w').write('ran')\n".encode(),
             "model/weights.bin": b"weights", "config.yaml": b"lr: 0.1\n"}
    steps = [{"id": "train", "run": run, "inputs": ["src-train.py", "config.yaml"],
              "outputs": ["model-weights.bin"]}]
    release = make_release(work / "rel", files, steps, name="runs", version="1.0.0",
                           kinds={"src/train.py": "training-code",
                                  "model/weights.bin": "weights", "config.yaml": "config"})
    api.sign(release, key("alice"))
    with server.client() as c:
        assert upload(c, ns, token, release).status_code == 201
        assert c.get(f"/{ns}/runs/1.0.0").status_code == 200
    assert not marker.exists()
    # The control: the step, when run, does leave the marker.
    subprocess.run(run, shell=True, cwd=release, check=True)
    assert marker.exists()
