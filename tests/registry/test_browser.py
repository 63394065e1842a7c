"""The release page in a real browser: Debian's chromium, headless, driven by Playwright
(``executable_path``). The verdicts and the lineage graph must render, the badge must
load, nothing may load from elsewhere, and markup in a manifest must stay text (no script
of it runs).

Screenshots are kept in ``build/test-artifacts/registry/`` of the checkout (or under
``$REBUILDABLE_TEST_ARTIFACTS``): ``release-page.png`` (a derived release: verdicts,
lineage graph, findings, artifacts) and ``hostile-page.png`` (markup in every free field).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hostile_releases import HOSTILE_MARKUP, markup_in_every_free_text_field
from tests.support.paths import ARTIFACTS
from tests.support.registry import Server, namespace, publish_dir, start_server, upload
from tests.support.signing import key

CHROMIUM = os.environ.get("REBUILDABLE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>"
SHOTS = ARTIFACTS / "registry"
#: the widest label (in px) of any lineage node, minus the width of its box
OVERFLOW = """() => Math.max(...[...document.querySelectorAll('svg#lineage g.node')].map(g =>
    Math.max(...[...g.querySelectorAll('text')].map(t => t.getComputedTextLength()))
    + 8 - g.querySelector('rect').width.baseVal.value))"""


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
    from playwright.sync_api import Dialog, sync_playwright

    server = browser_server
    ns, token = namespace(server)
    base = publish_dir(tmp_path / "base", name="base-model", version="1.0.0")
    pin = hashlib.sha256((base / "rebuild.yaml").read_bytes()).hexdigest()
    derived = publish_dir(tmp_path / "derived", name="tuned-model", version="2.0.0",
                          description=HOSTILE, upstream=[{
                              "id": "base", "relation": "fine-tune-of",
                              "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                                           "digest": {"sha256": pin}}}])
    hostile = markup_in_every_free_text_field(tmp_path / "hostile", key("alice"))
    with server.client() as c:
        assert upload(c, ns, token, base).status_code == 201
        assert upload(c, ns, token, derived).status_code == 201
        assert upload(c, ns, token, hostile).status_code == 201

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot, hostile_shot = SHOTS / "release-page.png", SHOTS / "hostile-page.png"
    for old in (shot, hostile_shot):
        old.unlink(missing_ok=True)
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))

            def dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", dismiss)
            page.goto(f"{server.url}/{ns}/tuned-model/2.0.0")
            verdict = page.locator('#verdicts [data-verdict="intact"]')
            assert verdict.inner_text() == "intact: yes"
            assert "pass" in (verdict.get_attribute("class") or "")
            assert page.locator('#verdicts [data-verdict="signed"]').is_visible()
            # The verdict colours come from the page's own stylesheet: it applied.
            assert page.eval_on_selector('#verdicts [data-verdict="intact"]',
                                         "e => getComputedStyle(e).backgroundColor"
                                         ) == "rgb(46, 125, 50)"
            badge = page.locator('img[alt="badge"]')
            assert badge.evaluate("img => img.complete && img.naturalWidth") > 100
            graph = page.locator("svg#lineage")
            assert graph.is_visible()
            box = graph.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert page.locator("svg#lineage g.node").count() == 2
            assert page.locator("svg#lineage g.edge").count() == 1
            # Both boxes are laid out side by side, with their labels drawn inside them.
            nodes = [page.locator("svg#lineage g.node rect").nth(i).bounding_box()
                     for i in range(2)]
            assert all(n is not None and n["width"] > 150 for n in nodes)
            assert page.evaluate(OVERFLOW) <= 0  # every label inside its box
            assert "base-model 1.0.0" in (graph.text_content() or "")
            assert "fine-tune-of" in (graph.text_content() or "")
            # Published after its base, the release was checked with the base resolved
            # from the registry itself.
            assert "upstream.valid" in page.locator("#findings").inner_text()
            # The description is shown as text; no script of it ran.
            assert HOSTILE in page.locator("#manifest").inner_text()
            assert page.evaluate("window.pwned") is None
            page.screenshot(path=str(shot), full_page=True)
            # The graph's nodes are links: the base's page shows its downstream release.
            page.locator("svg#lineage a").first.click()
            page.wait_for_url(f"{server.url}/{ns}/base-model/1.0.0")
            assert "tuned-model 2.0.0" in page.locator("#downstream").inner_text()
            page.goto(f"{server.url}/?q=tuned")
            assert page.locator("#releases tbody tr").count() == 1

            # Markup in every free field of a manifest: text everywhere, in the graph too.
            page.goto(f"{server.url}/{ns}/hostile/1.0.0")
            assert page.locator("#findings tbody tr").count() > 3
            assert HOSTILE_MARKUP in page.locator("#upstream").inner_text()
            assert HOSTILE_MARKUP[:20] in (page.locator("svg#lineage").text_content() or "")
            assert page.evaluate(OVERFLOW) <= 0  # a long label is cut, not spilled
            assert page.locator("script").count() == 0
            assert page.locator("img").count() == 1  # the badge; no injected <img>
            assert page.evaluate("window.pwned") is None
            page.screenshot(path=str(hostile_shot), full_page=True)
        finally:
            browser.close()
    print(f"screenshots: {shot} {hostile_shot}")
    assert shot.stat().st_size > 10_000
    assert hostile_shot.stat().st_size > 10_000
    assert dialogs == []
    assert all(u.startswith(server.url) for u in requests), requests
