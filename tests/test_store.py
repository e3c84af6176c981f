"""The store layer, the same tests on every backend (memory, disk, remote `oxigraph serve`)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from reformkg.graph.rdfxml import UnsafeXmlError, check_rdfxml
from reformkg.graph.store import (
    JOURNAL,
    LOAD_FORMATS,
    OWNER,
    UTF8_BOM,
    OxigraphStore,
    QuerySyntaxError,
    RdfSyntaxError,
    StoreError,
    StoreLocked,
    StoreMissing,
    open_store,
)
from tests.conftest import FIXTURES

FARMS = FIXTURES / "farms.ttl"
G = "http://example.org/graph/farms"
HOLD = "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"


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


# -- opening an on-disk store: read-write with an owner, read-only snapshots, missing stores ------------------------


def _hold(folder):
    """A plain pyoxigraph process holding a store folder's lock, as ``reformkg serve`` would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder / "oxigraph")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout.readline().strip() == b"ready"
    return process


def _release(process) -> None:
    process.stdin.close()
    process.wait(20)


def test_a_read_only_open_never_creates_a_store(tmp_path):
    with pytest.raises(StoreMissing) as caught:
        OxigraphStore(tmp_path / "nothing" / "store", read_only=True)
    assert str(caught.value) == f"no store at {tmp_path / 'nothing' / 'store'}"
    with pytest.raises(StoreMissing):
        open_store(str(tmp_path / "nothing"), write=True)  # a write that may not create (withdraw, serve)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_view_reads_and_refuses_writes_in_one_line(tmp_path):
    writer = OxigraphStore(tmp_path / "store")
    writer.load_file(FARMS, graph=G)
    writer.close()
    view = open_store(str(tmp_path / "store"), write=False)
    try:
        assert view.read_only and view.count(G) == 8
        for write in (
            lambda: view.load_file(FARMS, graph="http://example.org/other"),
            lambda: view.update('INSERT DATA { <urn:x:a> <urn:x:b> "c" }'),
        ):
            with pytest.raises(StoreError, match="is open read-only") as caught:
                write()
            assert "\n" not in str(caught.value)
        assert not (tmp_path / "store" / OWNER).exists(), "a read-only view does not claim the store"
    finally:
        view.close()


def test_a_read_write_open_records_its_owner_and_a_second_one_names_it(tmp_path):
    first = OxigraphStore(tmp_path / "store", owner={"command": "reformkg serve", "url": "http://127.0.0.1:9"})
    try:
        owner = json.loads((tmp_path / "store" / OWNER).read_text())
        assert owner["pid"] == os.getpid() and owner["command"] == "reformkg serve"
        with pytest.raises(StoreLocked) as caught:
            OxigraphStore(tmp_path / "store")
        assert str(caught.value) == (
            f"the store {tmp_path / 'store'} is in use by this process (pid {os.getpid()}, http://127.0.0.1:9); "
            "stop it first, or send updates to its /sparql endpoint with REFORMKG_UPDATE_TOKEN"
        )
        snapshot = OxigraphStore(tmp_path / "store", read_only=True)  # reads still open beside it
        snapshot.close()
    finally:
        first.close()
    assert not (tmp_path / "store" / OWNER).exists()


def test_a_snapshot_opens_beside_another_process_and_sees_what_was_committed(tmp_path):
    writer = OxigraphStore(tmp_path / "store")
    writer.load_file(FARMS, graph=G)
    writer.close()
    holder = _hold(tmp_path / "store")
    try:
        with pytest.raises(StoreLocked, match="in use by another process"):
            OxigraphStore(tmp_path / "store")
        view = OxigraphStore(tmp_path / "store", read_only=True)
        assert view.count() == 8
        view.close()
    finally:
        _release(holder)


def _interrupted_load(folder):
    """A store holding G, and a journal and half a graph left by a load that never committed."""
    store = OxigraphStore(folder)
    store.load_file(FARMS, graph=G)
    partial = ox.NamedNode("http://example.org/graph/partial")
    store.oxigraph.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("half"), partial))
    store._write_journal({"id": "cut", "file": "big.nt", "writing": [partial.value]})
    store.close()
    return partial.value


def test_a_snapshot_of_a_free_store_first_undoes_an_interrupted_load(tmp_path):
    _interrupted_load(tmp_path / "store")
    view = OxigraphStore(tmp_path / "store", read_only=True)
    try:
        assert view.graphs() == [G]
        assert view.in_flux == []
        assert not (tmp_path / "store" / JOURNAL).exists()
    finally:
        view.close()


