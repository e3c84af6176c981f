"""Each view in a real Chromium with the network blocked except loopback: it draws within its caps, with human
labels, no console error and no request off loopback; a click selects an entity and shows its details beside the
graph, with a link that opens its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import OfflinePage

HAIKOU_SITE = "https://w3id.org/reformkg/id/place/haikou-forest-farm"
YUNNAN_GROUP = "https://w3id.org/reformkg/id/org/yunnan-state-forest-farm-reform-leading-group"
FOREST_REFORM = "https://w3id.org/reformkg/id/reform/kunming-state-forest-farm-reform"
COMPANIES = ("jd-com", "lecuntao", "haichao", "zhenkun", "poverty-alleviation-investment-company")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
#: path -> most nodes the view may draw
VIEWS = {
    "/graph/overview": 300,
    "/graph/ownership": 40,
    "/graph/forest-farms": 40,
    f"/graph/ego?iri={HAIKOU_SITE}&hops=2": 80,
    "/graph/ego?iri=kunming&hops=2": 80,
    "/graph/ego?iri=kunming&hops=2&provenance=true&observations=true": 80,
}
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+){2,}")


@contextmanager
def open_view(browser, url: str, language: str = ZH["Accept-Language"]) -> Iterator[OfflinePage]:
    """The view at ``url`` in a browser that asks for ``language`` (Chinese unless told), laid out; closed
    afterwards."""
    offline = OfflinePage(browser, extra_http_headers={"Accept-Language": language})
    try:
        offline.page.goto(url)
        offline.page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=60_000)
        yield offline
    finally:
        offline.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", VIEWS)
def test_view_draws_within_its_caps_and_a_click_shows_details(browser, live_seed_app, path):
    with open_view(browser, live_seed_app.url + path) as offline:
        page = offline.page
        drawn = page.evaluate("window.reformkgNodes.get().map(n => ({id: n.id, label: n.label, kind: n.kind}))")
        assert 0 < len(drawn) <= VIEWS[path]
        assert not [n["label"] for n in drawn if SLUG.fullmatch(n["label"])], "slugs drawn as labels"
        assert page.locator("html").get_attribute("lang") == "zh"
        assert page.locator("[data-site-header] a[href='/']").count() >= 1  # a way back
        offline.assert_clean()
        # Click the first node that has an entity page, at its position on the canvas: the details show beside.
        target = page.evaluate(
            """() => {
              const net = window.reformkgNetwork;
              const node = window.reformkgNodes.get({filter: n => !!n.url && n.kind !== 'figures'})[0];
              net.focus(node.id, {scale: 1.5, animation: false});
              const dom = net.canvasToDOM(net.getPositions([node.id])[node.id]);
              const box = document.querySelector('#network canvas').getBoundingClientRect();
              return {x: box.left + dom.x, y: box.top + dom.y};
            }"""
        )
        page.mouse.click(target["x"], target["y"])
        page.locator("#details").wait_for(state="visible", timeout=5_000)
        # where nodes overlap, the click may pick a neighbour: the details are those of the node vis selected
        chosen = page.evaluate(
            "(() => { const n = window.reformkgNodes.get(window.reformkgNetwork.getSelectedNodes()[0]);"
            " return {url: n.url, name: n.name}; })()"
        )
        assert chosen["url"] and page.locator("#details-name").inner_text() == chosen["name"]
        with page.expect_navigation():
            page.locator("#details-page").click()
        assert page.url == live_seed_app.url + chosen["url"]
        offline.assert_clean()


@pytest.mark.slow
def test_forest_farm_ego_view_shows_the_accepting_group(browser, live_seed_app):
    with open_view(browser, f"{live_seed_app.url}/graph/ego?iri={HAIKOU_SITE}&hops=2") as offline:
        nodes = offline.page.evaluate("window.reformkgNodes.get().map(n => [n.id, n.label])")
        labels = dict(nodes)
        assert labels[YUNNAN_GROUP] == "云南省国有林场改革工作领导小组"
        assert "通过验收 · 2017-08-01" in labels.values()
        assert len(nodes) < 20  # Kunming is drawn, not expanded
        offline.assert_clean()


@pytest.mark.slow
def test_ownership_view_draws_no_company_as_owner(browser, live_seed_app):
    with open_view(browser, f"{live_seed_app.url}/graph/ownership") as offline:
        page = offline.page
        ids = page.evaluate("window.reformkgNodes.getIds()")
        assert not [i for i in ids if any(c in i for c in COMPANIES)]
        edges = page.evaluate("window.reformkgEdges.get().map(e => [e.from, e.to, e.label])")
        assert {label for _f, _t, label in edges} >= {"责任单位", "共同责任单位", "原文未写明负责单位", "验收"}
        assert [t for f, t, label in edges if label == "原文未写明负责单位"] == [FOREST_REFORM]
        # switched on, companies appear, as participants and never as owners
        page.locator("input[name=participants]").check()
        page.wait_for_url("**participants=true**")
        page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=60_000)
        edges = page.evaluate("window.reformkgEdges.get().map(e => [e.from, e.label])")
        assert {label for source, label in edges if any(c in source for c in COMPANIES)} == {"参与举措"}
        offline.assert_clean()


def click_node(page, node_id: str) -> None:
    """Click a node at its place on the canvas (zoomed on it) and wait for its details."""
    target = page.evaluate(
        """(id) => {
          const net = window.reformkgNetwork;
          net.focus(id, {scale: 1.5, animation: false});
          const dom = net.canvasToDOM(net.getPositions([id])[id]);
          const box = document.querySelector('#network canvas').getBoundingClientRect();
          return {x: box.left + dom.x, y: box.top + dom.y};
        }""",
        node_id,
    )
    page.wait_for_timeout(700)  # (two clicks close together are a double click, which opens the entity's page)
    page.mouse.click(target["x"], target["y"])
    page.locator("#details").wait_for(state="visible", timeout=5_000)
    assert page.evaluate("window.reformkgNetwork.getSelectedNodes()[0]") == node_id


@pytest.mark.slow
def test_ownership_view_keeps_to_the_agency_selected(browser, live_seed_app):
    """A click on an owner shows a link that keeps the view to the reforms it owns (the other switches as they were);
    on a reform it is not offered."""
    office = "https://w3id.org/reformkg/id/org/kunming-poverty-alleviation-office"
    with open_view(browser, f"{live_seed_app.url}/graph/ownership?participants=true") as offline:
        page = offline.page
        click_node(page, FOREST_REFORM)
        assert page.locator("#details-focus").is_hidden()
        click_node(page, office)
        link = page.locator("#details-focus")
        assert link.is_visible() and link.inner_text() == "只看此单位负责的改革"
        with page.expect_navigation():
            link.click()
        page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=60_000)
        assert "participants=true" in page.url and "agency=" in page.url
        owns = page.evaluate("window.reformkgEdges.get().filter(e => e.label.includes('责任单位')).map(e => e.from)")
        assert set(owns) == {office}
        assert page.locator("h1").inner_text().startswith("谁负责哪项改革：")
        offline.assert_clean()


#: Where a node of a view is drawn on the screen, and the view's zoom.
PLACES = """() => {
  const net = window.reformkgNetwork;
  const box = document.querySelector('#network canvas').getBoundingClientRect();
  const ys = Object.values(net.getPositions()).map(p => net.canvasToDOM(p).y);
  return {scale: net.getScale(), top: Math.min(...ys), bottom: Math.max(...ys), height: box.height};
}"""


@pytest.mark.slow
def test_a_tall_ownership_view_starts_readable_at_its_top_and_a_short_one_whole(
    browser, live_seed_app, tmp_path_factory
):
    """Fitted whole, 60 reforms in a column would be drawn too small to read: the view starts at its top, at a zoom
    that reads, the rest below; the seed's view fits whole, with its participants too."""
    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings
    from tests.conftest import LiveServer, synthetic_farms

    for path in ("/graph/ownership", "/graph/ownership?participants=true"):
        with open_view(browser, live_seed_app.url + path) as offline:
            seed = offline.page.evaluate(PLACES)
            assert seed["top"] >= 0 and seed["bottom"] <= seed["height"], path  # whole
        # English names are longer, so the nodes of a level stand further apart: whole, or readable from its top
        with open_view(browser, live_seed_app.url + path, "en-GB,en;q=0.9") as offline:
            seed = offline.page.evaluate(PLACES)
            whole = seed["top"] >= 0 and seed["bottom"] <= seed["height"]
            assert whole or (seed["scale"] >= 0.6 - 1e-6 and 0 <= seed["top"] < 100), (path, seed)
    server = LiveServer(create_app(Settings(store="memory"), synthetic_farms(tmp_path_factory, 300)))
    try:
        with open_view(browser, f"{server.url}/graph/ownership") as offline:
            tall = offline.page.evaluate(PLACES)
            assert tall["scale"] >= 0.6 - 1e-6  # (the template's READABLE)
            assert 0 <= tall["top"] < 100 and tall["bottom"] > 3 * tall["height"]  # its top on screen, most below
            more = offline.page.evaluate("window.reformkgNodes.get({filter: n => n.kind === 'more'}).length")
            assert more > 3
            offline.assert_clean()
    finally:
        server.stop()


