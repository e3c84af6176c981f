"""Analytics that never stall: the ego view from its SPARQL neighbourhood draws what the whole projection draws, and
while the whole projection is rebuilt after a write, what does not need it answers and what does gets the previous
one, marked stale; concurrent requests start one build."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph import analytics, projection, queries, views
from reformkg.graph.projection import LocalProjection, build_projection
from reformkg.graph.settings import Settings
from reformkg.graph.store import TYPED_PART_FILE, OxigraphStore, Pieces
from tests.conftest import synthetic_farms

RKO = "https://w3id.org/reformkg/ontology#"
ID = "https://w3id.org/reformkg/id/"
SWITCHES = [
    (1, {}),
    (2, {}),
    (3, {"provenance": True, "observations": True}),
    (2, {"kinds": ["agency", "reform", "place", "figures"]}),
]


def _same(a: views.ViewData, b: views.ViewData) -> None:
    assert [n["id"] for n in a.nodes] == [n["id"] for n in b.nodes]
    assert a.nodes == b.nodes
    assert a.edges == b.edges
    assert (a.title_zh, a.title_en, a.note_zh, a.note_en) == (b.title_zh, b.title_en, b.note_zh, b.note_en)


def test_ego_from_sparql_is_the_ego_from_the_projection_on_the_seed(seed_store):
    whole = build_projection(seed_store)
    # every 12th entity of each kind, so each kind (hubs, reforms, records, sentences…) is the centre somewhere
    by_kind: dict[str, list[str]] = {}
    for node, kind in sorted(whole.graph.nodes(data="kind")):
        by_kind.setdefault(kind, []).append(node)
    centres = [node for nodes in by_kind.values() for node in nodes[::12]]
    centres += [f"{ID}place/kunming", f"{ID}place/haikou-forest-farm", f"{RKO}IndicatorScheme"]
    assert len(centres) > 60
    for centre in centres:
        for hops, switches in SWITCHES:
            local = views.ego_data(seed_store, centre, hops=hops, projection=LocalProjection(seed_store), **switches)
            _same(views.ego_data(seed_store, centre, hops=hops, projection=whole, **switches), local)
    haikou = views.ego_data(seed_store, f"{ID}place/haikou-forest-farm", hops=2)
    assert len(haikou.nodes) > 5 and any(
        n["id"].endswith("yunnan-state-forest-farm-reform-leading-group") for n in haikou.nodes
    )


def test_ego_from_sparql_is_the_ego_from_the_projection_on_a_synthetic_graph(synthetic_store):
    store = synthetic_store
    whole = build_projection(store)
    centres = [
        f"{ID}org/province-00-forestry-department",  # a hub: more links than HUB_DEGREE
        f"{ID}reform/forest-farm-000007-reform",
        f"{ID}place/forest-farm-000011",  # a place with no type of its own
        f"{ID}status/forest-farm-000003-status",
    ]
    for centre in centres:
        for hops, switches in SWITCHES:
            local = views.ego_data(store, centre, hops=hops, projection=LocalProjection(store), **switches)
            _same(views.ego_data(store, centre, hops=hops, projection=whole, **switches), local)


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    return synthetic_farms(tmp_path_factory, 60)


@pytest.mark.parametrize("which", ["seed", "synthetic"])
def test_the_ranking_from_the_typed_part_is_the_ranking_from_the_projection(which, seed_store, synthetic_store):
    store = seed_store if which == "seed" else synthetic_store
    whole = analytics._rank(analytics.TypedGraph.of(build_projection(store)))
    read = analytics._rank(analytics.TypedGraph.read(store))
    assert read == whole
    assert read["projection"]["nodes"] > 100 and len(read["agencies"]) > 10
    assert read["agencies"][0]["label_en"] and read["agencies"][0]["pagerank"] > read["agencies"][-1]["pagerank"]


def test_the_ranking_read_in_small_slices_is_the_same(seed_store, monkeypatch):
    """The passes over the edges go a slice at a time (``PART``): with slices of a few edges, the read and the
    ranking are those of the projection still, as with one slice."""
    monkeypatch.setattr(analytics, "PART", 7)
    whole = analytics.TypedGraph.of(build_projection(seed_store))
    read = analytics.TypedGraph.read(seed_store)
    assert read.edge_count > 10 * analytics.PART
    assert sorted(read.nodes) == sorted(whole.nodes)
    assert sorted(read.edges) == sorted(whole.edges) and read.kinds == whole.kinds
    assert analytics._rank(read) == analytics._rank(whole)


#: What the ranking's read leaves out or decides without the engine (blank nodes, literals, SHACL and OWL links, places
#: linked only from a blank node or from a blank node and an IRI, entities with several types), beside a few agencies
#: to rank.
EDGE_CASES = """
@prefix rko: <https://w3id.org/reformkg/ontology#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> . @prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix qb: <http://purl.org/linked-data/cube#> .
<urn:t:a1> a rko:Agency ; rdfs:label "一局"@zh .
<urn:t:a2> a rko:Agency, org:Organization ; org:subOrganizationOf <urn:t:a1> .
<urn:t:a3> a rko:LeadingGroup, rko:Agency ; owl:sameAs <urn:t:a1> ; rdfs:seeAlso <urn:t:a2> .
<urn:t:r1> a rko:ReformPilot ; prov:wasAssociatedWith <urn:t:a1>, <urn:t:a2>, _:b ; dcterms:spatial <urn:t:v1>, "text" ;
    rko:hasMeasure <urn:t:m1>, <urn:t:m2> .
<urn:t:r2> a rko:ReformInitiative, rko:Measure ; prov:wasAssociatedWith <urn:t:a3> ;
    rko:hasMeasure <urn:t:m1>, <urn:t:r2> .
