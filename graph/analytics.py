"""Graph analytics over the projection: agency influence, ownership tracing, paths, co-ownership, components,
places, and exports for Gephi and spreadsheets. Everything reads the store through SPARQL, so every backend works.
"""

from __future__ import annotations

import array
import csv
import functools
import hashlib
import io
import itertools
import json
import logging
import os
import re
import sys
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from reformkg.graph import ownership, queries
from reformkg.graph.errors import InputError, NoPath, UnknownEntity
from reformkg.graph.projection import (
    CLASS_KINDS,
    SKIPPED_PREDICATE_PREFIXES,
    TYPED_KINDS,
    LocalProjection,
    Projection,
    background_priority,
    class_rank,
    current,
    entity_url,
    kept,
    local_name,
    numbered,
    predicate_named,
    project,
    stale_for,
    start_making,
)
from reformkg.graph.store import TYPED_PART_FILE, Store

log = logging.getLogger(__name__)

#: The classes whose members the ranking sorts into kinds: those of its kinds, and the organisation classes that
#: outrank measures and places (an entity of one of those is no measure or place).
RANKED_CLASSES = frozenset(k for k, kind in CLASS_KINDS.items() if kind in TYPED_KINDS or kind == "organisation")
#: Above this many nodes the typed projection is too big for exact betweenness within the ranking's time budget.
BETWEENNESS_MAX_NODES = 5000
#: Predicates a shortest path does not walk: provenance and vocabulary links join unrelated entities through a
#: shared sentence, unit or scheme, which says nothing about how the entities relate.
PATH_SKIP_PREDICATES = frozenset(
    {
        "http://www.w3.org/ns/prov#wasDerivedFrom",
        "https://w3id.org/reformkg/ontology#reportedIn",
        "http://www.w3.org/2004/02/skos/core#inScheme",
        "http://www.w3.org/2004/02/skos/core#topConceptOf",
        "http://www.w3.org/2004/02/skos/core#hasTopConcept",
        "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure",
        "https://w3id.org/reformkg/ontology#valueKind",
        "https://w3id.org/reformkg/ontology#valueQualifier",
        "https://w3id.org/reformkg/ontology#stage",
        "http://purl.org/linked-data/cube#dataSet",
        "http://purl.org/linked-data/cube#structure",
    }
)


def node_info(proj: Projection, iri: str) -> dict[str, Any]:
    """An entity as JSON: IRI, class, kind, zh and en labels, entity page."""
    return node_json(iri, proj.node_data(iri))


def english(node: dict[str, Any]) -> str:
    """A ``node_info``'s own English label: "" where ``label_en`` only repeats its Chinese one (``node_json`` gives
    the Chinese when there is no English)."""
    label = node.get("label_en") or ""
    return "" if label and label == node.get("label_zh") else label


def node_json(iri: str, data: dict) -> dict[str, Any]:
    """``node_info`` of a node's attributes (``cls``, ``kind``, ``label_zh``, ``label_en``)."""
    return {
        "iri": iri,
        "cls": data.get("cls", ""),
        "kind": data.get("kind", "other"),
        "label_zh": data.get("label_zh", ""),
        "label_en": data.get("label_en", "") or data.get("label_zh", "") or local_name(iri),
        "url": entity_url(iri),
    }


# -- agency influence ------------------------------------------------------------------------------------------------
def rank_agencies(store: Store, *, limit: int | None = None) -> dict[str, Any]:
    """Agencies ranked by PageRank on the agency-reform-measure-place projection, with degree and betweenness.

    PageRank follows the statements' direction (reform -> owner, agency -> parent agency), so influence flows to the
    agencies that own reforms and up the organisation tree. It runs on a sparse matrix built straight from the typed
    edges (networkx's own PageRank would first copy the typed subgraph and convert it, most of the time on a large
    graph). Betweenness is computed on the typed projection only, and only when it has at most
    ``BETWEENNESS_MAX_NODES`` nodes (else it is ``None`` and ``betweenness`` says why).

    The ranking never waits for the whole projection: from it when it is built for the store as it is now, else from
    a read of the typed part alone (``TypedGraph.read``). It is made once per state of the store, on a thread of its
    own (``projection.kept``): inside ``stale_allowed()`` (the web layer) a caller gets the previous state's ranking
    at once while the new one is made, marked ``"stale": {"generation": N, "rebuilding": true}``.
    """
    generation, ranking = kept(store, "ranking", _make_ranking)
    rows = ranking["agencies"][:limit] if limit else ranking["agencies"]
    stale = stale_for(generation, store, "ranking")
    return {**ranking, "agencies": [dict(row) for row in rows], **({"stale": stale} if stale else {})}


def warm_ranking(store: Store) -> None:
    """Start making the store's ranking on its own thread, as the first ``rank_agencies`` would, and return at once
    (nothing when it is made or being made). The server calls it once it has started (``REFORMKG_WARM_RANKING``), so
    the first visitor to the ranking does not wait for its read from nothing, which takes seconds on a large store.
    From then on, writes also say what they may touch (``_make_ranking``), so the next ranking is brought up to date."""
    start_making(store, "ranking", _make_ranking)


def _as_of(proj: Projection, store: Store) -> dict[str, Any]:
    """``{"stale": {"generation": N, "rebuilding": …}}`` when ``proj`` is an earlier state of the store than its
    current one (the web layer answers from it while the projection is rebuilt), else nothing."""
    stale = proj.stale_for(store)
    return {"stale": stale} if stale else {}


