"""The release page in a real browser: Debian's chromium, headless, driven by Playwright.
The verdicts and the lineage graph must render, nothing may load from elsewhere, and a
hostile description must stay text. A screenshot is left in the test's folder."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Server, namespace, publish_dir, start_server, upload

CHROMIUM = os.environ.get("REBUILDABLE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>"


@pytest.fixture
def browser_server(tmp_path: Path) -> Iterator[Server]:
    if shutil.which(CHROMIUM) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI (apt-get install chromium)")
        pytest.skip(f"no {CHROMIUM}")
    server = start_server(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def test_release_page_renders_verdicts_and_lineage(browser_server: Server,
                                                   tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    server = browser_server
    ns, token = namespace(server)
    base = publish_dir(tmp_path / "base", name="base-model", version="1.0.0")
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    derived = publish_dir(tmp_path / "derived", name="tuned-model", version="2.0.0",
                          description=HOSTILE, upstream=[{
                              "id": "base", "relation": "fine-tune-of",
                              "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                                           "digest": {"sha256": pin}}}])
    with server.client() as c:
        assert upload(c, ns, token, base).status_code == 201
        assert upload(c, ns, token, derived).status_code == 201

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{server.url}/{ns}/tuned-model/2.0.0")
            verdict = page.locator('#verdicts [data-verdict="intact"]')
            assert verdict.inner_text() == "intact: yes"
            assert "pass" in (verdict.get_attribute("class") or "")
            assert page.locator('#verdicts [data-verdict="signed"]').is_visible()
            graph = page.locator("svg#lineage")
            assert graph.is_visible()
            box = graph.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert page.locator("svg#lineage g.node").count() == 2
            assert page.locator("svg#lineage g.edge").count() == 1
            assert "base-model 1.0.0" in (graph.text_content() or "")
            assert "fine-tune-of" in (graph.text_content() or "")
            # The description is shown as text; no script of it ran.
            assert HOSTILE in page.locator("#manifest").inner_text()
            assert page.evaluate("window.pwned") is None
            page.screenshot(path=str(tmp_path / "release-page.png"), full_page=True)
            # The graph's nodes are links: the base's page shows its downstream release.
            page.locator("svg#lineage a").first.click()
            page.wait_for_url(f"{server.url}/{ns}/base-model/1.0.0")
            assert "tuned-model 2.0.0" in page.locator("#downstream").inner_text()
            page.goto(f"{server.url}/?q=tuned")
            assert page.locator("#releases tbody tr").count() == 1
        finally:
            browser.close()
    assert (tmp_path / "release-page.png").stat().st_size > 10_000
    assert all(u.startswith(server.url) for u in requests), requests
