"""The Data Cube integrity constraints (IC-1 to IC-21): the seed passes, and each kind of broken cube is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from typer.testing import CliRunner

from reformkg.api.cli import app
from reformkg.graph import queries
from reformkg.graph.build import source_files
from reformkg.graph.cube import CONSTRAINTS, check_cube
from reformkg.graph.validate import _parse_all
from tests import test_validate

ROOT = Path(__file__).parent.parent
project = test_validate.project  # a copy of ontology/ and data/ the test may break
DATA = ROOT / "data/kunming-gaige-kuaibao-107"

PREFIXES = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix ex: <http://example.org/> .
"""
#: A small well-formed cube: two dimensions (one coded), a measure, a required attribute attached to the data set
#: (normalisation copies it onto each observation), a slice and a hierarchical code list.
CUBE = """
ex:dsd a qb:DataStructureDefinition ;
    qb:component [ qb:dimension ex:area ] , [ qb:dimension ex:year ] , [ qb:measure ex:value ] ,
        [ qb:attribute ex:unit ; qb:componentRequired true ; qb:componentAttachment qb:DataSet ] ;
    qb:sliceKey ex:byArea .
ex:byArea a qb:SliceKey ; qb:componentProperty ex:area .
ex:area a qb:DimensionProperty ; rdfs:range skos:Concept ; qb:codeList ex:areas .
ex:year a qb:DimensionProperty ; rdfs:range xsd:gYear .
ex:value a qb:MeasureProperty .
ex:unit a qb:AttributeProperty .
ex:areas a skos:ConceptScheme , qb:HierarchicalCodeList ; qb:hierarchyRoot ex:country ;
    qb:parentChildProperty ex:narrower .
ex:country a skos:Concept ; skos:inScheme ex:areas ; ex:narrower ex:north .
ex:north a skos:Concept ; skos:inScheme ex:areas .
ex:ds a qb:DataSet ; qb:structure ex:dsd ; ex:unit ex:yuan ; qb:slice ex:north-slice .
ex:north-slice a qb:Slice ; qb:sliceStructure ex:byArea ; ex:area ex:north ; qb:observation ex:o1 , ex:o2 .
ex:o1 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:north ; ex:year "2015"^^xsd:gYear ; ex:value 1 .
ex:o2 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:north ; ex:year "2016"^^xsd:gYear ; ex:value 2 .
ex:o3 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:country ; ex:year "2016"^^xsd:gYear ; ex:value 3 .
"""


def _cube(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + text, format="turtle")


def _ics(findings) -> set[str]:
    return {f.message.split(" ", 1)[0] for f in findings}


def test_a_well_formed_cube_passes_after_normalisation():
    """The unit is attached to the data set only: without normalisation IC-13 would fail on every observation."""
    assert check_cube([_cube(CUBE)]) == []


