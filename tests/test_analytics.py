"""Analytics answer the newsletter's own questions, on every store backend."""

from __future__ import annotations

import codecs
import io
import itertools

import networkx as nx
import pytest
from typer.testing import CliRunner

from reformkg.graph import analytics
from reformkg.graph.projection import build_projection, entity_url, project
from tests.conftest import Unclosable

AG = "https://w3id.org/reformkg/id/org/"
REFORM = "https://w3id.org/reformkg/id/reform/"
PL = "https://w3id.org/reformkg/id/place/"
OFFICE = f"{AG}kunming-poverty-alleviation-office"
GOVERNMENT = f"{AG}kunming-municipal-government"
POVERTY = f"{REFORM}kunming-precision-poverty-alleviation"
CADRE = f"{REFORM}kunming-cadre-error-tolerance-system"
CADRE_OWNERS = (f"{AG}kunming-discipline-inspection-commission-general-office", f"{AG}kunming-organization-department")
XUNDIAN = f"{PL}xundian-county"


def _build_seed(store) -> None:
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings

    settings = Settings()
    build(store, settings.ontology_dir, settings.data_dir)


def test_analytics_answer_on_every_backend(store):
    _build_seed(store)
    # Ownership: the office owns the reform itself; the government owns it through the office.
    office = analytics.trace_ownership(store, OFFICE)
    assert [(r["reform"]["iri"], r["direct"], r["path"]) for r in office] == [(POVERTY, True, [OFFICE, POVERTY])]
    assert office[0]["role"].endswith("#leadOwner")
    via = {r["reform"]["iri"]: r for r in analytics.trace_ownership(store, GOVERNMENT)}
    assert via[POVERTY]["path"] == [GOVERNMENT, OFFICE, POVERTY]
    assert via[POVERTY]["direct"] is False
    # Co-ownership: the cadre reform's two co-owners co-own it.
    edges = analytics.coownership(store)["edges"]
    cadre = [e for e in edges if (e["a"]["iri"], e["b"]["iri"]) == CADRE_OWNERS]
    assert len(cadre) == 1
    assert [r["iri"] for r in cadre[0]["reforms"]] == [CADRE]
    # Path: every edge named, joining the two ends.
    path = analytics.shortest_path(store, OFFICE, XUNDIAN)
    assert path["nodes"][0]["iri"] == OFFICE and path["nodes"][-1]["iri"] == XUNDIAN
    assert path["length"] == len(path["edges"]) >= 1
    for edge, (a, b) in zip(path["edges"], itertools.pairwise(path["nodes"]), strict=True):
        assert (edge["from"], edge["to"]) == (a["iri"], b["iri"])
        assert edge["predicate"].startswith("http") and edge["label"]
    # Ranking: the office and the government are agencies with influence.
    ranking = {r["iri"]: r for r in analytics.rank_agencies(store)["agencies"]}
    assert ranking[OFFICE]["degree"] >= 1 and ranking[OFFICE]["pagerank"] > 0
    assert ranking[GOVERNMENT]["betweenness"] is not None


def test_trace_names_roles_and_the_chain(seed_store):
    rows = analytics.trace_ownership(seed_store, GOVERNMENT)
    by_reform = {r["reform"]["iri"]: r for r in rows}
    assert by_reform[POVERTY]["owner"]["iri"] == OFFICE
    assert by_reform[POVERTY]["role_label"] == "leadOwner"
    assert all(r["path"][0] == GOVERNMENT and r["path"][-1] == r["reform"]["iri"] for r in rows)


def test_unknown_entity_is_reported(seed_store):
    with pytest.raises(analytics.UnknownEntity):
        analytics.trace_ownership(seed_store, f"{AG}no-such-agency")
    with pytest.raises(analytics.UnknownEntity):
        analytics.shortest_path(seed_store, OFFICE, f"{PL}atlantis")


def test_projection_is_typed_and_cached(seed_store):
    proj = project(seed_store)
    assert project(seed_store) is proj
    office = proj.graph.nodes[OFFICE]
    assert office["kind"] == "agency"
    assert office["label_zh"] and office["label_en"]
    edge = proj.graph.edges[POVERTY, OFFICE]
    assert edge["predicate"] == "http://www.w3.org/ns/prov#wasAssociatedWith" and edge["label"]
    assert proj.graph.nodes[XUNDIAN]["kind"] == "place"
    assert proj.graph.nodes[POVERTY]["kind"] == "reform"


