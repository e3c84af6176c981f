"""Search by label: Chinese, English, pinyin with or without tones and spaces, variant spellings; JSON and HTML."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.api.routers.ui import ValidationFailure
from reformkg.graph.search import EmptyQuery, index_for, match_keys, normalise, search
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore

ID = "https://w3id.org/reformkg/id/"
LUFENGCUN = {ID + "org/yiliang-lufengcun-forest-farm", ID + "place/yiliang-lufengcun-forest-farm"}
OFFICE = ID + "org/kunming-poverty-alleviation-office"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def client(seed_store):
    return TestClient(create_app(Settings(store="memory"), seed_store))


def test_normalise_folds_case_tones_spaces_and_hyphens():
    assert normalise("Lùfēngcūn") == "lufengcun"
    assert normalise("Lu Feng-Cun") == "lufengcun"
    assert normalise("  ") == ""
    assert {"禄丰村", "lufengcun"} <= match_keys("禄丰村", "zh")
    assert match_keys("Yíliáng", "zh-Latn-pinyin") == {"yiliang"}


@pytest.mark.parametrize("query", ["Luofengcun", "禄丰村", "lufengcun", "Lùfēngcūn", "lu feng cun", "LUFENGCUN"])
def test_every_spelling_finds_the_lufengcun_farm_first(seed_store, query):
    hits = search(seed_store, query)
    assert hits[0].iri in LUFENGCUN
    # the farm as place and as institution come before anything that merely mentions it
    assert {h.iri for h in hits[:2]} == LUFENGCUN


def test_short_chinese_name_finds_the_poverty_alleviation_office(seed_store):
    hit = search(seed_store, "扶贫办")[0]
    assert hit.iri == OFFICE
    assert hit.label_zh == "昆明市扶贫开发办公室"
    assert hit.label_en == "Kunming Poverty Alleviation and Development Office"
    assert hit.type_label == "Agency" and hit.kind == "entity"
    assert hit.type_label_zh == "机关部门"


def test_the_sources_own_words_for_an_entity_find_it(seed_store):
    """``rko:sourceLabel`` (a kind of skos:altLabel) holds how the newsletter itself names an entity: each of them
    finds that entity first, and names it (``resolve``). "昆明市委" is a prefix of the Kunming leading group's label
    (昆明市委、市政府成立的…领导小组) and a part of 中共昆明市委's, so without the source's words it named the group."""
    from reformkg.graph.resolve import resolve

    words = seed_store.query(
        "SELECT ?entity ?label WHERE { ?entity <https://w3id.org/reformkg/ontology#sourceLabel> ?label }"
    ).rows()
    assert len(words) >= 18
    for row in words:
        assert search(seed_store, row["label"])[0].iri == row["entity"], row
        assert resolve(seed_store, row["label"]) == row["entity"], row
    committee = ID + "org/kunming-municipal-party-committee"
    assert resolve(seed_store, "昆明市委", prefer=("org",)) == committee
    first = search(seed_store, "昆明市委")[0]
    assert first.label_zh == "中共昆明市委" and first.matched == "昆明市委"  # named by its label, found by the source's


def test_words_two_sources_use_for_two_entities_name_neither(seed_store):
    """The source's words mean one thing in one newsletter: where two entities are named so (another city's 市委 in
    another issue), the name fits both and names neither."""
    from reformkg.graph.build import build
    from reformkg.graph.resolve import Ambiguous, resolve

    settings = Settings()
    store = OxigraphStore()
    build(store, settings.ontology_dir, settings.data_dir)
    try:
        assert resolve(store, "市委") == ID + "org/kunming-municipal-party-committee"
        store.update(
            f"INSERT DATA {{ GRAPH <urn:test:other-issue> {{ <{ID}org/other-city-party-committee> "
            '<http://www.w3.org/2000/01/rdf-schema#label> "中共某市委"@zh ; '
            '<https://w3id.org/reformkg/ontology#sourceLabel> "市委"@zh } }'
        )
        with pytest.raises(Ambiguous, match="fits several entities"):
            resolve(store, "市委")
    finally:
        store.close()


def test_ranking_exact_then_prefix_then_substring(seed_store):
    hits = search(seed_store, "海口林场", limit=50)
    scores = {h.iri: h.score for h in hits}
    exact = scores[ID + "org/haikou-forest-farm"]
    prefix = scores[ID + "reform/haikou-forest-farm-reform-pilot"]  # 海口林场国有林场改革试点
    substring = scores[ID + "source/kunming-gaige-kuaibao-107/item-4"]  # 我市海口林场、…
    assert exact > prefix > substring


def test_entities_before_concepts(seed_store):
    hits = search(seed_store, "poverty", limit=50)
    kinds = [h.kind for h in hits if h.score < 200]  # the substring tier
    assert "concept" in kinds and kinds.index("entity") < kinds.index("concept")


def test_index_is_cached_until_the_store_changes():
    store = OxigraphStore()
    first = index_for(store)
    assert index_for(store) is first
    store.update('INSERT DATA { <http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "Anning"@en }')
    assert index_for(store) is not first
    assert search(store, "anning")[0].iri == "http://example.org/a"
    with pytest.raises(EmptyQuery):
        search(store, " - ")


def test_search_json(client):
    answer = client.get("/search", params={"q": "lu feng cun"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    first = answer.json()["results"][0]
    assert first["iri"] in LUFENGCUN
    assert first["page"].startswith("/id/")
    assert set(first) >= {"label_zh", "label_en", "type", "type_label", "iri", "page", "score", "matched"}


def test_search_html_for_browsers(client):
    answer = client.get("/search", params={"q": "禄丰村"}, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert 'href="/id/org/yiliang-lufengcun-forest-farm"' in answer.text
    assert client.get("/search", headers=HTML).status_code == 200  # the empty form


@pytest.mark.parametrize("q", ["", "   ", "-"])
def test_empty_query_is_refused_with_a_message(client, q):
    for headers in ({}, HTML):
        answer = client.get("/search", params={"q": q}, headers=headers)
        assert answer.status_code == 422
        assert "at least one" in answer.text
    assert client.get("/search/suggest", params={"q": q}).status_code == 422
    assert client.get("/search").status_code == 422


def test_suggest(client):
    answer = client.get("/search/suggest", params={"q": "Luofeng"})
    assert answer.status_code == 200
    first = answer.json()[0]
    assert first["iri"] in LUFENGCUN and "宜良国有禄丰村林场" in first["label"]
    labels = (first["type_label"], first["type_label_zh"])
    assert labels in (("State forest farm", "国有林场"), ("Forest farm site", "林场场址"))


def test_the_results_page_names_each_class_in_the_pages_language(client):
    """A Chinese page tags each result with its class's Chinese label, an English page with the English one."""
    zh = client.get("/search", params={"q": "扶贫办"}, headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    en = client.get("/search", params={"q": "扶贫办"}, headers={"Accept": "text/html", "Accept-Language": "en"})
    assert '<span class="tag" lang="zh">机关部门</span>' in zh.text and ">Agency</span>" not in zh.text
    assert '<span class="tag" lang="en">Agency</span>' in en.text and "机关部门</span>" not in en.text


def test_search_html_escapes_data():
    store = OxigraphStore()
    store.oxigraph.add(
        ox.Quad(
            ox.NamedNode(ID + "org/xss"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal(XSS, language="en"),
        )
    )
    client = TestClient(create_app(Settings(store="memory"), store))
    page = client.get("/search", params={"q": "script"}, headers=HTML)
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    searched = client.get("/search", params={"q": XSS}, headers=HTML)  # the query echoed back is escaped too
    assert XSS not in searched.text


@pytest.mark.parametrize("q", ["", "   ", "-"])
def test_refusals_match_the_documented_422(client, q):
    spec = client.get("/openapi.json").json()
    for path in ("/search", "/search/suggest"):
        schema = spec["paths"][path]["get"]["responses"]["422"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ValidationFailure")
        answer = client.get(path, params={"q": q})
        assert answer.status_code == 422
        ValidationFailure.model_validate(answer.json())  # a sentence, or FastAPI's list for an empty suggest q
