"""The store as a typed networkx graph: entities are nodes, IRI-to-IRI statements are edges.

Three SPARQL SELECTs build it, so it works on every backend: the edges (``projection-edges.rq``), each node's class
and zh/en labels (``projection-nodes.rq``) and labels made for what has none (``projection-display-labels.rq``). The
graph is built from the engine's CSV (``table``), never from rdflib terms (on 1.6M triples that is the difference
between 41 s and ~10 s) nor from a Python term per value. ``project(store)`` builds it once per state of the store
(its ``generation``) on a thread of its own and, inside ``stale_allowed()``, answers from the previous one while it
builds; ``kept`` does the same for other results (the agency ranking).

``LocalProjection`` is the part of the projection around some nodes, read by SPARQL bound to their IRIs: what needs
only a neighbourhood (the ego view, labels of a few entities) never waits for the whole.

Nodes are IRIs with ``cls`` (the most specific known class), ``kind`` (the class family views colour by),
``label_zh`` and ``label_en``. Edges carry ``predicate`` (an IRI) and ``label``; when two entities are linked by
several predicates, the edge keeps the first in sorted order and ``label`` joins all their labels.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import gc
import io
import itertools
import os
import re
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reformkg.graph import queries
from reformkg.graph.errors import ExecutorBusy
from reformkg.graph.namespaces import PREFIXES
from reformkg.graph.store import Store

if TYPE_CHECKING:
    import networkx as nx

RKO = PREFIXES["rko"]
ORG = PREFIXES["org"]
PROV = PREFIXES["prov"]
QB = PREFIXES["qb"]
SKOS = PREFIXES["skos"]
SCHEMA = PREFIXES["schema"]
DCTERMS = PREFIXES["dcterms"]
SDMX_DIMENSION = PREFIXES["sdmx-dimension"]
ENTITY_BASE = "https://w3id.org/reformkg/id/"

#: Class IRI -> kind, most specific classes first: a node with several types takes the first one listed here.
CLASS_KINDS: dict[str, str] = {
    f"{RKO}ReformPilot": "reform",
    f"{RKO}ReformInitiative": "reform",
    f"{RKO}LeadingGroup": "agency",
    f"{RKO}Agency": "agency",
    f"{RKO}StateForestFarm": "organisation",
    f"{RKO}Enterprise": "organisation",
    f"{ORG}FormalOrganization": "organisation",
    f"{ORG}Organization": "organisation",
    f"{RKO}NextStep": "measure",
    f"{RKO}Model": "measure",
    f"{RKO}PolicyArea": "measure",
    f"{RKO}Measure": "measure",
    f"{RKO}ForestFarmSite": "place",
    f"{RKO}Village": "place",
    f"{RKO}Town": "place",
    f"{RKO}County": "place",
    f"{RKO}District": "place",
    f"{RKO}City": "place",
    f"{RKO}Province": "place",
    f"{RKO}AdministrativeArea": "place",
    f"{SCHEMA}AdministrativeArea": "place",
    f"{SCHEMA}Place": "place",
    f"{QB}Observation": "observation",
    f"{RKO}StatusRecord": "status",
    f"{RKO}PolicyDocument": "document",
    f"{RKO}Indicator": "indicator",
    f"{PROV}Association": "ownership",
    f"{RKO}DataQualityNote": "note",
    f"{RKO}SourceSentence": "source",
    f"{RKO}NewsletterItem": "source",
    f"{RKO}NewsletterIssue": "source",
    f"{SCHEMA}Periodical": "source",
    f"{QB}DataSet": "dataset",
    f"{SCHEMA}Dataset": "dataset",
    f"{RKO}ReformStage": "concept",
    f"{RKO}Unit": "concept",
    f"{RKO}ValueKind": "concept",
    f"{RKO}ValueQualifier": "concept",
    f"{RKO}OwnerRole": "concept",
    f"{SKOS}Concept": "concept",
    f"{SKOS}ConceptScheme": "concept",
}
_CLASS_RANK = {c: i for i, c in enumerate(CLASS_KINDS)}
#: Predicates whose object (or, for containedInPlace, whose subject too) is a place even when it has no type.
PLACE_OBJECT_PREDICATES = (
    f"{DCTERMS}spatial",
    f"{SDMX_DIMENSION}refArea",
    f"{SCHEMA}containedInPlace",
    f"{SCHEMA}legislationJurisdiction",
)
#: The kinds of the typed projection agencies are ranked on.
TYPED_KINDS = frozenset({"agency", "reform", "measure", "place"})


class EdgeData(dict):
    """The attributes of a projection's edges (``predicate``, ``label``): one read-only object for all the edges that
    have the same ones. networkx makes a dictionary per edge: 1.1M of them at 50,000 farms, scattered over the heap,
    and each full pass of the garbage collector visited every one. Shared, they are as many as the pairs of predicate
    and label. ``dict(data)`` gives a copy that can be changed."""

    __slots__ = ()

    def _read_only(self, *_args, **_kwargs):
        raise TypeError("a projection's edge attributes are shared by many edges and read-only: change a copy")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only


@functools.cache
def graph_classes() -> tuple[type[nx.DiGraph], type[nx.Graph]]:
    """The networkx classes a projection is made of: a ``DiGraph`` and the ``Graph`` of its undirected view, whose
    views (``nodes``, ``edges``, ``degree``, ``succ`` …) are made at each use instead of kept on the graph. networkx
    keeps each view on the graph it views (``functools.cached_property``), and the view refers back to the graph:
    every graph was a reference cycle, which only a full pass of Python's garbage collector frees. With these, a
    projection refers to itself nowhere, so the last reference to it going frees it, even once frozen out of the
    collector's reach (``long_lived``). Made at the first call: networkx is imported only when a projection is."""
    import networkx as nx

    def uncached(cls: type) -> dict[str, property]:
        views: dict[str, property] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, functools.cached_property):
                    views[name] = property(attr.func, doc=attr.__doc__)
        return views

    undirected = type("ProjectedUndirectedGraph", (nx.Graph,), {"__module__": __name__, **uncached(nx.Graph)})
    directed = type(
        "ProjectedGraph",
        (nx.DiGraph,),
        {"__module__": __name__, "to_undirected_class": lambda _self: undirected, **uncached(nx.DiGraph)},
    )
    return directed, undirected