#: How many items one C-level call over a large list takes at a time (``_parts``, ``_positions``, ``_release``): a few
#: milliseconds' work.
PART = 1 << 13


def _parts(items: list) -> Iterator[list]:
    """``items`` in slices of ``PART``. A call such as ``set(…)`` or ``array.extend(…)`` over a whole list of hundreds
    of thousands holds Python's interpreter lock for a tenth of a second or more (the server's requests wait); over
    slices, it lets go between them."""
    for start in range(0, len(items), PART):
        yield items[start : start + PART]


def _positions(nodes: list[str]) -> dict[str, int]:
    """Each node's index in ``nodes``, made ``PART`` nodes at a time (see ``_parts``)."""
    index: dict[str, int] = {}
    for start in range(0, len(nodes), PART):
        part = nodes[start : start + PART]
        index.update(zip(part, range(start, start + len(part)), strict=True))
    return index


def _release(items: list) -> None:
    """Empty ``items`` from its end, ``PART`` at a time: a list of hundreds of thousands of tuples freed at once (when
    the last reference to it goes) holds the interpreter lock as long as one C-level pass over it (see ``_parts``)."""
    while items:
        del items[-PART:]


@dataclass
class TypedGraph:
    """The agency-reform-measure-place part of the projection: its nodes, their kinds, its edges (one per ordered
    pair, as in the projection) and, for the agencies (``info`` has exactly those keys), what ``node_info`` shows.

    The edges are held as node indices (``indexed``: flat, source, target, …), so that bringing the part up to date
    after a write (``patched``) and ranking it work on arrays: a node keeps its index from one state to the next
    unless a node before it is dropped. ``edges`` gives them as IRI pairs."""

    nodes: list[str]
    kinds: dict[str, str]
    info: dict[str, dict[str, Any]]
    indexed: array.array
    #: Each node's index in ``nodes``, once asked for (``index``).
    _index: dict[str, int] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_edges(
        cls, nodes: list[str], kinds: dict[str, str], edges: list[tuple[str, str]], info: dict[str, dict[str, Any]]
    ) -> TypedGraph:
        """From edges given as IRI pairs (each end one of ``nodes``)."""
        index = _positions(nodes)
        indexed = array.array(INDEX_TYPE)
        for part in _parts(edges):
            indexed.extend(map(index.__getitem__, itertools.chain.from_iterable(part)))
        return cls(nodes, kinds, info, indexed, index)

    @classmethod
    def of(cls, proj: Projection) -> TypedGraph:
        """From the whole projection."""
        kinds = {n: kind for n, kind in proj.graph.nodes(data="kind") if kind in TYPED_KINDS}
        edges = [(u, v) for u, v in proj.graph.edges() if u in kinds and v in kinds]
        info = {n: node_info(proj, n) for n, kind in kinds.items() if kind == "agency"}
        return cls.of_edges(list(kinds), kinds, edges, info)

    @property
    def index(self) -> dict[str, int]:
        """Each node's index in ``nodes`` (made once)."""
        if self._index is None:
            self._index = _positions(self.nodes)
        return self._index

    @property
    def edge_count(self) -> int:
        return len(self.indexed) // 2

    @property
    def edges(self) -> list[tuple[str, str]]:
        """The edges as IRI pairs, in their order (made at each call: for small graphs and tests)."""
        nodes, flat = self.nodes, self.indexed
        return list(zip(map(nodes.__getitem__, flat[0::2]), map(nodes.__getitem__, flat[1::2]), strict=True))

    @classmethod
    def read(cls, store: Store) -> TypedGraph:
        """From the store, reading only the typed part: the members of each class of those kinds (and of the
        organisation classes that outrank measures and places), the links out of them, and the places with no type
        with the links out of those (``projection-class-members``, ``projection-class-links``,
        ``projection-untyped-place-links``); an entity with no link of those kinds counts when it has some link in the
        projection, as in the projection.

        The engine's time goes to reading the text of terms (every IRI written out, and every term an isIRI or STR
        filter looks at) and to a seek per member for its links, so the queries filter on no term's text: answers come
        as TSV, where an IRI is written ``<…>``, and blank nodes, literals and SHACL or OWL predicates are left out
        here. The queries run ``READ_THREADS`` at a time (the engine runs them without Python's interpreter lock): the
        places' query first (with the reforms' links, the longest), then the members (needed first), then the links.
        Each answer is parsed on its thread, the agencies' labels are read while the links are still being read, and
        each links answer is joined as it comes."""
        classes = [k for k in CLASS_KINDS if k in RANKED_CLASSES]
        typed = [k for k in classes if CLASS_KINDS[k] in TYPED_KINDS]
        local = LocalProjection(store)
        with _Reader(store) as read:
            # one thread starts on the places' query, the other reads the members, then the reforms' links
            places = read.start("projection-untyped-place-links", _PLACE_LINE)
            members = [read.start("projection-class-members", _IRI_LINE, **{"class": k}) for k in classes]
            links = [read.start("projection-class-links", _LINK_LINE, **{"class": k}) for k in typed]

            best: dict[str, str] = {}
            for klass, job in zip(classes, members, strict=True):
                rank = class_rank(klass)
                for s in job.result():
                    if s not in best or rank < class_rank(best[s]):
                        best[s] = klass
            kinds = {s: CLASS_KINDS[klass] for s, klass in best.items() if CLASS_KINDS[klass] in TYPED_KINDS}
            del best
            # the agencies' labels, read while the engine reads the links (an agency that does not count is dropped)
            attributes = local.attributes(n for n, kind in kinds.items() if kind == "agency")

            # the places with no type: those linked from an IRI, else asked again (another link may come from one)
            untyped: dict[str, None] = {}
            unsure: dict[str, None] = {}
            place_links: list[tuple[str, str, str]] = []
            rows = _taken(places)
            for n, origin, p, o in rows:
                (untyped if origin[:1] == "<" else unsure)[n] = None
                if p[:1] == "<" and o[:1] == "<":
                    place_links.append((n, p, o[1:-1]))
            _release(rows)
            for batch in _batches(list(unsure)):
                found = {str(row["n"]) for row in queries.run(store, "projection-untyped-places", n=batch).rows()}
                untyped.update((n, None) for n in batch if n in found)
            for n in untyped:
                kinds.setdefault(n, "place")

            # each answer's links between entities of the part, as it comes: the reforms' while the engine seeks
            # the measures' (SHACL and OWL predicates left out, as projection.edge_predicates leaves them; a
            # predicate is its cell, a number or an IRI in brackets: projection.predicate_named)
            pairs: dict[tuple[str, str], None] = {}  # in the order read, each pair once
            skipped: dict[str, bool] = {}
            answers = [*links, [r for r in place_links if r[0] in untyped]]
            del links, place_links
            while answers:
                rows = _taken(answers.pop(0))
                for p in {p for _, p, _ in rows}:
                    if p not in skipped:
                        skipped[p] = predicate_named(p).startswith(SKIPPED_PREDICATE_PREFIXES)
                for part in _parts(rows):
                    pairs.update(
                        dict.fromkeys((s, o) for s, p, o in part if s in kinds and o in kinds and not skipped[p])
                    )
                _release(rows)
        edges: list[tuple[str, str]] = []
        keys = iter(pairs)
        while part := list(itertools.islice(keys, PART)):
            edges += part
        del keys, pairs
        linked: set[str] = set()
        for part in _parts(edges):
            linked.update(itertools.chain.from_iterable(part))
        local.describe(n for n in kinds if n not in linked)
        nodes = [n for n in kinds if n in linked or local.knows(n)]
        info = {n: node_json(n, attributes[n]) for n in nodes if kinds[n] == "agency"}
        # (the nodes are the entities of ``kinds`` that count, in its order: all of them when as many)
        typed = cls.of_edges(nodes, kinds if len(nodes) == len(kinds) else {n: kinds[n] for n in nodes}, edges, info)
        _release(edges)
        return typed

    def patched(self, store: Store, touched: set[str]) -> TypedGraph:
        """The typed part of the store as it is now, from this one (read at an earlier state) and the IRIs that the
        writes since named (``Store.touched_since``: every quad added or removed has its subject and object among
        them). What the typed part holds of an entity depends only on the quads it is in: its classes, the place
        links into or out of it, its links, its labels. So everything about the entities named is read again (their
        classes, whether an untyped one is a place, their links both ways, whether the projection links them at all,
        an agency's labels), and the rest is kept: an entity not named kept its quads, so its kind, whether it
        counts, and its links to other entities not named are as they were. A link between an entity not named and
        one named is read again from the named end."""
        if not touched:
            return self
        named = sorted(touched)
        types: dict[str, list[str]] = {n: [] for n in named}
        for batch in _batches(named):
            for row in queries.run(store, "projection-types-of", n=batch).rows():
                types[str(row["n"])].append(str(row["class"]))
        kinds = dict(self.kinds)
        for n in named:
            kinds.pop(n, None)
        untyped = [n for n in named if not types[n]]
        places: set[str] = set()
        for batch in _batches(untyped):
            places |= {str(row["n"]) for row in queries.run(store, "projection-untyped-places", n=batch).rows()}
        for n in named:
            ranked = [c for c in types[n] if c in RANKED_CLASSES]
            if ranked:
                kind = CLASS_KINDS[min(ranked, key=class_rank)]
                if kind in TYPED_KINDS:
                    kinds[n] = kind
            elif n in places:
                kinds[n] = "place"
        new_edges: dict[tuple[str, str], None] = {}  # the links of the named entities, each pair once
        linked: set[str] = set()  # the named entities with a link (every link of one is read again here)
        for var in ("s", "o"):
            for batch in _batches(named):
                for row in queries.run(store, "projection-links", **{var: batch}).solutions():
                    s, p, o = row["s"], row["p"], row["o"]
                    if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)):
                        continue
                    if p.value.startswith(SKIPPED_PREDICATE_PREFIXES):
                        continue
                    if s.value in kinds and o.value in kinds:
                        new_edges[(s.value, o.value)] = None
                        linked.update((s.value, o.value))
        local = LocalProjection(store)
        candidates = [n for n in named if n in kinds and n not in linked]
        local.describe(candidates)
        counted = {n for n in named if n in kinds and (n in linked or local.knows(n))}
        for n in named:
            if n not in counted:
                kinds.pop(n, None)
        agencies = [n for n in named if n in counted and kinds[n] == "agency"]
        info = {n: row for n, row in self.info.items() if n not in touched}
        attributes = local.attributes(agencies)
        info.update({n: node_json(n, attributes[n]) for n in agencies})
        nodes, index, indexed = self._renumbered(named, counted, new_edges)
        return TypedGraph(nodes, kinds, info, indexed, index)

    def _renumbered(
        self, named: list[str], counted: set[str], new_edges: dict[tuple[str, str], None]
    ) -> tuple[list[str], dict[str, int], array.array]:
        """The nodes, their indices and the edges as indices once the named entities' part is replaced: the edges
        with a named end dropped, a named entity that no longer counts dropped, one that counts for the first time
        added at the end, ``new_edges`` added. A node keeps its index unless some node before it was dropped (the
        edges are then renumbered in one pass over the array)."""
        import numpy as np

        index = self.index
        pairs = np.frombuffer(self.indexed, dtype=np.uint32).reshape(-1, 2)
        hit = np.zeros(len(self.nodes), dtype=bool)
        hit[[index[n] for n in named if n in index]] = True
        pairs = pairs[~(hit[pairs[:, 0]] | hit[pairs[:, 1]])]
        gone = [index[n] for n in named if n in index and n not in counted]
        if gone:
            keep = np.ones(len(self.nodes), dtype=bool)
            keep[gone] = False
            nodes = list(itertools.compress(self.nodes, keep.tolist()))
            pairs = (np.cumsum(keep, dtype=np.int64) - 1)[pairs]
            index = _positions(nodes)
        else:
            nodes, index = list(self.nodes), dict(index)
        for n in named:
            if n in counted and n not in index:
                index[n] = len(nodes)
                nodes.append(n)
        added = np.fromiter(map(index.__getitem__, itertools.chain.from_iterable(new_edges)), dtype=np.int64)
        flat = np.concatenate([pairs.reshape(-1), added]).astype(np.uint32)
        indexed = array.array(INDEX_TYPE)
        indexed.frombytes(flat.tobytes())
        return nodes, index, indexed


