"""Tracing endpoints: an agency's reforms up the organisation tree; a reform's owners, measures, places, outcomes,
status history and sources. On the seed in memory and once on a real `oxigraph serve`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from reformkg.graph.store import RemoteStore
from tests.conftest import OxigraphServer

ID = "https://w3id.org/reformkg/id/"
RKO = "https://w3id.org/reformkg/ontology#"
POVERTY = ID + "reform/kunming-precision-poverty-alleviation"
OFFICE = ID + "org/kunming-poverty-alleviation-office"


@pytest.fixture(scope="module", params=["memory", "remote"])
def client(request, seed_store):
    if request.param == "memory":
        yield TestClient(create_app(Settings(store="memory"), seed_store))
        return
    from reformkg.graph.build import build

    server = OxigraphServer()
    store = RemoteStore(server.query_url, server.update_url, timeout=30)
    settings = Settings()
    build(store, settings.ontology_dir, settings.data_dir)
    yield TestClient(create_app(Settings(store="memory"), store))
    store.close()
    server.stop()


def test_agency_owns_directly(client):
    answer = client.get("/api/agencies/kunming-poverty-alleviation-office/reforms")
    assert answer.status_code == 200
    body = answer.json()
    assert body["agency"]["label_zh"] == "昆明市扶贫开发办公室"
    [owned] = body["reforms"]
    assert owned["reform"]["iri"] == POVERTY
    assert owned["role"]["iri"] == RKO + "leadOwner" and owned["role"]["label_en"] == "lead owner"
    assert owned["via"] is None
    assert [p["iri"] for p in owned["path"]] == [OFFICE]


def test_agency_owns_through_sub_organisations_with_path(client):
    body = client.get("/api/agencies/kunming-municipal-government/reforms").json()
    by_reform = {r["reform"]["iri"]: r for r in body["reforms"]}
    poverty = by_reform[POVERTY]
    assert poverty["via"]["iri"] == OFFICE
    assert poverty["via"]["label_en"] == "Kunming Poverty Alleviation and Development Office"
    path = [p["iri"] for p in poverty["path"]]
    assert path[0] == OFFICE and path[-1] == ID + "org/kunming-municipal-government"
    for r in body["reforms"]:
        assert r["path"][0]["iri"] == r["via"]["iri"]


def test_reform_trace(client):
    answer = client.get("/api/reforms/kunming-precision-poverty-alleviation")
    assert answer.status_code == 200
    body = answer.json()
    assert body["reform"]["label_zh"] == "精准扶贫“五种新模式”"
    assert [(o["agency"]["iri"], o["role"]["iri"]) for o in body["owners"]] == [(OFFICE, RKO + "leadOwner")]
    models = [m for m in body["measures"] if m["kind"] == RKO + "Model"]
    assert [m["ordinal"] for m in models] == [1, 2, 3, 4, 5]
    assert any(p["place"]["iri"] == ID + "place/kunming" for p in body["places"])
    incidence = [o for o in body["outcomes"] if o["observation"] == ID + "observation/poverty-incidence-2015"]
    assert incidence and incidence[0]["value"] == 5.73 and incidence[0]["original_text"] == "5.73%"
    assert incidence[0]["unit"] == RKO + "percent" and incidence[0]["sentences"]
    history = body["status_history"]
    assert history and history == sorted(history, key=lambda r: r["reported_on"])
    assert all(r["stage"]["label_en"] for r in history)
    [source] = body["sources"]
    assert source["item"]["iri"] == ID + "source/kunming-gaige-kuaibao-107/item-1"
    assert {s["iri"].rsplit("/", 1)[1] for s in source["sentences"]} >= {"item-1-s01", "item-1-s03"}
    assert all(s["quote"] for s in source["sentences"])


def test_forest_farm_pilot_trace(client):
    body = client.get("/api/reforms/yiliang-lufengcun-forest-farm-reform-pilot").json()
    assert body["part_of"]["iri"] == ID + "reform/kunming-state-forest-farm-reform"
    assert [p["place"]["iri"] for p in body["places"]] == [ID + "place/yiliang-lufengcun-forest-farm"]
    [accepted] = body["status_history"]
    assert accepted["stage"]["iri"] == RKO + "stage-accepted"
    assert accepted["assessor"]["iri"] == ID + "org/yunnan-state-forest-farm-reform-leading-group"


def test_unknown_slugs_are_404_with_a_message(client):
    for path in ("/api/agencies/no-such-agency/reforms", "/api/reforms/no-such-reform", "/api/reforms/%3E"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["detail"].startswith("no ")
    # an agency is not a reform
    assert client.get("/api/reforms/kunming-poverty-alleviation-office").status_code == 404


def test_openapi_documents_the_tracing_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert "/api/agencies/{slug}/reforms" in spec["paths"] and "/api/reforms/{slug}" in spec["paths"]
    schema = spec["paths"]["/api/reforms/{slug}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ReformTrace")
    assert {"owners", "measures", "places", "outcomes", "status_history", "sources"} <= set(
        spec["components"]["schemas"]["ReformTrace"]["properties"]
    )


@pytest.mark.parametrize("slug", ["%7F", "%25zz", "a%20b", "%5C"])
def test_slug_that_cannot_end_an_iri_is_404_not_500(client, slug):
    for path in (f"/api/agencies/{slug}/reforms", f"/api/reforms/{slug}"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["detail"].startswith("no ")


def test_openapi_documents_the_404_message(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/agencies/{slug}/reforms", "/api/reforms/{slug}"):
        schema = spec["paths"][path]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
        assert schema["required"] == ["detail"]