#: The labelled edges between two nodes level with each other (the same y): their labels and the middles of their
#: lines, in network coordinates.
LEVEL_EDGES = """() => {
  const pos = window.reformkgNetwork.getPositions();
  return window.reformkgEdges.get().filter(e => e.label && pos[e.from] && pos[e.to]
    && pos[e.from].y === pos[e.to].y && Math.abs(pos[e.from].x - pos[e.to].x) > 60)
    .map(e => [e.label, {x: (pos[e.from].x + pos[e.to].x) / 2, y: pos[e.from].y}]);
}"""
#: Dark pixels (edge labels are drawn near-black; edge lines are grey #8a8a8a) in a box of the canvas around a point
#: of the network (the view zoomed in on it first).
INK_AT = """(point) => {
  const net = window.reformkgNetwork;
  const canvas = document.querySelector('#network canvas');
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const dom = net.canvasToDOM(point);
  const w = Math.round(24 * ratio), h = Math.round(10 * ratio);
  const data = canvas.getContext('2d')
    .getImageData(Math.round(dom.x * ratio) - w, Math.round(dom.y * ratio) - h, 2 * w, 2 * h).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 200 && data[i] < 90 && data[i + 1] < 90 && data[i + 2] < 90) dark++;
  }
  return dark;
}"""


