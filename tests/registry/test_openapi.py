"""The OpenAPI document, fuzzed by schemathesis against the running service: no generated
request makes it fail (5xx), and every error is the JSON error shape."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from tests.support.registry import Server


def _check(case: Case[Any], url: str) -> None:
    response = case.call(base_url=url, timeout=60)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


def test_no_request_breaks_the_service(server: Server) -> None:
    """Every operation, a bounded number of generated requests each (schemathesis's
    strategies driven by hypothesis directly: its pytest plugin is not needed)."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Case[Any]) -> None:
            _check(case, server.url)

        run()


def test_openapi_names_the_contract_paths(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    paths = set(doc["paths"])
    release = "/api/v1/namespaces/{ns}/releases/{name}/{version}"
    assert {"/api/v1/namespaces/{ns}/releases", release, release + "/report",
            release + "/manifest", release + "/envelope", release + "/lineage",
            release + "/badge.svg", "/api/v1/releases/{digest}", "/api/v1/search",
            "/{ns}/{name}/{version}"} <= paths
    body = doc["paths"]["/api/v1/namespaces/{ns}/releases"]["post"]["requestBody"]
    assert set(body["content"]["multipart/form-data"]["schema"]["required"]) == {
        "manifest", "envelope", "archive"}