#: How many of ``TypedGraph.read``'s queries run at once.
READ_THREADS = 2
#: Lines of the TSV answers ``TypedGraph.read`` keeps: one IRI (a member), a link from an IRI to an IRI
#: (``?s ?q ?o``, the predicate's cell a number or an IRI: ``projection.predicate_named``), and a place with no type
#: (an IRI), one entity linked to it and a link out of it (``?n ?from ?p ?o``, any cells). The engine writes an IRI
#: ``<…>``, which holds no ``>``, tab or line break, and a blank node or literal otherwise; a tab or line break in a
#: literal is escaped. The groups leave out the brackets of the IRIs read whole; a predicate's cell is kept as written.
_IRI_LINE = re.compile(r"^<([^>\t\n]*)>$", re.MULTILINE)
_LINK_LINE = re.compile(r"^<([^>\t\n]*)>\t(<[^>\t\n]*>|[0-9]+)\t<([^>\t\n]*)>$", re.MULTILINE)
_PLACE_LINE = re.compile(r"^<([^>\t\n]*)>\t([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)$", re.MULTILINE)


class _Reader:
    """Named queries run ``READ_THREADS`` at a time on threads of their own (the engine answers without Python's
    interpreter lock), each answer read as TSV and parsed on that thread: the groups of the lines a pattern matches
    (the header and any line of another form are left out)."""

    def __init__(self, store: Store):
        from concurrent.futures import ThreadPoolExecutor

        self.store = store
        self.pool = ThreadPoolExecutor(
            READ_THREADS, thread_name_prefix="reformkg-ranking-read", initializer=background_priority
        )

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *_exc) -> None:
        self.pool.shutdown(cancel_futures=True)

    def start(self, name: str, lines: re.Pattern[str], **bindings):
        """A future of the answer's lines of the form ``lines``: a list of their groups (a string when one). A query
        with ``NUMBERED_MARK`` has the predicates it knows written as numbers (``projection.numbered``)."""
        sparql = queries.with_bindings(numbered(queries.text(name)), bindings)
        return self.pool.submit(lambda: _findall(lines, self.store.query(sparql).pieces("tsv").take()))