#: The collector's threshold for a full pass while a projection is made (Python's is 10 passes of the middle
#: generation): so high that none runs until it is made.
FULL_PASSES_HELD = 1 << 30
_held = threading.Lock()
_holding: dict[str, Any] = {"count": 0, "thresholds": None}


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Hold the garbage collector's full passes while the block makes objects that will live long (a projection),
    then collect once and freeze what is alive (``gc.freeze``); concurrent blocks hold them until the last one ends.

    A full pass walks every object the collector tracks while it holds Python's interpreter lock, and every thread
    (the server's event loop among them) waits meanwhile. A projection's adjacency is a dictionary per node, so at
    50,000 farms a build ran several passes of seconds each, walking the new projection so far and the previous one
    (which answers meanwhile). Held, the build runs none; the young generations are still collected as usual. Once
    it is made, one full pass collects what became garbage meanwhile, and the freeze puts everything then alive out
    of the collector's reach, so the passes that follow walk neither projection. A frozen object is still freed when
    its last reference goes, and a projection has no reference cycle (``graph_classes``): a projection replaced or
    dropped is freed as before. Only a cycle of objects alive at the freeze that becomes garbage later stays until
    the process ends (a request in flight at that instant may leave one)."""
    with _held:
        if _holding["count"] == 0:
            _holding["thresholds"] = gc.get_threshold()
            young, middle, _full = _holding["thresholds"]
            gc.set_threshold(young, middle, FULL_PASSES_HELD)
        _holding["count"] += 1
    try:
        yield
    finally:
        with _held:
            _holding["count"] -= 1
            last = _holding["count"] == 0
            if last:
                gc.set_threshold(*_holding["thresholds"])
        if last:
            gc.collect()
            gc.freeze()


def _track_late(steps: Iterable[None]) -> None:
    """Run ``steps``, each of which makes the collector track some objects that will live long. While its full passes
    are held (``long_lived``): one full pass first, over what is not frozen (the new objects, not yet tracked, cost it
    nothing), then a young pass after each step, over what that step made tracked (the objects are then in the oldest
    generation, which no pass walks while full passes are held), then a freeze (``gc.freeze``). So no pass ever walks
    them all at once: one full pass over the tables of a projection at 50,000 farms held the interpreter lock for
    0.7 to 1.5 s. An object that reached the oldest generation after the first of these passes and became garbage
    before the freeze is frozen with the rest (as is any cycle alive at the freeze that becomes garbage later:
    ``long_lived``). Outside ``long_lived``, only the steps run."""
    with _held:
        held = _holding["count"] > 0
    if not held:
        for _ in steps:
            pass
        return
    gc.collect()
    for _ in steps:
        gc.collect(1)
    gc.freeze()


@dataclass
class Projection:
    """A projected graph and what it was built from."""

    graph: nx.DiGraph
    predicate_labels: dict[str, str] = field(default_factory=dict)
    generation: int = 0
    seconds: float = 0.0
    #: what views and analytics derive from the same state of the store (the owners' roles …), dropped with it
    derived: dict = field(default_factory=dict, repr=False)
    _undirected: nx.Graph | None = field(default=None, repr=False)
    _typed: nx.DiGraph | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def node_data(self, node: str) -> dict:
        """A node's attributes (``cls``, ``kind``, ``label_zh``, ``label_en``); empty when not in the projection."""
        return self.graph.nodes.get(node, {})

    def label(self, node: str, lang: str = "en") -> str:
        """A node's label in a language, else in the other, else the IRI's last segment."""
        data = self.node_data(node)
        other = "zh" if lang == "en" else "en"
        return data.get(f"label_{lang}") or data.get(f"label_{other}") or local_name(node)

    def derive(self, key: str, make):
        """``make()``, computed once per projection (so once per state of the store) and kept under ``key``."""
        with self._lock:
            if key in self.derived:
                return self.derived[key]
        value = make()
        with self._lock:
            return self.derived.setdefault(key, value)

    def has_derived(self, key: str) -> bool:
        """Whether ``derive`` has made ``key`` on this projection."""
        with self._lock:
            return key in self.derived

    def predicate_label(self, predicate: str) -> str:
        return self.predicate_labels.get(predicate) or humanise(local_name(predicate))

    @property
    def undirected(self) -> nx.Graph:
        """The graph without edge direction (a read-only view), for neighbourhoods and paths."""
        with self._lock:
            if self._undirected is None:
                self._undirected = self.graph.to_undirected(as_view=True)
            return self._undirected

    def stale_for(self, store: Store) -> dict | None:
        """None when this is the projection of the store as it is; else what a page or an answer says about it:
        ``{"generation": N, "rebuilding": True}``, "as of generation N, rebuilding"."""
        if self.generation == store.generation:
            return None
        return stale_for(self.generation, store)

    def degree(self, node: str) -> int:
        """How many entities a node is linked to, either way (networkx's degree without direction)."""
        return self.undirected.degree(node)

    def knows(self, node: str) -> bool:
        """Whether the node is in the projection (linked to at least one other entity)."""
        return node in self.graph

    def expand(self, nodes: Iterable[str]) -> None:
        """Make sure every edge that touches ``nodes`` is in ``graph``: the whole projection holds them all."""

    def describe(self, nodes: Iterable[str]) -> None:
        """Make sure the degree, kind and labels of ``nodes`` are known: the whole projection knows them all."""

    @property
    def typed(self) -> nx.DiGraph:
        """The agency-reform-measure-place projection: only nodes of those kinds, and the edges among them."""
        with self._lock:
            if self._typed is None:
                with long_lived():
                    self._typed = typed_part(self.graph)
            return self._typed

    def dismantle(self) -> None:
        """Free this projection's graphs a part at a time (``DISMANTLE_PART`` entries per step), leaving them empty: for
        a projection that nothing will read again. Dropped whole, a projection of 50,000 farms is freed in one go:
        millions of objects, while the interpreter lock is held and every request waits (and a graph of networkx's own
        classes keeps views of itself that refer back to it, so it is a reference cycle that only a full pass of the
        garbage collector frees; ``graph_classes`` keeps none, and the views of any other graph are dropped here).
        Emptied step by step, each step frees a few thousand entries and the lock is let go between steps."""
        with self._lock:
            graphs = [g for g in (self._typed, self._undirected, self.graph) if g is not None]
            self._typed = self._undirected = None
            self.derived.clear()
        for g in graphs:
            for key in [key for key, value in vars(g).items() if getattr(value, "_graph", None) is g]:
                del vars(g)[key]  # the views that refer back to the graph
        for g in graphs:
            tables = [vars(g).get(name) for name in ("_succ", "_pred", "_adj", "_node")]
            for table in {id(d): d for d in tables if isinstance(d, dict)}.values():
                _empty(table)


#: How many entries of a projection's tables one step of ``Projection.dismantle`` frees.
DISMANTLE_PART = 1 << 12


def _empty(table: dict) -> None:
    """Delete a dict's entries ``DISMANTLE_PART`` at a time."""
    while table:
        for key in list(itertools.islice(table, DISMANTLE_PART)):
            del table[key]


class LocalProjection(Projection):
    """Part of the projection, read by SPARQL as a caller needs it: ``expand`` adds the edges around some nodes (with
    the class, kind and labels of every node they reach), ``describe`` reads the degree that nodes have in the whole
    projection. For the nodes it has expanded it holds what the whole projection holds, so what is drawn from it is
    what would be drawn from the whole; it costs a few queries bound to the IRIs at hand, never a pass over the store.
    Queries bind at most ``BATCH`` IRIs at a time."""

    BATCH = 2000

    def __init__(self, store: Store):
        super().__init__(graph_classes()[0](), generation=store.generation)
        self.store = store
        self._expanded: set[str] = set()
        self._degrees: dict[str, int] = {}
        self._info: dict[str, tuple[str | None, bool, str, str]] = {}

    def _rows(self, name: str, var: str, iris: list[str]) -> list[dict]:
        rows: list[dict] = []
        for start in range(0, len(iris), self.BATCH):
            rows += queries.run(self.store, name, **{var: iris[start : start + self.BATCH]}).rows()
        return rows

    def expand(self, nodes: Iterable[str]) -> None:
        todo = [n for n in dict.fromkeys(nodes) if n not in self._expanded]
        if not todo:
            return
        self._expanded.update(todo)
        rows = self._rows("projection-around", "n", todo) + self._rows("projection-record-parts", "n", todo)
        by_pair = edge_predicates(rows)
        fresh = {p for preds in by_pair.values() for p in preds if p not in self.predicate_labels}
        if fresh:
            labels = read_node_info(self._rows("projection-node-info", "s", sorted(fresh)))[2]
            for p in fresh:
                self.predicate_labels[p] = labels.get(p) or humanise(local_name(p))
        for (s, o), preds in by_pair.items():
            if not self.graph.has_edge(s, o):
                label = " / ".join(self.predicate_labels[p] for p in preds)
                self.graph.add_edge(s, o, predicate=preds[0], label=label)
        self._classify([n for n in self.graph if n not in self._info])
        for node, data in self.graph.nodes(data=True):
            if "kind" not in data:
                describe_node(data, *self._info[node])

    def _classify(self, nodes: list[str]) -> None:
        """Read the class, place-ness and labels of nodes (the same rows the whole projection reads, bound)."""
        if not nodes:
            return
        info = self._rows("projection-node-info", "s", nodes)
        types, zh, en = read_node_info(info)
        untyped = [n for n in nodes if n not in types]
        places = {row["n"] for row in self._rows("projection-untyped-places", "n", untyped)} if untyped else set()
        # a label made from a record's parts fills in a language with no label of its own: asked for those only
        recorded = {row["s"] for row in info if row["key"] == "type" and row["value"] in DISPLAY_LABEL_CLASSES}
        unlabelled = [n for n in nodes if n in recorded and (n not in zh or n not in en)]
        if unlabelled:
            for lang, made in display_labels(self._rows("projection-display-labels", "entity", unlabelled)).items():
                own = zh if lang == "zh" else en
                for node, label in made.items():
                    own.setdefault(node, label)
        for n in nodes:
            self._info[n] = (types.get(n), n in places, zh.get(n, ""), en.get(n, ""))

    def describe(self, nodes: Iterable[str]) -> None:
        todo = [n for n in dict.fromkeys(nodes) if n not in self._degrees]
        if not todo:
            return
        for row in self._rows("projection-degrees", "n", todo):
            self._degrees[row["n"]] = int(row["degree"]) + int(row["loop"])
        for n in todo:
            self._degrees.setdefault(n, 0)
        self._classify([n for n in todo if n not in self._info])
        for n in todo:
            if n in self.graph and "kind" not in self.graph.nodes[n]:
                describe_node(self.graph.nodes[n], *self._info[n])

    def attributes(self, nodes: Iterable[str]) -> dict[str, dict]:
        """The class, kind and labels of nodes, as the whole projection has them for the nodes it holds (``cls``,
        ``kind``, ``label_zh``, ``label_en``), without reading their degrees."""
        nodes = list(dict.fromkeys(nodes))
        self._classify([n for n in nodes if n not in self._info])
        found: dict[str, dict] = {}
        for n in nodes:
            describe_node(found.setdefault(n, {}), *self._info[n])
        return found

    def degree(self, node: str) -> int:
        self.describe([node])
        return self._degrees[node]

    def knows(self, node: str) -> bool:
        return self.degree(node) > 0

    def node_data(self, node: str) -> dict:
        if node in self.graph:
            return self.graph.nodes[node]
        if not self.knows(node):
            return {}
        data: dict = {}
        describe_node(data, *self._info[node])
        return data


def stale_for(generation: int, store: Store, what: str = "projection") -> dict | None:
    """None when ``generation`` is the store's; else ``{"generation": N, "rebuilding": …}`` for an answer made from
    that earlier state ("as of generation N, rebuilding")."""
    if generation == store.generation:
        return None
    return {"generation": generation, "rebuilding": building(store, what)}


def stale_note(stale: dict, lang: str = "en") -> str:
    """What a page says about an answer from an earlier projection (``Projection.stale_for``)."""
    generation, rebuilding = stale["generation"], stale["rebuilding"]
    if lang == "zh":
        return f"截至第 {generation} 代数据" + ("，正在重建" if rebuilding else "")
    return f"as of generation {generation}" + (", rebuilding" if rebuilding else "")


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


def humanise(name: str) -> str:
    """``subOrganizationOf`` -> ``sub organization of``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("-", " ").lower()


def build_projection(store: Store) -> Projection:
    """Project the whole store into a typed DiGraph (three SPARQL queries; no caching).

    The edges' answer is read row by row straight into networkx's tables (as ``add_edge`` puts them: a node's
    attributes, its successors and predecessors, made as it first appears; one edge per ordered pair, named by the
    first of its predicates in order, as ``edge_predicates`` makes them), each IRI held once. Each edge first holds a
    string, the key of its predicates (the collector does not track a dictionary of strings), then the one EdgeData
    of that key's predicate and label (``_attach_edge_data``)."""
    started = time.perf_counter()
    generation = store.generation
    graph = _new_graph()
    nodes, succ, pred = graph._node, graph._succ, graph._pred

    interned: dict[str, str] = {}
    intern = interned.setdefault
    types, zh, en = read_node_info(records(store.query(queries.text("projection-nodes"))), intern)
    display = table(store.query(queries.text("projection-display-labels")))
    kept: dict[str, str | None] = {}  # each predicate read: itself (interned), or None when no edge is made of it
    several: dict[tuple[str, str], list[str]] = {}  # the pairs linked by more than one predicate: those predicates
    untyped_places: set[str] = set()
    for s, p, o in iri_links(store.query(numbered(queries.text("projection-edges")))):
        if p not in kept:
            name = predicate_named(p)
            kept[p] = None if name.startswith(SKIPPED_PREDICATE_PREFIXES) else intern(name, name)
        p = kept[p]
        if p is None:
            continue
        s, o = intern(s, s), intern(o, o)
        for n in (s, o):
            if n not in nodes:
                nodes[n], succ[n], pred[n] = {}, {}, {}
        first = succ[s].get(o)
        if first is None:
            succ[s][o] = pred[o][s] = p
        elif first != p:
            preds = several.setdefault((s, o), [first])
            if p not in preds:
                preds.append(p)
        if p in PLACE_OBJECT_PREDICATES:
            untyped_places.add(o)
            if p == f"{SCHEMA}containedInPlace":
                untyped_places.add(s)
    predicate_labels = {p: en.get(p) or humanise(local_name(p)) for p in kept.values() if p is not None}
    keys = {p: p for p in predicate_labels}  # what an edge holds until its data is put in: its predicates, NUL-joined
    for (s, o), preds in several.items():
        preds.sort()
        key = "\0".join(preds)  # (an IRI holds no NUL)
        key = keys.setdefault(key, key)
        succ[s][o] = pred[o][s] = key
    del several

    by_label: dict[tuple[str, str], EdgeData] = {}
    shared: dict[str, EdgeData] = {}
    for key in keys:
        preds = key.split("\0")
        label = " / ".join(predicate_labels[p] for p in preds)
        shared[key] = by_label.get((preds[0], label)) or by_label.setdefault(
            (preds[0], label), EdgeData(predicate=preds[0], label=label)
        )

    for lang, made in display_labels(display).items():
        own = zh if lang == "zh" else en
        for node, label in made.items():
            own.setdefault(node, label)
    del display

    for node, data in graph.nodes(data=True):
        describe_node(data, types.get(node), node in untyped_places, zh.get(node, ""), en.get(node, ""))
    _attach_edge_data((succ, pred), shared)
    return Projection(graph, predicate_labels, generation=generation, seconds=time.perf_counter() - started)


def _new_graph() -> nx.DiGraph:
    """An empty graph of a projection's class whose tables (nodes, successors, predecessors), which will hold every
    node, are put out of the collector's reach (``_track_late``). The collector does not track an empty dictionary
    (nor one holding no container: a full pass stops tracking it), so a freeze would leave it out: each table holds
    one empty dictionary until frozen."""
    graph = graph_classes()[0]()
    tables = (graph._node, graph._succ, graph._pred)
    for own in tables:
        own[""] = {}
    _track_late(())
    for own in tables:
        del own[""]
    return graph


def typed_part(graph: nx.DiGraph) -> nx.DiGraph:
    """The graph of the nodes of ``TYPED_KINDS`` and the edges among them: ``graph.subgraph(those).copy()`` (the same
    nodes, neighbours and attributes in the same order), but each edge holds the same edge data as in ``graph``
    (networkx's copy makes a dictionary per edge), and its tables are put out of the collector's reach as they are
    made (``_track_late``), as a projection's are."""
    typed = _new_graph()
    nodes, succ, pred = typed._node, typed._succ, typed._pred
    keep = {n: None for n, kind in graph.nodes(data="kind") if kind in TYPED_KINDS}
    for n in keep:
        nodes[n], succ[n], pred[n] = dict(graph._node[n]), {}, {}

    def steps() -> Iterator[None]:
        sources = iter(keep)
        while part := list(itertools.islice(sources, ATTACH_PART)):
            for u in part:
                out = succ[u]
                for v, data in graph._succ[u].items():
                    if v in keep:
                        out[v] = pred[v][u] = data
            yield

    _track_late(steps())
    return typed


#: How many nodes' successors (or predecessors) one step of ``_attach_edge_data`` (or ``typed_part``) gives their edge
#: data.
ATTACH_PART = 1 << 13


def _attach_edge_data(tables: tuple[dict, ...], shared: dict[str, EdgeData]) -> None:
    """Put in each entry of the adjacency ``tables`` (node -> neighbour -> the key of its edge's data) the edge data
    of that key, ``ATTACH_PART`` nodes a step. A dictionary holding only strings is not tracked by the collector; one
    holding an EdgeData is, from then on. So the tables are tracked only from here, and while the collector's full
    passes are held (``long_lived``) they are put out of its reach as they are (``_track_late``)."""

    def steps() -> Iterator[None]:
        for adjacency in tables:
            rows = iter(adjacency.values())
            while part := list(itertools.islice(rows, ATTACH_PART)):
                for row in part:
                    for neighbour, key in row.items():
                        row[neighbour] = shared[key]
                yield

    _track_late(steps())


#: Predicates no edge is made of, by namespace (shape and OWL axioms), beside those ``projection-edges`` leaves out.
SKIPPED_PREDICATE_PREFIXES = ("http://www.w3.org/ns/shacl#", "http://www.w3.org/2002/07/owl#")

_RKO = "https://w3id.org/reformkg/ontology#"
#: The predicates that the projection's edges query (``projection-edges``) has the engine write as a number, their
#: index here, instead of as an IRI: the on-disk engine looks up the text of each IRI it writes (3 to 5 microseconds
#: each), and the predicate of a link is written again on every row (1.1 million rows at 50,000 farms). These are the
#: ontology's properties and the others its data link entities with; a predicate not listed is written as an IRI
#: (``numbered``), so the list changes only how fast, not what, the projection reads. None is in a skipped namespace
#: (a number always names a predicate edges are made of).
NUMBERED_PREDICATES: tuple[str, ...] = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2000/01/rdf-schema#comment",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/ns/prov#wasAssociatedWith",
    "http://www.w3.org/ns/prov#wasDerivedFrom",
    "http://www.w3.org/ns/prov#qualifiedAssociation",
    "http://www.w3.org/ns/prov#agent",
    "http://www.w3.org/ns/prov#hadRole",
    "http://purl.org/dc/terms/spatial",
    "http://purl.org/dc/terms/isPartOf",
    "http://purl.org/dc/terms/hasPart",
    "http://purl.org/dc/terms/source",
    "http://www.w3.org/ns/org#subOrganizationOf",
    "http://www.w3.org/ns/org#hasSubOrganization",
    "http://www.w3.org/ns/org#hasSite",
    "http://www.w3.org/ns/org#siteOf",
    "https://schema.org/containedInPlace",
    "https://schema.org/legislationJurisdiction",
    "http://purl.org/linked-data/sdmx/2009/dimension#refArea",
    "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure",
    "http://purl.org/linked-data/cube#dataSet",
    *(
        _RKO + name
        for name in (
            *("about", "assessedBy", "attributedTo", "breakdown", "hasMeasure", "hasOutcome", "hasPolicyDocument"),
            *("indicator", "ledBy", "measure", "outcomeOf", "participant", "reportedIn", "reports", "stage"),
            *("statusOf", "valueKind", "valueQualifier"),
        )
    ),
)
#: Where ``projection-edges`` has the numbers of ``NUMBERED_PREDICATES`` put (``numbered``). Left as it is, the mark
#: is a comment: ?k is then never bound and every predicate is written as an IRI.
NUMBERED_MARK = "#{numbered predicates}"