def label_ink(page) -> list[tuple[str, int]]:
    """(label, dark pixels at the middle of its line) for each labelled level edge of the view, each looked at zoomed
    in (at the view's own zoom a small label is drawn in greys)."""
    found = []
    for label, middle in page.evaluate(LEVEL_EDGES):
        page.evaluate("(p) => window.reformkgNetwork.moveTo({position: p, scale: 1.5, animation: false})", middle)
        page.wait_for_timeout(100)
        found.append((label, page.evaluate(INK_AT, middle)))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/graph/ownership?agency=kunming-organization-department", "/graph/ownership?participants=true"]
)
def test_a_level_edge_s_label_is_drawn_on_its_line(browser, live_seed_app, path):
    """In the ownership view, some nodes sit level with each other (kept to the organisation department: the general
    office of the discipline commission and the commission), so the edges between them are level: their labels are
    drawn at the middle of their lines (vis-network drew a level edge's label aligned "middle" at the network's
    origin, off the line)."""
    for language in ("zh-CN,zh;q=0.9", "en-GB,en;q=0.9"):
        with open_view(browser, live_seed_app.url + path, language) as offline:
            found = label_ink(offline.page)
            assert found, "the view has no level edge with a label: the test needs one"
            for label, dark in found:
                assert dark > 20, f"nothing drawn on the level edge {label!r} ({dark} dark pixels)"
            offline.assert_clean()


#: Each node's name (its label's box) and the shapes of the other nodes it overlaps, in canvas coordinates.
NAMES_ON_SHAPES = """() => {
  const nodes = window.reformkgNetwork.body.nodes;
  const ids = window.reformkgNodes.getIds();
  const hits = [];
  for (const a of ids) {
    const label = nodes[a].labelModule.size;
    for (const b of ids) {
      const box = nodes[b].shape.boundingBox;
      if (a === b || !label.width) continue;
      if (label.left < box.right && box.left < label.left + label.width
          && label.top < box.bottom && box.top < label.top + label.height) hits.push([a, b]);
    }
  }
  return hits;
}"""


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en-GB,en;q=0.9", "zh-CN,zh;q=0.9"])
def test_no_name_sits_on_another_node_in_the_ownership_view(browser, live_seed_app, language):
    """A layout by levels spaces the nodes of a level for the tallest name under them: the English names of the
    discipline commission and its general office wrap to four lines, and with the spacing the Chinese names need, the
    next node of the level sat on their last lines."""
    for path in ("/graph/ownership?agency=kunming-organization-department", "/graph/ownership"):
        with open_view(browser, live_seed_app.url + path, language) as offline:
            assert offline.page.evaluate(NAMES_ON_SHAPES) == [], (language, path)
            offline.assert_clean()