def test_cache_refreshes_when_the_store_changes():
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore()
    store.update("INSERT DATA { <urn:a> <urn:p> <urn:b> }")
    first = project(store)
    assert first.graph.number_of_nodes() == 2
    store.update("INSERT DATA { <urn:b> <urn:p> <urn:c> }")
    assert project(store).graph.number_of_nodes() == 3


def test_components_and_places(seed_store):
    comps = analytics.components(seed_store)
    assert comps["count"] >= 1 and comps["components"][0]["size"] == project(seed_store).graph.number_of_nodes()
    places = {p["iri"]: p for p in analytics.place_summary(seed_store)}
    xundian = places[XUNDIAN]
    assert [r["iri"] for r in xundian["reforms"]] == [POVERTY]
    assert xundian["outcomes"] == 6


def test_graphml_and_gexf_parse_back(seed_store):
    nodes = build_projection(seed_store).graph.number_of_nodes()
    buffer = io.BytesIO()
    analytics.export_graphml(seed_store, buffer)
    buffer.seek(0)
    graphml = nx.read_graphml(buffer)
    assert graphml.number_of_nodes() == nodes
    assert graphml.nodes[OFFICE]["kind"] == "agency"
    buffer = io.BytesIO()
    analytics.export_gexf(seed_store, buffer)
    buffer.seek(0)
    assert nx.read_gexf(buffer).number_of_nodes() == nodes


def test_rankings_csv(seed_store):
    data = analytics.export_text(seed_store, "csv")
    assert data.startswith(codecs.BOM_UTF8)  # so that a spreadsheet reads it as UTF-8
    header, *rows = data.decode("utf-8-sig").splitlines()
    assert header == "rank,iri,label_zh,label_en,degree,pagerank,betweenness"
    assert any(OFFICE in row for row in rows)


def test_entity_urls():
    assert entity_url(OFFICE) == "/id/org/kunming-poverty-alleviation-office"
    assert (
        entity_url("http://www.w3.org/ns/org#Organization")
        == "/entity?iri=http%3A%2F%2Fwww.w3.org%2Fns%2Forg%23Organization"
    )


def test_analytics_endpoints(seed_store):
    from fastapi.testclient import TestClient

    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings

    client = TestClient(create_app(Settings(store="memory"), seed_store))
    top = client.get("/analytics/agencies", params={"limit": 3}).json()
    assert len(top["agencies"]) == 3 and top["agencies"][0]["rank"] == 1
    traced = client.get("/analytics/ownership", params={"agency": GOVERNMENT}).json()
    assert [n for r in traced for n in r["path"] if r["reform"]["iri"] == POVERTY][1:] == [OFFICE, POVERTY]
    assert client.get("/analytics/ownership", params={"agency": f"{AG}nobody"}).status_code == 404
    path = client.get("/analytics/path", params={"from": OFFICE, "to": XUNDIAN})
    assert path.status_code == 200 and all(e["label"] for e in path.json()["edges"])
    missing = client.get("/analytics/path", params={"from": OFFICE, "to": f"{PL}atlantis"})
    assert missing.status_code == 404 and "atlantis" in missing.json()["detail"]
    assert client.get("/analytics/coownership").json()["edges"]
    assert client.get("/analytics/components", params={"typed": True}).json()["count"] >= 1
    assert client.get("/analytics/places").status_code == 200
    gexf = client.get("/analytics/export", params={"format": "gexf"})
    assert gexf.status_code == 200 and gexf.content.startswith(b"<?xml")
    assert client.get("/analytics/export", params={"format": "png"}).status_code == 422
    docs = client.get("/openapi.json").json()["paths"]
    assert {"/analytics/agencies", "/analytics/path", "/analytics/ownership"} <= set(docs)
    params = {p["name"]: p for p in docs["/analytics/path"]["get"]["parameters"]}
    assert params["from"]["description"] and params["to"]["description"]


