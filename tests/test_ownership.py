"""The one ownership tracer: the organisation tree, and who owns which reform, with the same answers through the
library, the HTTP routes (``/api/agencies/…/reforms``, ``/analytics/ownership``), the CLI and the competency query."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from reformkg.api.app import create_app
from reformkg.graph import entities, ownership, queries
from reformkg.graph.errors import NotFound, UnknownEntity
from reformkg.graph.projection import local_name
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore
from tests.conftest import Unclosable

ID = "https://w3id.org/reformkg/id/"
AG = ID + "org/"
RKO = "https://w3id.org/reformkg/ontology#"
OFFICE = AG + "kunming-poverty-alleviation-office"
GOVERNMENT = AG + "kunming-municipal-government"
PARTY = AG + "kunming-municipal-party-committee"
GENERAL_OFFICE = AG + "kunming-discipline-inspection-commission-general-office"
COMMISSION = AG + "kunming-discipline-inspection-commission"
ORGANISATION_DEPARTMENT = AG + "kunming-organization-department"
POVERTY = ID + "reform/kunming-precision-poverty-alleviation"
CADRE = ID + "reform/kunming-cadre-error-tolerance-system"


def agencies(store) -> list[str]:
    """Every organisation that owns a reform or is above one that does, and one that owns none (a company)."""
    tree = ownership.OrganisationTree.of(store)
    owners = {o.agent for named in ownership.owners(store).values() for o in named}
    return sorted(owners | {a for o in owners for a in tree.above(o)} | {AG + "lecuntao"})


def test_the_tree_walks_up_sub_organisations(seed_store):
    tree = ownership.OrganisationTree.of(seed_store)
    assert COMMISSION in tree.parents[GENERAL_OFFICE]
    assert tree.chain(GENERAL_OFFICE, PARTY) == [GENERAL_OFFICE, COMMISSION, PARTY]
    assert tree.chain(OFFICE, OFFICE) == [OFFICE]
    assert tree.chain(GOVERNMENT, OFFICE) is None  # the chain only goes up
    above = tree.above(GENERAL_OFFICE)
    assert above[:2] == [COMMISSION, PARTY] and GENERAL_OFFICE not in above


def test_the_tree_finds_the_shortest_chain_and_survives_a_cycle():
    tree = ownership.OrganisationTree({"a": ("b", "c"), "b": ("d",), "c": ("e",), "e": ("d",), "d": ("a",)})
    assert tree.chain("a", "d") == ["a", "b", "d"]
    assert tree.chain("c", "b") == ["c", "e", "d", "a", "b"]
    assert tree.above("a") == ["b", "c", "d", "e"]


def test_owners_name_the_role(seed_store):
    owned = ownership.owners(seed_store)
    assert owned[POVERTY] == [ownership.Owner(OFFICE, RKO + "leadOwner")]
    assert owned[CADRE] == [
        ownership.Owner(GENERAL_OFFICE, RKO + "coOwner"),
        ownership.Owner(ORGANISATION_DEPARTMENT, RKO + "coOwner"),
    ]
    assert ownership.owners_of(seed_store, CADRE) == owned[CADRE]
    assert all(reform.startswith(ID + "reform/") for reform in owned)  # measures a company takes part in are not
    assert ownership.owners_of(seed_store, OFFICE) == []


def test_reforms_of_an_agency_directly_and_through_sub_organisations(seed_store):
    [own] = ownership.reforms_of(seed_store, OFFICE)
    assert (own.reform, own.owner, own.role, own.direct, own.via) == (POVERTY, OFFICE, RKO + "leadOwner", True, None)
    assert own.chain == (OFFICE,) and own.path == (OFFICE, POVERTY)

    party = ownership.reforms_of(seed_store, PARTY)
    assert [(r.reform, r.owner, r.chain) for r in party] == [
        (CADRE, ORGANISATION_DEPARTMENT, (ORGANISATION_DEPARTMENT, PARTY)),
        (CADRE, GENERAL_OFFICE, (GENERAL_OFFICE, COMMISSION, PARTY)),
    ]
    assert party[1].path == (PARTY, COMMISSION, GENERAL_OFFICE, CADRE)
    assert all(not r.direct and r.via == r.owner for r in party)
    assert ownership.reforms_of(seed_store, AG + "lecuntao") == []


@pytest.mark.parametrize("agency", [AG + "no-such-agency", AG + "\x7f", ""])
def test_an_unknown_agency_is_not_found(seed_store, agency):
    with pytest.raises(UnknownEntity) as caught:
        ownership.reforms_of(seed_store, agency)
    assert isinstance(caught.value, NotFound) and caught.value.iri == agency
    assert str(caught.value).startswith("no agency")


def test_the_tracer_and_the_competency_query_agree(seed_store):
    rows = queries.run(seed_store, "agency-reforms").rows()
    asked = {(r["agency"], r["reform"], r["role"], r["via"]) for r in rows}
    traced = {(a, r.reform, r.role, r.via) for a in agencies(seed_store) for r in ownership.reforms_of(seed_store, a)}
    assert asked and traced == asked


def iri_of(ref: dict | None) -> str | None:
    return ref["iri"] if ref else None


def test_library_http_and_cli_give_the_same_answers(seed_store, monkeypatch):
    import reformkg.api.cli_analytics as cli
    import reformkg.api.cli_common as cli_common

    client = TestClient(create_app(Settings(store="memory"), seed_store))
    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: Unclosable(seed_store))
    runner = CliRunner()
    checked = 0
    for agency in agencies(seed_store):
        found = ownership.reforms_of(seed_store, agency)
        checked += len(found)

        api = client.get(f"/api/agencies/{agency.removeprefix(AG)}/reforms")
        assert api.status_code == 200, agency
        assert api.json()["agency"]["iri"] == agency
        assert [
            (
                r["reform"]["iri"],
                (r["role"] or {}).get("iri"),
                (r["via"] or {}).get("iri"),
                [p["iri"] for p in r["path"]],
            )
            for r in api.json()["reforms"]
        ] == [(r.reform, r.role, r.via, list(r.chain)) for r in found], agency

        analytics = client.get("/analytics/ownership", params={"agency": agency})
        assert analytics.status_code == 200, agency
        assert [
            (r["reform"]["iri"], r["owner"]["iri"], r["role"], r["direct"], r["path"]) for r in analytics.json()
        ] == [(r.reform, r.owner, r.role, r.direct, list(r.path)) for r in found], agency

        printed = io.StringIO()
        monkeypatch.setattr(cli, "out", Console(file=printed, width=10_000, emoji=False, highlight=False))
        result = runner.invoke(cli.analytics_app, ["trace", agency])
        assert result.exit_code == 0, result.output
        labels = entities.labels(seed_store, [i for r in found for i in r.path])

        def name(iri: str, labels=labels) -> str:
            zh, en = labels.get(iri, (None, None))
            return en or zh or local_name(iri)

        expected = [" → ".join(map(name, r.path)) + (f" ({local_name(r.role)})" if r.role else "") for r in found]
        assert printed.getvalue().splitlines() == expected, agency
    assert checked >= 9  # the seed's four owners, and the organisations above them

    assert client.get("/api/agencies/no-such-agency/reforms").status_code == 404
    assert client.get("/analytics/ownership", params={"agency": AG + "no-such-agency"}).status_code == 404
    missing = runner.invoke(cli.analytics_app, ["trace", AG + "no-such-agency"])
    assert missing.exit_code == 1 and "no entity <https://w3id.org/reformkg/id/org/no-such-agency>" in missing.output


def test_an_owner_named_without_a_role_is_traced_with_none():
    store = OxigraphStore()
    store.update(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX org: <http://www.w3.org/ns/org#> "
        f"INSERT DATA {{ <{ID}reform/r> a <{RKO}ReformPilot> ; prov:wasAssociatedWith <{AG}unit> . "
        f"<{AG}unit> org:subOrganizationOf <{AG}top> }}"
    )
    [owned] = ownership.reforms_of(store, AG + "top")
    assert (owned.reform, owned.owner, owned.role, owned.chain) == (
        ID + "reform/r",
        AG + "unit",
        None,
        (AG + "unit", AG + "top"),
    )
    body = TestClient(create_app(Settings(store="memory"), store)).get("/api/agencies/top/reforms").json()
    assert body["reforms"][0]["role"] is None and body["reforms"][0]["via"]["iri"] == AG + "unit"


def test_an_owner_keeps_its_first_role_by_iri_whatever_the_order_of_the_rows():
    """The owners' query has no ORDER BY (the engine's sort cost it most of its time at national scale): a role beats
    none, and the first by IRI beats the others, in every order the rows can come in."""
    import itertools

    rows = [("urn:o1", None), ("urn:o1", "urn:role-b"), ("urn:o1", "urn:role-a"), ("urn:o2", None)]
    for order in itertools.permutations(rows):
        named: dict[str, str | None] = {}
        for owner, role in order:
            ownership._keep_role(named, owner, role)
        assert named == {"urn:o1": "urn:role-a", "urn:o2": None}
