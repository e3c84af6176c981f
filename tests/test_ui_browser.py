"""The query UI, entity pages and search box in headless Chromium, with every request off loopback blocked."""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
import pytest

from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore
from tests.conftest import LiveServer, OfflinePage

OFFICE_EN = "Kunming Poverty Alleviation and Development Office"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def offline(browser):
    page = OfflinePage(browser)
    yield page
    page.close()


def run_active_tab(page):
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    return page.locator(".tabPanel.active .yasr table tbody tr")


def test_example_query_runs_and_shows_rows(offline, live_seed_app):
    page = offline.page
    page.goto(live_seed_app.url + "/query")
    page.locator(".tabsList .tab", has_text="Which agencies own which reforms").click()
    rows = run_active_tab(page)
    rows.filter(has_text=OFFICE_EN).first.wait_for(timeout=15000)
    assert rows.count() >= 3
    # the result table scrolls inside its own box: the page itself never gets wider than the window
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    offline.assert_clean()


def test_suggestions_on_a_chinese_page_name_their_class_in_chinese(browser, live_seed_app):
    page = OfflinePage(browser, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        page.page.goto(live_seed_app.url + "/search")
        assert page.page.locator("html").get_attribute("lang") == "zh"
        page.page.locator("input[name=q]").first.fill("扶贫办")
        first = page.page.locator(".suggestions a").first
        first.wait_for(timeout=10000)
        assert first.locator(".tag").inner_text() == "机关部门"
        page.assert_clean()
    finally:
        page.close()


def test_shared_url_restores_the_query(offline, live_seed_app):
    page = offline.page
    query = (
        "SELECT ?label WHERE { <https://w3id.org/reformkg/id/org/kunming-poverty-alleviation-office> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    page.goto(f"{live_seed_app.url}/query?query={quote(query)}")
    editor = page.locator(".tabPanel.active .CodeMirror")
    editor.wait_for()
    assert "kunming-poverty-alleviation-office" in editor.inner_text()
    rows = run_active_tab(page)
    rows.filter(has_text=OFFICE_EN).first.wait_for(timeout=15000)
    offline.assert_clean()


def test_entity_page_and_search_box(offline, live_seed_app):
    page = offline.page
    page.goto(live_seed_app.url + "/id/org/kunming-poverty-alleviation-office")
    assert OFFICE_EN in page.locator("h1").inner_text()
    page.locator("input[name=q]").fill("lu feng cun")
    first = page.locator(".suggestions a").first
    first.wait_for(timeout=10000)
    assert "Lufengcun" in first.inner_text()
    assert first.locator(".tag").inner_text() in ("State forest farm", "Forest farm site")  # an English page
    first.click()
    page.wait_for_url("**/id/*/yiliang-lufengcun-forest-farm")
    assert "宜良国有禄丰村林场" in page.locator("h1").inner_text()
    # submitting the box opens the HTML results page
    page.locator("input[name=q]").fill("扶贫办")
    page.locator("input[name=q]").press("Enter")
    page.wait_for_url("**/search?q=*")
    assert OFFICE_EN in page.locator("ol.results").inner_text()
    offline.assert_clean()


def test_data_never_runs_as_script(offline):
    store = OxigraphStore()
    thing = ox.NamedNode("https://w3id.org/reformkg/id/org/xss")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.oxigraph.add(ox.Quad(thing, label, ox.Literal(XSS, language="en")))
    store.oxigraph.add(ox.Quad(thing, label, ox.Literal('"><img src=x onerror=alert(2)>', language="zh")))
    server = LiveServer(create_app(Settings(store="memory"), store))
    try:
        page = offline.page
        page.goto(server.url + "/id/org/xss")
        assert XSS in page.locator("h1").inner_text()  # shown as text
        page.locator("input[name=q]").fill("script")
        page.locator(".suggestions a").first.wait_for(timeout=10000)
        assert XSS in page.locator(".suggestions a").first.inner_text()
        page.goto(server.url + "/search?q=script")
        assert XSS in page.locator("ol.results").inner_text()
        query = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        page.goto(f"{server.url}/query?query={quote(query)}")
        rows = run_active_tab(page)
        rows.filter(has_text=XSS).first.wait_for(timeout=15000)
        page.wait_for_timeout(300)  # give any injected handler a chance to fire
        offline.assert_clean()
    finally:
        server.stop()
