"""An agency's reforms as a page: ``/analytics/ownership`` gives a browser the list (Chinese first for a Chinese
browser, the other language beside it), a page at a time; CSV for a download; JSON for programs, as before. The
ownership view kept to an agency links its reforms that were not drawn to that list, and the ranking's reform counts
lead to it."""

from __future__ import annotations

import codecs
import csv
import io
import re
from html import unescape
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.api.routers import analytics as analytics_router
from reformkg.graph import analytics, ownership, views
from reformkg.graph.settings import Settings
from tests.conftest import synthetic_farms

ID = "https://w3id.org/reformkg/id/"
AG = ID + "org/"
COMMITTEE = AG + "kunming-municipal-party-committee"
HTML_ZH = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "zh-CN,zh;q=0.9"}
HTML_EN = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en-GB,en;q=0.9"}
ROW = re.compile(r'<tr data-reform="([^"]+)">(.*?)</tr>', re.DOTALL)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)


def text(html: str) -> str:
    """The words of some markup, its tags dropped and spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows(html: str) -> list[tuple[str, list[str]]]:
    """Each row of a page's list: the reform's IRI and the text of its cells."""
    return [(iri, [text(cell) for cell in CELL.findall(body)]) for iri, body in ROW.findall(html)]


@pytest.fixture
def client(seed_store):
    """A client of its own for each test: the language a test chooses (kept in a cookie) stays in that test."""
    return TestClient(create_app(Settings(store="memory"), seed_store))


@pytest.fixture(scope="module")
def farms(tmp_path_factory):
    store = synthetic_farms(tmp_path_factory, 300)
    yield store
    store.close()


def test_a_chinese_browser_gets_the_list_in_chinese_with_english_beside_it(client, seed_store):
    answer = client.get("/analytics/ownership", params={"agency": "kunming-municipal-party-committee"}, headers=HTML_ZH)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert '<html lang="zh"' in page
    assert text(re.search(r"<h1>(.*?)</h1>", page).group(1)) == "中共昆明市委负责的改革"
    # one reform, owned through two bodies under the committee: a row for each
    words = "共 1 项，其中自己负责 0 项。 一项改革由它之下的几个单位共同负责时，每个单位各占一行：共 2 行。"
    assert words in text(page)
    traced = analytics.trace_ownership(seed_store, COMMITTEE)
    listed = rows(page)
    assert [iri for iri, _ in listed] == [row["reform"]["iri"] for row in traced] and len(listed) == 2
    # number, the reform (Chinese, then English), the owner it names, the role, the path down to that owner
    assert listed[1][1] == [
        "2",
        f"容错纠错防错体系 {traced[1]['reform']['label_en']}",
        "中共昆明市纪律检查委员会办公厅 General Office of the Kunming Municipal Commission for Discipline Inspection",
        "共同责任单位",
        "中共昆明市委 → 中共昆明市纪律检查委员会 → 中共昆明市纪律检查委员会办公厅",
    ]
    assert f'href="/graph/ownership?agency={quote(COMMITTEE, safe="")}"' in page
    assert "format=csv" in page and "format=json" in page


def test_an_english_reader_gets_it_in_english(client):
    answer = client.get("/analytics/ownership", params={"agency": COMMITTEE, "lang": "en"}, headers=HTML_ZH)
    page = answer.text
    assert '<html lang="en"' in page
    assert text(re.search(r"<h1>(.*?)</h1>", page).group(1)) == "Reforms owned by CPC Kunming Municipal Committee"
    assert "1 in all, 0 owned by itself. A reform owned by several bodies under it has a row for each: 2 rows." in (
        text(page)
    )
    first = rows(page)[0][1]
    assert first[3] == "co-owner"
    assert first[4] == (
        "CPC Kunming Municipal Committee → Organization Department of the CPC Kunming Municipal Committee"
    )
    office = "kunming-poverty-alleviation-office"
    direct = client.get("/analytics/ownership", params={"agency": office}, headers=HTML_EN)
    assert rows(direct.text)[0][1][2:4] == ["itself", "lead owner"]
    assert "1 in all, 1 owned by itself." in text(direct.text) and "rows." not in text(direct.text)


def test_programs_get_json_as_before_and_a_download_gets_csv(client, seed_store):
    traced = analytics.trace_ownership(seed_store, COMMITTEE)
    plain = client.get("/analytics/ownership", params={"agency": COMMITTEE})
    assert plain.headers["content-type"] == "application/json" and plain.json() == traced
    asked = client.get("/analytics/ownership", params={"agency": COMMITTEE, "format": "json"}, headers=HTML_ZH)
    assert asked.json() == traced
    assert traced[0]["role_label_zh"] == "共同责任单位" and traced[0]["role_label_en"] == "co-owner"
    assert traced[0]["path_labels_zh"] == ["中共昆明市委", "中共昆明市委组织部", "容错纠错防错体系"]

    download = client.get("/analytics/ownership", params={"agency": COMMITTEE, "format": "csv"})
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        'attachment; filename="reformkg-reforms-of-kunming-municipal-party-committee.csv"'
    )
    assert download.content.startswith(codecs.BOM_UTF8)  # so that a spreadsheet reads it as UTF-8
    table = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert list(table[0]) == analytics.OWNERSHIP_CSV_FIELDS
    assert [r["reform"] for r in table] == [row["reform"]["iri"] for row in traced]
    assert table[0]["path_labels_zh"] == "中共昆明市委 > 中共昆明市委组织部 > 容错纠错防错体系"
    assert table[0]["direct"] == "false" and table[0]["role_label_en"] == "co-owner"


def test_an_agency_that_owns_nothing_says_so_and_an_unknown_one_is_not_found(client):
    group = client.get(
        "/analytics/ownership", params={"agency": "kunming-state-forest-farm-reform-leading-group"}, headers=HTML_ZH
    )
    assert group.status_code == 200 and "它及其下属单位都不负责任何改革。" in group.text and not rows(group.text)
    # a browser gets its errors as pages, a program as JSON
    missing = client.get("/analytics/ownership", params={"agency": AG + "no-such-office"}, headers=HTML_ZH)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "no-such-office" in text(missing.text)
    several = client.get("/analytics/ownership", params={"agency": "昆明"}, headers=HTML_ZH)
    assert several.status_code == 400 and several.headers["content-type"].startswith("text/html")
    assert "fits several entities" in text(several.text)
    assert client.get("/analytics/ownership", params={"agency": "昆明"}).json()["detail"]
    # the answer varies with what is asked for: a cache must not give a browser the JSON
    for path, params in (("/analytics/ownership", {"agency": COMMITTEE}), ("/analytics/agencies", {})):
        answer = client.get(path, params=params)
        assert answer.headers["content-type"] == "application/json"
        assert "Accept" in answer.headers["vary"] and "Accept-Language" in answer.headers["vary"]


def test_each_name_is_marked_with_its_own_language(tmp_path):
    """A name in one language only is shown in it, marked so, on a page in the other; the English of ``node_info``
    (which repeats the Chinese where there is none) is no English name, on the page or in the CSV."""
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore()
    store.update(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX rko: <https://w3id.org/reformkg/ontology#> PREFIX org: <http://www.w3.org/ns/org#> "
        f'INSERT DATA {{ <{ID}reform/r> a rko:ReformPilot ; rdfs:label "试点"@zh ; prov:wasAssociatedWith <{AG}unit> . '
        f'<{AG}unit> a rko:Agency ; rdfs:label "单位"@zh ; org:subOrganizationOf <{AG}top> . '
        f'<{AG}top> a rko:Agency ; rdfs:label "Top"@en }}'
    )
    try:
        client = TestClient(create_app(Settings(store="memory"), store))
        english = client.get("/analytics/ownership", params={"agency": AG + "top"}, headers=HTML_EN).text
        row = ROW.findall(english)[0][1]
        assert '<span lang="zh">试点</span></a>' in row and '<span lang="zh">单位</span></a>' in row
        assert 'lang="en"' not in row.split('class="path"')[0]  # no Chinese marked English, no English repeated
        assert '<span lang="en">Top</span></a> → <a href="/id/org/unit"><span lang="zh">单位</span>' in row
        chinese = client.get("/analytics/ownership", params={"agency": AG + "top"}, headers=HTML_ZH).text
        assert '<span lang="en">Top</span></a> → ' in ROW.findall(chinese)[0][1]  # no Chinese name: the English
        table = list(
            csv.DictReader(
                io.StringIO(
                    client.get("/analytics/ownership", params={"agency": AG + "top", "format": "csv"}).content.decode(
                        "utf-8-sig"
                    )
                )
            )
        )
        assert [(r["reform_label_zh"], r["reform_label_en"], r["owner_label_en"]) for r in table] == [("试点", "", "")]
        assert (table[0]["path_labels_zh"], table[0]["path_labels_en"]) == (" > 单位 > 试点", "Top >  > ")
    finally:
        store.close()


def test_a_long_list_comes_a_page_at_a_time(farms, monkeypatch):
    monkeypatch.setattr(analytics_router, "OWNERSHIP_PAGE_ROWS", 3)
    client = TestClient(create_app(Settings(store="memory"), farms))
    department = AG + "province-03-forestry-department"
    traced = [row["reform"]["iri"] for row in analytics.trace_ownership(farms, department)]
    assert len(traced) > 6  # three pages at least
    seen: list[str] = []
    page, pages = 1, -(-len(traced) // 3)
    while True:
        answer = client.get("/analytics/ownership", params={"agency": department, "page": page}, headers=HTML_EN)
        listed = rows(answer.text)
        assert [r[1][0] for r in listed] == [str(n) for n in range(len(seen) + 1, len(seen) + len(listed) + 1)]
        seen += [iri for iri, _ in listed]
        shown = f"Rows {3 * (page - 1) + 1:,}–{len(seen):,} of {len(traced):,}"
        assert shown in text(answer.text)
        assert ('rel="prev"' in answer.text) == (page > 1) and ('rel="next"' in answer.text) == (page < pages)
        if page == pages:
            break
        page += 1
    assert seen == traced
    beyond = client.get("/analytics/ownership", params={"agency": department, "page": pages + 5}, headers=HTML_EN)
    assert [iri for iri, _ in rows(beyond.text)] == traced[3 * (pages - 1) :]  # the last page


def test_the_view_kept_to_an_agency_links_the_reforms_it_could_not_draw_to_the_list(farms):
    named = ownership.owners(farms)
    direct: dict[str, int] = {}
    for listed in named.values():
        for owner in listed:
            direct[owner.agent] = direct.get(owner.agent, 0) + 1
    bureau = max(direct, key=lambda a: (direct[a], a))
    assert direct[bureau] > 3
    view = views.ownership_data(farms, agency=bureau, cap=3)
    more = {n["id"]: n for n in view.nodes if n["kind"] == "more"}
    node = more[f"more:{bureau}"]
    assert node["count"] == direct[bureau] - 3
    url = "/analytics/ownership?agency=" + quote(bureau, safe="")
    assert node["url"] == url
    # and the view's line of counts links to the list
    total = len(ownership.reforms_of(farms, bureau))
    assert view.whole_list == (url, f"全部 {total} 项的列表", f"the list of all {total}")
    for lang, words in (("zh", f"全部 {total} 项的列表"), ("en", f"the list of all {total}")):
        html = views.render(view, lang=lang)
        assert f'<a href="{url}" data-whole-list>{words}</a>' in html
    # in the whole view, an owner's undrawn reforms still lead to that owner's own view; there is no list of all
    whole = views.ownership_data(farms, cap=3)
    assert all(n["url"].startswith("/graph/ownership?agency=") for n in whole.nodes if n["kind"] == "more")
    assert whole.whole_list is None and "data-whole-list" not in views.render(whole)
    drawn_whole = views.ownership_data(farms, agency=bureau)
    assert drawn_whole.whole_list is None  # all of its reforms are drawn


def test_with_the_projection_built_the_list_comes_from_it_and_is_the_same(monkeypatch):
    """Once the whole projection is built for the store as it is, the list takes every reform's owners and the
    organisation tree (read once per projection, as the views read them) and the names from it, and answers as it
    did without; so does the ranking page's count of each agency's reforms."""
    from reformkg.graph.build import build
    from reformkg.graph.projection import LocalProjection, project
    from reformkg.graph.store import OxigraphStore

    settings = Settings()
    store = OxigraphStore()
    build(store, settings.ontology_dir, settings.data_dir)
    agencies = (COMMITTEE, AG + "kunming-municipal-government", AG + "kunming-poverty-alleviation-office")
    client = TestClient(create_app(Settings(store="memory"), store))
    counts = re.compile(r'<tr data-agency="([^"]+)">.*?<td class="num">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>\s*</tr>', re.S)
    try:
        before = {agency: analytics.trace_ownership(store, agency) for agency in agencies}
        ranked = counts.findall(client.get("/analytics/agencies", headers=HTML_ZH).text)
        assert (COMMITTEE, "1") in ranked and len(ranked) > 5
        proj = project(store)
        assert "owners" not in proj.derived and "organisation-tree" not in proj.derived
        assert {agency: analytics.trace_ownership(store, agency) for agency in agencies} == before
        assert "owners" in proj.derived and "organisation-tree" in proj.derived  # read once, kept with it
        monkeypatch.setattr(ownership, "owners", lambda *_a, **_k: pytest.fail("the owners read again"))
        monkeypatch.setattr(ownership.OrganisationTree, "of", lambda *_a, **_k: pytest.fail("the tree read again"))
        monkeypatch.setattr(LocalProjection, "describe", lambda *_a, **_k: pytest.fail("the names read again"))
        assert {agency: analytics.trace_ownership(store, agency) for agency in agencies} == before
        # the ranking's counts of reforms come from the projection too
        assert counts.findall(client.get("/analytics/agencies", headers=HTML_ZH).text) == ranked
    finally:
        store.close()


def test_a_name_that_reads_as_a_formula_stays_text_in_the_csv_files():
    """A label from an ingested bulletin such as =HYPERLINK(…) would run as a formula in a spreadsheet that opens the
    CSV: in the agency's list and in the ranking it gets an apostrophe before it (shown as text, not run)."""
    from reformkg.graph.store import OxigraphStore

    formula = '=HYPERLINK("http://example.org/x","点击")'
    store = OxigraphStore()
    store.update(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX rko: <https://w3id.org/reformkg/ontology#> "
        f'INSERT DATA {{ <{ID}reform/r> a rko:ReformPilot ; rdfs:label "+1 改革"@zh , "@sum(1)"@en ; '
        f"prov:wasAssociatedWith <{AG}unit> . <{AG}unit> a rko:Agency ; rdfs:label "
        + '"=HYPERLINK(\\"http://example.org/x\\",\\"点击\\")"@zh ; rdfs:label "-unit"@en }'
    )
    try:
        client = TestClient(create_app(Settings(store="memory"), store))
        listed = client.get("/analytics/ownership", params={"agency": AG + "unit", "format": "csv"})
        row = next(csv.DictReader(io.StringIO(listed.content.decode("utf-8-sig"))))
        assert (row["reform_label_zh"], row["reform_label_en"]) == ("'+1 改革", "'@sum(1)")
        assert row["path_labels_zh"] == f"'{formula} > +1 改革"  # (the cell starts as a formula; inside, it is text)
        assert row["path_labels_en"] == "'-unit > @sum(1)"
        ranking = analytics.export_text(store, "csv").decode("utf-8-sig")
        agency = next(r for r in csv.DictReader(io.StringIO(ranking)) if r["iri"] == AG + "unit")
        assert (agency["label_zh"], agency["label_en"]) == (f"'{formula}", "'-unit")
        assert analytics.as_text("中共昆明市委") == "中共昆明市委" and analytics.as_text("") == ""
    finally:
        store.close()