def numbered(sparql: str) -> str:
    """A query reading links (``NUMBERED_MARK`` in its pattern, after ``?p`` is bound, and ``COALESCE(?k, ?p)`` in
    what it selects) with ?k bound to each listed predicate's number: ``OPTIONAL { VALUES (?p ?k) { … } }``. Comparing
    ?p with a listed IRI costs the engine no look-up of its text. ``projection-edges`` and the agency ranking's
    ``projection-class-links`` have the mark. (At 50,000 farms the reforms' links alone, 300,000 rows, took the engine
    6.0 to 8.2 s of CPU written as IRIs and 3.9 to 5.4 s numbered, four runs each. The places' links are not
    numbered: their nested OPTIONAL took more than the look-ups it saved, 5.0 to 5.5 s against 3.6 to 4.1 s.)"""
    pairs = " ".join(f"(<{iri}> {n})" for n, iri in enumerate(NUMBERED_PREDICATES))
    return sparql.replace(NUMBERED_MARK, f"OPTIONAL {{ VALUES (?p ?k) {{ {pairs} }} }}")


def predicate_named(cell: str) -> str:
    """The predicate a cell of ``?q`` names: a number's ``NUMBERED_PREDICATES`` entry, else the IRI the cell holds
    (written ``<…>`` in TSV, bare in CSV)."""
    if cell.isdigit():
        return NUMBERED_PREDICATES[int(cell)]
    return cell[1:-1] if cell[:1] == "<" else cell