def _taken(job) -> list:
    """The list a job of ``_Reader.start`` made (``job`` a future), or ``job`` itself when it is a list: to be read,
    then emptied in place a part at a time (``_release``), which frees its rows though the future still holds it."""
    return job if isinstance(job, list) else job.result()


#: How much of an answer one call of the regular expression reads (a few milliseconds' work).
FINDALL_CHUNK = 1 << 18


def _findall(lines: re.Pattern[str], answer: Iterable[bytes], chunk: int = FINDALL_CHUNK) -> list:
    """``lines.findall`` over an answer (UTF-8, given in pieces: ``Pieces.take``), about ``chunk`` bytes at a time, each
    part ending at a line break, decoded then searched: one call holds Python's interpreter lock throughout (the
    decoding of the reforms' links at 50,000 farms alone took tens of milliseconds), and the server's requests wait
    for it, while between parts they go on. A part starts just after a line break, where ``^`` matches, and never
    splits a character."""
    found: list = []
    held: list[bytes] = []
    size = 0
    for piece in answer:
        held.append(piece)
        size += len(piece)
        if size >= chunk:
            data = b"".join(held)
            end = data.rfind(b"\n") + 1
            found += lines.findall(data[:end].decode("utf-8"))
            held, size = [data[end:]], len(data) - end
    return found + lines.findall(b"".join(held).decode("utf-8"))


