"""Lineage stored at publish time, by digest: a base published after the release derived
from it links up; ``validate --registry`` fetches upstream manifests from the registry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support.registry import Server, namespace, publish_dir, upload


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