@pytest.mark.parametrize(
    ("ic", "old", "new", "focus"),
    [
        ("IC-1", "ex:o3 a qb:Observation ; qb:dataSet ex:ds ;", "ex:o3 a qb:Observation ;", "o3"),
        ("IC-2", "ex:ds a qb:DataSet ; qb:structure ex:dsd ;", "ex:ds a qb:DataSet ;", "ds"),
        ("IC-3", "[ qb:measure ex:value ] ,", "", "dsd"),
        ("IC-4", "ex:year a qb:DimensionProperty ; rdfs:range xsd:gYear .", "ex:year a qb:DimensionProperty .", "year"),
        ("IC-5", "rdfs:range skos:Concept ; qb:codeList ex:areas .", "rdfs:range skos:Concept .", "area"),
        ("IC-6", "[ qb:dimension ex:year ]", "[ qb:dimension ex:year ; qb:componentRequired false ]", "dsd"),
        ("IC-7", "    qb:sliceKey ex:byArea .", "    .", "byArea"),
        (
            "IC-8",
            "ex:byArea a qb:SliceKey ; qb:componentProperty ex:area .",
            "ex:byArea a qb:SliceKey ; qb:componentProperty ex:area , ex:colour .",
            "byArea",
        ),
        ("IC-9", "qb:sliceStructure ex:byArea ;", "", "north-slice"),
        ("IC-10", "qb:sliceStructure ex:byArea ; ex:area ex:north ;", "qb:sliceStructure ex:byArea ;", "north-slice"),
        (
            "IC-11",
            'ex:o3 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:country ; ex:year "2016"^^xsd:gYear ;',
            "ex:o3 a qb:Observation ; qb:dataSet ex:ds ; ex:area ex:country ;",
            "o3",
        ),
        ("IC-12", '"2016"^^xsd:gYear ; ex:value 2', '"2015"^^xsd:gYear ; ex:value 2', "o1"),
        (
            "IC-13",
            "ex:ds a qb:DataSet ; qb:structure ex:dsd ; ex:unit ex:yuan ;",
            "ex:ds a qb:DataSet ; qb:structure ex:dsd ;",
            "o1",
        ),
        ("IC-14", "ex:value 3 .", ".", "o3"),
        (
            "IC-18",
            "ex:ds a qb:DataSet ; qb:structure ex:dsd ; ex:unit ex:yuan ; qb:slice ex:north-slice .",
            "ex:ds a qb:DataSet ; qb:structure ex:dsd ; ex:unit ex:yuan ; qb:slice ex:north-slice .\n"
            "ex:other a qb:DataSet ; qb:structure ex:dsd ; qb:slice ex:north-slice .",
            "o1",
        ),
        ("IC-19", "ex:north a skos:Concept ; skos:inScheme ex:areas .", "ex:north a skos:Concept .", "o1"),
        ("IC-20", "ex:narrower ex:north .", ".", "o1"),
    ],
)
def test_each_broken_cube_is_reported_with_its_constraint(ic, old, new, focus):
    text = CUBE.replace(old, new)
    assert text != CUBE
    findings = check_cube([_cube(text)])
    assert ic in _ics(findings), findings
    assert any(f.message.startswith(f"{ic} ") and f.focus.endswith(f"/{focus}") for f in findings), findings
    assert all(f.severity == "violation" for f in findings)


def test_the_measure_dimension_constraints():
    """IC-15 to IC-17: a cube whose measure dimension (qb:measureType) picks one of two measures per observation."""
    text = """
ex:dsd a qb:DataStructureDefinition ;
    qb:component [ qb:dimension ex:year ] , [ qb:dimension qb:measureType ] , [ qb:measure ex:count ] ,
        [ qb:measure ex:money ] .
ex:year a qb:DimensionProperty ; rdfs:range xsd:gYear .
qb:measureType a qb:DimensionProperty ; rdfs:range qb:MeasureProperty .
ex:ds a qb:DataSet ; qb:structure ex:dsd .
ex:a a qb:Observation ; qb:dataSet ex:ds ; ex:year "2015"^^xsd:gYear ; qb:measureType ex:count ; ex:count 1 .
ex:b a qb:Observation ; qb:dataSet ex:ds ; ex:year "2015"^^xsd:gYear ; qb:measureType ex:money ; ex:money 5 .
"""
    assert check_cube([_cube(text)]) == []
    assert "IC-15" in _ics(check_cube([_cube(text.replace("ex:count 1 .", "."))]))
    assert "IC-16" in _ics(check_cube([_cube(text.replace("ex:count 1 .", "ex:count 1 ; ex:money 2 ."))]))
    lonely = text.replace(
        'ex:b a qb:Observation ; qb:dataSet ex:ds ; ex:year "2015"',
        'ex:b a qb:Observation ; qb:dataSet ex:ds ; ex:year "2016"',
    )
    assert "IC-17" in _ics(check_cube([_cube(lonely)]))


