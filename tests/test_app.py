"""The minimal app: /healthz and GET /sparql, on every backend."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from tests.conftest import FIXTURES


def test_health_and_sparql_get(store):
    store.load_file(FIXTURES / "farms.ttl", graph="http://example.org/g")
    client = TestClient(create_app(Settings(store="memory"), store))
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["backend"] == store.backend

    answer = client.get("/sparql", params={"query": "SELECT ?f WHERE { ?f a <http://example.org/ForestFarm> }"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/sparql-results+json")
    values = sorted(b["f"]["value"] for b in answer.json()["results"]["bindings"])
    assert values == ["http://example.org/haikou", "http://example.org/xishan"]

    graph = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s a ?t }"})
    assert graph.headers["content-type"].startswith("text/turtle")

    bad = client.get("/sparql", params={"query": "SELEKT"})
    assert bad.status_code == 400
    assert "does not parse" in bad.json()["detail"]


def test_healthz_is_503_when_the_store_does_not_answer():
    from reformkg.graph.store import RemoteStore
    from tests.conftest import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)  # nothing listens there
    try:
        answer = TestClient(create_app(Settings(store="unused"), store)).get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "unavailable", "backend": "remote"}
    finally:
        store.close()