def _batches(iris: list[str]) -> list[list[str]]:
    """IRIs in batches as ``LocalProjection`` binds them (``BATCH`` at a time)."""
    size = LocalProjection.BATCH
    return [iris[i : i + size] for i in range(0, len(iris), size)]


#: The typed part last read or brought up to date, per store, with the generation it was read at.
_typed_kept: weakref.WeakKeyDictionary[Store, tuple[int, TypedGraph]] = weakref.WeakKeyDictionary()
#: Above this many entities named by the writes since, the typed part is read again rather than brought up to date.
PATCH_MAX_TOUCHED = 5000


def forget(store: Store) -> None:
    """Let go of the typed part kept in memory for the store (``Store.close`` calls it, after its closing callbacks:
    ``keep_typed`` reads it)."""
    _typed_kept.pop(store, None)
    _typed_on_disk.pop(store, None)


def _make_ranking(store: Store) -> tuple[int, dict[str, Any]]:
    store.track_touched = True  # from now on, updates with a WHERE say what they may touch (Store.touched_since)
    generation = store.generation
    proj = current(store)
    if proj is not None:
        typed = TypedGraph.of(proj)
    else:
        kept_typed = _typed_kept.get(store)
        if kept_typed is None and store.touched_since(0) is not None:  # (the file is read only when it can serve)
            kept_typed = saved_typed(store)
        touched = store.touched_since(kept_typed[0]) if kept_typed is not None else None
        if touched is not None and len(touched) <= PATCH_MAX_TOUCHED:
            typed = kept_typed[1].patched(store, touched)
        else:
            typed = TypedGraph.read(store)
    _typed_kept[store] = (generation, typed)
    store.on_close(keep_typed)
    return generation, _rank(typed)


# -- the typed part kept on disk across restarts ---------------------------------------------------------------------
# ``TYPED_PART_FILE``, beside an on-disk store's data, keeps the typed part as the store was when it was last closed,
# with that state of the store (``Store.state_id``). It is read when nothing is kept in memory, so the first ranking
# after a restart is brought up to date from it instead of reading the typed part whole.
TYPED_FORMAT = 1
#: The array type of the edges' node indices in the file: unsigned, 32 bits.
INDEX_TYPE = next(code for code in "IL" if array.array(code).itemsize == 4)
#: The state whose typed part ``TYPED_PART_FILE`` holds, per store, when this process read it.
_typed_on_disk: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


@functools.cache
def _code_key() -> str:
    """What the kept typed part depends on besides the store: the library's code and named queries as they are now
    (every ``.py`` and ``.rq`` file of this package: kinds, classes, skipped predicates, the queries that read the
    typed part, their prefixes), and the file's format."""
    digest = hashlib.sha256(str(TYPED_FORMAT).encode())
    package = Path(__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".rq")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _typed_bytes(state: str, typed: TypedGraph) -> bytes:
    """The typed part as a file: a JSON line (format, code key, state, counts), a JSON line (nodes, their kinds, the
    agencies' node info), then the edges as pairs of node indices (unsigned 32-bit, little-endian)."""
    edges = typed.indexed
    if sys.byteorder != "little":
        edges = array.array(INDEX_TYPE, edges)
        edges.byteswap()
    head = {"format": TYPED_FORMAT, "code": _code_key(), "state": state}
    head.update(nodes=len(typed.nodes), edges=typed.edge_count)
    body = {"nodes": typed.nodes, "kinds": [typed.kinds[n] for n in typed.nodes], "info": typed.info}
    return b"%s\n%s\n%s" % (json.dumps(head).encode(), json.dumps(body, ensure_ascii=False).encode(), edges.tobytes())


def _typed_from(data: bytes, state: str) -> TypedGraph | None:
    """The typed part a file holds when it is of ``state`` and was written by this code, checked whole; else None."""
    import numpy as np

    try:
        head_end = data.index(b"\n")
        head = json.loads(data[:head_end])
        if head.get("format") != TYPED_FORMAT or head.get("state") != state or head.get("code") != _code_key():
            return None
        body_end = data.index(b"\n", head_end + 1)
        body = json.loads(data[head_end + 1 : body_end])
        nodes, kinds, info = body["nodes"], body["kinds"], body["info"]
        edges = array.array(INDEX_TYPE)
        edges.frombytes(data[body_end + 1 :])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if sys.byteorder != "little":
        edges.byteswap()
    if not (isinstance(nodes, list) and isinstance(kinds, list) and isinstance(info, dict)):
        return None
    n = len(nodes)
    try:
        whole = (
            type(head.get("edges")) is int
            and head.get("nodes") == n == len(kinds)
            and len(edges) == 2 * head["edges"]
            and set(map(type, nodes)) <= {str}
            and set(kinds) <= TYPED_KINDS  # (so each kind is a string)
            and info.keys() == set(itertools.compress(nodes, map("agency".__eq__, kinds)))
            and (not edges or int(np.frombuffer(edges, dtype=np.uint32).max()) < n)
        )
    except (TypeError, ValueError):
        return None
    if not whole:
        return None
    kinds_of = dict(zip(nodes, kinds, strict=True))
    if len(kinds_of) != n:  # a node twice
        return None
    return TypedGraph(nodes, kinds_of, info, edges)