def test_the_inverse_hierarchy_constraint():
    text = CUBE.replace("qb:parentChildProperty ex:narrower", "qb:parentChildProperty [ owl:inverseOf ex:broader ]")
    text = text.replace("ex:narrower ex:north .", ".").replace(
        "ex:north a skos:Concept ; skos:inScheme ex:areas .",
        "ex:north a skos:Concept ; skos:inScheme ex:areas ; ex:broader ex:country .",
    )
    text = "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + text
    assert check_cube([_cube(text)]) == []
    orphan = text.replace("ex:broader ex:country .", ".")
    assert "IC-21" in _ics(check_cube([_cube(orphan)]))


def _seed_graphs(ontology: Path, data: Path) -> list[rdflib.Graph]:
    files = source_files(ontology, data)
    onto = [f for f in files if f.parent == ontology and f.name != "shapes.ttl"]
    rest = [f for f in files if f not in onto and f.name != "shapes.ttl"]
    return [_parse_all(onto), _parse_all(rest)]


def test_the_seed_is_a_well_formed_cube():
    assert check_cube(_seed_graphs(ROOT / "ontology", ROOT / "data")) == []
    assert len(CONSTRAINTS) == 21


def test_every_constraint_has_its_query_and_none_is_an_example():
    for number in CONSTRAINTS:
        assert f"cube-ic-{number:02d}" in queries.names()
        assert queries.title(f"cube-ic-{number:02d}").startswith(f"IC-{number} ")
    assert not [name for name in queries.examples() if name.startswith("cube-")]


def test_policy_figures_without_their_breakdown_are_duplicates_and_validate_refuses(project):
    """Audit finding 3: the aspect counts of areas 1, 3 and 5 (5, 9, 12) share indicator, area and period; without
    the breakdown dimension the key cannot tell them apart (IC-12), and validate and build refuse the data."""
    policy = next((project / "data").rglob("item-3-policy.ttl"))
    text = policy.read_text(encoding="utf-8")
    broken = text
    for area in (
        "sme-policy-area-1-activate-entrepreneurial-actors",
        "sme-policy-area-3-improve-entrepreneurial-services",
        "sme-policy-area-5-improve-institutional-mechanisms",
    ):
        broken = broken.replace(f"    rko:breakdown ms:{area} ;\n", "    rko:breakdown rko:noBreakdown ;\n")
    assert broken != text
    policy.write_text(broken, encoding="utf-8")
    findings = check_cube(_seed_graphs(project / "ontology", project / "data"))
    pairs = {
        tuple(sorted((f.focus.rsplit("/", 1)[-1], f.message.split("<")[1].split(">")[0].rsplit("/", 1)[-1])))
        for f in findings
    }
    assert _ics(findings) == {"IC-12"}
    assert pairs == {
        ("sme-policy-area-1-aspect-count", "sme-policy-area-3-aspect-count"),
        ("sme-policy-area-1-aspect-count", "sme-policy-area-5-aspect-count"),
        ("sme-policy-area-3-aspect-count", "sme-policy-area-5-aspect-count"),
    }
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 1
    assert "IC-12 No duplicate observations" in result.output
    built = CliRunner().invoke(app, ["build"])
    assert built.exit_code == 1
    assert "nothing loaded" in built.output


def test_an_observation_without_a_period_fails_ic_11(project):
    """A figure whose source gives no period says so (rko:periodNotStated) rather than leaving the dimension out."""
    policy = next((project / "data").rglob("item-3-policy.ttl"))
    text = policy.read_text(encoding="utf-8")
    broken = text.replace("    sdmx-dimension:refPeriod rko:periodNotStated ;\n", "", 1)
    assert broken != text
    policy.write_text(broken, encoding="utf-8")
    findings = check_cube(_seed_graphs(project / "ontology", project / "data"))
    assert _ics(findings) == {"IC-11"}
    assert findings[0].path == "sdmx-dimension:refPeriod"
