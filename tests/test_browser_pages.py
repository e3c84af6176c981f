"""The pages in a real Chromium, network blocked except loopback: the front page, a reform's page, the agency
ranking, an agency's reforms, the timelines and the API docs load with no console error; the language switch turns
the page and its graph labels; a reform is two clicks from the front page and every page leads back; from the ranking,
an agency's count of reforms opens the list of them."""

from __future__ import annotations

import pytest

from tests.conftest import OfflinePage

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGES = [
    "/",
    "/id/reform/kunming-precision-poverty-alleviation",
    "/id/reform/kunming-state-forest-farm-reform",
    "/analytics/agencies",
    "/analytics/ownership?agency=kunming-municipal-party-committee",
    "/reforms/haikou-forest-farm-reform-pilot/timeline",
    "/search?q=lufengcun",
    "/query",
    "/docs",
]


@pytest.fixture
def offline(browser):
    page = OfflinePage(browser, extra_http_headers=ZH)
    yield page
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean_with_the_site_header(offline, live_seed_app, path):
    page = offline.page
    page.goto(live_seed_app.url + path)
    page.wait_for_load_state("networkidle")
    header = page.locator("[data-site-header]")
    assert header.is_visible()
    assert header.locator("a[href='/']").first.is_visible()
    # nothing spills past the page's width (the query UI's result table scrolls inside its own box)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    offline.assert_clean()


@pytest.mark.slow
def test_from_the_front_page_to_a_reform_and_back_in_english(offline, live_seed_app):
    page = offline.page
    page.goto(live_seed_app.url + "/")
    assert page.locator("h1").first.inner_text() == "改革一览"
    forest = page.locator("article.reform-card", has_text="国有林场改革")
    assert forest.locator("[data-no-owner]").inner_text() == "原文未写明负责单位"
    forest.locator(".card-links a").first.click()
    page.wait_for_url("**/id/reform/kunming-state-forest-farm-reform")
    assert "云南省国有林场改革工作领导小组" in page.locator(".owners").inner_text()
    page.locator("[data-lang-switch]").click()
    page.wait_for_url("**lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Owner not named in the source" in page.locator(".owners").inner_text()
    page.locator("[data-site-header] a[href='/graph/ownership']").click()
    page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=60_000)
    labels = page.evaluate("window.reformkgEdges.get().map(e => e.label)")
    assert "lead owner" in labels and "owner not named in the source" in labels  # the switch holds for the graph
    page.locator("[data-site-header] a.brand").click()
    page.wait_for_url(live_seed_app.url + "/")
    assert page.locator("h1").first.inner_text() == "The reforms"
    offline.assert_clean()


@pytest.mark.slow
def test_from_the_ranking_an_agencys_count_of_reforms_opens_their_list(offline, live_seed_app):
    page = offline.page
    page.goto(live_seed_app.url + "/analytics/agencies")
    row = page.locator("tr[data-agency='https://w3id.org/reformkg/id/org/kunming-municipal-party-committee']")
    count = row.locator("td").last
    assert count.inner_text() == "1"
    count.locator("a").click()
    page.wait_for_url("**/analytics/ownership?agency=*")
    assert page.locator("h1").inner_text() == "中共昆明市委负责的改革"  # a page, not the JSON it used to get
    assert "共 1 项" in page.locator("main").inner_text()  # the count clicked
    assert page.locator("tr[data-reform]").count() == 2  # (one reform, owned through two bodies)
    assert page.locator("tr[data-reform] td.path").first.inner_text() == "中共昆明市委 → 中共昆明市委组织部"
    page.locator("[data-lang-switch]").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Reforms owned by CPC Kunming Municipal Committee"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    offline.assert_clean()
