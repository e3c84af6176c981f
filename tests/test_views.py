"""The graph views: offline HTML, the right errors, the node cap, and data shown as text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph import views
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore

RKO = "https://w3id.org/reformkg/ontology#"
KUNMING = "https://w3id.org/reformkg/id/place/kunming"
VIEWS = ["/graph/overview", "/graph/ownership", "/graph/forest-farms", f"/graph/ego?iri={KUNMING}&hops=2"]
#: Anything the browser would fetch: src/href attributes, CSS url(...) and @import.
LOADS = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)([^"')\s>]+)""", re.IGNORECASE)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def served_here(target: str) -> bool:
    """Whether a page would fetch ``target`` from this server: a relative reference (no scheme, no host), or an
    http(s) URL on the loopback interface. Anything else (another host, a scheme-relative ``//host``, ``ftp:``,
    ``data:``) is not."""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc:
        return True
    return parts.scheme.lower() in ("http", "https") and parts.hostname in LOOPBACK


@pytest.fixture(scope="module")
def client(seed_store):
    return TestClient(create_app(Settings(store="memory"), seed_store))


@pytest.mark.parametrize("url", VIEWS)
def test_view_is_offline_html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'src="/static/vis-network/vis-network.min.js"' in html
    loads = LOADS.findall(html)
    assert loads, "the page should load vis-network"
    elsewhere = [target for target in loads if not served_here(target)]
    assert elsewhere == [], f"{url} loads from outside this server: {elsewhere}"
    assert "cdn" not in html.lower() and "bootstrap" not in html.lower()
    assert "innerHTML" not in html
    assert client.get("/static/vis-network/vis-network.min.js").status_code == 200


@pytest.mark.parametrize(
    ("target", "here"),
    [
        ("/static/vis-network/vis-network.min.js", True),
        ("vis.js", True),
        ("http://127.0.0.1:8000/static/x.js", True),
        ("https://localhost/x.css", True),
        ("https://cdn.example.org/vis.js", False),
        ("//cdn.example.org/vis.js", False),
        ("http://localhost.example.org/x.js", False),
        ("ftp://127.0.0.1/x.js", False),
        ("data:text/javascript,alert(1)", False),
    ],
)
def test_served_here_tells_local_from_remote(target, here):
    assert served_here(target) is here


def test_forest_farm_view_shows_the_farms_acceptance_and_next_steps(client):
    html = client.get("/graph/forest-farms").text
    for name in ("Haikou Forest Farm", "Xishan Forest Farm", "Lufengcun", "Provincial State Forest Farm Reform"):
        assert name in html
    for step in ("1-support-policies", "2-resource-protection", "3-diversified-operations", "4-deepen-reform"):
        assert f"kunming-forest-farm-reform-next-step-{step}" in html


def test_ego_errors(client):
    unknown = client.get("/graph/ego", params={"iri": "https://w3id.org/reformkg/id/place/atlantis"})
    assert unknown.status_code == 404 and "atlantis" in unknown.json()["detail"]
    for hops in (0, 4):
        assert client.get("/graph/ego", params={"iri": KUNMING, "hops": hops}).status_code == 422


def test_ego_is_capped_with_more_nodes(seed_store):
    view = views.ego_data(seed_store, f"{RKO}IndicatorScheme", hops=2)
    real = [n for n in view.nodes if n["kind"] != "more"]
    more = [n for n in view.nodes if n["kind"] == "more"]
    assert len(real) <= views.EGO_CAP
    assert more and all(re.match(r"\+\d+ more", n["label"]) for n in more)
    assert len(view.nodes) <= views.EGO_CAP + len(more) <= views.EGO_CAP + 20
    html = views.render(view)
    assert "+" in html and " more: " in html


def test_ego_filters(seed_store):
    view = views.ego_data(seed_store, KUNMING, hops=1, kinds=["place"])
    assert {n["kind"] for n in view.nodes} == {"place"}
    sub = "https://schema.org/containedInPlace"
    view = views.ego_data(seed_store, KUNMING, hops=1, predicates=[sub])
    assert len(view.nodes) > 1 and all(e["title"].endswith(sub) for e in view.edges)


def test_labels_are_text_not_markup():
    store = OxigraphStore()
    store.update(
        "INSERT DATA { <https://w3id.org/reformkg/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"<script>alert(1)</script>"@en ; <urn:p> <https://w3id.org/reformkg/id/y> . '
        "<https://w3id.org/reformkg/id/y> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"<img src=x onerror=alert(2)>"@zh }'
    )
    client = TestClient(create_app(Settings(store="memory"), store))
    html = client.get("/graph/ego", params={"iri": "https://w3id.org/reformkg/id/x"}).text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


def test_ego_nodes_link_to_entity_pages(seed_store):
    view = views.ego_data(seed_store, KUNMING)
    urls = {n["id"]: n["url"] for n in view.nodes}
    assert urls[KUNMING] == "/id/place/kunming"


def test_ego_iri_is_checked_and_its_404_documented_as_json(client):
    for iri in ("", "kunming", "http://x/a b"):
        answer = client.get("/graph/ego", params={"iri": iri})
        assert answer.status_code == 422, iri
    responses = client.get("/openapi.json").json()["paths"]["/graph/ego"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"text/html"}
    assert set(responses["404"]["content"]) == {"application/json"}  # not filed under the page's text/html
