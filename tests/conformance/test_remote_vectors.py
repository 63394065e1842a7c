"""Run the remote-integrity vectors in spec/conformance/remote (spec/remote.md).

Each vector's release names external artifacts through ``@FILES@`` (the ``file://`` URI of
the vector's ``files/``) and ``@SERVER@`` (a loopback HTTP server over ``files/`` with the
misbehaviours spec/conformance/README.md lists); the runner fills both in on a copy of
the release, validates with the vector's options, and compares ``ok``, the distinct
error and warning codes, the optional ``findings`` entries (as for every vector, e.g. the
``fetch.verified`` info) and the optional ``absent_text`` and ``requests`` expectations.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from rebuildable import api
from rebuildable.findings import Severity
from rebuildable.remote.fetch import FetchOptions
from tests.conformance.harness import findings_problems
from tests.support.web import self_signed, serve

ROOT = Path(__file__).resolve().parents[2]
REMOTE = ROOT / "spec" / "conformance" / "remote"
VECTOR_KEYS = {"description", "covers", "options", "expect"}
EXPECT_KEYS = {"ok", "codes", "findings", "absent_text", "requests"}
#: vectors keep retries quick; a vector may still set its own
DEFAULT_FETCH = {"retries": 2, "backoff": 0.01, "timeout": 10.0}


def _vectors() -> list[Path]:
    return sorted(p for p in REMOTE.iterdir() if (p / "vector.json").is_file())


def _fill(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _options(raw: dict[str, Any]) -> api.Options:
    raw = dict(raw)
    fetch = FetchOptions(**{**DEFAULT_FETCH, **raw.pop("fetch_options", {})})
    return api.Options(fetch_options=fetch, **raw)


def test_remote_vectors_exist() -> None:
    assert len(_vectors()) >= 14


@pytest.mark.parametrize("folder", _vectors(), ids=lambda p: p.name)
def test_remote_vector(folder: Path, tmp_path: Path) -> None:
    vector = json.loads((folder / "vector.json").read_text("utf-8"))
    assert set(vector) <= VECTOR_KEYS
    expect = vector["expect"]
    assert set(expect) <= EXPECT_KEYS
    files = {p.name: p.read_bytes() for p in (folder / "files").iterdir()}
    with serve(files) as web, serve(files, tls=self_signed(tmp_path)) as tls:
        release = tmp_path / "release"
        shutil.copytree(folder / "release", release)
        tokens = {"@FILES@": (folder / "files").resolve().as_uri(),
                  "@TLS_SERVER@": tls.base, "@SERVER@": web.base}
        manifest = release / "rebuild.json"
        text = _fill(manifest.read_text("utf-8"), tokens)
        for shipped in sorted(release.iterdir()):
            if shipped.suffix == ".tsv":  # a shard index: its pins follow its new bytes
                data = _fill(shipped.read_text("utf-8"), tokens).encode()
                shipped.write_bytes(data)
                text = text.replace(f"@SHA256:{shipped.name}@", hashlib.sha256(data).hexdigest())
                text = text.replace(f'"@SIZE:{shipped.name}@"', str(len(data)))
        manifest.write_text(text, "utf-8")
        report = api.validate(release, _options(vector.get("options", {})))
        requests = len(web.state.requests)
    codes = sorted({f.code for f in report.findings
                    if f.severity in (Severity.ERROR, Severity.WARNING)})
    details = "\n".join(f"  {f.severity.value} {f.code}: {f.message}" for f in report.findings)
    assert (report.ok, codes) == (expect["ok"], expect["codes"]), \
        f"{vector['description']}\n{details}"
    assert not findings_problems(report, expect.get("findings", [])), details
    rendered = json.dumps(report.to_dict())
    for secret in expect.get("absent_text", []):
        assert secret not in rendered
    if "requests" in expect:
        assert requests == expect["requests"]
