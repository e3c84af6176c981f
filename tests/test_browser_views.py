"""Each view in a real Chromium with the network blocked except loopback: it draws, fetches nothing outside, and a
click on a node opens that entity's page."""

from __future__ import annotations

import pytest

from tests.conftest import OfflinePage

KUNMING = "https://w3id.org/reformkg/id/place/kunming"
VIEWS = ["/graph/overview", "/graph/ownership", "/graph/forest-farms", f"/graph/ego?iri={KUNMING}&hops=2"]


@pytest.mark.slow
@pytest.mark.parametrize("path", VIEWS)
def test_view_draws_offline_and_click_navigates(browser, live_seed_app, path):
    offline = OfflinePage(browser)
    page = offline.page
    try:
        page.goto(live_seed_app.url + path)
        page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=30_000)
        count = page.evaluate("window.reformkgNodes.length")
        assert count > 0
        assert page.evaluate("window.reformkgNetwork.getPositions().constructor === Object")
        offline.assert_clean()
        # Click the first node that has an entity page, at its position on the canvas.
        target = page.evaluate(
            """() => {
              const net = window.reformkgNetwork;
              const node = window.reformkgNodes.get({filter: n => !!n.url})[0];
              net.focus(node.id, {scale: 1.5, animation: false});
              const dom = net.canvasToDOM(net.getPositions([node.id])[node.id]);
              const box = document.querySelector('#network canvas').getBoundingClientRect();
              return {url: node.url, x: box.left + dom.x, y: box.top + dom.y};
            }"""
        )
        with page.expect_navigation():
            page.mouse.click(target["x"], target["y"])
        assert page.url == live_seed_app.url + target["url"]
    finally:
        offline.close()