<urn:t:m1> a rko:Measure . <urn:t:m2> a rko:Measure, org:Organization . <urn:t:m3> a rko:Measure .
<urn:t:m4> a rko:Measure ; rdfs:label "alone"@en .
<urn:t:o1> a qb:Observation ; rko:outcomeOf <urn:t:m3> ; schema:containedInPlace <urn:t:v2> .
_:b schema:containedInPlace <urn:t:v3> . <urn:t:v3> rko:touches <urn:t:r1> .
<urn:t:v1> schema:containedInPlace <urn:t:v4> . <urn:t:v4> rko:near <urn:t:a1> .
_:c a rko:Agency ; prov:wasAssociatedWith <urn:t:a1> .
_:d dcterms:spatial <urn:t:v5> . <urn:t:o1> dcterms:spatial <urn:t:v5> . <urn:t:v5> rko:near <urn:t:a2>, "v5" .
"""


def test_the_ranking_read_decides_edge_cases_as_the_projection():
    store = OxigraphStore()
    store.oxigraph.load(EDGE_CASES.encode(), format=ox.RdfFormat.TURTLE)
    whole = analytics.TypedGraph.of(build_projection(store))
    read = analytics.TypedGraph.read(store)
    assert sorted(read.nodes) == sorted(whole.nodes) and read.kinds == whole.kinds
    assert sorted(read.edges) == sorted(whole.edges) and read.info == whole.info
    assert "urn:t:v2" in read.kinds and "urn:t:v3" not in read.kinds and "urn:t:m3" in read.nodes
    assert ("urn:t:v5", "urn:t:a2") in read.edges  # a place linked from a blank node and from an IRI
    assert "urn:t:m4" not in read.kinds  # a measure with no link at all does not count
    assert ("urn:t:a3", "urn:t:a1") not in read.edges and ("urn:t:r2", "urn:t:r2") in read.edges
    assert analytics._rank(read) == analytics._rank(whole)


def test_display_labels_are_asked_for_the_classes_they_are_made_for():
    """``LocalProjection`` asks ``projection-display-labels`` only about entities of ``DISPLAY_LABEL_CLASSES``: the
    set must be the classes the query's branches start from, as the query's own prefixes spell them."""
    text = queries.text("projection-display-labels")
    prefixes = dict(re.findall(r"^PREFIX (\w+): <([^>]+)>", text, re.MULTILINE))
    branches = {prefixes[p] + local for p, local in re.findall(r"\?entity a (\w+):(\w+)", text)}
    assert branches == projection.DISPLAY_LABEL_CLASSES


def test_a_local_projection_labels_records_as_the_whole_does(seed_store):
    """Records (status, observation, ownership, sentence, note) get the labels made from their parts, other entities
    none: read bound to a mix of them, as the whole projection reads them."""
    whole = build_projection(seed_store)
    by_kind: dict[str, list[str]] = {}
    for node, kind in whole.graph.nodes(data="kind"):
        by_kind.setdefault(kind, []).append(node)
    mix = [
        n
        for kind in ("status", "observation", "ownership", "source", "note", "agency", "reform")
        for n in by_kind[kind][:3]
    ]
    assert len(mix) == 21
    local = LocalProjection(seed_store)
    found = local.attributes(mix)
    for n in mix:
        assert found[n] == {key: whole.node_data(n)[key] for key in ("cls", "kind", "label_zh", "label_en")}
    assert all(found[n]["label_zh"] for n in by_kind["status"][:3] + by_kind["observation"][:3])


def _written(text: str, size: int) -> Pieces:
    """``text`` in UTF-8 written to a ``Pieces`` ``size`` bytes a write (a character's bytes may be split)."""
    data = text.encode("utf-8")
    written = Pieces()
    for start in range(0, len(data), size):
        written.write(data[start : start + size])
    return written


@pytest.mark.parametrize("size", [1, 5, 8192])
@pytest.mark.parametrize("chunk", [1, 7, 40, 1 << 18])
def test_the_ranking_read_parses_an_answer_piece_by_piece_as_whole(chunk, size):
    """``_findall`` reads an answer (UTF-8 bytes in the pieces the engine wrote) a part at a time (so that the
    interpreter lock is let go between parts) and finds what one call over the whole text finds: parts shorter than a
    line, longer than the answer, pieces that split a character, no final line break, a header, literals (in Chinese
    too, whose characters take several bytes) and blank nodes among the IRIs, and IRIs with characters beyond
    ASCII."""
    answer = (
        '?s\t?p\t?o\n<urn:a>\t<urn:p>\t<urn:b>\n_:b1\t<urn:p>\t<urn:c>\n<urn:a>\t<urn:p>\t"x\ty"@zh\n'
        '<urn:c>\t<urn:q>\t<urn:a>\n<urn:a>\t<urn:label>\t"昆明市"@zh\n<urn:e>\t27\t<urn:f>\n<urn:e>\t"27"\t<urn:f>\n'
        "<urn:d>\t<urn:p>\t<urn:地方>"
    )
    for text in (answer, answer + "\n", "", "\n"):
        whole = analytics._LINK_LINE.findall(text)
        assert analytics._findall(analytics._LINK_LINE, _written(text, size).take(), chunk) == whole
    assert analytics._findall(analytics._LINK_LINE, _written(answer, size).take(), chunk) == [
        ("urn:a", "<urn:p>", "urn:b"),
        ("urn:c", "<urn:q>", "urn:a"),
        ("urn:e", "27", "urn:f"),
        ("urn:d", "<urn:p>", "urn:地方"),
    ]
    members = '?s\n<urn:a>\n_:b\n"lit"\n<urn:b>\n'
    assert analytics._findall(analytics._IRI_LINE, _written(members, size).take(), chunk) == ["urn:a", "urn:b"]


@pytest.mark.parametrize("size", [1, 3, 8192])
def test_pieces_give_back_what_was_written_in_order(size):
    """``Pieces`` read as a binary file (through a buffer of another size) or piece by piece gives back the bytes
    written, in order, once; after a partial read, ``take`` gives the rest."""
    import io

    text = "".join(f'<urn:{i}>\t"第{i}行"\n' for i in range(500))
    data = text.encode("utf-8")
    assert io.BufferedReader(_written(text, size), 7).read() == data
    assert io.TextIOWrapper(io.BufferedReader(_written(text, size), 64), encoding="utf-8").read() == text
    assert b"".join(_written(text, size).take()) == data
    partly = _written(text, size)
    head = bytearray(10)
    got = partly.readinto(head)
    assert 0 < got <= 10 and bytes(head[:got]) + b"".join(partly.take()) == data
    assert partly.readinto(bytearray(4)) == 0 and list(partly.take()) == []
    empty = _written(text, size)
    assert empty.readinto(bytearray(0)) == 0 and b"".join(empty.take()) == data  # an empty buffer reads nothing


def test_release_and_positions_go_a_part_at_a_time(monkeypatch):
    """``_positions`` gives each node its index and ``_release`` empties a list, both ``PART`` items at a time, for any
    length around a multiple of it."""
    monkeypatch.setattr(analytics, "PART", 3)
    for n in (0, 1, 2, 3, 4, 6, 7, 10):
        nodes = [f"urn:n{i}" for i in range(n)]
        assert analytics._positions(nodes) == {node: i for i, node in enumerate(nodes)}
        items = [(node, node) for node in nodes]
        analytics._release(items)
        assert items == []


def test_least_and_components_take_their_order_a_part_at_a_time(monkeypatch, seed_store):
    """``_least`` gives what ``sorted(…)[:n]`` gives, ``PART`` items at a time, for any length around a multiple of it;
    the components (largest first, then by least member) and their samples are those of whole sorts."""
    import networkx as nx

    monkeypatch.setattr(analytics, "PART", 3)
    for size in (1, 2, 3, 4, 6, 7, 10):
        members = {f"urn:m{(i * 7) % size:02d}-{i}" for i in range(size)}
        for n in (1, 2, 5, 12):
            assert analytics._least(members, n) == sorted(members)[:n]
    for typed in (False, True):
        proj = projection.project(seed_store)
        graph = proj.typed if typed else proj.graph
        found = sorted(nx.weakly_connected_components(graph), key=lambda c: (-len(c), min(c)))
        for sample in (0, 1, 4):
            got = analytics.components(seed_store, typed=typed, sample=sample)["components"]
            assert [c["size"] for c in got] == [len(c) for c in found]
            assert [[n["iri"] for n in c["sample"]] for c in got] == [sorted(c)[:sample] for c in found]
    assert len(found) > 1  # (the typed part has several components)


def test_local_projection_reads_only_what_it_is_asked_for(seed_store):
    local = LocalProjection(seed_store)
    local.expand([f"{ID}place/haikou-forest-farm"])
    whole = build_projection(seed_store)
    assert 0 < local.graph.number_of_nodes() < whole.graph.number_of_nodes() / 5
    for node in local.graph:
        assert local.degree(node) == whole.degree(node)
        assert local.node_data(node) == whole.node_data(node)
    assert local.node_data("urn:nothing:here") == {} and not local.knows("urn:nothing:here")


# -- rebuilding in the background -----------------------------------------------------------------------------------
AGENCY, REFORM, MEASURE = "urn:t:agency", "urn:t:reform", "urn:t:measure"
SMALL = f"""
<{AGENCY}> a <{RKO}Agency> ; <http://www.w3.org/2000/01/rdf-schema#label> "局"@zh, "Bureau"@en .
<{REFORM}> a <{RKO}ReformInitiative> ; <http://www.w3.org/ns/prov#wasAssociatedWith> <{AGENCY}> ;
    <{RKO}hasMeasure> <{MEASURE}> .
<{MEASURE}> a <{RKO}Measure> .
"""


class HeldBuilds:
    """Stands in for ``projection._build``: counts the builds, and holds each one until ``release`` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.started = threading.Event()
        self.generations: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, store):
        with self.lock:
            self.generations.append(store.generation)
        self.started.set()
        assert self.release.wait(30), "the test never released the build"
        return build_projection(store)


@pytest.fixture
def small_app(monkeypatch):
    store = OxigraphStore()
    store.update(f"INSERT DATA {{ {SMALL} }}")
    held = HeldBuilds()
    monkeypatch.setattr(projection, "_build", held)
    client = TestClient(create_app(Settings(store="memory"), store))
    yield store, client, held
    held.release.set()


def test_the_first_build_answers_503_with_retry_after_and_other_requests_go_on(small_app, monkeypatch):
    store, client, held = small_app
    monkeypatch.setattr(projection, "FIRST_WAIT", 0.05)
    busy = client.get("/analytics/components")
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    assert "being built" in busy.json()["detail"]
    assert held.started.is_set() and projection.building(store)
    # what does not need the whole projection answers meanwhile
    assert client.get("/graph/ego", params={"iri": REFORM}).status_code == 200
    assert client.get("/analytics/ownership", params={"agency": AGENCY}).json()[0]["reform"]["iri"] == REFORM
    assert analytics.rank_agencies(store)["agencies"][0]["iri"] == AGENCY  # read from the typed part alone
    assert client.get("/healthz").status_code == 200
    held.release.set()
    assert client.get("/analytics/components").json()["components"][0]["size"] == 3
    assert held.generations == [store.generation]


def test_a_rebuild_never_blocks_and_concurrent_requests_start_one_build(small_app, monkeypatch):
    store, client, held = small_app
    ranking_made = threading.Event()  # (set: the ranking is made at once; clear: its making waits)
    ranking_made.set()
    make_ranking = analytics._make_ranking

    def held_ranking(store):
        assert ranking_made.wait(30), "the test never let the ranking be made"
        return make_ranking(store)

    monkeypatch.setattr(analytics, "_make_ranking", held_ranking)
    held.release.set()
    first = client.get("/analytics/components").json()
    assert "stale" not in first and first["components"][0]["size"] == 3
    ranked = client.get("/analytics/agencies", params={"format": "json"}).json()
    assert "stale" not in ranked and [a["iri"] for a in ranked["agencies"]] == [AGENCY]
    before = store.generation
    held.release.clear()
    store.update(f"INSERT DATA {{ <{ID}org/second> a <{RKO}Agency> . <{REFORM}> <{RKO}ledBy> <{ID}org/second> }}")

    def ask(path: str):
        return client.get(path, params={"from": REFORM, "to": AGENCY} if path.endswith("path") else None)

    paths = ["/analytics/path", "/analytics/components", "/graph/overview", "/graph/ownership"] * 3
    with ThreadPoolExecutor(len(paths)) as pool:
        answers = list(pool.map(ask, paths))
    assert held.started.wait(5) and not held.release.is_set()
    # the build is held, and every request was answered from the previous projection, saying so
    assert [a.status_code for a in answers] == [200] * len(paths)
    stale = {"generation": before, "rebuilding": True}
    assert answers[0].json()["stale"] == stale and answers[1].json()["stale"] == stale
    assert f"as of generation {before}, rebuilding" in answers[2].text
    zh = client.get("/graph/ownership", headers={"Accept-Language": "zh-CN"})
    assert f"截至第 {before} 代数据，正在重建" in zh.text
    export = client.get("/analytics/export", params={"format": "graphml"})
    assert export.headers["X-Reformkg-Stale"] == f"as of generation {before}, rebuilding"
    # what does not need the whole projection reads the store as it is now
    ego = client.get("/graph/ego", params={"iri": REFORM})
    assert ego.status_code == 200 and f"{ID}org/second" in ego.text
    # the ranking: the previous state's at once, marked so, while the new one is made (held here, so that it is not
    # made before the request looks; it needs no projection); the library waits for the new one
    ranking_made.clear()
    ranking = client.get("/analytics/agencies", params={"format": "json"}).json()
    assert ranking["stale"]["generation"] == before and [a["iri"] for a in ranking["agencies"]] == [AGENCY]
    ranking_made.set()
    fresh_ranking = analytics.rank_agencies(store)
    assert "stale" not in fresh_ranking
    assert {a["iri"] for a in fresh_ranking["agencies"]} == {AGENCY, f"{ID}org/second"}
    assert held.generations == [before, store.generation]
    held.release.set()
    fresh = analytics.components(store)  # the library waits for the projection of the store as it is
    assert "stale" not in fresh and fresh["components"][0]["size"] == 4
    assert len(held.generations) == 2  # one build for the first state, one for the state after the write


def test_projections_and_rankings_are_made_at_a_background_priority():
    """The thread that makes a kept result, and the threads the ranking's read starts, run at a lower CPU priority
    than the requests (Linux: one thread's niceness, read back by its id)."""
    import os

    store = OxigraphStore()
    seen: dict[str, int] = {}

    def make(s):
        seen["maker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        with analytics._Reader(s) as read:
            read.pool.submit(
                lambda: seen.setdefault("reader", os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            ).result()
        return s.generation, "made"

    assert projection.kept(store, "niceness-test", make) == (store.generation, "made")
    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == {"maker": projection.BACKGROUND_NICENESS, "reader": projection.BACKGROUND_NICENESS}
    assert here != projection.BACKGROUND_NICENESS  # the caller's own thread is untouched


#: Writes of INSERT DATA and DELETE DATA, each followed by bringing the typed part up to date (``TypedGraph.patched``)
#: and reading it whole: new agencies and owners, owners and types removed, an untyped place typed, a place linked
#: only from a blank node given an IRI link, a measure made an agency, labels changed, skipped predicates, a self-loop,
#: a write that names nothing typed, and one entity's every quad removed.
PATCH_WRITES = [
    'INSERT DATA { <urn:t:a9> a rko:Agency ; rdfs:label "九局"@zh . <urn:t:r1> prov:wasAssociatedWith <urn:t:a9> }',
    "DELETE DATA { <urn:t:r1> prov:wasAssociatedWith <urn:t:a2> }",
    "INSERT DATA { <urn:t:v1> a rko:Village }",
    "INSERT DATA { <urn:t:x1> dcterms:spatial <urn:t:v3> }",
    "DELETE DATA { <urn:t:m3> a rko:Measure }",
    "INSERT DATA { <urn:t:m1> a rko:Agency }",
    'DELETE DATA { <urn:t:a1> rdfs:label "一局"@zh } ; '
    'INSERT DATA { <urn:t:a1> rdfs:label "第一局"@zh, "Bureau 1"@en }',
    "INSERT DATA { <urn:t:a9> owl:sameAs <urn:t:a2> ; rdfs:seeAlso <urn:t:r2> . <urn:t:a9> rko:near <urn:t:a9> }",
    "INSERT DATA { GRAPH <urn:t:g> { <urn:t:w1> <urn:t:p> <urn:t:o> } }",
    "DELETE DATA { <urn:t:a3> a rko:LeadingGroup, rko:Agency ; owl:sameAs <urn:t:a1> ; rdfs:seeAlso <urn:t:a2> . "
    "<urn:t:r2> prov:wasAssociatedWith <urn:t:a3> }",
    "INSERT DATA { <urn:t:r3> a rko:ReformPilot ; prov:wasAssociatedWith <urn:t:a9>, <urn:t:a1> ; "
    "dcterms:spatial <urn:t:v4> ; rko:hasMeasure <urn:t:m3> }",
]
PATCH_PREFIXES = """PREFIX rko: <https://w3id.org/reformkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


def _same_typed(a: analytics.TypedGraph, b: analytics.TypedGraph) -> None:
    assert sorted(a.nodes) == sorted(b.nodes) and a.kinds == b.kinds
    assert sorted(a.edges) == sorted(b.edges) and a.info == b.info


def _patched_after_each(store, writes: list[str]) -> list[analytics.TypedGraph]:
    """Each write applied in turn, the typed part brought up to date after each with what the store says it touched
    and compared with the one read whole (and, every fourth write, its ranking with the projection's)."""
    typed, generation, made = analytics.TypedGraph.read(store), store.generation, []
    for number, write in enumerate(writes):
        store.update(PATCH_PREFIXES + write)
        touched = store.touched_since(generation)
        assert touched is not None, write
        typed, generation = typed.patched(store, touched), store.generation
        _same_typed(typed, analytics.TypedGraph.read(store))
        if number % 4 == 3:
            assert analytics._rank(typed) == analytics._rank(analytics.TypedGraph.of(build_projection(store)))
        made.append(typed)
    return made


def test_the_typed_part_brought_up_to_date_after_data_writes_is_the_one_read_whole(synthetic_store):
    store = OxigraphStore()
    store.oxigraph.load(EDGE_CASES.encode(), format=ox.RdfFormat.TURTLE)
    typed = _patched_after_each(store, PATCH_WRITES)[-1]
    assert analytics._rank(typed) == analytics._rank(analytics.TypedGraph.of(build_projection(store)))
    assert "urn:t:a9" in typed.kinds and "urn:t:a3" not in typed.kinds and typed.kinds["urn:t:m1"] == "agency"


def test_the_ranking_after_a_data_write_is_brought_up_to_date_and_after_other_writes_read_again(tmp_path, monkeypatch):
    """Through ``rank_agencies`` on a synthetic graph: after INSERT DATA, or one operation with a WHERE, the typed part
    is patched; after two operations of which one has a WHERE, or a function that gives another value each run, it is
    read again; either way the ranking is the one a whole read gives."""
    from benchmarks.bench import generate

    whole_reads: list[int] = []
    read = analytics.TypedGraph.read.__func__

    def counted(cls, store):
        whole_reads.append(store.generation)
        return read(cls, store)

    monkeypatch.setattr(analytics.TypedGraph, "read", classmethod(counted))

    data = tmp_path / "farms.nt"
    generate(data, 40)
    store = OxigraphStore()
    store.load_file(data)
    analytics.rank_agencies(store)
    agency = analytics.rank_agencies(store)["agencies"][-1]["iri"]
    for write, read_whole in (
        (f'INSERT DATA {{ <urn:t:new> a rko:Agency ; rdfs:label "新局"@zh . <{agency}> rko:near <urn:t:new> }}', False),
        (f"DELETE WHERE {{ ?reform prov:wasAssociatedWith <{agency}> }}", False),
        ("DELETE WHERE { ?r prov:wasAssociatedWith <urn:t:new> } ; INSERT DATA { <urn:t:x> a rko:Agency }", True),
        (f"INSERT DATA {{ <urn:t:r> a rko:ReformPilot ; prov:wasAssociatedWith <urn:t:new>, <{agency}> }}", False),
        ("INSERT { ?a rko:near <urn:t:new> } WHERE { BIND(IRI(CONCAT('urn:t:', STRUUID())) AS ?a) }", True),
    ):
        store.update(PATCH_PREFIXES + write)
        whole_reads.clear()
        ranked = analytics.rank_agencies(store)
        assert whole_reads == ([store.generation] if read_whole else []), write
        assert {k: v for k, v in ranked.items() if k != "stale"} == analytics._rank(read(analytics.TypedGraph, store))
    assert store.touched_since(0) is None  # the two operations are not known that way


#: Updates of one operation with a WHERE, and graph operations, each followed by bringing the typed part up to date
#: and reading it whole: the store reads before each what it may touch (the WHERE's solutions, the graphs' IRIs).
WHERE_WRITES = [
    "DELETE WHERE { ?r prov:wasAssociatedWith <urn:t:a2> }",
    "INSERT { ?r prov:wasAssociatedWith ?new } WHERE { ?r rko:hasMeasure <urn:t:m1> BIND(<urn:t:a5> AS ?new) }",
    "INSERT { ?m a rko:Agency } WHERE { <urn:t:r1> rko:hasMeasure ?m FILTER(?m != <urn:t:m1>) }",
    "DELETE { ?a rdfs:label ?l } INSERT { ?a rdfs:label 'relabelled'@zh } WHERE { ?a a rko:Agency ; rdfs:label ?l }",
    "WITH <urn:t:g> INSERT { ?o a rko:Agency } WHERE { ?s <urn:t:p> ?o }",
    "INSERT { ?o a rko:Measure } USING <urn:t:g> WHERE { ?s <urn:t:p2> ?o }",
    "INSERT { GRAPH <urn:t:g2> { ?v a rko:Village } } USING <urn:t:g> WHERE { ?s ?p ?o BIND(<urn:t:v1> AS ?v) }",
    "DELETE { ?s ?p ?o } WHERE { GRAPH <urn:t:g> { ?s ?p ?o } }",
    "DELETE { ?x ?p ?o } WHERE { ?x a rko:ReformInitiative ; ?p ?o }",
    "COPY <urn:t:g2> TO <urn:t:g3>",
    "DROP GRAPH <urn:t:g2>",
    "ADD DEFAULT TO <urn:t:g4>",
    "MOVE <urn:t:g4> TO DEFAULT",
    "CLEAR DEFAULT",
]


def test_the_typed_part_brought_up_to_date_after_where_updates_is_the_one_read_whole():
    store = OxigraphStore()
    store.oxigraph.load(EDGE_CASES.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    store.update(
        PATCH_PREFIXES + "INSERT DATA { GRAPH <urn:t:g> { <urn:t:w1> <urn:t:p> <urn:t:a9>, <urn:t:u1> ; "
        "<urn:t:p2> <urn:t:u2> } <urn:t:u1> rko:near <urn:t:a1> . <urn:t:u2> rko:near <urn:t:a2> }"
    )
    store.update(PATCH_PREFIXES + "INSERT DATA { <urn:t:a9> a rko:Agency . <urn:t:r2> rko:hasMeasure <urn:t:m1> }")
    store.track_touched = True
    made = _patched_after_each(store, WHERE_WRITES)
    after = dict(zip((w.split(" WHERE")[0] for w in WHERE_WRITES), made, strict=True))
    typed = after["CLEAR DEFAULT"]
    # the writes did what they say, and the typed part saw it
    assert ("urn:t:r1", "urn:t:a2") not in after["DELETE"].edges
    assert after["INSERT { ?m a rko:Agency }"].kinds["urn:t:m2"] == "agency"
    assert after[WHERE_WRITES[3].split(" WHERE")[0]].info["urn:t:a1"]["label_zh"] == "relabelled"
    assert after["WITH <urn:t:g> INSERT { ?o a rko:Agency }"].kinds["urn:t:u1"] == "agency"  # bound in <urn:t:g> only
    assert after["INSERT { ?o a rko:Measure } USING <urn:t:g>"].kinds["urn:t:u2"] == "measure"
    assert after["INSERT { GRAPH <urn:t:g2> { ?v a rko:Village } } USING <urn:t:g>"].kinds["urn:t:v1"] == "place"
    assert "urn:t:r2" not in after["DELETE { ?x ?p ?o }"].kinds
    assert after["DROP GRAPH <urn:t:g2>"].kinds["urn:t:v1"] == "place"  # typed in <urn:t:g3> still
    _same_typed(after["MOVE <urn:t:g4> TO DEFAULT"], after["DROP GRAPH <urn:t:g2>"])
    assert sorted(typed.nodes) == ["urn:t:a9", "urn:t:u1"]  # CLEAR DEFAULT: what <urn:t:g> holds is left


def test_a_small_load_replacing_a_graph_says_what_it_changed_and_the_ranking_is_brought_up_to_date(tmp_path):
    """Accepting the next newsletter loads a small file in place of a graph: the store knows the IRIs of that graph as
    it was and as it is, and the typed part brought up to date with them is the one read whole."""
    graph = "https://w3id.org/reformkg/graph/test-issue"
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    first.write_text(EDGE_CASES + "<urn:t:a8> a rko:Agency . <urn:t:r1> prov:wasAssociatedWith <urn:t:a8> .\n")
    changed = EDGE_CASES.replace("prov:wasAssociatedWith <urn:t:a1>, <urn:t:a2>, _:b", "prov:wasAssociatedWith _:b")
    second.write_text(changed + '<urn:t:a7> a rko:Agency ; rdfs:label "七局"@zh . <urn:t:r2> rko:near <urn:t:a7> .\n')
    store = OxigraphStore(tmp_path / "store")
    try:
        store.load_file(first, graph=graph)
        typed, generation = analytics.TypedGraph.read(store), store.generation
        store.load_file(second, graph=graph)
        touched = store.touched_since(generation)
        assert touched is not None and {"urn:t:a1", "urn:t:a7", "urn:t:a8", "urn:t:r1"} <= touched
        patched = typed.patched(store, touched)
        _same_typed(patched, analytics.TypedGraph.read(store))
        assert "urn:t:a8" in typed.kinds and "urn:t:a8" not in patched.kinds and "urn:t:a7" in patched.kinds
    finally:
        store.close()


def test_bringing_the_typed_part_up_to_date_keeps_each_node_s_index_unless_a_node_is_dropped():
    """``TypedGraph.patched`` works on the edges as node indices: a write that drops no node leaves every node where
    it was (the new ones after them); one that drops a node renumbers the edges, which still join the same IRIs."""
    store = OxigraphStore()
    try:
        store.oxigraph.load(EDGE_CASES.encode(), format=ox.RdfFormat.TURTLE)
        store.track_touched = True
        typed, generation = analytics.TypedGraph.read(store), store.generation
        store.update(PATCH_PREFIXES + "INSERT DATA { <urn:t:a7> a rko:Agency . <urn:t:r1> rko:near <urn:t:a7> . }")
        grown = typed.patched(store, store.touched_since(generation))
        assert grown.nodes[: len(typed.nodes)] == typed.nodes and grown.nodes[len(typed.nodes) :] == ["urn:t:a7"]
        assert ("urn:t:r1", "urn:t:a7") in grown.edges and grown.edge_count == typed.edge_count + 1
        _same_typed(grown, analytics.TypedGraph.read(store))

        generation = store.generation
        dropped = next(n for n in typed.nodes[:-1] if typed.kinds[n] == "agency")
        store.update(f"DELETE WHERE {{ <{dropped}> ?p ?o }}")
        store.update(f"DELETE WHERE {{ ?s ?p <{dropped}> }}")
        touched = store.touched_since(generation)
        assert touched is not None and dropped in touched
        shrunk = grown.patched(store, touched)
        assert dropped not in shrunk.nodes and len(shrunk.nodes) == len(grown.nodes) - 1
        assert shrunk.nodes == [n for n in grown.nodes if n != dropped]
        assert max(shrunk.indexed) < len(shrunk.nodes)
        _same_typed(shrunk, analytics.TypedGraph.read(store))
        assert analytics._rank(shrunk) == analytics._rank(analytics.TypedGraph.of(build_projection(store)))
    finally:
        store.close()


def test_a_dismantled_projection_is_empty_and_freed_without_the_garbage_collector(seed_store):
    """``Projection.dismantle`` empties every graph of a projection (the whole graph, its undirected view, its typed
    part), and the projection is then freed by its references alone, with the garbage collector off. (That a graph of
    networkx's own classes, whose views refer back to it, is freed too is the builder's test below.)"""
    import gc
    import weakref

    built = build_projection(seed_store)
    assert built.graph.number_of_edges() > 100
    views = (built.graph.edges, built.graph.degree, built.undirected.degree, built.typed.edges)  # asked before
    del views
    graph, typed = weakref.ref(built.graph), weakref.ref(built.typed)
    gc.disable()
    try:
        built.dismantle()
        left = (built.graph.number_of_nodes(), len(built.graph._succ) + len(built.graph._pred), typed() is None)
        del built
        freed = graph() is None
    finally:
        gc.enable()
    assert left == (0, 0, True)  # empty, and its typed part dropped and freed
    assert freed


def test_a_builder_dismantles_the_projection_it_replaces_unless_a_reader_holds_it():
    """When a newer projection replaces one, the builder dismantles the old one if nothing else holds it (freed with
    the garbage collector off); one that a reader still holds is left whole for that reader."""
    import gc
    import weakref

    import networkx as nx

    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore()

    def make(store):
        graph = nx.DiGraph([("urn:a", "urn:b"), ("urn:b", "urn:c")])
        assert graph.edges and graph.degree  # networkx keeps these views of the graph: a reference cycle
        return store.generation, projection.Projection(graph=graph, generation=store.generation)

    def write(n):
        store.update(f"INSERT DATA {{ <urn:s{n}> <urn:p> <urn:o> }}")

    gc.disable()
    try:
        first = weakref.ref(projection.kept(store, "dismantle-test", make)[1].graph)
        write(1)
        held = projection.kept(store, "dismantle-test", make)[1]  # replaces the first, which nothing holds
        first_freed = first() is None
        write(2)
        projection.kept(store, "dismantle-test", make)  # replaces the second, which ``held`` holds
        held_edges = held.graph.number_of_edges()
    finally:
        gc.enable()
        store.close()
    assert first_freed
    assert held_edges == 2


def test_table_reads_the_engines_csv_as_rows_reads_its_json():
    """``projection.table`` and ``records`` (the engine's CSV, decoded as the csv reader goes) give the rows
    ``QueryResult.rows`` gives, unbound as "": literals with line breaks, quotes, commas and Chinese text among
    them; ``records`` given columns gives each row as a list of them, in that order."""
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore()
    store.update(
        'INSERT DATA { <urn:a> <urn:p> "第一行\\r\\n第二行, \\"引号\\"" . <urn:a> <urn:p> "plain" . '
        '<urn:b> <urn:p> <urn:c> . <urn:d> <urn:q> "x\\ny"@zh }'
    )
    query = "SELECT ?s ?o ?none WHERE { ?s ?p ?o } ORDER BY ?s ?o"
    try:
        expected = [{k: v or "" for k, v in row.items()} for row in store.query(query).rows()]
        assert projection.table(store.query(query)) == expected
        # row by row, as lists of the columns asked for, in that order
        assert list(projection.records(store.query(query), ("o", "s"))) == [[row["o"], row["s"]] for row in expected]
        assert list(projection.records(store.query(query), ("s", "o", "none"))) == [
            [row["s"], row["o"], ""] for row in expected
        ]
        assert any("第一行\r\n第二行" in row["o"] for row in expected) and len(expected) == 4
    finally:
        store.close()


def test_a_projection_is_freed_by_its_references_alone(seed_store):
    """A projection refers to itself nowhere, whatever was asked of it (networkx's views of its graphs, the undirected
    view, the typed part, what views derive from it): with the garbage collector off, it is freed when its last
    reference goes. (So freezing it out of the collector's reach, ``long_lived``, never keeps it.)"""
    import gc
    import weakref

    built = build_projection(seed_store)
    g = built.graph
    reform = next(n for n, kind in g.nodes(data="kind") if kind == "reform")
    asked = (
        list(g.edges(data=True))[:3],
        g.degree(reform),
        g.in_degree(reform),
        list(g.succ[reform]),
        list(g.pred[reform]),
        built.undirected.degree(reform),
        built.typed.number_of_edges(),
        g.subgraph([reform]).number_of_nodes(),
        built.label(reform, "zh"),
        views._roles(seed_store, built),
    )
    assert asked[1] > 0 and asked[6] > 0 and asked[-1]
    del asked, g
    refs = [weakref.ref(x) for x in (built, built.graph, built.undirected, built.typed)]
    gc.disable()
    try:
        del built
        freed = [ref() is None for ref in refs]
    finally:
        gc.enable()
    assert freed == [True, True, True, True]


def test_a_projection_is_made_with_full_collections_held_then_frozen(monkeypatch):
    """While a projection is made, the collector's full passes wait (each would walk every object it tracks, the
    projection so far and the previous one, holding the interpreter lock); once it is made, its objects are frozen
    out of the collector's reach. The collector's thresholds come back after, even when the making fails."""
    import gc

    store = OxigraphStore()
    store.update("INSERT DATA { <urn:a> <urn:p> <urn:b> . <urn:b> <urn:p> <urn:c> }")
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    def build(store):
        during.append(gc.get_threshold())
        return build_projection(store)

    monkeypatch.setattr(projection, "_build", build)
    try:
        built = projection.project(store)
        assert during == [(before[0], before[1], projection.FULL_PASSES_HELD)]
        assert gc.get_threshold() == before
        adjacency = built.graph._succ["urn:a"]  # a dict of dicts: tracked by the collector, until frozen
        assert gc.is_tracked(adjacency)
        assert not any(o is adjacency for o in gc.get_objects())  # frozen: no pass walks it

        def fails(store):
            during.append(gc.get_threshold())
            raise RuntimeError("the engine stopped")

        monkeypatch.setattr(projection, "_build", fails)
        store.update("INSERT DATA { <urn:c> <urn:p> <urn:d> }")
        with pytest.raises(RuntimeError, match="the engine stopped"):
            projection.project(store)
        assert during[-1][2] == projection.FULL_PASSES_HELD
        assert gc.get_threshold() == before
    finally:
        store.close()


def test_no_pass_of_the_collector_walks_the_tables_of_a_projection_being_made(seed_store):
    """A projection's tables are put out of the collector's reach as they are made (``_track_late``): an edge holds a
    string (which the collector does not track) until the build ends, then its data a part at a time, each part
    frozen after a young pass. No pass walks more than a part of them: one full pass over them all held the
    interpreter lock for 0.7 to 1.5 s at 50,000 farms."""
    import gc

    walked: list[tuple[int, set[int]]] = []  # each pass's generation and the dictionaries it walked

    def count(phase, info):
        if phase == "start":
            generations = range(info["generation"] + 1)
            walked.append(
                (info["generation"], {id(o) for g in generations for o in gc.get_objects(g) if type(o) is dict})
            )

    gc.collect()
    gc.freeze()  # what the test process holds, out of the count
    gc.callbacks.append(count)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(projection, "ATTACH_PART", 64)
            with projection.long_lived():
                built = build_projection(seed_store)
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
    g = built.graph
    tables = {id(t): t for n in g for t in (g._succ[n], g._pred[n]) if t}
    assert len(tables) > 1000 and all(gc.is_tracked(t) for t in tables.values())
    assert len(walked) > 10 and max(len(ids & tables.keys()) for _, ids in walked) < len(tables) / 4
    # the tables of every node, walked by the full pass that freezes them as the build starts (empty), then by none
    first_full = next(i for i, (generation, _) in enumerate(walked) if generation == 2)
    outer = {id(g._node), id(g._succ), id(g._pred)}
    assert outer <= walked[first_full][1] and not any(outer & ids for _, ids in walked[first_full + 1 :])


def test_the_typed_part_is_networkx_s_copy_of_the_subgraph_sharing_the_edge_data(seed_store):
    """``Projection.typed`` is ``graph.subgraph(typed nodes).copy()`` (nodes, neighbours both ways, attributes), its
    nodes in the projection's order (networkx's copy takes them in the order of a set), whose edges hold the
    projection's own edge data, its tables frozen once made."""
    import gc

    built = build_projection(seed_store)
    g, typed = built.graph, built.typed
    keep = [n for n, kind in g.nodes(data="kind") if kind in projection.TYPED_KINDS]
    copied = g.subgraph(keep).copy()
    assert list(typed) == keep and 100 < len(keep) < len(g)
    assert dict(typed.nodes(data=True)) == dict(copied.nodes(data=True))
    assert {n: (typed.succ[n], typed.pred[n]) for n in typed} == {n: (copied.succ[n], copied.pred[n]) for n in copied}
    assert typed.number_of_edges() == copied.number_of_edges() > 100
    assert all(data is g._succ[u][v] for u, v, data in typed.edges(data=True))
    tables = {id(t) for n in typed for t in (typed._succ[n], typed._pred[n]) if t}
    assert tables and not any(id(o) in tables for o in gc.get_objects())


def test_full_collections_wait_until_the_last_of_concurrent_makings_ends():
    import gc

    before = gc.get_threshold()
    with projection.long_lived():
        with projection.long_lived():
            assert gc.get_threshold()[2] == projection.FULL_PASSES_HELD
        assert gc.get_threshold()[2] == projection.FULL_PASSES_HELD  # the outer one still makes
    assert gc.get_threshold() == before


#: The projection's edges as SPARQL's filters say what they are (``projection-edges`` has the engine test no term, its
#: reader telling IRIs from the answer, and has the predicates it knows written as numbers).
EDGES_BY_FILTER = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?p ?o WHERE {
  ?s ?p ?o . FILTER(isIRI(?o) && isIRI(?s))
  FILTER(?p NOT IN (rdf:type, rdfs:isDefinedBy, rdfs:subClassOf, rdfs:subPropertyOf, rdfs:domain, rdfs:range,
                    rdfs:seeAlso, dcterms:license))
}"""


def test_the_projection_s_edges_are_the_links_between_iris_whatever_their_predicates():
    """Blank nodes, literals (one holding a tab and a line break, one that reads as an IRI), SHACL and OWL links, listed
    and unlisted predicates: ``build_projection`` makes the edges the filters make, each named by its predicate."""
    store = OxigraphStore()
    more = '<urn:t:a1> rdfs:comment "a\\tb\\nc", "urn:t:a2" . <urn:t:a2> dcterms:isPartOf <urn:t:a1> .'
    store.oxigraph.load((EDGE_CASES + more).encode(), format=ox.RdfFormat.TURTLE)
    built = build_projection(store).graph
    pairs = projection.edge_predicates(projection.table(store.query(EDGES_BY_FILTER)))
    assert sorted((s, o, data["predicate"]) for s, o, data in built.edges(data=True)) == sorted(
        (s, o, preds[0]) for (s, o), preds in pairs.items()
    )
    assert {p for preds in pairs.values() for p in preds} & set(projection.NUMBERED_PREDICATES)
    assert {p for preds in pairs.values() for p in preds} - set(projection.NUMBERED_PREDICATES)  # rko:near, …
    assert ("urn:t:a2", "urn:t:a1") in pairs and ("urn:t:a1", "urn:t:a2") not in pairs  # not from the literal


def test_the_numbered_predicates_are_predicates_edges_are_made_of():
    """A number stands for a predicate that makes an edge: none is listed twice, in a skipped namespace, or among
    those the links queries leave out."""
    listed = projection.NUMBERED_PREDICATES
    assert len(set(listed)) == len(listed) > 20
    assert not [p for p in listed if p.startswith(projection.SKIPPED_PREDICATE_PREFIXES)]
    left_out = re.search(r"NOT IN \(([^)]*)\)", queries.text("projection-edges")).group(1)
    assert not [p for p in listed if p.rsplit("#", 1)[-1].rsplit("/", 1)[-1] + "," in left_out.replace(")", ",")]
    assert projection.NUMBERED_MARK in queries.text("projection-edges")
    assert "COALESCE(?k, ?p) AS ?q" in queries.text("projection-edges")


def test_the_projection_is_networkx_s_graph_of_its_edges_with_shared_read_only_edge_data(seed_store):
    """``build_projection`` fills networkx's tables itself, each edge with the one ``EdgeData`` of its predicate and
    label: the graph is the one ``add_edge`` makes of the same edges (nodes and neighbours in the same order, both
    ways), and an edge's attributes cannot be changed in place."""
    import networkx as nx

    built = build_projection(seed_store)
    g = built.graph
    again = nx.DiGraph()  # add_edge in the order of the pairs, each named by its first predicate, labelled by all
    pairs = projection.edge_predicates(projection.table(seed_store.query(EDGES_BY_FILTER)))
    for (s, o), preds in pairs.items():
        label = " / ".join(built.predicate_label(p) for p in preds)
        again.add_edge(s, o, predicate=preds[0], label=label)
    assert sum(len(preds) > 1 for preds in pairs.values()) > 10  # pairs linked by several predicates among them
    assert list(g) == list(again) and g.number_of_edges() == again.number_of_edges() > 100
    assert list(g.edges(data=True)) == list(again.edges(data=True))
    assert [(n, list(g.succ[n].items()), list(g.pred[n].items())) for n in g] == [
        (n, list(again.succ[n].items()), list(again.pred[n].items())) for n in again
    ]
    datas = {id(data): data for _, _, data in g.edges(data=True)}
    assert len(datas) == len({(d["predicate"], d["label"]) for d in datas.values()}) < g.number_of_edges() / 10
    u, v, data = next(iter(g.edges(data=True)))
    with pytest.raises(TypeError, match="read-only"):
        g.edges[u, v]["label"] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        data.update(label="changed")
    assert dict(data) | {"label": "a copy"} == {"predicate": data["predicate"], "label": "a copy"}
    assert g.in_degree(v) == len(g.pred[v]) and g.out_degree(u) == len(g.succ[u])


def test_a_closed_store_lets_go_of_its_projection_ranking_and_typed_part(tmp_path):
    """A closed store object can outlive its close (a cycle the projection's gc.freeze put out of the collector's
    reach), so what was made from it is let go of at close: three seed stores opened, projected, ranked and closed in
    turn kept three projections before."""
    from reformkg.graph.build import build

    settings = Settings()
    for folder in ("a", "b"):
        store = OxigraphStore(tmp_path / folder)
        build(store, settings.ontology_dir, settings.data_dir)
        projection.project(store)
        assert analytics.rank_agencies(store)["agencies"]
        assert projection._builder(store, "projection") is not None and store in analytics._typed_kept
        store.close()
        assert projection._builder(store, "projection") is None and projection._builder(store, "ranking") is None
        assert store not in analytics._typed_kept
        assert (tmp_path / folder / TYPED_PART_FILE).is_file()  # kept beside the store first, at close
