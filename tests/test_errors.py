"""One exception hierarchy, mapped to HTTP in one place: each kind of library error gets its status through real
routes, a store failure is 503 on every route, and a browser gets an error page only where a route documents one."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reformkg.api import errors as api_errors
from reformkg.api.app import create_app
from reformkg.graph import errors
from reformkg.graph.build import BuildError
from reformkg.graph.entities import InvalidIri
from reformkg.graph.rdfxml import UnsafeXmlError
from reformkg.graph.search import EmptyQuery
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore, RdfSyntaxError, RemoteStore, Store, StoreLocked, StoreMissing
from tests.conftest import free_port

ID = "https://w3id.org/reformkg/id/"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


class FailingStore(Store):
    """A store whose every query fails with the error given."""

    backend = "memory"

    def __init__(self, error: Exception):
        self.error = error

    def query(self, sparql, *, default_graphs=None, named_graphs=None):
        raise self.error

    def update(self, sparql):
        raise self.error

    def add_quads(self, quads):
        raise self.error

    def load_file(self, path, *, graph=None, fmt=None, progress=None):
        raise self.error

    @property
    def rdflib(self):
        raise self.error


def client_for(store: Store) -> TestClient:
    return TestClient(create_app(Settings(store="memory"), store))


@pytest.fixture(scope="module")
def seeded(seed_store):
    return client_for(seed_store)


# -- the hierarchy ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (InvalidIri("not an absolute IRI: 'x'"), errors.InputError, 400),
        (EmptyQuery("nothing to search for"), errors.InputError, 400),
        (RdfSyntaxError("a.ttl", 1, 2, "unexpected"), errors.InputError, 400),
        (UnsafeXmlError("a.rdf", 1, "an entity"), errors.InputError, 400),
        (BuildError("3 SHACL violations: nothing loaded"), errors.InputError, 400),
        (errors.UnknownEntity(ID + "x"), errors.NotFound, 404),
        (errors.NoPath("no path between a and b"), errors.NotFound, 404),
        (StoreMissing(Path("/nowhere")), errors.StoreError, 503),
        (StoreLocked(Path("/store"), None), errors.StoreError, 503),
        (errors.QuerySyntaxError("at 1:1"), errors.StoreError, 400),
        (errors.RefusedRequest("too deep"), errors.StoreError, 400),
        (errors.QueryTimeout("past the limit"), errors.StoreError, 503),
        (errors.ExecutorBusy("busy"), errors.StoreError, 503),
        (errors.RemoteError("HTTP 500 from the endpoint"), errors.StoreError, 502),
    ],
)
def test_every_library_error_is_one_kind_with_one_status(error, kind, status):
    assert isinstance(error, errors.ReformkgError) and isinstance(error, kind)
    assert api_errors.status_of(error) == status


def test_the_analytics_and_timeline_unknown_entity_is_the_same_class():
    from reformkg.graph import analytics, timeline, views

    assert analytics.UnknownEntity is timeline.UnknownEntity is views.UnknownEntity is errors.UnknownEntity
    assert analytics.NoPath is errors.NoPath


# -- each kind through a real route ----------------------------------------------------------------------------------
def test_input_error_is_400_json_or_a_page(seeded):
    answer = seeded.get("/entity", params={"iri": "http://example.org/x> } DROP ALL {"}, headers=JSON)
    assert answer.status_code == 400 and answer.json()["detail"].startswith("not an absolute IRI")
    page = seeded.get("/entity", params={"iri": "http://example.org/\x7f"}, headers=HTML)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Not an IRI" in page.text


def test_unknown_entity_is_404_json_or_a_page(seeded):
    answer = seeded.get("/id/org/no-such-agency", headers=JSON)
    assert answer.status_code == 404 and "no triple" in answer.json()["detail"]
    page = seeded.get("/id/org/no-such-agency", headers=HTML)
    assert page.status_code == 404 and "Unknown entity" in page.text
    timeline = seeded.get("/reforms/no-such-reform/timeline", headers=HTML)
    assert timeline.status_code == 404 and timeline.headers["content-type"].startswith("text/html")
    assert "no reform" in timeline.text


def test_a_route_without_an_html_error_page_answers_json_even_to_a_browser(seeded):
    for path, params in [
        ("/analytics/path", {"from": ID + "org/no-such-agency", "to": ID + "org/kunming-municipal-government"}),
        ("/graph/ego", {"iri": ID + "place/atlantis"}),
        ("/api/reforms/no-such-reform", {}),
    ]:
        answer = seeded.get(path, params=params, headers=HTML)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json"), path
        assert answer.json()["detail"].startswith("no "), path


def test_no_path_is_404():
    store = OxigraphStore()
    store.update(f"INSERT DATA {{ <{ID}a> <urn:p> <{ID}b> . <{ID}c> <urn:p> <{ID}d> }}")
    answer = client_for(store).get("/analytics/path", params={"from": f"{ID}a", "to": f"{ID}d"})
    assert answer.status_code == 404 and answer.json()["detail"].startswith("no path")


def test_query_syntax_error_is_400(seeded):
    answer = seeded.get("/sparql", params={"query": "SELEKT * WHERE { ?s ?p ?o }"})
    assert answer.status_code == 400 and "does not parse" in answer.json()["detail"]


def test_refused_request_is_400(seeded):
    answer = seeded.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } }"})
    assert answer.status_code == 400 and "REFORMKG_SERVICE_ALLOW" in answer.json()["detail"]


#: A route of each router that reads the store, and what its request names.
STORE_ROUTES = [
    "/analytics/agencies",
    "/analytics/ownership?agency=https://w3id.org/reformkg/id/org/x",
    "/graph/overview",
    "/api/agencies/x/reforms",
    "/api/reforms/x",
    "/id/org/x",
    "/entity?iri=http://example.org/x",
    "/reforms/x/timeline",
    "/places/x/timeline",
    "/search?q=x",
    "/sparql?query=ASK%20%7B%7D",
]


@pytest.mark.parametrize("path", STORE_ROUTES)
def test_a_store_failure_is_503_everywhere(path):
    answer = client_for(FailingStore(errors.StoreError("the disk is gone"))).get(path, headers=JSON)
    assert answer.status_code == 503, answer.text
    assert "the disk is gone" in answer.json()["detail"]
    assert "retry-after" not in answer.headers


@pytest.mark.parametrize("error", [StoreMissing(Path("/nowhere")), StoreLocked(Path("/store"), None)])
def test_a_missing_or_locked_store_is_503(error):
    answer = client_for(FailingStore(error)).get("/api/agencies/x/reforms")
    assert answer.status_code == 503 and answer.json()["detail"] == str(error)


@pytest.mark.parametrize("kind", [errors.QueryTimeout, errors.ExecutorBusy])
def test_timeouts_and_busy_workers_are_503_with_retry_after(kind):
    answer = client_for(FailingStore(kind("try again later"))).get("/analytics/agencies")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["detail"] == "try again later"


def test_a_query_past_the_time_limit_is_503_with_retry_after():
    hundred = " ".join(str(i) for i in range(100))
    ten_million = (  # about a second of counting: past the limit, and soon done, since memory cannot stop a query
        "SELECT (COUNT(*) AS ?n) WHERE { "
        + " ".join(f"VALUES ?v{i} {{ {hundred} }}" for i in range(3))
        + " VALUES ?w { 1 2 3 4 5 6 7 8 9 10 } }"
    )
    client = TestClient(create_app(Settings(store="memory", query_timeout=0.1), OxigraphStore()))
    answer = client.get("/sparql", params={"query": ten_million})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "limit" in answer.json()["detail"]


def test_remote_error_is_502_and_names_no_answer():
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)  # nothing listens there
    try:
        answer = client_for(store).get("/api/agencies/kunming-municipal-government/reforms")
        assert answer.status_code == 502
        assert answer.json()["detail"].startswith("http://127.0.0.1")
        assert len(answer.json()["detail"].splitlines()) == 1
    finally:
        store.close()


def test_the_documented_error_responses_match_the_handler(seeded):
    spec = seeded.get("/openapi.json").json()["paths"]
    for path in ("/id/{path}", "/reforms/{reform_id}/timeline", "/analytics/ownership"):
        assert "text/html" in spec[path]["get"]["responses"]["404"]["content"], path
    for path in ("/analytics/path", "/graph/ego", "/api/reforms/{slug}"):
        assert "text/html" not in spec[path]["get"]["responses"]["404"]["content"], path


@pytest.mark.parametrize("backend", ["memory", "disk"])
def test_an_update_the_engine_runs_and_fails_on_is_400_and_changes_nothing(backend, tmp_path):
    """CREATE of a graph that exists, DROP of one that does not: the request's fault (400), not the store's (503)."""
    store = OxigraphStore() if backend == "memory" else OxigraphStore(tmp_path / "store")
    settings = Settings(store="memory" if backend == "memory" else str(tmp_path / "store"), update_token="t")
    with TestClient(create_app(settings, store)) as client:
        auth = {"Authorization": "Bearer t"}
        assert client.post("/sparql", data={"update": "CREATE GRAPH <http://e/g>"}, headers=auth).status_code == 204
        for update, words in [
            ("CREATE GRAPH <http://e/g>", "already exists"),
            ("DROP GRAPH <http://e/x>", "not exist"),
        ]:
            answer = client.post("/sparql", data={"update": update}, headers=auth)
            assert answer.status_code == 400, answer.text
            assert "changed nothing" in answer.json()["detail"] and words in answer.json()["detail"]
        assert client.get("/sparql", params={"query": "ASK { GRAPH <http://e/g> { } }"}).status_code == 200
    store.close()