def test_a_snapshot_of_a_held_store_lists_the_graphs_a_load_is_writing(tmp_path):
    partial = _interrupted_load(tmp_path / "store")
    holder = _hold(tmp_path / "store")
    try:
        view = OxigraphStore(tmp_path / "store", read_only=True)
        assert view.in_flux == [partial]
        view.close()
        assert (tmp_path / "store" / JOURNAL).exists(), "a read never writes to a store another process holds"
    finally:
        _release(holder)


# -- what a load refuses to read ---------------------------------------------------------------------------------


def test_a_load_names_what_is_wrong_with_the_path(tmp_path):
    store = OxigraphStore()
    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    for path, message in [
        (tmp_path, f"{tmp_path}: is a directory, not a file"),
        (Path("/dev/zero"), "/dev/zero: not a regular file"),
        (fifo, f"{fifo}: not a regular file"),
        (tmp_path / "nope.ttl", f"{tmp_path / 'nope.ttl'}: no such file"),
        (tmp_path / "nope" / "x.ttl", f"{tmp_path / 'nope' / 'x.ttl'}: no such file"),
    ]:
        with pytest.raises(StoreError) as caught:
            store.load_file(path, graph=G, fmt="ttl")
        assert str(caught.value) == message
    assert store.count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file, so permission cannot be denied")
def test_an_unreadable_file_is_permission_denied(tmp_path):
    locked = tmp_path / "locked.ttl"
    locked.write_text(FARMS.read_text())
    locked.chmod(0)
    with pytest.raises(StoreError) as caught:
        OxigraphStore().load_file(locked, graph=G)
    assert str(caught.value) == f"{locked}: permission denied"