def saved_typed(store: Store) -> tuple[int, TypedGraph] | None:
    """``(0, typed part)`` from ``TYPED_PART_FILE`` when it is of the store as it was opened (``store.state_id(0)``: the
    state recorded when reformkg last closed the store, its folder unchanged since), else None."""
    state, path = store.state_id(0), store.kept_path(TYPED_PART_FILE)
    if state is None or path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    typed = _typed_from(data, state)
    if typed is None:
        return None
    _typed_on_disk[store] = state
    return 0, typed


def keep_typed(store: Store) -> None:
    """Write ``TYPED_PART_FILE`` for the store as it is now, as it closes (``Store.on_close``): the typed part last made
    (or the one the file holds for the store as opened, when this process ranked nothing: a write command), brought up
    to date with the writes since when they are known, else nothing. Only a clean close records the state the file is
    tagged with (a crash leaves the folder changed and the file unused), so writing it earlier would gain nothing.
    Not written when the file already holds that state, or the store cannot keep it (in memory, remote, read-only)."""
    path = store.kept_path(TYPED_PART_FILE)
    if path is None or store.read_only:
        return
    kept = _typed_kept.get(store) or saved_typed(store)
    if kept is None:
        return
    generation, typed = kept
    now = store.generation  # read first: a write counted after it is not in ``touched``, nor in the file's state
    if generation != now:
        touched = store.touched_since(generation)
        if touched is None or len(touched) > PATCH_MAX_TOUCHED:
            return
        generation, typed = now, typed.patched(store, touched)
    state = store.state_id(generation)
    if state is None or _typed_on_disk.get(store) == state:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(_typed_bytes(state, typed))
        os.replace(tmp, path)
    except OSError as error:  # a kept copy is a help, not a need: the ranking reads the store without it
        log.warning("cannot keep the typed part in %s: %s", path, error)
        tmp.unlink(missing_ok=True)