def test_cli(seed_store, monkeypatch, tmp_path):
    import reformkg.api.cli_analytics as cli
    import reformkg.api.cli_common as cli_common

    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: Unclosable(seed_store))
    runner = CliRunner()
    result = runner.invoke(cli.analytics_app, ["agencies", "--limit", "3"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.analytics_app, ["trace", GOVERNMENT])
    assert result.exit_code == 0 and "Kunming Poverty Alleviation" in result.output
    result = runner.invoke(cli.analytics_app, ["path", OFFICE, XUNDIAN])
    assert result.exit_code == 0 and "Xundian" in result.output
    out = tmp_path / "g.graphml"
    result = runner.invoke(cli.analytics_app, ["export", "--format", "graphml", "-o", str(out)])
    assert result.exit_code == 0 and nx.read_graphml(out).number_of_nodes() > 0
    # the ranking as CSV: a file for a spreadsheet starts with the byte-order mark, standard output (a pipe) does not
    ranking = tmp_path / "ranking.csv"
    assert runner.invoke(cli.analytics_app, ["export", "--format", "csv", "-o", str(ranking)]).exit_code == 0
    assert ranking.read_bytes().startswith(codecs.BOM_UTF8 + b"rank,iri,")
    piped = runner.invoke(cli.analytics_app, ["export", "--format", "csv"])
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"rank,iri,")
    assert runner.invoke(cli.analytics_app, ["trace", f"{AG}nobody"]).exit_code == 1


def test_analytics_name_entities_by_iri_slug_or_label_and_errors_documented(seed_store):
    from fastapi.testclient import TestClient

    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings

    client = TestClient(create_app(Settings(store="memory"), seed_store))
    # One agency, named four ways: the IRI, the slug with and without its kind, the Chinese short name
    answers = [
        client.get("/analytics/ownership", params={"agency": name}).json()
        for name in (OFFICE, "kunming-poverty-alleviation-office", "org/kunming-poverty-alleviation-office", "市扶贫办")
    ]
    assert answers[0] and all(a == answers[0] for a in answers)
    by_label = client.get("/analytics/path", params={"from": "市扶贫办", "to": "寻甸回族彝族自治县"})
    assert (
        by_label.status_code == 200
        and by_label.json() == client.get("/analytics/path", params={"from": OFFICE, "to": XUNDIAN}).json()
    )
    # Empty: FastAPI's 422. A name that fits nothing: 404 with a message; one that fits several: 400 naming them.
    assert client.get("/analytics/ownership", params={"agency": ""}).status_code == 422
    assert client.get("/analytics/path", params={"from": "", "to": ""}).status_code == 422
    for params in ({"agency": "nobody"}, {"agency": "http://x/a b"}, {"agency": "http://x/\x7f"}):
        answer = client.get("/analytics/ownership", params=params)
        assert answer.status_code == 404 and answer.json()["detail"], params
    several = client.get("/analytics/path", params={"from": OFFICE, "to": "昆明"})
    assert several.status_code == 400
    assert "昆明市 <https://w3id.org/reformkg/id/place/kunming>" in several.json()["detail"]
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/analytics/ownership", "/analytics/path"):
        get = paths[path]["get"]
        for status in ("400", "404"):
            assert get["responses"][status]["content"]["application/json"]["schema"]["required"] == ["detail"]


def test_agency_ranking_is_a_page_for_a_browser_and_json_for_programs(seed_store):
    from fastapi.testclient import TestClient

    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings

    client = TestClient(create_app(Settings(store="memory"), seed_store))
    data = client.get("/analytics/agencies")
    assert data.headers["content-type"].startswith("application/json") and data.json()["agencies"]
    page = client.get("/analytics/agencies", headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert page.headers["content-type"].startswith("text/html")
    assert "机构影响力排名" in page.text and "昆明市扶贫开发办公室" in page.text and "data-site-header" in page.text
    assert client.get("/analytics/agencies?format=json", headers={"Accept": "text/html"}).json() == data.json()


def test_export_content_types_are_documented(seed_store):
    from fastapi.testclient import TestClient

    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings

    client = TestClient(create_app(Settings(store="memory"), seed_store))
    documented = client.get("/openapi.json").json()["paths"]["/analytics/export"]["get"]["responses"]["200"]
    for fmt in ("csv", "graphml", "gexf"):
        answer = client.get("/analytics/export", params={"format": fmt})
        assert answer.status_code == 200
        assert answer.headers["content-type"].split(";")[0] in documented["content"]
    assert "application/json" not in documented["content"]


def test_sparse_pagerank_matches_networkx():
    import networkx as nx

    from reformkg.graph.analytics import _pagerank

    graph = nx.gnp_random_graph(400, 0.01, directed=True, seed=7)  # sparse enough to have dangling nodes
    ranks, degrees = _pagerank(400, list(graph.edges()))
    expected = nx.pagerank(graph)
    assert max(abs(ranks[i] - expected[i]) for i in graph) < 1e-9
    assert [int(degrees[i]) for i in graph] == [graph.degree(i) for i in graph]
    assert any(graph.out_degree(i) == 0 for i in graph)
