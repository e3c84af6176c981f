"""The competency questions, answered on the built seed graph, with the answers the newsletter gives."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reformkg.graph import queries
from tests.conftest import seeded_store

ID = "https://w3id.org/reformkg/id/"
RKO = "https://w3id.org/reformkg/ontology#"
ITEM = ID + "source/kunming-gaige-kuaibao-107/item-"
SOURCE = Path(__file__).parent.parent / "data/sources/gaige-kuaibao-107.txt"
POVERTY = ID + "reform/kunming-precision-poverty-alleviation"
CADRE = ID + "reform/kunming-cadre-error-tolerance-system"
SME = ID + "reform/kunming-small-micro-enterprise-innovation-base-city"
FOREST = ID + "reform/kunming-state-forest-farm-reform"


@pytest.fixture(scope="module", params=["memory", "remote"])
def seed(request, tmp_path_factory):
    """The seed graph built (ontology + data) into a store of each kind; the tests only read it."""
    store = seeded_store(request.param, request, tmp_path_factory)
    yield store
    store.close()


def short(iri: str | None) -> str | None:
    return iri.removeprefix(ID).removeprefix(RKO) if iri else iri


#: Organisations the source says take part in item 1's measures (funds injected into them, platforms entering
#: counties, the investment company taking on loans): participants, never owners.
PARTICIPANTS = {
    "org/jd-com",
    "org/lecuntao",
    "org/yunnan-haichao-group-tingmu-beef-cattle-company",
    "org/zhenkun-breeding-company",
    "org/kunming-poverty-alleviation-investment-company",
}


def test_the_ownership_query_names_each_owning_agency_of_each_reform_once_with_its_role(seed):
    """Audit finding 1: the query returned participants of measures as owners, and each real owner twice."""
    rows = queries.run(seed, "ownership").rows()
    got = [(short(r["reform"]), short(r["owner"]), short(r["role"])) for r in rows]
    assert sorted(got) == sorted(
        [
            (short(POVERTY), "org/kunming-poverty-alleviation-office", "leadOwner"),
            (short(CADRE), "org/kunming-discipline-inspection-commission-general-office", "coOwner"),
            (short(CADRE), "org/kunming-organization-department", "coOwner"),
            (short(SME), "org/kunming-science-technology-bureau", "leadOwner"),
        ]
    )
    assert not PARTICIPANTS & {owner for _reform, owner, _role in got}


def test_only_agencies_own_and_only_reforms_are_owned(seed):
    """Every ownership link in the graph runs from a reform initiative to an agency; participants are linked to
    their measures by rko:participant."""
    rows = seed.query(
        """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX rko: <https://w3id.org/reformkg/ontology#>
        SELECT ?subject ?owner WHERE {
          { ?subject prov:wasAssociatedWith ?owner } UNION { ?subject prov:qualifiedAssociation/prov:agent ?owner }
          FILTER NOT EXISTS { ?subject a/rdfs:subClassOf* rko:ReformInitiative . ?owner a/rdfs:subClassOf* rko:Agency }
        }"""
    ).rows()
    assert rows == []
    participants = seed.query(
        "SELECT ?who WHERE { ?measure <https://w3id.org/reformkg/ontology#participant> ?who }"
    ).rows()
    assert {short(r["who"]) for r in participants} == PARTICIPANTS


def test_which_agencies_own_which_reforms(seed):
    rows = queries.run(seed, "agency-reforms").rows()
    got = {(short(r["agency"]), short(r["reform"]), short(r["role"]), short(r["via"])) for r in rows}
    poverty, cadre, sme = (short(x) for x in (POVERTY, CADRE, SME))
    assert got == {
        # the owners the items name in their trailing parentheses
        ("org/kunming-poverty-alleviation-office", poverty, "leadOwner", None),
        ("org/kunming-discipline-inspection-commission-general-office", cadre, "coOwner", None),
        ("org/kunming-organization-department", cadre, "coOwner", None),
        ("org/kunming-science-technology-bureau", sme, "leadOwner", None),
        # … and up the organisation tree
        ("org/kunming-municipal-government", poverty, "leadOwner", "org/kunming-poverty-alleviation-office"),
        ("org/kunming-municipal-government", sme, "leadOwner", "org/kunming-science-technology-bureau"),
        (
            "org/kunming-discipline-inspection-commission",
            cadre,
            "coOwner",
            "org/kunming-discipline-inspection-commission-general-office",
        ),
        (
            "org/kunming-municipal-party-committee",
            cadre,
            "coOwner",
            "org/kunming-discipline-inspection-commission-general-office",
        ),
        ("org/kunming-municipal-party-committee", cadre, "coOwner", "org/kunming-organization-department"),
    }
    assert not any(r["reform"] == FOREST for r in rows), "item 4 names no owner: none may be invented"


def test_which_forest_farms_passed_acceptance_by_whom_and_when(seed):
    rows = queries.run(seed, "forest-farm-acceptance").rows()
    assert [short(r["farm"]) for r in rows] == [
        "place/haikou-forest-farm",
        "place/xishan-forest-farm",
        "place/yiliang-lufengcun-forest-farm",
    ]
    for row in rows:
        assert short(row["assessor"]) == "org/yunnan-state-forest-farm-reform-leading-group"
        assert row["reportedOn"] == "2017-08-01"
        assert short(row["source"]) == "source/kunming-gaige-kuaibao-107"
        assert ITEM + "4-s03" in row["sentences"].split()


def test_every_poverty_outcome_has_place_value_unit_and_sentence(seed):
    rows = queries.run(seed, "reform-outcomes", reform=POVERTY).rows()
    assert len(rows) == 113
    text = SOURCE.read_text(encoding="utf-8")
    for row in rows:
        assert row["place"] and row["unit"] and row["sentences"], row
        assert row["asOf"] == "2017-08-01"
        assert row["originalText"] in text
    by_text = {}
    for row in rows:
        by_text.setdefault((row["indicatorLabel"], row["originalText"]), []).append(row)
    (baseline,) = by_text[("Poverty incidence", "5.73%")]
    assert (Decimal(baseline["value"]), short(baseline["unit"]), baseline["period"], short(baseline["kind"])) == (
        Decimal("5.73"),
        "percent",
        "2015",
        "baseline",
    )
    (reported,) = by_text[("Poverty incidence", "3.75%")]
    assert (Decimal(reported["value"]), reported["period"], short(reported["kind"])) == (
        Decimal("3.75"),
        None,
        "reported",
    )
    (funds,) = [r for r in rows if r["originalText"] == "95.37亿元"]
    assert (int(funds["value"]), short(funds["unit"]), funds["period"]) == (9_537_000_000, "yuan", "2016")
    (dividend,) = [r for r in rows if r["originalText"] == "700至1000元"]
    assert (int(dividend["value"]), int(dividend["upperValue"]), short(dividend["qualifier"])) == (700, 1000, "range")
    growth = {short(r["place"]): Decimal(r["value"]) for r in rows if r["originalText"] in ("10.5%", "10.7%", "10.6%")}
    assert growth == {
        "place/dongchuan-district": Decimal("10.5"),
        "place/luquan-county": Decimal("10.7"),
        "place/xundian-county": Decimal("10.6"),
    }


def test_the_measures_of_each_reform(seed):
    rows = queries.run(seed, "reform-measures").rows()
    top = {}
    for row in rows:
        if row["parent"] == row["reform"]:
            top.setdefault(short(row["reform"]), []).append(row)
    models = sorted(
        (int(r["ordinal"]), short(r["measure"])) for r in top[short(POVERTY)] if short(r["kind"]) == "Model"
    )
    assert [o for o, _ in models] == [1, 2, 3, 4, 5]
    areas = sorted((int(r["ordinal"]), r["count"]) for r in top[short(SME)] if short(r["kind"]) == "PolicyArea")
    assert areas == [(1, "5"), (2, None), (3, "9"), (4, None), (5, "12")]
    steps = sorted(int(r["ordinal"]) for r in top[short(FOREST)] if short(r["kind"]) == "NextStep")
    assert steps == [1, 2, 3, 4]
    cadre_points = sorted(int(r["ordinal"]) for r in top[short(CADRE)] if r["ordinal"])
    assert cadre_points == [1, 2, 3, 4, 5, 6, 7]


def test_the_places_each_reform_touches(seed):
    rows = queries.run(seed, "reform-places").rows()
    places = {}
    for row in rows:
        places.setdefault(short(row["reform"]), set()).add(short(row["place"]))
    assert places[short(POVERTY)] == {
        "place/kunming",
        "place/dongchuan-district",
        "place/luquan-county",
        "place/xundian-county",
        "place/xundian-yangjie-town",
        "place/beijing-chaoyang-district",
    }
    assert places[short(FOREST)] == {
        "place/kunming",
        "place/haikou-forest-farm",
        "place/xishan-forest-farm",
        "place/yiliang-lufengcun-forest-farm",
    }
    assert places[short(CADRE)] == {"place/kunming"}
    assert places[short(SME)] == {"place/kunming"}


@pytest.mark.parametrize("item", [1, 2, 3, 4])
def test_every_fact_from_an_item_comes_with_its_sentence(seed, item):
    rows = queries.run(seed, "item-facts", item=f"{ITEM}{item}").rows()
    text = SOURCE.read_text(encoding="utf-8")
    assert rows
    for row in rows:
        assert row["item"] == f"{ITEM}{item}"
        assert text[int(row["start"]) : int(row["end"])] == row["quote"]
    facts = {short(r["fact"]) for r in rows}
    expected = {
        1: {"observation/poverty-incidence-2015", "measure/poverty-model-1-labour-export"},
        2: {
            "document/kunming-cadre-error-tolerance-exemption-measures",
            "status/kunming-cadre-error-tolerance-system-policy-issued-107",
        },
        3: {"document/kunming-small-micro-enterprise-innovation-policy"},
        4: {"status/yiliang-lufengcun-forest-farm-reform-pilot-accepted-107", "place/yiliang-lufengcun-forest-farm"},
    }[item]
    assert expected <= facts


def test_the_current_status_of_every_reform(seed):
    rows = queries.run(seed, "current-status").rows()
    got = {short(r["reform"]): (short(r["stage"]), r["reportedOn"], short(r["assessor"])) for r in rows}
    accepted = ("stage-accepted", "2017-08-01", "org/yunnan-state-forest-farm-reform-leading-group")
    assert got == {
        short(POVERTY): ("stage-in-progress", "2017-08-01", None),
        short(CADRE): ("stage-policy-issued", "2017-08-01", None),
        short(SME): ("stage-policy-issued", "2017-08-01", None),
        short(FOREST): ("stage-in-progress", "2017-08-01", None),
        "reform/haikou-forest-farm-reform-pilot": accepted,
        "reform/xishan-forest-farm-reform-pilot": accepted,
        "reform/yiliang-lufengcun-forest-farm-reform-pilot": accepted,
    }
    assert all(r["eventDate"] is None for r in rows), "the source gives no event dates"


@pytest.mark.parametrize("spelling", ["Luofengcun Forest Farm", "禄丰村林场", "Lufengcun Forest Farm"])
def test_either_spelling_finds_the_lufengcun_farm_both_as_place_and_as_institution(seed, spelling):
    rows = seed.query(
        "SELECT DISTINCT ?farm WHERE { ?farm <http://www.w3.org/2004/02/skos/core#altLabel> ?l "
        f'FILTER(STR(?l) = "{spelling}") }} ORDER BY ?farm'
    ).rows()
    assert [short(r["farm"]) for r in rows] == [
        "org/yiliang-lufengcun-forest-farm",
        "place/yiliang-lufengcun-forest-farm",
    ]
