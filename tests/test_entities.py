"""Entity pages: every minted IRI dereferences as HTML, Turtle or JSON-LD; unknown is 404, unsupported is 406."""

from __future__ import annotations

import html

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

from reformkg.api.app import create_app
from reformkg.graph import entities
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore, RemoteStore
from tests.conftest import OxigraphServer

ID = "https://w3id.org/reformkg/id/"
FARM = ID + "org/yiliang-lufengcun-forest-farm"
OFFICE = ID + "org/kunming-poverty-alleviation-office"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module", params=["memory", "remote"])
def seeded(request, seed_store):
    """The seed graph in memory, and once more built into a real `oxigraph serve`."""
    if request.param == "memory":
        yield seed_store
        return
    from reformkg.graph.build import build

    server = OxigraphServer()
    store = RemoteStore(server.query_url, server.update_url, timeout=30)
    settings = Settings()
    build(store, settings.ontology_dir, settings.data_dir)
    yield store
    store.close()
    server.stop()


@pytest.fixture(scope="module")
def client(seeded):
    return TestClient(create_app(Settings(store="memory"), seeded))


def test_page_shows_labels_types_properties_incoming_and_sources(client):
    page = client.get("/id/org/yiliang-lufengcun-forest-farm", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    # zh first, en beside; altLabels with their spellings
    assert text.index("宜良国有禄丰村林场") < text.index("Yiliang State-owned Lufengcun Forest Farm")
    for alt in ("禄丰村林场", "Luofengcun Forest Farm", "Yíliáng Guóyǒu Lùfēngcūn Línchǎng"):
        assert alt in text
    # class, linked values with the linked entity's labels, incoming links
    assert 'href="/entity?iri=https%3A%2F%2Fw3id.org%2Freformkg%2Fontology%23StateForestFarm"' in text
    assert 'href="/id/place/yiliang-lufengcun-forest-farm"' in text
    assert "Yiliang State-owned Lufengcun Forest Farm (site)" in text
    assert "Incoming links" in text and 'href="/id/note/kunming-forest-farm-name-forms"' in text
    # the quoted source sentence, its item and offsets
    assert "Source sentences" in text and "item-4-s03" in text and "characters " in text
    assert 'href="/graph/ego?iri=https%3A%2F%2Fw3id.org%2Freformkg%2Fid%2Forg%2Fyiliang-lufengcun-forest-farm"' in text


def test_page_quotes_the_sentence_text(client, seeded):
    description = entities.describe(seeded, OFFICE)
    assert description.sources, "the office is drawn from at least one sentence"
    page = client.get("/id/org/kunming-poverty-alleviation-office", headers=HTML).text
    for source in description.sources:
        assert html.escape(source.quote, quote=False) in page
        assert f"{source.start}–{source.end}" in page


def test_turtle_and_jsonld_by_accept(client):
    ttl = client.get("/id/org/yiliang-lufengcun-forest-farm", headers={"Accept": "text/turtle"})
    assert ttl.status_code == 200 and ttl.headers["content-type"].startswith("text/turtle")
    assert ttl.headers["vary"] == "Accept"
    graph = Graph().parse(data=ttl.text, format="turtle")
    farm = URIRef(FARM)
    assert (farm, None, None) in graph
    assert (URIRef(ID + "place/yiliang-lufengcun-forest-farm"), None, farm) in graph  # incoming kept

    jsonld = client.get("/id/org/yiliang-lufengcun-forest-farm", headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200 and jsonld.headers["content-type"].startswith("application/ld+json")
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == len(graph)

    by_param = client.get("/id/org/yiliang-lufengcun-forest-farm", params={"format": "ttl"}, headers=HTML)
    assert by_param.headers["content-type"].startswith("text/turtle")


def test_blank_node_selectors_come_with_the_sentence(client):
    sentence = "source/kunming-gaige-kuaibao-107/item-4-s03"
    graph = Graph().parse(data=client.get(f"/id/{sentence}", headers={"Accept": "text/turtle"}).text, format="turtle")
    starts = list(graph.objects(None, URIRef("http://www.w3.org/ns/oa#start")))
    assert len(starts) == 1
    page = client.get(f"/id/{sentence}", headers=HTML).text
    assert "oa:start" in page


def test_any_iri_through_entity(client):
    page = client.get("/entity", params={"iri": "https://w3id.org/reformkg/ontology#ReformInitiative"}, headers=HTML)
    assert page.status_code == 200
    assert 'href="/id/reform/kunming-precision-poverty-alleviation"' in page.text  # an incoming rdf:type link


def test_unknown_entity_is_404_by_accept(client):
    as_json = client.get("/id/org/no-such-agency", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and "no triple" in as_json.json()["detail"]
    as_html = client.get("/id/org/no-such-agency", headers=HTML)
    assert as_html.status_code == 404 and as_html.headers["content-type"].startswith("text/html")
    assert "Unknown entity" in as_html.text
    assert client.get("/entity", params={"iri": "http://example.org/nothing"}).status_code == 404


def test_unsupported_accept_is_406(client):
    answer = client.get("/id/org/yiliang-lufengcun-forest-farm", headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "text/turtle" in answer.json()["detail"]


def test_iri_that_would_break_the_query_is_400(client):
    answer = client.get("/entity", params={"iri": "http://example.org/x> } DROP ALL {"})
    assert answer.status_code == 400
    assert "not an absolute IRI" in answer.json()["detail"]


def test_pages_escape_data():
    store = OxigraphStore()
    thing = ox.NamedNode(ID + "org/xss")
    other = ox.NamedNode(ID + "org/other")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.oxigraph.add(ox.Quad(thing, label, ox.Literal(XSS, language="en")))
    store.oxigraph.add(ox.Quad(thing, label, ox.Literal(XSS, language="zh")))
    store.oxigraph.add(ox.Quad(other, ox.NamedNode("http://www.w3.org/ns/org#subOrganizationOf"), thing))
    client = TestClient(create_app(Settings(store="memory"), store))
    for path in ("/id/org/xss", "/id/org/other"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_query_ui_examples_escape_their_titles(tmp_path, monkeypatch, seed_store):
    from reformkg.graph import queries

    (tmp_path / "evil.rq").write_text(f"# {XSS} which agencies\nSELECT * WHERE {{ ?s ?p ?o }} LIMIT 1\n")
    monkeypatch.setattr(queries, "FOLDER", tmp_path)
    page = TestClient(create_app(Settings(store="memory"), seed_store)).get("/query", headers=HTML)
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # the example link
    assert "\\u003cscript\\u003e" in page.text  # the example tab's JSON
    assert "/static/yasgui/yasgui.min.js" in page.text and "https://" not in page.text.split("<body>")[0]


@pytest.mark.parametrize("iri", ["http://example.org/\x7f", "http://example.org/%zz", "http://[::1/x", ""])
def test_iri_the_query_parser_would_refuse_is_invalid(iri):
    # These pass the SPARQL grammar's character test, but not the IRI parser behind it: still never a query.
    with pytest.raises(entities.InvalidIri):
        entities.check_iri(iri)


@pytest.mark.parametrize("path", ["/id/%7F", "/id/%25zz", "/id/org/%7F"])
def test_minted_path_that_makes_no_iri_is_400_not_500(client, path):
    answer = client.get(path)
    assert answer.status_code == 400 and "not an absolute IRI" in answer.json()["detail"]
    assert client.get(path, headers=HTML).headers["content-type"].startswith("text/html")
    entity = client.get("/entity", params={"iri": "http://example.org/\x7f"})
    assert entity.status_code == 400 and "not an absolute IRI" in entity.json()["detail"]


def test_openapi_documents_entity_errors_as_json_or_html(client):
    responses = client.get("/openapi.json").json()["paths"]["/id/{path}"]["get"]["responses"]
    for status in ("400", "404"):
        assert set(responses[status]["content"]) == {"application/json", "text/html"}
        assert responses[status]["content"]["application/json"]["schema"]["required"] == ["detail"]
    assert "application/json" in responses["406"]["content"]


@pytest.mark.parametrize("module", ["entities", "timeline", "ownership", "tracing"])
def test_sparql_lives_in_named_queries_not_in_python_strings(module):
    # Values reach these modules' queries as VALUES rows written by Oxigraph, never pasted into SPARQL text.
    import ast
    import re
    from pathlib import Path

    import reformkg.graph

    sparql = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE)\b\s*[{?(*]|\?\w+\s+<|>\s*\?\w+")
    source = Path(reformkg.graph.__path__[0], f"{module}.py").read_text(encoding="utf-8")
    texts = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert texts and [t for t in texts if sparql.search(t)] == []
