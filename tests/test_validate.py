"""SHACL validation of the seed, and a build that refuses bad data and loads nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reformkg.api.cli import app
from reformkg.graph.build import validate_project
from reformkg.graph.store import OxigraphStore

ROOT = Path(__file__).parent.parent


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of ontology/ and data/ the test may break, and a store of its own."""
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("REFORMKG_ONTOLOGY_DIR", str(tmp_path / "ontology"))
    monkeypatch.setenv("REFORMKG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REFORMKG_STORE", str(tmp_path / "store"))
    return tmp_path


def test_the_seed_conforms_with_only_the_missing_owner_warning():
    report = validate_project(ROOT / "ontology", ROOT / "data")
    assert report.violations == []
    assert [(w.focus.rsplit("/", 1)[-1], w.severity) for w in report.warnings] == [
        ("kunming-state-forest-farm-reform", "warning")
    ]
    assert "names none" in report.warnings[0].message


def test_a_violation_fails_validate_and_build_loads_nothing(project):
    core = project / "data/kunming-gaige-kuaibao-107/core.ttl"
    text = core.read_text(encoding="utf-8")
    broken = text.replace(
        '    sdmx-attribute:unitMeasure rko:count ;\n    rko:valueKind rko:reported ;\n    rko:originalText "3个" ;',
        '    rko:valueKind rko:reported ;\n    rko:originalText "3个" ;',
    )
    assert broken != text
    core.write_text(broken, encoding="utf-8")
    runner = CliRunner()

    validated = runner.invoke(app, ["validate"])
    assert validated.exit_code == 1
    assert "violation" in validated.output
    assert "forest-farm-reform-pilots-accepted" in validated.output
    assert "unitMeasure" in validated.output

    built = runner.invoke(app, ["build"])
    assert built.exit_code == 1
    assert "nothing loaded" in built.output
    store = OxigraphStore(project / "store")
    assert store.graphs() == []
    store.close()


def test_malformed_turtle_names_the_file_and_line(project):
    bad = project / "data/kunming-gaige-kuaibao-107/item-3-policy.ttl"
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines[40] = lines[40] + " <<<"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 1
    assert f"{bad}:41:" in result.output


def test_build_loads_every_file_into_its_graph(project):
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    store = OxigraphStore(project / "store")
    graphs = store.graphs()
    store.close()
    assert sorted(g.rsplit("/", 1)[-1] for g in graphs) == sorted(
        [
            "reformkg.ttl",
            "shapes.ttl",
            "core.ttl",
            "item-1-outcomes.ttl",
            "item-1-practices.ttl",
            "item-3-policy.ttl",
            "sources.ttl",
        ]
    )


AGENCIES = """@prefix rko: <https://w3id.org/reformkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/hans> a rko:Agency ; rdfs:label "昆明市林业局"@zh-Hans , "Kunming Forestry Bureau"@en .
<http://example.org/pinyin> a rko:Agency ; rdfs:label "Kunming Shi Linye Ju"@zh-Latn-pinyin , "Bureau"@en .
<http://example.org/pref> a rko:Agency ; skos:prefLabel "林业局"@zh ; rdfs:label "Forestry"@en .
"""


def test_chinese_label_and_english_definition_shapes(tmp_path):
    """A zh-Hans label or a @zh skos:prefLabel is Chinese; a zh-Latn romanisation is not. A term of the ontology
    without its English definition is a violation."""
    from reformkg.graph.validate import validate_files

    data = tmp_path / "agencies.ttl"
    data.write_text(AGENCIES, encoding="utf-8")
    ontology = tmp_path / "reformkg.ttl"
    text = (ROOT / "ontology/reformkg.ttl").read_text(encoding="utf-8")
    definition = '"A party or government body: a committee, department, office, bureau or commission."@en ,'
    assert definition in text
    ontology.write_text(text.replace(definition, ""), encoding="utf-8")
    # The definition check needs the ontology's own text (its header) in the data graph, so it goes in twice.
    report = validate_files(ROOT / "ontology/shapes.ttl", [ontology], [data, ontology])
    chinese = {f.focus for f in report.violations if f.message.startswith("No Chinese label")}
    assert chinese == {"http://example.org/pinyin"}
    undefined = {f.focus for f in report.violations if "skos:definition" in f.message}
    assert undefined == {"https://w3id.org/reformkg/ontology#Agency"}


def test_a_company_as_owner_of_a_measure_is_a_violation(project):
    """Audit finding 1 as the shapes see it: only agencies own, and only reforms are owned."""
    practices = project / "data/kunming-gaige-kuaibao-107/item-1-practices.ttl"
    text = practices.read_text(encoding="utf-8")
    broken = text.replace("    rko:participant ag:jd-com ;", "    prov:wasAssociatedWith ag:jd-com ;")
    assert broken != text
    practices.write_text(broken, encoding="utf-8")
    report = validate_project(project / "ontology", project / "data")
    assert [(f.focus.rsplit("/", 1)[-1], f.message.split(":")[0]) for f in report.violations] == [
        ("poverty-luquan-jd-ecommerce-pilot-county", "Only reform initiatives have owners")
    ]
