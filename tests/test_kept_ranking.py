"""The ranking's typed part kept on disk beside the store: after a restart the first ranking starts from it instead of
reading the typed part whole, and only when the store is exactly the one it was made for (recorded by reformkg when
it last closed the store, the folder's data files unchanged since); after any other change it is read again."""

from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest

from reformkg.graph import analytics
from reformkg.graph.store import STATE_FILE, TYPED_PART_FILE, OxigraphStore

RKO = "https://w3id.org/reformkg/ontology#"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
NEW_AGENCY = (
    f'<urn:t:new> a <{RKO}Agency> ; <{RDFS}label> "新局"@zh . '
    f"<urn:t:reform> a <{RKO}ReformPilot> ; <{PROV}wasAssociatedWith> <urn:t:new> ."
)


READ = analytics.TypedGraph.read.__func__


@pytest.fixture
def whole_reads(monkeypatch) -> list[int]:
    """The generations at which ``TypedGraph.read`` read the typed part whole."""
    reads: list[int] = []

    def counted(cls, store):
        reads.append(store.generation)
        return READ(cls, store)

    monkeypatch.setattr(analytics.TypedGraph, "read", classmethod(counted))
    return reads


@pytest.fixture
def farms(tmp_path):
    from benchmarks.bench import generate

    data = tmp_path / "farms.nt"
    generate(data, 30)
    store = OxigraphStore(tmp_path / "store")
    store.load_file(data)
    store.close()
    return tmp_path / "store"


def _read_whole(store) -> analytics.TypedGraph:
    return READ(analytics.TypedGraph, store)


def _rank(store) -> dict:
    ranking = analytics.rank_agencies(store)
    return {k: v for k, v in ranking.items() if k != "stale"}


def _session(path, whole_reads, *, writes=(), read_only=False) -> tuple[list[int], dict, str | None]:
    """Open the store, rank (after each write too), close; what was read whole, the last ranking, the opened state."""
    whole_reads.clear()
    store = OxigraphStore(path, read_only=read_only)
    try:
        opened = store._opened_state
        ranking = _rank(store)
        for write in writes:
            store.update(write)
            ranking = _rank(store)
        assert ranking == analytics._rank(_read_whole(store))  # whatever it started from, it is the whole read's
        return list(whole_reads), ranking, opened
    finally:
        store.close()


def test_after_a_restart_the_ranking_starts_from_the_kept_typed_part(farms, whole_reads):
    reads, first, opened = _session(farms, whole_reads)
    assert reads == [0] and opened is not None  # the load's close recorded the state; no typed part kept yet
    assert (farms / TYPED_PART_FILE).is_file() and (farms / STATE_FILE).is_file()

    reads, again, opened = _session(farms, whole_reads)
    assert reads == [] and opened is not None and again == first

    # a write in the session: the kept part is brought up to date with what it named, kept again at the new state
    reads, written, _ = _session(farms, whole_reads, writes=[f"INSERT DATA {{ {NEW_AGENCY} }}"])
    assert reads == [] and "urn:t:new" in {row["iri"] for row in written["agencies"]}
    reads, after, _ = _session(farms, whole_reads)
    assert reads == [] and after == written

    # a read-only view of the closed store starts from it too (and writes nothing beside the store)
    kept = (farms / TYPED_PART_FILE).stat().st_mtime_ns
    reads, viewed, opened = _session(farms, whole_reads, read_only=True)
    assert reads == [] and opened is not None and viewed == written
    assert (farms / TYPED_PART_FILE).stat().st_mtime_ns == kept


def test_writes_with_a_where_are_brought_up_to_date_or_read_whole_and_kept_at_their_new_state(farms, whole_reads):
    _, before, _ = _session(farms, whole_reads)
    # one operation: its WHERE, read before it runs, says what it touches
    one = f"DELETE WHERE {{ GRAPH ?g {{ ?r <{PROV}wasAssociatedWith> ?a }} }}"
    reads, ranking, _ = _session(farms, whole_reads, writes=[one])
    assert reads == [] and ranking["projection"]["edges"] < before["projection"]["edges"]
    two = f"INSERT DATA {{ {NEW_AGENCY} }} ; {one}"  # two operations: not known
    reads, ranking, _ = _session(farms, whole_reads, writes=[two])
    assert reads == [1]
    reads, after, _ = _session(farms, whole_reads)
    assert reads == [] and after == ranking


def test_a_write_by_another_program_leaves_the_kept_typed_part_unused(farms, whole_reads):
    _, before, _ = _session(farms, whole_reads)
    engine = ox.Store(str(farms / "oxigraph"))  # another program, writing to the folder with the engine alone
    engine.load(NEW_AGENCY.encode(), format=ox.RdfFormat.TURTLE)
    engine.flush()
    del engine

    reads, ranking, opened = _session(farms, whole_reads, read_only=True)
    assert reads == [0] and opened is None and "urn:t:new" in {row["iri"] for row in ranking["agencies"]}
    reads, ranking, opened = _session(farms, whole_reads)
    assert reads == [0] and opened is None and ranking != before


def test_a_store_left_without_being_closed_leaves_the_kept_typed_part_unused(farms, whole_reads):
    _session(farms, whole_reads)
    killed = (
        "import os, sys\n"
        "from reformkg.graph.store import OxigraphStore\n"
        "store = OxigraphStore(sys.argv[1])\n"
        f"store.update('INSERT DATA {{ {NEW_AGENCY} }}')\n"
        "store.oxigraph.flush()\n"
        "os._exit(0)  # as if killed: no close\n"
    )
    subprocess.run([sys.executable, "-c", killed, str(farms)], check=True, timeout=120)
    assert (farms / STATE_FILE).is_file()  # the previous close's record is still there, and no longer true
    reads, ranking, opened = _session(farms, whole_reads)
    assert reads == [0] and opened is None and "urn:t:new" in {row["iri"] for row in ranking["agencies"]}


