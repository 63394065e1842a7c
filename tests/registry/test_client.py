"""`rebuildable publish`, the client, by its exit codes (contract: 0 published or identical
already there, 1 refused by the registry with its findings printed, 2 usage, auth or
network error), against the real service and against servers that are not a registry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rebuildable.cli import cli
from tests.support.registry import Server, free_port, namespace, publish_dir, start_server
from tests.support.signing import key
from tests.support.web import answering


def _publish(url: str, release: Path, ns: str, token: str | None, *extra: str) -> Result:
    # (None unsets REBUILDABLE_TOKEN, whatever the test process has; color=True keeps
    # click from stripping escape sequences, as it does not on a terminal)
    return CliRunner().invoke(cli, ["publish", str(release), "--registry", url,
                                    "--namespace", ns, *extra],
                              env={"REBUILDABLE_TOKEN": token}, color=True)


def _tampered(root: Path) -> Path:
    release = publish_dir(root, name="tampered", version="1.0.0")
    (release / "config.yaml").write_bytes(b"lr: 0.9\n")
    return release


def test_exit_1_when_the_engine_refuses_with_its_findings(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    result = _publish(server.url, _tampered(work / "t"), ns, token)
    assert result.exit_code == 1, result.output
    assert "refused by the registry: refused:" in result.stderr
    assert "(HTTP 422)" in result.stderr
    # The registry's findings, located: the file whose bytes changed.
    assert "error:" in result.stdout
    assert "[integrity.digest-mismatch]" in result.stdout
    assert "config.yaml" in result.stdout
    # Signed by a key the namespace does not know: refused too, a signature finding.
    stranger = publish_dir(work / "s", key("mallory"), name="stranger", version="1.0.0")
    result = _publish(server.url, stranger, ns, token)
    assert result.exit_code == 1, result.output
    assert "[sig." in result.stdout
    # --format json: the status, the error and the report, on stdout.
    result = _publish(server.url, _tampered(work / "t2"), ns, token, "--format", "json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["status"], body["error"]["code"]) == (422, "refused")
    assert "integrity.digest-mismatch" in {f["code"] for f in body["report"]["findings"]}


def test_exit_1_on_a_taken_version_and_a_rollback(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    first = publish_dir(work / "a", name="lib", version="2.0.0", description=ns)
    assert _publish(server.url, first, ns, token).exit_code == 0
    other = publish_dir(work / "b", name="lib", version="2.0.0", description="other bytes")
    taken = _publish(server.url, other, ns, token)
    assert taken.exit_code == 1, taken.output
    assert "version-taken" in taken.stderr
    assert "(HTTP 409)" in taken.stderr
    older = _publish(server.url, publish_dir(work / "c", name="lib", version="1.9.0"), ns,
                     token)
    assert older.exit_code == 1, older.output
    assert "rollback" in older.stderr
    # The same bytes again are not a conflict: 0, and said to be already there.
    again = _publish(server.url, first, ns, token)
    assert again.exit_code == 0
    assert again.stdout.startswith("already published (identical)")


def test_exit_2_on_token_problems(server: Server, work: Path) -> None:
    ns, token = namespace(server)
    _, other_token = namespace(server)
    release = publish_dir(work / "r", name="auth", version="1.0.0", description=ns)
    none = _publish(server.url, release, ns, None)
    assert none.exit_code == 2
    assert "REBUILDABLE_TOKEN" in none.stderr
    bad = _publish(server.url, release, ns, "rbl_0123456789abcdef_" + "A" * 43)
    assert bad.exit_code == 2, bad.output
    assert "unauthorised" in bad.stderr
    assert "(HTTP 401)" in bad.stderr
    foreign = _publish(server.url, release, ns, other_token)
    assert foreign.exit_code == 2, foreign.output
    assert "forbidden" in foreign.stderr
    assert "(HTTP 403)" in foreign.stderr
    # --token wins over the environment; nothing was published by the failures above.
    result = CliRunner().invoke(cli, ["publish", str(release), "--registry", server.url,
                                      "--namespace", ns, "--token", token],
                                env={"REBUILDABLE_TOKEN": other_token})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"published: {ns}/auth 1.0.0 sha256:")


def test_exit_2_on_network_and_usage_problems(work: Path) -> None:
    release = publish_dir(work / "r", name="net", version="1.0.0")
    closed = _publish(f"http://127.0.0.1:{free_port()}", release, "demo", "t")
    assert closed.exit_code == 2
    assert "refused" in closed.stderr.lower()  # connection refused, said so
    for url in ("ftp://127.0.0.1/", "127.0.0.1:8080", "http://"):
        result = _publish(url, release, "demo", "t")
        assert result.exit_code == 2, url
        assert "http:// or https://" in result.stderr
    assert _publish("http://127.0.0.1:9", release, "../etc", "t").exit_code == 2
    assert _publish("http://127.0.0.1:9", work / "absent", "demo", "t").exit_code == 2
    (release / "rebuild.dsse.json").unlink()
    unsigned = _publish("http://127.0.0.1:9", release, "demo", "t")
    assert unsigned.exit_code == 2
    assert "rebuildable sign" in unsigned.stderr
    assert "Traceback" not in closed.output + unsigned.output


def _own_record(release: Path) -> bytes:
    digest = "sha256:" + hashlib.sha256((release / "rebuild.yaml").read_bytes()).hexdigest()
    return json.dumps({"namespace": "demo", "name": "x", "version": "1",
                       "digest": digest}).encode()


@pytest.mark.parametrize(("status", "body", "kind", "code"), [
    # A 2xx that is not this release's record is not "published".
    (201, b"[]", "application/json", 2),
    (201, b'"x"', "application/json", 2),
    (200, b'{"name": "x", "digest": "sha256:' + b"0" * 64 + b'"}', "application/json", 2),
    (200, b"<html>welcome</html>", "text/html", 2),
    # Error pages of a proxy: a problem with the path to the registry, not a verdict.
    (502, b"<html>bad gateway</html>", "text/html", 2),
    (413, b"<html>413 Request Entity Too Large</html>", "text/html", 2),
    (422, b'{"error": "x", "report": [1]}', "application/json", 2),
    # The registry's own refusal shape: 1, its findings printed (even odd ones).
    (422, b'{"error": {"code": "refused", "message": "m"}, "report": {"findings": '
          b'[1, {"severity": "error", "message": "bad \\u001b[31mred", "code": "c", '
          b'"location": "x"}]}}', "application/json", 1),
    (201, None, "application/json", 0),
])
def test_what_a_server_answers_decides_the_exit_code(work: Path, status: int,
                                                     body: bytes | None, kind: str,
                                                     code: int) -> None:
    release = publish_dir(work / "r", name="x", version="1")
    with answering(status, body if body is not None else _own_record(release), kind) as url:
        result = _publish(url, release, "demo", "t")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
    assert "\x1b" not in result.output  # a terminal escape sent by the server stays text
    if code == 2:
        assert "rebuildable:" in result.stderr


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path / "small", args=("--max-upload", "4096"))
    try:
        yield server
    finally:
        server.stop()


def test_exit_1_when_the_upload_is_too_large(small_server: Server, work: Path) -> None:
    ns, token = namespace(small_server)
    release = publish_dir(work / "big", name="big", version="1.0.0",
                          description="x" * 20_000)
    result = _publish(small_server.url, release, ns, token)
    assert result.exit_code == 1, result.output
    assert "too-large" in result.stderr
    assert "(HTTP 413)" in result.stderr
