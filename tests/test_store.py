"""The store layer, the same tests on every backend (memory, disk, remote `oxigraph serve`)."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph.store import QuerySyntaxError, RdfSyntaxError, StoreError
from tests.conftest import FIXTURES

FARMS = FIXTURES / "farms.ttl"
G = "http://example.org/graph/farms"


def graph_content(store, graph: str) -> rdflib.Graph:
    """A named graph's triples as an rdflib graph, for isomorphism checks."""
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return rdflib.Graph().parse(data=result.serialize("nt").decode(), format="nt")


def test_load_puts_a_file_in_its_own_graph(store):
    report = store.load_file(FARMS, graph=G)
    assert report.graphs == [G]
    assert report.triples == 8
    assert store.graphs() == [G]
    assert store.count(G) == 8
    assert isomorphic(graph_content(store, G), rdflib.Graph().parse(FARMS))


def test_default_graph_is_the_union(store, tmp_path):
    other = tmp_path / "other.ttl"
    other.write_text("<http://example.org/lufengcun> a <http://example.org/ForestFarm> .\n")
    store.load_file(FARMS, graph=G)
    store.load_file(other, graph="http://example.org/graph/other")
    rows = store.query("SELECT ?farm WHERE { ?farm a <http://example.org/ForestFarm> } ORDER BY ?farm").rows()
    assert [r["farm"] for r in rows] == [
        "http://example.org/haikou",
        "http://example.org/lufengcun",
        "http://example.org/xishan",
    ]
    assert store.count() == 9


def test_default_graph_uri_limits_the_query(store, tmp_path):
    other = tmp_path / "other.ttl"
    other.write_text("<http://example.org/lufengcun> a <http://example.org/ForestFarm> .\n")
    store.load_file(FARMS, graph=G)
    store.load_file(other, graph="http://example.org/graph/other")
    result = store.query("SELECT ?farm WHERE { ?farm a <http://example.org/ForestFarm> }", default_graphs=[G])
    assert sorted(r["farm"] for r in result.rows()) == ["http://example.org/haikou", "http://example.org/xishan"]


def test_reload_replaces_the_graph(store, tmp_path):
    path = tmp_path / "farms.ttl"
    path.write_text(FARMS.read_text())
    store.load_file(path, graph=G)
    path.write_text("<http://example.org/yiliang> a <http://example.org/ForestFarm> .\n")
    report = store.load_file(path, graph=G)
    assert report.replaced == [G]
    assert store.count(G) == 1
    assert store.count() == 1
    assert store.graphs() == [G]


def test_syntax_error_on_the_last_line_of_a_reload_changes_nothing(store, tmp_path):
    path = tmp_path / "farms.ttl"
    path.write_text(FARMS.read_text())
    store.load_file(path, graph=G)
    before = graph_content(store, G)
    lines = FARMS.read_text().splitlines()
    path.write_text("\n".join([*lines, 'ex:lufengcun rdfs:label "禄丰村林场 .']) + "\n")
    with pytest.raises(RdfSyntaxError) as caught:
        store.load_file(path, graph=G)
    assert caught.value.path == str(path)
    assert caught.value.line == len(lines) + 1
    assert str(caught.value).startswith(f"{path}:{len(lines) + 1}:")
    assert store.count(G) == 8
    assert store.count() == 8
    assert store.graphs() == [G]
    assert isomorphic(graph_content(store, G), before)