@pytest.mark.parametrize("extension", ["nt", "ttl"])
def test_a_utf8_byte_order_mark_is_skipped_and_lines_stay_as_an_editor_shows_them(store, tmp_path, extension):
    body = ox.serialize(ox.parse(path=FARMS), format=LOAD_FORMATS[extension]).decode()
    good = tmp_path / f"farms.{extension}"
    good.write_bytes(UTF8_BOM + body.encode())
    assert good.read_bytes()[:3] == b"\xef\xbb\xbf"
    store.load_file(good, graph=G)
    assert isomorphic(graph_content(store, G), rdflib.Graph().parse(FARMS))

    first = {"nt": "<http://example.org/a> <http://example.org/b> <http://example.org/c> .", "ttl": "@base <x:> ."}
    broken = f'{first[extension]}\n<http://example.org/a> <http://example.org/b> "unterminated .\n'
    located = []
    for name, prefix in (("plain", b""), ("bom", UTF8_BOM)):
        path = tmp_path / f"{name}.{extension}"
        path.write_bytes(prefix + broken.encode())
        with pytest.raises(RdfSyntaxError) as caught:
            store.load_file(path, graph=G)
        located.append((caught.value.line, caught.value.column))
    assert located[0] == located[1]
    assert located[0][0] == 2
    assert store.count(G) == 8


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/lol"><ex:says>&lol9;</ex:says></rdf:Description>
</rdf:RDF>
"""

OWL_WITH_ENTITIES = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
    <!ENTITY owl "http://www.w3.org/2002/07/owl#" >
    <!ENTITY xsd "http://www.w3.org/2001/XMLSchema#" >
    <!ENTITY ex "http://example.org/" >
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="&ex;Farm">
    <rdf:type rdf:resource="&owl;Class"/>
    <rdfs:label rdf:datatype="&xsd;string">Forest farm &amp; site</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""


def test_nested_xml_entities_are_refused_fast_and_change_nothing(store, tmp_path):
    store.load_file(FARMS, graph=G)
    bomb = tmp_path / "lol.rdf"
    bomb.write_text(BILLION_LAUGHS)
    assert bomb.stat().st_size < 2000
    with pytest.raises(RdfSyntaxError) as caught:
        store.load_file(bomb, graph="http://example.org/graph/lol")
    assert str(caught.value) == (
        f"{bomb}:4: entity 'lol1' refers to other entities; reformkg refuses nested XML entities "
        "(entity expansion attack)"
    )
    assert store.graphs() == [G]
    assert store.count() == 8


def test_an_owl_file_with_plain_entities_loads(store, tmp_path):
    owl = tmp_path / "onto.owl"
    owl.write_text(OWL_WITH_ENTITIES)
    store.load_file(owl, graph=G)
    rows = store.query(f"SELECT ?t ?l WHERE {{ GRAPH <{G}> {{ <http://example.org/Farm> a ?t ; ?p ?l }} }}").rows()
    assert {r["t"] for r in rows} == {"http://www.w3.org/2002/07/owl#Class"}
    assert "Forest farm & site" in {r["l"] for r in rows}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('<!DOCTYPE r [<!ENTITY % p "x">]><r/>', "1: a parameter entity (<!ENTITY %)"),
        ('<!DOCTYPE r [<!ENTITY a "x%p;x">]><r/>', "1: entity 'a' refers to parameter entities"),
        ('<!DOCTYPE r [<!ENTITY a SYSTEM "file:///etc/passwd">]><r>&a;</r>', "1: entity 'a' is external"),
        ('<!DOCTYPE r [<!ENTITY a PUBLIC "-//x" "http://x/y">]><r/>', "1: entity 'a' is external"),
        ('<!DOCTYPE r SYSTEM "http://example.org/r.dtd"><r/>', "1: the DOCTYPE names an external DTD"),
        ('<!DOCTYPE r [<!ENTITY a "&#38;b;">]><r/>', "1: entity 'a' makes '&' by a character reference"),
        ('<!DOCTYPE r [<!ENTITY a "<b/>">]><r/>', "1: entity 'a' holds markup"),
        ('<!DOCTYPE r [<!ENTITY a "' + "x" * 5000 + '">]><r/>', "1: entity 'a' is 5,000 characters long"),
        # Oxigraph reads a DOCTYPE anywhere and entity declarations inside its comments: so does the check
        ('<r>\n<!doctype r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>\n</r>', "2: entity 'b' refers to other entities"),
        ('<!DOCTYPE r [<!-- <!ENTITY b "&c;"> -->]><r/>', "1: entity 'b' refers to other entities"),
        (
            '<!DOCTYPE r [<!ENTITY a "' + "x" * 4000 + '">]><r>' + "&a;" * 3000 + "</r>",
            "1: entity references expand to more than",
        ),
    ],
)
def test_check_rdfxml_refuses_what_could_expand_or_reach_out(document, message):
    with pytest.raises(UnsafeXmlError) as caught:
        check_rdfxml(document.encode(), "doc.rdf")
    assert str(caught.value).startswith(f"doc.rdf:{message}"), str(caught.value)


def test_check_rdfxml_allows_plain_entities_predefined_and_character_references():
    check_rdfxml(OWL_WITH_ENTITIES.encode())
    check_rdfxml(b'<!DOCTYPE r [<!ENTITY a "caf&#233; &amp; &lt;tea&gt;">]><r>&a;&a;</r>')
    check_rdfxml(b"<r>no DOCTYPE at all</r>")
    check_rdfxml(b"")


def test_check_rdfxml_reads_a_large_file_with_entity_lookalikes(tmp_path):
    """Entity references, a declared entity and an ENTITY inside a comment, 200,000 times: accepted. How its time
    grows with size is measured by ``make bench`` (benchmarks/bench_linear.py), not asserted here."""
    big = tmp_path / "big.rdf"
    big.write_bytes(
        OWL_WITH_ENTITIES.encode()[: OWL_WITH_ENTITIES.index("<rdf:RDF")]
        + b"<r>"
        + b'<x a="&ex;y">&amp; &xsd; <!-- <!ENTITY looks like one --></x>\n' * 200_000
        + b"</r>"
    )
    assert check_rdfxml(big) is None


def test_the_change_counter_moves_only_after_a_write_is_done():
    """A cache built while a write runs must not be taken for current: the counter moves after the write."""
    store = OxigraphStore()
    engine = store.oxigraph
    seen: list[int] = []

    class Watched:
        def __getattr__(self, name):
            return getattr(engine, name)

        def update(self, sparql):
            seen.append(store.generation)
            engine.update(sparql)

    store._ox = Watched()
    before = store.generation
    store.update('INSERT DATA { <http://example.org/a> <http://example.org/p> "1" }')
    assert seen == [before]
    assert store.generation == before + 1


def test_graph_names_are_checked_never_spliced(store):
    store.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/p> "1" } }')
    for hostile in ("http://example.org/g> } ; DROP ALL ; #", "http://example.org/g>", "not an iri"):
        with pytest.raises(StoreError, match="not an absolute IRI"):
            store.drop_graph(hostile)
        with pytest.raises(StoreError, match="not an absolute IRI"):
            store.count(hostile)
    assert store.count("http://example.org/g") == 1


def test_named_query_bindings_take_only_iris_and_variable_names():
    from reformkg.graph import queries

    query = "SELECT * WHERE { ?s ?p ?o }"
    assert "VALUES ?s { <http://example.org/a> }" in queries.with_bindings(query, {"s": "http://example.org/a"})
    with pytest.raises(StoreError, match="not an absolute IRI"):
        queries.with_bindings(query, {"s": "http://example.org/a> } ; DROP ALL ; #"})
    with pytest.raises(ValueError, match="not a SPARQL variable"):
        queries.with_bindings(query, {"s } DROP ALL #": "http://example.org/a"})
    several = queries.with_bindings(query, {"s": ["http://example.org/a", "http://example.org/b"]})
    assert "VALUES ?s { <http://example.org/a> <http://example.org/b> }" in several
    with pytest.raises(StoreError, match="not an absolute IRI"):
        queries.with_bindings(query, {"s": ["http://example.org/a", "x> } ; DROP ALL ; #"]})


def test_a_variable_bound_to_several_iris_takes_each(store):
    from reformkg.graph import queries

    store.load_file(FARMS, graph=G)
    rows = store.query(
        queries.with_bindings(
            "SELECT ?f ?label WHERE { ?f <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
            {"f": ["http://example.org/haikou", "http://example.org/xishan"]},
        )
    ).rows()
    assert sorted(row["label"] for row in rows) == ["Haikou Forest Farm", "海口林场", "西山林场"]


#: Terms of every kind an answer can hold: IRIs, literals with a language (and a base direction), a datatype, escapes
#: and characters outside ASCII, an empty literal, a blank node, a triple term, and an unbound variable.
TERM_KINDS = """SELECT ?o ?s ?none ?t WHERE {
  VALUES (?o ?t) {
    ("Haikou \\"海口\\"\\n林场"@zh UNDEF) ("5.0 km"^^<urn:unit> UNDEF) (<urn:b> UNDEF) ("" UNDEF) ("hi"@en--ltr UNDEF)
    (1 <<( <urn:a> <urn:p> "x"@en )>>)
  }
  BIND(<urn:a> AS ?s)
  OPTIONAL { ?s <urn:q> ?none }
} ORDER BY STR(?o)"""


def test_solutions_give_the_engines_own_terms():
    """``solutions()`` reads an answer in one call of the engine's JSON writer and gives, row for row, the terms that
    reading the engine's solutions one at a time gives (``stream_solutions``), in the variables' order."""
    store = OxigraphStore()
    streamed = [
        {name: row[name] for name in ("o", "s", "none", "t")} for row in store.query(TERM_KINDS).stream_solutions()
    ]
    solutions = store.query(TERM_KINDS).solutions()
    assert solutions == streamed and len(solutions) == 6
    assert [list(row) for row in solutions] == [["o", "s", "none", "t"]] * 6
    kinds = {type(term).__name__ for row in solutions for term in row.values() if term is not None}
    assert kinds == {"NamedNode", "Literal", "Triple"}
    literals = [t for row in solutions if isinstance(t := row["o"], ox.Literal)]
    assert {(t.value, t.language, t.direction) for t in literals if t.language} == {
        ('Haikou "海口"\n林场', "zh", None),
        ("hi", "en", ox.BaseDirection.LTR),
    }
    [triple] = [row["t"] for row in store.query(TERM_KINDS).rows() if row["t"] is not None]
    assert triple == str(next(row["t"] for row in solutions if row["t"] is not None))  # its N-Triples text
    blank = store.query("SELECT ?b WHERE { BIND(BNODE() AS ?b) }")
    [row] = blank.solutions()
    assert isinstance(row["b"], ox.BlankNode) and row["b"].value


def test_rows_give_each_terms_value_as_the_solutions_do():
    """``rows()`` gives the value of each term the engine's solutions hold (an IRI, a literal's lexical form, a blank
    node's id), None when unbound, in the variables' order."""
    store = OxigraphStore()
    store.oxigraph.load(
        '<urn:a> <urn:p> "Haikou \\"海口\\"\\n林场"@zh , "5.0 km"^^<urn:unit> , _:b1 , <urn:b> , "" .'.encode(),
        format=ox.RdfFormat.TURTLE,
    )
    text = "SELECT ?o ?s ?none WHERE { ?s <urn:p> ?o OPTIONAL { ?s <urn:q> ?none } } ORDER BY STR(?o)"
    expected = [
        {name: (term.value if (term := row[name]) is not None else None) for name in ("o", "s", "none")}
        for row in store.query(text).stream_solutions()
    ]
    rows = store.query(text).rows()
    assert rows == expected and len(rows) == 5
    assert [list(row) for row in rows] == [["o", "s", "none"]] * 5
    assert {'Haikou "海口"\n林场', "5.0 km", "urn:b", ""} <= {row["o"] for row in rows}
    assert all(row["none"] is None for row in rows)