def iri_links(result) -> Iterator[tuple[str, str, str]]:
    """The rows ``(s, q, o)`` of a query reading links (``projection-edges``) whose subject and object are IRIs, the
    IRIs without their brackets, the predicate as its cell (``predicate_named``): read as TSV, where an IRI is written
    ``<…>`` and a literal or blank node otherwise, so that the query needs no isIRI filter (the on-disk engine looks up
    the text of every term such a filter tests: at 50,000 farms the query with the filter took 15.8 s and 17.9 s of its
    CPU, 12.8 s and 12.5 s without, the predicates numbered in both). TSV escapes a tab or
    line break in a literal, so each line is a row of three cells. Read as ``records`` reads, a few kilobytes at a
    time."""
    answer = io.TextIOWrapper(io.BufferedReader(result.pieces("tsv"), READ_BUFFER), encoding="utf-8", newline="\n")
    header = next(answer, "").rstrip("\n")
    if header.split("\t") != ["?s", "?q", "?o"]:
        raise ValueError(f"a links query's answer starts {header!r}, not ?s ?q ?o")
    for line in answer:
        s, q, o = line.rstrip("\n").split("\t")
        if s[:1] == "<" and o[:1] == "<":
            yield s[1:-1], q, o[1:-1]


#: How many bytes of an answer ``records`` reads at a time.
READ_BUFFER = 1 << 16