def test_a_missing_file_or_unknown_format_is_a_clear_error(store, tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        store.load_file(tmp_path / "nope.ttl", graph=G)
    odd = tmp_path / "farms.txt"
    odd.write_text("x")
    with pytest.raises(StoreError, match="cannot tell the RDF format"):
        store.load_file(odd, graph=G)


@pytest.mark.parametrize(
    ("extension", "fmt"),
    [
        ("nt", ox.RdfFormat.N_TRIPLES),
        ("jsonld", ox.RdfFormat.JSON_LD),
        ("rdf", ox.RdfFormat.RDF_XML),
        ("ttl", ox.RdfFormat.TURTLE),
    ],
)
def test_every_triple_format_loads(store, tmp_path, extension, fmt):
    path = tmp_path / f"farms.{extension}"
    path.write_bytes(ox.serialize(ox.parse(path=FARMS), format=fmt))
    store.load_file(path, graph=G)
    assert isomorphic(graph_content(store, G), rdflib.Graph().parse(FARMS))


@pytest.mark.parametrize("fmt", [ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG])
def test_quad_formats_keep_their_graphs_and_default_triples_go_to_the_file_graph(store, tmp_path, fmt):
    named = "http://example.org/graph/named"
    quads = [
        ox.Quad(
            ox.NamedNode("http://example.org/a"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal("in named"),
            ox.NamedNode(named),
        ),
        ox.Quad(ox.NamedNode("http://example.org/b"), ox.NamedNode("http://example.org/p"), ox.Literal("in default")),
    ]
    path = tmp_path / f"mixed.{fmt.file_extension}"
    path.write_bytes(ox.serialize(quads, format=fmt))
    report = store.load_file(path, graph=G)
    assert report.graphs == sorted([G, named])
    assert store.count(named) == 1
    assert store.count(G) == 1


def test_select_ask_and_construct(store):
    store.load_file(FARMS, graph=G)
    select = store.query(
        "SELECT ?l WHERE { <http://example.org/haikou> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        'FILTER(lang(?l) = "en") }'
    )
    assert select.kind == "select"
    assert select.rows() == [{"l": "Haikou Forest Farm"}]
    ask = store.query("ASK { <http://example.org/haikou> ?p ?o }")
    assert ask.kind == "ask"
    assert ask.boolean is True
    assert json.loads(ask.serialize("json"))["boolean"] is True
    construct = store.query("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }")
    assert construct.kind == "graph"
    assert len(construct.triples) == 2


def test_results_serialise_in_every_results_format(store):
    store.load_file(FARMS, graph=G)
    for fmt, marker in [("json", b'"bindings"'), ("xml", b"<sparql"), ("csv", b"farm\r\n"), ("tsv", b"?farm\n")]:
        result = store.query("SELECT ?farm WHERE { ?farm a <http://example.org/ForestFarm> }")
        assert marker in result.serialize(fmt), fmt


def test_bad_query_is_a_syntax_error(store):
    with pytest.raises(QuerySyntaxError):
        store.query("SELEKT * WHERE { ?s ?p ?o }")


def test_update_then_drop_graph(store):
    store.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/p> "1" } }')
    assert store.count("http://example.org/g") == 1
    store.drop_graph("http://example.org/g")
    assert store.count() == 0
    with pytest.raises(QuerySyntaxError):
        store.update("INSERT NONSENSE")


@pytest.mark.parametrize("fmt", ["nq", "trig"])
def test_export_keeps_graphs(store, fmt):
    store.load_file(FARMS, graph=G)
    buffer = io.BytesIO()
    store.export(fmt, buffer)
    dataset = rdflib.Dataset()
    dataset.parse(data=buffer.getvalue().decode(), format="nquads" if fmt == "nq" else "trig")
    assert isomorphic(dataset.graph(rdflib.URIRef(G)), rdflib.Graph().parse(FARMS))


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_export_writes_the_union(store, fmt, rdflib_format):
    store.load_file(FARMS, graph=G)
    buffer = io.BytesIO()
    store.export(fmt, buffer)
    exported = rdflib.Graph().parse(data=buffer.getvalue().decode(), format=rdflib_format)
    assert isomorphic(exported, rdflib.Graph().parse(FARMS))


def test_rdflib_sees_the_same_graph(store):
    store.load_file(FARMS, graph=G)
    rows = list(store.rdflib.query("SELECT ?s WHERE { ?s a <http://example.org/ForestFarm> }"))
    assert sorted(str(r[0]) for r in rows) == ["http://example.org/haikou", "http://example.org/xishan"]
