"""The SPARQL 1.1 Protocol at /sparql, with real clients against a live server, on the embedded and remote stores."""

from __future__ import annotations

import csv
import io
import threading
import time
from urllib.parse import quote

import httpx
import pytest
import rdflib
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore, RemoteStore
from tests.conftest import LiveServer, OxigraphServer, seeded_store

AGENCIES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rko: <https://w3id.org/reformkg/ontology#>
SELECT ?farm ?label WHERE { ?farm a rko:ForestFarmSite ; rdfs:label ?label FILTER(lang(?label) = "en") }
ORDER BY ?farm"""
FARMS = [
    "https://w3id.org/reformkg/id/place/haikou-forest-farm",
    "https://w3id.org/reformkg/id/place/xishan-forest-farm",
    "https://w3id.org/reformkg/id/place/yiliang-lufengcun-forest-farm",
]
CONSTRUCT = """PREFIX rko: <https://w3id.org/reformkg/ontology#>
CONSTRUCT { ?farm a rko:ForestFarmSite } WHERE { ?farm a rko:ForestFarmSite }"""
_HUNDRED = " ".join(str(i) for i in range(100))


def counting(values: int) -> str:
    """A query that counts 100^values rows, whatever the store holds: 100^4 takes seconds, 100^5 hours."""
    return "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"VALUES ?v{i} {{ {_HUNDRED} }}" for i in range(values)) + " }"


HEAVY = counting(5)
#: For the in-memory store, which cannot stop a query: past the limit, but done a few seconds later, so the thread
#: it leaves behind does not hold a core for the rest of the test session.
HEAVY_BUT_FINITE = counting(4)
GRAPH = "https://w3id.org/reformkg/graph/data/kunming-gaige-kuaibao-107/core.ttl"


@pytest.fixture(scope="module", params=["disk", "remote"])
def endpoint(request, tmp_path_factory):
    """A live reformkg over the seed graph, on-disk (query workers) or on a remote `oxigraph serve`."""
    store = seeded_store(request.param, request, tmp_path_factory)
    settings = Settings(store="unused", result_limit=50, query_timeout=5, query_workers=2)
    server = LiveServer(create_app(settings, store))
    yield server.url + "/sparql"
    server.stop()
    store.close()


def test_sparqlwrapper_json(endpoint):
    client = SPARQLWrapper(endpoint)
    client.setQuery(AGENCIES)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [r["farm"]["value"] for r in rows] == FARMS
    assert rows[2]["label"]["value"] == "Yiliang State-owned Lufengcun Forest Farm (site)"


def test_sparqlwrapper_xml(endpoint):
    client = SPARQLWrapper(endpoint)
    client.setQuery(AGENCIES)
    client.setReturnFormat(XML)
    document = client.query().convert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == FARMS


def test_sparqlwrapper_turtle_construct(endpoint):
    client = SPARQLWrapper(endpoint)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert sorted(str(s) for s in graph.subjects()) == FARMS


def test_rdflib_sparqlstore(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(endpoint))
    assert [str(r[0]) for r in graph.query(AGENCIES)] == FARMS


def test_post_forms_and_direct_body(endpoint):
    form = httpx.post(endpoint, data={"query": AGENCIES})
    direct = httpx.post(endpoint, content=AGENCIES.encode(), headers={"Content-Type": "application/sparql-query"})
    for answer in (form, direct):
        assert answer.status_code == 200
        assert [b["farm"]["value"] for b in answer.json()["results"]["bindings"]] == FARMS


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.1, text/csv;q=0.9", "text/csv"),
        ("text/*", "text/csv"),
    ],
)
def test_select_content_negotiation(endpoint, accept, media):
    headers = {"Accept": accept} if accept else {}
    answer = httpx.get(endpoint, params={"query": AGENCIES}, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media)
    if media == "text/csv":
        assert [row[0] for row in csv.reader(io.StringIO(answer.text))][1:] == FARMS


@pytest.mark.parametrize(
    ("accept", "media", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml;q=1, text/turtle;q=0.2", "application/rdf+xml", "xml"),
    ],
)
def test_construct_content_negotiation(endpoint, accept, media, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    answer = httpx.get(endpoint, params={"query": CONSTRUCT}, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media)
    graph = rdflib.Graph().parse(data=answer.text, format=rdflib_format)
    assert sorted(str(s) for s in graph.subjects()) == FARMS


def test_unservable_accept_is_406(endpoint):
    answer = httpx.get(endpoint, params={"query": AGENCIES}, headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "acceptable" in answer.json()["detail"]
    graph = httpx.get(endpoint, params={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert graph.status_code == 406


def test_ask(endpoint):
    answer = httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"})
    assert answer.json()["boolean"] is True


def test_default_and_named_graph_uris(endpoint):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/reformkg/ontology#ForestFarmSite> }"
    scoped = httpx.get(endpoint, params={"query": query, "default-graph-uri": GRAPH})
    assert scoped.json()["results"]["bindings"][0]["n"]["value"] == "3"
    elsewhere = httpx.get(
        endpoint, params={"query": query, "default-graph-uri": GRAPH.replace("core.ttl", "item-3-policy.ttl")}
    )
    assert elsewhere.json()["results"]["bindings"][0]["n"]["value"] == "0"
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    only = httpx.get(endpoint, params={"query": named, "named-graph-uri": GRAPH})
    assert [b["g"]["value"] for b in only.json()["results"]["bindings"]] == [GRAPH]


def test_row_limit_caps_every_answer_and_says_so_only_when_it_cut(endpoint):
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    capped = httpx.get(endpoint, params={"query": query})
    assert len(capped.json()["results"]["bindings"]) == 50
    assert capped.headers["x-reformkg-row-limit"] == "50"
    within = httpx.get(endpoint, params={"query": query + " LIMIT 30"})
    assert len(within.json()["results"]["bindings"]) == 30
    assert "x-reformkg-row-limit" not in within.headers
    beyond = httpx.get(endpoint, params={"query": query + " LIMIT 70"})
    assert len(beyond.json()["results"]["bindings"]) == 50
    assert beyond.headers["x-reformkg-row-limit"] == "50"


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "says"),
    [
        ("PUT", {"content": AGENCIES}, 405, ""),
        ("DELETE", {}, 405, ""),
        ("GET", {"params": [("query", AGENCIES), ("query", AGENCIES)]}, 400, "once"),
        ("GET", {"params": {"query": "SELEKT * WHERE { ?s ?p ?o }"}}, 400, "does not parse"),
        ("GET", {"params": {"update": "CLEAR ALL"}}, 400, "POST"),
        ("POST", {"content": AGENCIES.encode(), "headers": {"Content-Type": "text/plain"}}, 415, "Content-Type"),
        ("POST", {"content": AGENCIES.encode(), "headers": {"Content-Type": ""}}, 400, "Content-Type"),
        (
            "POST",
            {"content": b"query=SELECT+%E9", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            400,
            "UTF-8",
        ),
        (
            "POST",
            {"content": b"SELECT \xff\xfe", "headers": {"Content-Type": "application/sparql-query"}},
            400,
            "UTF-8",
        ),
        ("POST", {"data": {"query": AGENCIES, "update": "CLEAR ALL"}}, 400, "not both"),
        ("POST", {"data": {"other": "x"}}, 400, "no query"),
        (
            "POST",
            {"content": b"query=" + b"x" * 1_100_000, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            413,
            "larger",
        ),
    ],
)
def test_protocol_errors_are_4xx_with_a_message(endpoint, method, kwargs, status, says):
    answer = httpx.request(method, endpoint, **kwargs)
    assert answer.status_code == status
    if says:
        assert says in answer.json()["detail"]
    assert "Traceback" not in answer.text


def test_service_description_and_browser_redirect(endpoint):
    turtle = httpx.get(endpoint, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert str(graph.value(service, sd.endpoint)) == endpoint
    assert GRAPH in {str(o) for o in graph.objects(None, sd.name)}
    xml = httpx.get(endpoint, headers={"Accept": "application/rdf+xml"})
    assert xml.headers["content-type"].startswith("application/rdf+xml")
    browser = httpx.get(endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 303
    assert browser.headers["location"] == "/query"


def test_updates_are_refused_without_a_token(endpoint):
    answer = httpx.post(endpoint, data={"update": "CLEAR ALL"})
    assert answer.status_code == 403
    count = httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"})
    assert count.json()["boolean"] is True


# -- updates and time limits: each test has a server of its own ------------------------------------------------------
@pytest.fixture(params=["disk", "memory", "remote"])
def writable(request, tmp_path):
    if request.param == "remote":
        engine = OxigraphServer()
        request.addfinalizer(engine.stop)
        store = RemoteStore(engine.query_url, engine.update_url)
    else:
        store = OxigraphStore(tmp_path / "store") if request.param == "disk" else OxigraphStore()
    store.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/p> "1" } }')
    settings = Settings(store="unused", update_token="s3cret", query_timeout=1.5, query_workers=1)
    server = LiveServer(create_app(settings, store))
    yield server.url + "/sparql", request.param
    server.stop()
    store.close()


def count(url: str) -> int:
    answer = httpx.get(url, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_updates_need_the_bearer_token_and_are_atomic(writable):
    url, _ = writable
    insert = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/b> <http://example.org/p> "2" } }'
    assert httpx.post(url, data={"update": insert}).status_code == 401
    wrong = httpx.post(url, data={"update": insert}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert count(url) == 1
    good = httpx.post(
        url, content=insert, headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer s3cret"}
    )
    assert good.status_code == 204
    assert count(url) == 2
    broken = httpx.post(
        url, data={"update": insert.replace("INSERT DATA", "INSERT DATUM")}, headers={"Authorization": "Bearer s3cret"}
    )
    assert broken.status_code == 400
    # Two operations in one request: the second fails, so the first must not stay either.
    half = 'INSERT DATA { <http://example.org/c> <http://example.org/p> "3" } ; LOAD <file:///no/such/file.ttl>'
    failed = httpx.post(url, data={"update": half}, headers={"Authorization": "Bearer s3cret"})
    assert failed.status_code == 400
    assert count(url) == 2


def test_using_graph_uri_with_a_using_clause_is_400(writable):
    url, _ = writable
    update = "DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }"
    answer = httpx.post(
        url,
        data={"update": update, "using-graph-uri": "http://example.org/g"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert answer.status_code == 400
    assert "USING" in answer.json()["detail"]
    assert count(url) == 1


@pytest.mark.serial
def test_a_query_past_the_time_limit_is_503_and_the_server_keeps_answering(writable):
    url, kind = writable
    outcome = {}

    def heavy() -> None:
        outcome["answer"] = httpx.get(url, params={"query": HEAVY if kind == "disk" else HEAVY_BUT_FINITE}, timeout=30)

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    quick = httpx.get(url.replace("/sparql", "/healthz"), timeout=10)
    assert quick.status_code == 200
    assert thread.is_alive() and "answer" not in outcome, "the health check waited for the heavy query to end"
    thread.join(30)
    assert outcome["answer"].status_code == 503
    assert "limit" in outcome["answer"].json()["detail"]
    # The heavy query was stopped (not finished): the next query on the same server gets its answer.
    assert count(url) == 1


FAST_PATH_CASES = [
    (AGENCIES, "application/sparql-results+json"),
    (AGENCIES, "text/csv"),
    (AGENCIES, "application/sparql-results+xml, text/csv;q=0.5"),
    (AGENCIES, None),
    ("ASK {}", "*/*"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 3", "text/turtle"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 3", "application/json"),
    ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json"),  # past the row limit: the header says so
    ("SELECT WHERE {", None),  # the guard admits it, the engine refuses it
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }", None),  # the guard refuses it
    ("ASK {}", "image/png"),  # 406
    ("INSERT DATA { <urn:x> <urn:y> <urn:z> }", None),  # an update sent as a query
]


@pytest.mark.parametrize(("query", "accept"), FAST_PATH_CASES)
def test_a_plain_get_answers_as_the_route_does(endpoint, query, accept):
    """``GET /sparql?query=…`` alone takes the fast path (``sparql.quick_answer``); a POST of the same query goes
    through the route. Same status, media type, headers that matter and body."""
    headers = {"Accept": accept} if accept else {}
    fast = httpx.get(endpoint, params={"query": query}, headers=headers, timeout=30)
    routed = httpx.post(endpoint, data={"query": query}, headers=headers, timeout=30)
    assert (fast.status_code, fast.headers.get("content-type")) == (
        routed.status_code,
        routed.headers.get("content-type"),
    )
    for name in ("vary", "retry-after", "x-reformkg-row-limit"):
        assert fast.headers.get(name) == routed.headers.get(name), name
    assert fast.content == routed.content


def test_the_fast_path_answers_a_plain_get_without_the_route():
    """An app with no SPARQL route, only the fast path: a plain ``GET /sparql?query=…`` is answered (by
    ``ReformkgApp`` and ``sparql.quick_answer``), whatever else is sent there is not. So the comparison above compares
    two paths, not one with itself."""
    from fastapi.testclient import TestClient

    from reformkg.api import errors
    from reformkg.api.app import ReformkgApp
    from reformkg.graph.executor import QueryExecutor

    app = ReformkgApp()
    app.state.executor = QueryExecutor(OxigraphStore(), workers=1)
    errors.install(app)
    client = TestClient(app)
    assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True
    assert client.get("/sparql", params={"query": "SELECT WHERE {"}).status_code == 400  # the app's handler
    assert client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "urn:g"}).status_code == 404
    assert client.get("/sparql", params={"query": "ASK { ?s ?p 'é 中 %2B+' }"}).json()["boolean"] is False
    app.state.executor.close()


@examples(max_examples=400, deadline=None)
@given(st.text(), st.binary(max_size=200), st.sampled_from(["", "&x=1", "&query=2", ";a"]))
def test_a_query_string_is_read_as_parse_qsl_reads_it(text, raw, rest):
    """``query_text`` decodes a plain ``query=…`` at C speed and any other query string with ``parse_qsl``; both give
    what ``parse_qsl`` gives, for query strings as clients encode them and for arbitrary bytes."""
    from urllib.parse import parse_qsl, urlencode

    from reformkg.api.routers.sparql import query_text

    edges = [b"query=a=2Fb", b"query=%zz", b"query=%2", b"query=caf%C3%a9", b"query=\xe4\xb8\xad%E4%B8%AD", b"query="]
    edges += [b"query=a+b%2Bc%20", b"query=a%0A%0D%09b+", b"query=%FF%FE", b"query", b"query=a&query=b", b"x=1"]
    for query_string in (
        urlencode({"query": text}).encode() + rest.encode(),
        urlencode({"query": text}, quote_via=quote).encode(),
        b"query=" + raw,
        raw,
        *edges,
    ):
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        expected = pairs[0][1] if len(pairs) == 1 and pairs[0][0] == "query" else None
        assert query_text(query_string) == expected, query_string
