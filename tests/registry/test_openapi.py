"""The OpenAPI document, fuzzed by schemathesis against the running service: no generated
request makes it fail (5xx), every error is the JSON error shape, and every answer is
one the document declares (status code, media type, schema).

Requests with random path values only ever meet 404s, and unauthenticated writes only
401s; so part of the generated cases are aimed at what exists (the path values of a
published release, a real artifact digest) and part carry the namespace's admin token,
which takes the fuzzed multipart bodies past authentication into the upload parser and
the engine. The test counts what it reached and fails when the fuzzing went nowhere."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.registry import Server, namespace, publish_dir, upload
from tests.support.signing import FILES

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _aim(case: Case[Any], aim: str, real: dict[str, str], token: str) -> None:
    if aim == "fuzz":
        return
    params = case.path_parameters or {}
    for name in params:
        if name in real:
            params[name] = real[name]
    if isinstance(case.query, dict) and "artifact" in case.query:
        case.query["artifact"] = real["artifact"]
    if aim == "authorised":
        if case.headers is None:
            case.headers = {}
        case.headers["Authorization"] = f"Bearer {token}"


def test_no_request_breaks_the_service(server: Server, tmp_path: Path) -> None:
    """Every operation, positive and negative data, a bounded number of generated
    requests each (schemathesis's strategies driven by hypothesis directly)."""
    ns, token = namespace(server)
    release = publish_dir(tmp_path / "rel", name="fuzzed", version="1.0.0", description=ns)
    with server.client() as c:
        assert upload(c, ns, token, release).status_code == 201
    manifest = (release / "rebuild.yaml").read_bytes()
    real = {"ns": ns, "name": "fuzzed", "version": "1.0.0",
            "digest": "sha256:" + hashlib.sha256(manifest).hexdigest(),
            "artifact": "sha256:" + hashlib.sha256(FILES["model/weights.bin"]).hexdigest()}

    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 12
    seen: Counter[tuple[str, str, int]] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode),
                   aim=st.sampled_from(["fuzz", "real", "authorised"]))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case: Case[Any], aim: str) -> None:
                _aim(case, aim, real, token)
                response = case.call(base_url=server.url, timeout=60)
                seen[(case.method.upper(), case.operation.path, response.status_code)] += 1
                assert response.status_code < 500, (case.method, case.formatted_path,
                                                     response.text[:500])
                if response.status_code >= 400:
                    error = response.json()["error"]
                    assert isinstance(error["code"], str)
                    assert isinstance(error["message"], str)
                case.validate_response(response, checks=CHECKS)

            if mode is GenerationMode.NEGATIVE and operation.path == "/api/v1/health":
                continue  # no parameters: no negative data exists
            run()

    release_path = "/api/v1/namespaces/{ns}/releases/{name}/{version}"
    print(f"schemathesis: {sum(seen.values())} requests:",
          *sorted(f"{m} {p} {s}: {n}" for (m, p, s), n in seen.items()), sep="\n  ")
    assert sum(seen.values()) >= 300
    statuses = {(m, p): {s for (m2, p2, s) in seen if (m2, p2) == (m, p)} for m, p, _ in seen}
    # The fuzzed uploads got past the token check into the upload parser (400) and the
    # checks of what was sent (422).
    assert {400, 422} <= statuses["POST", "/api/v1/namespaces/{ns}/releases"]
    # Every read reached the published release at least once.
    for suffix in ("", "/report", "/manifest", "/envelope", "/lineage", "/badge.svg"):
        assert 200 in statuses["GET", release_path + suffix], suffix
    for path in ("/api/v1/releases/{digest}", "/api/v1/releases/{digest}/manifest",
                 "/api/v1/search", "/{ns}/{name}/{version}", "/api/v1/namespaces/{ns}/keys"):
        assert 200 in statuses["GET", path], path
    assert 201 in statuses["POST", "/api/v1/namespaces/{ns}/tokens"]


def test_openapi_names_the_contract_paths(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    paths = set(doc["paths"])
    release = "/api/v1/namespaces/{ns}/releases/{name}/{version}"
    assert {"/api/v1/namespaces/{ns}/releases", release, release + "/report",
            release + "/manifest", release + "/envelope", release + "/lineage",
            release + "/badge.svg", "/api/v1/releases/{digest}", "/api/v1/search",
            "/{ns}/{name}/{version}"} <= paths
    post = doc["paths"]["/api/v1/namespaces/{ns}/releases"]["post"]
    body = post["requestBody"]
    assert set(body["content"]["multipart/form-data"]["schema"]["required"]) == {
        "manifest", "envelope", "archive"}
    # The contract's status codes of a publish, every one documented.
    assert {"200", "201", "401", "403", "409", "413", "422"} <= set(post["responses"])
    assert doc["paths"]["/api/v1/search"]["get"]["parameters"][0]["name"] == "artifact"