def _rank(typed: TypedGraph) -> dict[str, Any]:
    import networkx as nx
    import numpy as np

    # the agencies' indices: from the index when it is made, else in one pass over the nodes (the whole index is a dict
    # of every node, which only a later patch needs)
    info = typed.info
    index = typed._index or {n: i for i, n in enumerate(typed.nodes) if n in info}
    edges = np.frombuffer(typed.indexed, dtype=np.uint32)
    pagerank, degree = _pagerank(len(typed.nodes), edges)
    if len(typed.nodes) <= BETWEENNESS_MAX_NODES:
        graph = nx.Graph()
        graph.add_nodes_from(typed.nodes)
        graph.add_edges_from(typed.edges)
        betweenness: dict[str, float] | None = nx.betweenness_centrality(graph)
        note = "exact, on the undirected typed projection"
    else:
        betweenness = None
        note = f"omitted: the typed projection has more than {BETWEENNESS_MAX_NODES:,} nodes"
    rows = []
    for agency in typed.info:  # (the agencies)
        row = dict(typed.info[agency])
        row.update(
            degree=int(degree[index[agency]]),
            pagerank=round(float(pagerank[index[agency]]), 8),
            betweenness=None if betweenness is None else round(betweenness.get(agency, 0.0), 8),
        )
        rows.append(row)
    rows.sort(key=lambda r: (-r["pagerank"], -r["degree"], r["iri"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return {
        "projection": {"nodes": len(typed.nodes), "edges": typed.edge_count, "kinds": sorted(TYPED_KINDS)},
        "betweenness": note,
        "agencies": rows,
    }


def _pagerank(n: int, edges, alpha: float = 0.85, tol: float = 1.0e-6, max_iter: int = 100):
    """PageRank and degree of a directed graph given as index pairs (a list of pairs, or an array of them, flat or
    not): networkx's algorithm (uniform teleport, dangling nodes spread evenly), on a scipy sparse matrix. Returns
    (ranks, degrees) as numpy arrays."""
    import numpy as np
    import scipy.sparse as sparse

    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    src, dst = pairs[:, 0], pairs[:, 1]
    degree = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    matrix = sparse.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    out = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, out, out=np.zeros(n), where=out != 0)
    matrix = sparse.diags_array(scale) @ matrix
    dangling = out == 0
    x = np.full(n, 1.0 / n)
    teleport = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        previous = x
        x = alpha * (x @ matrix + x[dangling].sum() * teleport) + (1 - alpha) * teleport
        if np.abs(x - previous).sum() < n * tol:
            break
    return x, degree


#: What a spreadsheet takes a cell for a formula by when the cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    """A name from the graph as a spreadsheet cell that stays text: one that starts as a formula would
    (``FORMULA_STARTS``: a label such as ``=HYPERLINK(…)`` in an ingested bulletin) gets an apostrophe before it,
    which a spreadsheet shows as text and does not run."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def rankings_csv(ranking: dict[str, Any], output: IO[str]) -> None:
    """Write an agency ranking as CSV (one row per agency), each name kept text (``as_text``)."""
    fields = ["rank", "iri", "label_zh", "label_en", "degree", "pagerank", "betweenness"]
    writer = csv.DictWriter(output, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in ranking["agencies"]:
        names = {key: as_text(row.get(key) or "") for key in ("label_zh", "label_en")}
        writer.writerow({**row, **names, "betweenness": "" if row["betweenness"] is None else row["betweenness"]})


# -- ownership -------------------------------------------------------------------------------------------------------
def trace_ownership(store: Store, agency: str) -> list[dict[str, Any]]:
    """Every reform an agency owns, directly or through sub-organisations (``ownership.reforms_of``), as JSON: the
    reform and the owner the reform names (``node_info``), the role (its IRI, local name, and its own labels in
    Chinese and in English, null where it has none) and the path agency -> ... -> owner -> reform (its IRIs, their
    names in English as ``node_info`` gives them, and their own Chinese labels, "" where one has none).

    When the whole projection is built for the store as it is now, every reform's owners, the organisation tree and
    the names come from it (read once per projection, as the views read them); else they are read for this answer.
    At 50,000 farms a provincial department's 1,551 reforms took 3.7 to 5.5 s read for the answer (in one process),
    0.7 s from the projection once its owners were read."""
    whole = current(store)
    if whole is None:
        found = ownership.reforms_of(store, agency)
    else:
        named, tree = ownership.owners_kept(store, whole), ownership.tree_kept(store, whole)
        found = ownership.reforms_of(store, agency, named, tree)
    wanted = {n for owned in found for n in (*owned.path, owned.owner, *filter(None, [owned.role]))}
    proj: Projection
    if whole is not None and all(whole.knows(n) for n in wanted):
        proj = whole
    else:
        proj = LocalProjection(store)
        proj.describe(wanted)

    def own(node: str, lang: str) -> str:
        return proj.node_data(node).get(f"label_{lang}") or ""

    return [
        {
            "reform": node_info(proj, owned.reform),
            "owner": node_info(proj, owned.owner),
            "role": owned.role,
            "role_label": local_name(owned.role) if owned.role else None,
            "role_label_zh": (own(owned.role, "zh") or None) if owned.role else None,
            "role_label_en": (own(owned.role, "en") or None) if owned.role else None,
            "direct": owned.direct,
            "path": list(owned.path),
            "path_labels": [proj.label(n) for n in owned.path],
            "path_labels_zh": [own(n, "zh") for n in owned.path],
        }
        for owned in found
    ]


#: The columns of ``ownership_csv``.
OWNERSHIP_CSV_FIELDS = [
    "reform",
    "reform_label_zh",
    "reform_label_en",
    "owner",
    "owner_label_zh",
    "owner_label_en",
    "role",
    "role_label_zh",
    "role_label_en",
    "direct",
    "path",
    "path_labels_zh",
    "path_labels_en",
]


def ownership_csv(traced: list[dict[str, Any]], output: IO[str]) -> None:
    """Write ``trace_ownership``'s answer as CSV, a row for each owner a reform names under the agency: the reform,
    that owner and its role (IRIs, with their labels in Chinese and in English, empty where there is none), whether
    the agency owns it itself, and the path from the agency down to the reform: its IRIs, its Chinese labels and its
    English labels (empty where one has none), each joined by " > ". Every name is kept text (``as_text``)."""
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(OWNERSHIP_CSV_FIELDS)
    for row in traced:
        reform, owner = row["reform"], row["owner"]
        english_path = (
            en if en != zh else "" for zh, en in zip(row["path_labels_zh"], row["path_labels"], strict=True)
        )
        writer.writerow(
            [
                reform["iri"],
                as_text(reform["label_zh"]),
                as_text(english(reform)),
                owner["iri"],
                as_text(owner["label_zh"]),
                as_text(english(owner)),
                row["role"] or "",
                as_text(row["role_label_zh"] or ""),
                as_text(row["role_label_en"] or ""),
                "true" if row["direct"] else "false",
                " > ".join(row["path"]),
                as_text(" > ".join(row["path_labels_zh"])),
                as_text(" > ".join(english_path)),
            ]
        )


def coownership_network(store: Store):
    """Agencies linked when they own the same reform; ``weight`` counts the reforms, ``reforms`` lists them."""
    import networkx as nx

    proj = LocalProjection(store)
    owned = ownership.owners(store)
    proj.describe(owner.agent for owners in owned.values() for owner in owners)
    network = nx.Graph()
    for reform, owners in owned.items():
        names = sorted({owner.agent for owner in owners})
        for owner in names:
            network.add_node(owner, **{k: v for k, v in node_info(proj, owner).items() if k != "iri"})
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if network.has_edge(a, b):
                    network[a][b]["weight"] += 1
                    network[a][b]["reforms"] += " " + reform
                else:
                    network.add_edge(a, b, weight=1, reforms=reform)
    return network


def coownership(store: Store) -> dict[str, Any]:
    """The co-ownership network as JSON."""
    network = coownership_network(store)
    proj = LocalProjection(store)
    proj.describe([*network.nodes, *(r for _a, _b, reforms in network.edges(data="reforms") for r in reforms.split())])
    edges = [
        {
            "a": node_info(proj, a),
            "b": node_info(proj, b),
            "weight": data["weight"],
            "reforms": [node_info(proj, r) for r in data["reforms"].split()],
        }
        for a, b, data in sorted(network.edges(data=True))
    ]
    return {"agencies": network.number_of_nodes(), "edges": edges}


# -- paths and components --------------------------------------------------------------------------------------------
def shortest_path(store: Store, source: str, target: str) -> dict[str, Any]:
    """The shortest path between two entities, ignoring direction; each edge named with its predicate."""
    import networkx as nx

    proj = project(store)
    for iri in (source, target):
        if iri not in proj.graph:
            raise UnknownEntity(iri)
    graph = proj.graph
    view = nx.subgraph_view(proj.undirected, filter_edge=lambda a, b: _walkable(graph, a, b) or _walkable(graph, b, a))
    try:
        nodes = nx.shortest_path(view, source, target)
    except nx.NetworkXNoPath:
        raise NoPath(f"no path between {source} and {target}") from None
    edges = []
    for a, b in itertools.pairwise(nodes):
        forward = _walkable(graph, a, b)
        s, o = (a, b) if forward else (b, a)
        data = graph.edges[s, o]
        edges.append(
            {
                "from": a,
                "to": b,
                "subject": s,
                "object": o,
                "predicate": data["predicate"],
                "label": data["label"],
                "direction": "forward" if forward else "inverse",
            }
        )
    return {
        "from": source,
        "to": target,
        "length": len(edges),
        "nodes": [node_info(proj, n) for n in nodes],
        "edges": edges,
        **_as_of(proj, store),
    }


def _walkable(graph, s: str, o: str) -> bool:
    data = graph.get_edge_data(s, o)
    return data is not None and data["predicate"] not in PATH_SKIP_PREDICATES


def components(store: Store, *, typed: bool = False, sample: int = 10) -> dict[str, Any]:
    """Weakly connected components, largest first, each with its size, kinds and a sample of members."""
    import networkx as nx

    proj = project(store)
    graph = proj.typed if typed else proj.graph
    found = [(members, _least(members, max(sample, 1))) for members in nx.weakly_connected_components(graph)]
    found.sort(key=lambda c: (-len(c[0]), c[1][0]))
    result = []
    for members, least in found:
        kinds: dict[str, int] = defaultdict(int)
        for n in members:
            kinds[graph.nodes[n]["kind"]] += 1
        result.append(
            {
                "size": len(members),
                "kinds": dict(sorted(kinds.items())),
                "sample": [node_info(proj, n) for n in least[:sample]],
            }
        )
    return {
        "projection": "typed" if typed else "full",
        "count": len(result),
        "components": result,
        **_as_of(proj, store),
    }


def _least(members: Iterable[str], n: int) -> list[str]:
    """The ``n`` least of ``members``, in order, sorted ``PART`` at a time: ``sorted`` (or ``min``) over a component
    of 300,000 IRIs holds Python's interpreter lock for 0.6 s (or 0.1 s) in one call, and the server's requests wait;
    between parts they go on."""
    least: list[str] = []
    for part in _parts(list(members)):
        least = sorted(least + part)[:n]
    return least


# -- places ----------------------------------------------------------------------------------------------------------
def place_summary(store: Store) -> list[dict[str, Any]]:
    """Per place: the reforms that apply there (and how) and the number of outcome figures per reform."""
    proj = LocalProjection(store)
    reforms: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in queries.run(store, "place-reforms-outcomes").rows():
        place, reform = row["place"], row["reform"]
        reforms[place][reform].add(row["how"])
        if row["observation"]:
            outcomes[place][reform] += 1
    proj.describe([*reforms, *(r for by_reform in reforms.values() for r in by_reform)])
    summary = []
    for place in sorted(reforms):
        entries = []
        for reform in sorted(reforms[place]):
            entry = node_info(proj, reform)
            entry["how"] = sorted(reforms[place][reform])
            entry["outcomes"] = outcomes[place].get(reform, 0)
            entries.append(entry)
        info = node_info(proj, place)
        info["reforms"] = entries
        info["outcomes"] = sum(outcomes[place].values())
        summary.append(info)
    return summary


# -- exports ---------------------------------------------------------------------------------------------------------
def _export_graph(store: Store, typed: bool):
    proj = project(store)
    return proj.typed if typed else proj.graph


def export_graphml(store: Store, output: IO[bytes], *, typed: bool = False) -> None:
    """The projection as GraphML (node attributes: class, kind, labels; edge attributes: predicate, label)."""
    import networkx as nx

    nx.write_graphml(_export_graph(store, typed), output)


def export_gexf(store: Store, output: IO[bytes], *, typed: bool = False) -> None:
    """The projection as GEXF, for Gephi."""
    import networkx as nx

    graph = _export_graph(store, typed).copy()
    # GEXF's own "label" attribute names nodes: give it the English label.
    for node, data in graph.nodes(data=True):
        data["label"] = data.get("label_en") or data.get("label_zh") or local_name(node)
    nx.write_gexf(graph, output)


#: What a CSV file for a spreadsheet starts with: the UTF-8 byte-order mark, without which Excel reads the file in the
#: system's code page (GBK on a Chinese Windows) and shows the Chinese names garbled. Python reads such a file with
#: ``encoding="utf-8-sig"``.
SPREADSHEET_BOM = "\ufeff"


def export_text(store: Store, fmt: str) -> bytes:
    """An export as bytes: ``graphml``, ``gexf`` or ``csv`` (the agency ranking, for a spreadsheet:
    ``SPREADSHEET_BOM`` first)."""
    if fmt == "csv":
        text = io.StringIO()
        text.write(SPREADSHEET_BOM)
        rankings_csv(rank_agencies(store), text)
        return text.getvalue().encode()
    buffer = io.BytesIO()
    if fmt == "graphml":
        export_graphml(store, buffer)
    elif fmt == "gexf":
        export_gexf(store, buffer)
    else:
        raise InputError(f"cannot export as {fmt!r}; use graphml, gexf or csv")
    return buffer.getvalue()