def table(result) -> list[dict[str, str]]:
    """A SELECT's rows as dicts of strings, unbound as "" (``records``, kept in a list)."""
    return list(records(result))


def records(result, columns: tuple[str, ...] | None = None) -> Iterator:
    """A SELECT's rows, one at a time, as dicts of strings, unbound as "", or, given ``columns``, as lists of those
    columns' values in that order: written by the engine as CSV and read by Python's csv module, 2-4 times faster on a
    large answer than ``QueryResult.rows()``, which makes a Python term per value. The answer is decoded as the reader
    goes, a few kilobytes at a time, from the pieces the engine wrote it in (``Pieces``): decoded whole, then copied
    into a ``StringIO``, a large answer held the interpreter lock for two long stretches while the server's requests
    waited. Read row by row, a large answer is never held as a million dictionaries."""
    answer = io.BufferedReader(result.pieces("csv"), READ_BUFFER)
    reader = csv.reader(io.TextIOWrapper(answer, encoding="utf-8", newline=""))
    header = next(reader, [])
    if columns is None:
        return (dict(zip(header, row, strict=True)) for row in reader)
    if tuple(header) == columns:
        return reader
    at = [header.index(c) for c in columns]
    return ([row[i] for i in at] for row in reader)


def read_node_info(rows: Iterable[dict], intern=None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The rows of ``projection-nodes`` as (most specific class, zh label, en label) by IRI: the first zh label, the
    first en or plain one."""
    intern = intern or {}.setdefault
    types: dict[str, str] = {}
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for row in rows:
        s, key, value = intern(row["s"], row["s"]), row["key"], row["value"]
        if key == "type":
            best = types.get(s)
            if best is None or class_rank(value) < class_rank(best):
                types[s] = intern(value, value)
        elif key == "zh":
            zh.setdefault(s, value)
        elif value is not None:
            # @en beats a plain literal: keep the first @en, else the first plain one.
            en.setdefault(s, value)
    return types, zh, en


def edge_predicates(rows: list[dict], intern=None) -> dict[tuple[str, str], list[str]]:
    """The rows of ``projection-edges`` (s, p, o) as (s, o) -> the predicates linking them, sorted: the projection
    keeps one edge per ordered pair, named by the first."""
    intern = intern or {}.setdefault
    by_pair: dict[tuple[str, str], list[str]] = {}
    skipped: dict[str, bool] = {}
    for row in rows:
        s, p, o = row["s"], intern(row["p"], row["p"]), row["o"]
        if skipped.setdefault(p, p.startswith(SKIPPED_PREDICATE_PREFIXES)):
            continue
        preds = by_pair.get((s, o))
        if preds is None:
            by_pair[(s, o)] = [p]
        elif p not in preds:
            preds.append(p)
    for preds in by_pair.values():
        preds.sort()
    return by_pair


def describe_node(data: dict, cls: str | None, untyped_place: bool, zh: str, en: str) -> None:
    """Set a node's ``cls``, ``kind`` and labels: the kind of its most specific class; a place when it has no type
    but a place link points at it."""
    data["cls"] = cls or ""
    data["kind"] = CLASS_KINDS.get(cls, "other") if cls else ("place" if untyped_place else "other")
    data["label_zh"] = zh
    data["label_en"] = en


#: The classes ``projection-display-labels`` makes labels for (an entity of none of them gets none from it).
DISPLAY_LABEL_CLASSES = frozenset(
    {f"{RKO}StatusRecord", f"{QB}Observation", f"{PROV}Association", f"{RKO}SourceSentence", f"{RKO}DataQualityNote"}
)


def display_labels(rows: list[dict]) -> dict[str, dict[str, str]]:
    """Human labels, ``{"zh": {iri: label}, "en": {…}}``, for what has none of its own, from the rows of
    ``projection-display-labels``: a status record reads "通过验收 · 2017-08-01", an observation "指标 53977人", an
    ownership "牵头负责 · 机构", a sentence its quote, a data-quality note its comment."""
    made: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    # an ownership's row with its role first, the agent alone only when the role has no label in that language
    for row in sorted(rows, key=lambda row: row["kind"] == "ownership" and not row["head"]):
        head, tail, lang = row["head"], row["tail"], row["lang"]
        if row["kind"] == "observation":
            label = f"{head} {tail}" if lang == "zh" else f"{head}: {tail}"
        else:
            label = " · ".join(part for part in (head, tail) if part)
        if label:
            made[lang].setdefault(row["entity"], label)
    return made


def class_rank(cls: str) -> tuple[int, str]:
    return (_CLASS_RANK.get(cls, len(_CLASS_RANK)), cls)


class ProjectionBuilding(ExecutorBusy):
    """The whole projection is being built and there is no earlier one to answer from: try again shortly (503 with
    ``Retry-After``)."""


#: How long a request that may take an earlier projection (or ranking) waits for the first one before it is answered
#: 503 with Retry-After: as long as a query may run by default (REFORMKG_QUERY_TIMEOUT).
FIRST_WAIT = 10.0
_stale_ok: contextvars.ContextVar[bool] = contextvars.ContextVar("reformkg_projection_stale_ok", default=False)


@contextlib.contextmanager
def stale_allowed() -> Iterator[None]:
    """Within this block, ``project`` answers at once: with the projection of the store's generation when it is built,
    else with the latest one built (an earlier generation: ``Projection.stale_for`` says so) while the current one is
    built in the background, else (nothing built yet) it waits up to ``FIRST_WAIT`` seconds, then raises
    ``ProjectionBuilding``. The web layer serves the views and analytics that need the whole projection this way."""
    token = _stale_ok.set(True)
    try:
        yield
    finally:
        _stale_ok.reset(token)


#: The niceness of the threads that make projections and rankings: requests come first on the cores.
BACKGROUND_NICENESS = 10


def background_priority() -> None:
    """Run the calling thread at ``BACKGROUND_NICENESS`` (Linux sets the niceness of one thread by its id); where that
    is not allowed, at the normal priority."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


class _Builder:
    """One store's results of one kind (the projection, the ranking): the latest made, with the generation it was made
    for, and at most one making running, on its own thread. ``make(store)`` returns ``(generation, result)``."""

    def __init__(self, store: Store, make, what: str):
        self.store = weakref.ref(store)
        self.make = make
        self.what = what
        self.latest: tuple[int, Any] | None = None
        self.wanted = -1  # the newest generation a caller asked for
        self.running = False
        self.changed = threading.Condition()
        self.error: BaseException | None = None

    def want(self, generation: int) -> None:
        """Ask for the result of ``generation``: start the thread unless one runs (it will make it again)."""
        with self.changed:
            self.wanted = max(self.wanted, generation)
            if self.running:
                return
            self.running = True
            self.error = None
        threading.Thread(target=self._run, name=f"reformkg-{self.what}", daemon=True).start()

    def _run(self) -> None:
        background_priority()
        while True:
            store = self.store()
            if store is None:
                return
            try:
                generation, made = self.make(store)
            except Exception as error:  # handed to the callers waiting for it
                with self.changed:
                    self.error, self.running = error, False
                    self.changed.notify_all()
                return
            del store
            with self.changed:
                unused = made  # what this builder keeps no more: the result it replaces, else the one just made
                if self.latest is None or generation >= self.latest[0]:
                    unused = self.latest[1] if self.latest is not None else None
                    self.latest = (generation, made)
                self.changed.notify_all()
                done = generation >= self.wanted
                if done:
                    self.running = False
            del made
            # a projection no reader holds (none took it before, none can now) is freed a part at a time; one that a
            # reader holds is freed whole when the reader lets it go (it has no reference cycle: graph_classes)
            if isinstance(unused, Projection) and sys.getrefcount(unused) == 2:  # (this name, and the argument)
                unused.dismantle()
            del unused
            if done:
                return

    def offer(self, generation: int, result: Any) -> None:
        """Keep ``result``, made elsewhere for ``generation``, as the latest when it is newer than the latest."""
        with self.changed:
            if self.latest is None or generation > self.latest[0]:
                self.latest = (generation, result)
                self.changed.notify_all()

    def latest_made(self) -> tuple[int, Any] | None:
        """The latest result made, of whichever generation."""
        with self.changed:
            return self.latest

    def made(self, generation: int) -> tuple[int, Any] | None:
        """The latest result when it is of ``generation``, else None."""
        with self.changed:
            return self.latest if self.latest is not None and self.latest[0] == generation else None

    def get(self, generation: int, *, stale_ok: bool) -> tuple[int, Any]:
        if (made := self.made(generation)) is not None:
            return made
        self.want(generation)
        deadline = time.monotonic() + FIRST_WAIT if stale_ok else None
        with self.changed:
            while True:
                latest = self.latest
                if latest is not None and (latest[0] >= generation or stale_ok):
                    return latest
                if self.error is not None and not self.running:
                    raise self.error
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise ProjectionBuilding(f"the graph's {self.what} is being built; try again in a few seconds")
                del latest  # (a waiting caller holds no result: the one replaced meanwhile can be dismantled)
                self.changed.wait(remaining)


_builders: weakref.WeakKeyDictionary[Store, dict[str, _Builder]] = weakref.WeakKeyDictionary()
_builders_lock = threading.Lock()
#: What builds a projection: ``build_projection`` (a test may hold it on an Event).
_build = build_projection


def _builder(store: Store, what: str, make=None) -> _Builder | None:
    """The store's builder of ``what``; made when ``make`` is given and there is none yet."""
    with _builders_lock:
        mine = _builders.get(store)
        if mine is None:
            if make is None:
                return None
            mine = _builders[store] = {}
        if what not in mine and make is not None:
            mine[what] = _Builder(store, make, what)
        return mine.get(what)


def kept(store: Store, what: str, make) -> tuple[int, Any]:
    """``(generation, result)``: the result of ``make(store)`` (which returns ``(generation, result)``) for the store
    as it is now, made once per state of the store on a thread of its own. Concurrent callers wait for the one making;
    inside ``stale_allowed()`` a caller gets the latest made at once (an earlier generation, while the current one is
    made), or, when there is none, waits ``FIRST_WAIT`` seconds and gets ``ProjectionBuilding``."""
    return _builder(store, what, make).get(store.generation, stale_ok=_stale_ok.get())


def start_making(store: Store, what: str, make) -> None:
    """Start making ``make``'s result for the store as it is now (as ``kept`` would), unless it is made already or
    being made; return at once. The server starts its ranking this way when it starts (``warm_ranking``)."""
    builder = _builder(store, what, make)
    generation = store.generation
    if builder.made(generation) is None:
        builder.want(generation)


def _make_projection(store: Store) -> tuple[int, Projection]:
    with long_lived():
        built = _build(store)
    return built.generation, built


def project(store: Store) -> Projection:
    """The store's whole projection, built once per state of the store (``store.generation``) on a thread of its own.

    Callers never build it twice: concurrent callers wait for the one build. By default a caller gets the projection
    of the store as it is now, waiting for the build when there is none; inside ``stale_allowed()`` it gets the
    latest one built at once, and the build runs on in the background.
    """
    return kept(store, "projection", _make_projection)[1]


def drawn(store: Store, key: str, make) -> tuple[int, Any]:
    """``(generation, make(store, projection))`` for the store's projection (``project``), made once per projection
    (``Projection.derive``, under ``key``), with the generation of the projection it was made from. ``make`` is kept
    with the store's builder of ``key``, so it must not hold the store itself (it is handed it).

    Inside ``stale_allowed()``, when the projection at hand has none made yet and one made from an earlier projection
    is kept, that one comes at once while this projection's is made on a thread of its own (at a lower priority): a
    result that takes seconds to make from the whole projection (the overview at national scale) does not keep the
    first request after a rebuild waiting. With none kept (the first ever), it is made here, as outside
    ``stale_allowed()``."""
    proj = project(store)
    # (on the builder's thread no stale answer is allowed: there it waits for the projection of the store as it is)
    builder = _builder(store, key, lambda s: drawn(s, key, make))
    if _stale_ok.get() and not proj.has_derived(key):
        latest = builder.latest_made()
        if latest is not None and latest[0] < proj.generation:
            builder.want(store.generation)
            return latest
    value = proj.derive(key, lambda: make(store, proj))
    builder.offer(proj.generation, value)
    return proj.generation, value


def current(store: Store) -> Projection | None:
    """The projection of the store as it is now when it is already built, else None: never builds, never waits."""
    builder = _builder(store, "projection")
    made = builder.made(store.generation) if builder is not None else None
    return made[1] if made is not None else None


def building(store: Store, what: str = "projection") -> bool:
    """Whether the store's projection (or another result ``kept``) is being made."""
    builder = _builder(store, what)
    return builder is not None and builder.running


def forget(store: Store) -> None:
    """Let go of the store's projection and every other result kept for it (``Store.close`` calls it). A making still
    running finishes, and its result is not kept."""
    with _builders_lock:
        mine = _builders.pop(store, None)
    for builder in (mine or {}).values():
        with builder.changed:
            builder.latest = None


def clear_cache() -> None:
    """Forget every projection (and other result ``kept``) made; a making that runs still finishes."""
    with _builders_lock:
        for mine in list(_builders.values()):
            for builder in mine.values():
                with builder.changed:
                    builder.latest = None


def entity_url(iri: str) -> str:
    """The entity page of an IRI: ``/id/<rest>`` for reformkg's own IRIs, else ``/entity?iri=<encoded>``."""
    from urllib.parse import quote

    if iri.startswith(ENTITY_BASE):
        return "/id/" + iri[len(ENTITY_BASE) :]
    return "/entity?iri=" + quote(iri, safe="")