def test_a_damaged_kept_file_or_one_made_by_other_code_is_not_used(farms, whole_reads, monkeypatch):
    _, first, _ = _session(farms, whole_reads)
    kept = farms / TYPED_PART_FILE
    whole = kept.read_bytes()
    for damaged in (whole[: len(whole) // 2], whole[:-4], whole.replace(b'"agency"', b'"agenc!"', 1), b"", b"\x00"):
        kept.write_bytes(damaged)
        reads, ranking, opened = _session(farms, whole_reads)
        assert reads == [0] and opened is not None and ranking == first
    monkeypatch.setattr(analytics, "_code_key", lambda: "another version of the code")
    reads, ranking, _ = _session(farms, whole_reads)
    assert reads == [0] and ranking == first
    monkeypatch.undo()


def test_the_kept_file_holds_the_typed_part_as_it_was():
    store = OxigraphStore()
    store.oxigraph.load(
        (NEW_AGENCY + f" <urn:t:a2> a <{RKO}Agency> . <urn:t:reform> <{PROV}wasAssociatedWith> <urn:t:a2> .").encode(),
        format=ox.RdfFormat.TURTLE,
    )
    typed = _read_whole(store)
    again = analytics._typed_from(analytics._typed_bytes("s", typed), "s")
    assert again == typed and len(typed.edges) == 2 and typed.info.keys() == {"urn:t:new", "urn:t:a2"}
    indexed = list(zip(again.indexed[0::2], again.indexed[1::2], strict=True))
    assert [(again.nodes[u], again.nodes[v]) for u, v in indexed] == typed.edges
    assert analytics._typed_from(analytics._typed_bytes("s", typed), "another state") is None
    assert analytics._rank(again) == analytics._rank(typed)


def test_writes_after_the_last_ranking_are_brought_in_as_the_store_closes(farms, whole_reads):
    store = OxigraphStore(farms)
    _rank(store)
    store.update(f"INSERT DATA {{ {NEW_AGENCY} }}")  # no ranking after it: the close brings it in
    store.close()
    reads, ranking, _ = _session(farms, whole_reads)
    assert reads == [] and "urn:t:new" in {row["iri"] for row in ranking["agencies"]}

    store = OxigraphStore(farms)
    _rank(store)
    store.update(f"DELETE DATA {{ {NEW_AGENCY} }} ; DELETE WHERE {{ <urn:t:none> ?p ?o }}")  # not known
    store.close()
    reads, ranking, _ = _session(farms, whole_reads)
    assert reads == [0] and "urn:t:new" not in {row["iri"] for row in ranking["agencies"]}


def test_a_process_that_writes_without_ranking_brings_the_kept_typed_part_up_to_date_as_it_closes(farms, whole_reads):
    _, before, _ = _session(farms, whole_reads)
    store = OxigraphStore(farms)  # as `reformkg accept` or an update through a server nobody asked for a ranking
    store.update(f"INSERT DATA {{ {NEW_AGENCY} }}")
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ ?r <{PROV}wasAssociatedWith> ?a }} }}")
    store.close()
    reads, ranking, _ = _session(farms, whole_reads)
    assert reads == [] and "urn:t:new" in {row["iri"] for row in ranking["agencies"]}
    assert ranking["projection"]["edges"] < before["projection"]["edges"]  # the owners deleted


def test_a_store_whose_rdflib_dataset_was_made_records_no_state(farms, whole_reads):
    """An rdflib dataset over the store writes past it (the generation does not move): the close records no state,
    so the next open trusts nothing kept."""
    import rdflib

    _session(farms, whole_reads)
    store = OxigraphStore(farms)
    store.rdflib.add((rdflib.URIRef("urn:t:new"), rdflib.RDF.type, rdflib.URIRef(f"{RKO}Agency")))
    store.close()
    assert not (farms / STATE_FILE).exists()
    reads, _, opened = _session(farms, whole_reads)
    assert reads == [0] and opened is None


def test_a_kept_file_whose_parts_are_of_the_wrong_shape_is_refused_without_an_error():
    """Whatever the two JSON lines and the index array hold, reading the file gives the typed part or None: an odd
    number of indices, nodes or kinds that are not lists of strings, a count that is no whole number, a node twice."""
    import json

    store = OxigraphStore()
    store.oxigraph.load(NEW_AGENCY.encode(), format=ox.RdfFormat.TURTLE)
    good = analytics._typed_bytes("s", _read_whole(store))
    head_line, body_line, indices = good.split(b"\n", 2)
    head, body = json.loads(head_line), json.loads(body_line)
    assert analytics._typed_from(good, "s") is not None

    def made(head_change: dict, body_change: dict, tail: bytes = indices) -> bytes:
        return b"%s\n%s\n%s" % (
            json.dumps({**head, **head_change}).encode(),
            json.dumps({**body, **body_change}).encode(),
            tail,
        )

    wrong = [
        made({"edges": len(indices) / 8 + 0.5}, {}, indices + indices[:4]),  # an odd number of indices
        made({"edges": None}, {}),
        made({}, {"nodes": None}),
        made({}, {"nodes": 3}),
        made({}, {"nodes": "ab"}),
        made({}, {"nodes": {"a": 1}}),
        made({}, {"kinds": [["agency"]] * len(body["kinds"])}),
        made({}, {"kinds": [None] * len(body["kinds"])}),
        made({}, {"nodes": [body["nodes"][0]] * len(body["nodes"])}),  # a node twice
        made({}, {"info": []}),
    ]
    for data in wrong:
        assert analytics._typed_from(data, "s") is None
