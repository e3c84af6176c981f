"""The store layer: one interface over embedded Oxigraph (on disk or in memory) and remote SPARQL 1.1 endpoints.

Queries go to the engine whole and come back as pyoxigraph results, so results are serialised by Oxigraph's own
writers with no per-row Python work. The default graph of every query is the union of all graphs; each loaded file
lives in its own named graph.

Loads are atomic. A file is parsed completely before anything is written, so a syntax error changes nothing. On disk,
the fast bulk loader writes the new data; a graph that already exists is written to a staging graph first and swapped
in by one SPARQL update (one transaction). A journal file beside the data, and a commit marker written in the same
transaction as the swap, let the next open undo a load that was killed half way. A remote load is a single SPARQL
update (``DROP SILENT GRAPH``, ``INSERT DATA``), which SPARQL 1.1 engines apply as one request.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import pyoxigraph as ox

log = logging.getLogger(__name__)

SYSTEM_GRAPH = "urn:reformkg:system"
COMMITTED = "urn:reformkg:committed"
JOURNAL = "load-journal.json"

#: File extensions reformkg loads, and the parser each one takes.
LOAD_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
}
#: Export formats by the name the CLI takes.
EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_RESULT_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes) while a file loads."""


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message says why."""


class QuerySyntaxError(StoreError):
    """A SPARQL query or update that does not parse."""


class RdfSyntaxError(ValueError):
    """A file that does not parse, located as ``file:line:column: message``."""

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = str(path), line, column, message
        super().__init__(f"{self.path}:{line or 0}:{column or 0}: {message}")


def rdf_format(path: Path, fmt: str | None = None) -> ox.RdfFormat:
    """The parser for a file: by the name given, else by its extension."""
    key = (fmt or path.suffix.lstrip(".")).lower()
    if key not in LOAD_FORMATS:
        known = ", ".join(sorted(LOAD_FORMATS))
        raise StoreError(f"{path}: cannot tell the RDF format from {key!r}; use one of {known}")
    return LOAD_FORMATS[key]


def _syntax_error(path: Path, error: SyntaxError) -> RdfSyntaxError:
    message = error.msg or str(error)
    # pyoxigraph says "Parser error between line L column C and …: what"; keep only the "what".
    if message.startswith("Parser error") and ": " in message:
        message = message.split(": ", 1)[1]
    return RdfSyntaxError(path, error.lineno, error.offset, message)


def default_graph_iri(path: Path) -> str:
    """The named graph a file loads into when no graph is given: its absolute file IRI."""
    return path.resolve().as_uri()


@dataclass
class LoadReport:
    """What a load did."""

    path: str
    graphs: list[str]
    triples: int
    replaced: list[str] = field(default_factory=list)
    seconds: float = 0.0


class QueryResult:
    """A query's answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    def __init__(self, payload: Any):
        if isinstance(payload, ox.QuerySolutions):
            self.kind = "select"
        elif isinstance(payload, ox.QueryBoolean):
            self.kind = "ask"
        else:
            self.kind = "graph"
            payload = list(payload)
        self._payload = payload

    @property
    def variables(self) -> list[str]:
        return [v.value for v in self._payload.variables] if self.kind == "select" else []

    @property
    def boolean(self) -> bool:
        if self.kind != "ask":
            raise StoreError("only an ASK query has a boolean answer")
        return bool(self._payload)

    @property
    def triples(self) -> list[ox.Triple]:
        if self.kind != "graph":
            raise StoreError("only CONSTRUCT and DESCRIBE queries answer with triples")
        return self._payload

    def rows(self) -> list[dict[str, str | None]]:
        """SELECT solutions as dicts of term values (IRI, literal lexical form or blank node id); consumes them."""
        if self.kind != "select":
            raise StoreError(f"a {self.kind} result has no rows")
        names = self.variables
        return [{name: (t.value if (t := row[name]) is not None else None) for name in names} for row in self._payload]

    def solutions(self) -> Iterable[ox.QuerySolution]:
        """SELECT solutions as pyoxigraph terms; consumes them."""
        if self.kind != "select":
            raise StoreError(f"a {self.kind} result has no solutions")
        return self._payload

    def serialize(self, fmt: str) -> bytes:
        """The result in a SPARQL results format (json, xml, csv, tsv) or an RDF format (ttl, nt, jsonld, xml)."""
        if self.kind == "graph":
            if fmt not in GRAPH_RESULT_FORMATS:
                raise StoreError(f"a graph result cannot be written as {fmt!r}")
            return ox.serialize(self._payload, format=GRAPH_RESULT_FORMATS[fmt])
        if fmt not in RESULT_FORMATS:
            raise StoreError(f"a {self.kind} result cannot be written as {fmt!r}")
        return self._payload.serialize(format=RESULT_FORMATS[fmt])


class _ProgressReader(io.RawIOBase):
    """A binary file that reports how far it has been read."""

    def __init__(self, raw: IO[bytes], total: int, progress: Progress):
        self._raw, self._total, self._progress, self._done = raw, total, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        self._done += n or 0
        self._progress(self._done, self._total)
        return n or 0


def _parse_file(path: Path, fmt: ox.RdfFormat, target: ox.NamedNode) -> list[ox.Quad]:
    """Parse a whole file; quads in its default graph move to ``target``. Raises RdfSyntaxError."""
    try:
        quads = list(ox.parse(path=path, format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as error:
        raise _syntax_error(path, error) from None
    return [
        q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
        for q in quads
    ]


def check_file(path: Path, fmt: ox.RdfFormat) -> None:
    """Parse a file to the end without keeping it, so a syntax error is found before anything is written."""
    try:
        for _ in ox.parse(path=path, format=fmt, base_iri=path.resolve().as_uri(), lenient=True):
            pass
    except SyntaxError as error:
        raise _syntax_error(path, error) from None


def dataset_options(default_graphs: list[str] | None, named_graphs: list[str] | None) -> dict[str, Any]:
    """pyoxigraph query options for a query's dataset: the given graphs, else the union of all graphs."""
    options: dict[str, Any] = {}
    try:
        if default_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            options["use_default_graph_as_union"] = True
        if named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    except ValueError as error:
        raise StoreError(f"a graph name is not an absolute IRI: {error}") from None
    return options


def _is_quad_format(fmt: ox.RdfFormat) -> bool:
    return fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


def _resolve(path: Path | str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    return path


class Store(ABC):
    """What every backend offers. The default graph of a query is the union of all graphs."""

    backend: str = "abstract"
    #: Bumped by every write made through this object, so caches of derived data know when to refresh. Writes made
    #: by other processes or other clients of a remote endpoint are not seen.
    generation: int = 0

    def _changed(self) -> None:
        self.generation += 1

    @abstractmethod
    def query(
        self, sparql: str, *, default_graphs: list[str] | None = None, named_graphs: list[str] | None = None
    ) -> QueryResult:
        """Run a SPARQL 1.1 query."""

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 update as one transaction."""

    @abstractmethod
    def load_file(
        self, path: Path | str, *, graph: str | None = None, fmt: str | None = None, progress: Progress | None = None
    ) -> LoadReport:
        """Load a file into its own named graph, replacing what that graph held. All or nothing."""

    def graphs(self) -> list[str]:
        """The named graphs that hold at least one triple."""
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g").rows()
        return [r["g"] for r in rows if r["g"] != SYSTEM_GRAPH]

    def count(self, graph: str | None = None) -> int:
        """Triples in one named graph, or in all graphs together."""
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}").rows()
        return int(rows[0]["n"])

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def export(self, fmt: str, output: IO[bytes]) -> None:
        """Write everything: quad formats keep the named graphs, triple formats write the union."""
        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"cannot export as {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        rdf_fmt = EXPORT_FORMATS[fmt]
        if _is_quad_format(rdf_fmt):
            result = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            quads = (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in result.solutions())
            ox.serialize(quads, output, format=rdf_fmt)
        else:
            result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            ox.serialize(result.triples, output, format=rdf_fmt)

    @property
    @abstractmethod
    def rdflib(self):
        """This store as an ``rdflib.Dataset`` whose default graph is the union of its graphs."""

    def close(self) -> None:  # noqa: B027 - backends without resources need not override it
        """Release the store."""


class OxigraphStore(Store):
    """Embedded Oxigraph: on disk when given a folder, else in memory."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else None
        if self.path is None:
            self.backend = "memory"
            self._ox = ox.Store()
        else:
            self.backend = "disk"
            self.path.mkdir(parents=True, exist_ok=True)
            self._ox = ox.Store(str(self.path / "oxigraph"))
            self._recover()
        self._rdflib = None

    # -- queries -------------------------------------------------------------------------------------------------
    def query(self, sparql, *, default_graphs=None, named_graphs=None) -> QueryResult:
        options = dataset_options(default_graphs, named_graphs)
        try:
            return QueryResult(self._ox.query(sparql, **options))
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from None
        except (ValueError, OSError) as error:
            raise StoreError(str(error)) from None

    def update(self, sparql: str) -> None:
        self._changed()
        try:
            self._ox.update(sparql)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from None
        except (ValueError, OSError) as error:
            raise StoreError(str(error)) from None

    def graphs(self) -> list[str]:
        names = (g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode))
        return sorted(g for g in names if g != SYSTEM_GRAPH and "#reformkg-staging-" not in g)

    @property
    def oxigraph(self) -> ox.Store:
        """The pyoxigraph store underneath, for native bulk work."""
        return self._ox

    @property
    def rdflib(self):
        if self._rdflib is None:
            import rdflib
            from oxrdflib import OxigraphStore as RdflibOxigraphStore

            self._rdflib = rdflib.Dataset(store=RdflibOxigraphStore(store=self._ox), default_union=True)
        return self._rdflib

    # -- loading -------------------------------------------------------------------------------------------------
    def load_file(self, path, *, graph=None, fmt=None, progress=None) -> LoadReport:
        started = time.perf_counter()
        path = _resolve(path)
        rdf_fmt = rdf_format(path, fmt)
        target = ox.NamedNode(graph or default_graph_iri(path))
        load_id = uuid.uuid4().hex
        if _is_quad_format(rdf_fmt):
            quads = _parse_file(path, rdf_fmt, target)
            targets = sorted({q.graph_name.value for q in quads} | {target.value})
        else:
            check_file(path, rdf_fmt)
            quads, targets = None, [target.value]
        existing = [t for t in targets if self._ox.contains_named_graph(ox.NamedNode(t))]
        staging = {t: f"{t}#reformkg-staging-{load_id}" for t in existing}
        writing = {t: staging.get(t, t) for t in targets}
        self._write_journal({"id": load_id, "file": str(path), "writing": sorted(writing.values())})
        try:
            if quads is None:
                self._bulk_load_file(path, rdf_fmt, ox.NamedNode(writing[target.value]), progress)
            else:
                self._ox.bulk_extend(
                    ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(writing[q.graph_name.value])) for q in quads
                )
            self._ox.flush()
            swaps = " ".join(
                f"DROP SILENT GRAPH <{t}> ; ADD <{s}> TO <{t}> ; DROP SILENT GRAPH <{s}> ;" for t, s in staging.items()
            )
            # The commit point: swaps and the marker in one transaction.
            self._ox.update(
                f"{swaps} INSERT DATA {{ GRAPH <{SYSTEM_GRAPH}> {{ <urn:reformkg:load:{load_id}> a <{COMMITTED}> }} }}"
            )
        except BaseException:
            self._undo(writing.values())
            if self.path is not None:
                (self.path / JOURNAL).unlink(missing_ok=True)
            raise
        self._finish(load_id)
        self._changed()
        triples = sum(self.count(t) for t in targets)
        return LoadReport(str(path), targets, triples, existing, time.perf_counter() - started)

    def _bulk_load_file(self, path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode, progress: Progress | None) -> None:
        base = path.resolve().as_uri()
        try:
            if progress is None:
                self._ox.bulk_load(path=str(path), format=fmt, to_graph=graph, base_iri=base)
                return
            with path.open("rb") as raw:
                reader = io.BufferedReader(_ProgressReader(raw, path.stat().st_size, progress), 1 << 20)
                self._ox.bulk_load(reader, format=fmt, to_graph=graph, base_iri=base)
        except SyntaxError as error:
            raise _syntax_error(path, error) from None

    # -- the journal that makes an interrupted load undoable -----------------------------------------------------
    def _write_journal(self, entry: dict) -> None:
        if self.path is None:
            return
        journal = self.path / JOURNAL
        tmp = journal.with_suffix(".tmp")
        with tmp.open("w") as fh:
            json.dump(entry, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)

    def _finish(self, load_id: str) -> None:
        if self.path is not None:
            (self.path / JOURNAL).unlink(missing_ok=True)
        self._ox.remove(
            ox.Quad(
                ox.NamedNode(f"urn:reformkg:load:{load_id}"),
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(COMMITTED),
                ox.NamedNode(SYSTEM_GRAPH),
            )
        )

    def _undo(self, graphs: Iterable[str]) -> None:
        for g in graphs:
            if self._ox.contains_named_graph(ox.NamedNode(g)):
                self._ox.remove_graph(ox.NamedNode(g))

    def _recover(self) -> None:
        """Finish or undo a load that a crash interrupted, so the store is as before it or as after it."""
        journal = self.path / JOURNAL
        if not journal.exists():
            return
        try:
            entry = json.loads(journal.read_text())
        except (OSError, ValueError):
            entry = None
        if entry:
            marker = ox.NamedNode(f"urn:reformkg:load:{entry['id']}")
            committed = any(self._ox.quads_for_pattern(marker, None, None, ox.NamedNode(SYSTEM_GRAPH)))
            if committed:
                log.warning("store %s: completing the load of %s that was interrupted", self.path, entry["file"])
                self._finish(entry["id"])
                return
            log.warning("store %s: undoing the load of %s that was interrupted", self.path, entry["file"])
            self._undo(entry["writing"])
            self._ox.flush()
        journal.unlink(missing_ok=True)

    def close(self) -> None:
        """Flush and let go of the store, so another process (or the next command) can open the folder."""
        if self._ox is not None:
            self._ox.flush()
        self._ox = None
        self._rdflib = None


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint over HTTP (Oxigraph, Fuseki, GraphDB, Virtuoso, Neptune …).

    The endpoint's default graph should be the union of its named graphs (``oxigraph serve --union-default-graph``,
    Fuseki's ``unionDefaultGraph``), as it is for the embedded store.
    """

    backend = "remote"

    def __init__(self, query_url: str, update_url: str | None = None, timeout: float = 60.0):
        import httpx

        self.query_url, self.update_url = query_url, update_url
        self._http = httpx.Client(timeout=timeout)
        self._rdflib = None

    def query(self, sparql, *, default_graphs=None, named_graphs=None) -> QueryResult:
        body, content_type = self.query_raw(
            sparql,
            accept="application/sparql-results+json, application/n-triples;q=0.9",
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )
        if content_type.startswith("application/sparql-results+json"):
            return QueryResult(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        if content_type.startswith("application/n-triples"):
            return QueryResult(q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        raise StoreError(f"{self.query_url} answered with unexpected content type {content_type!r}")

    def query_raw(
        self,
        sparql: str,
        *,
        accept: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> tuple[bytes, str]:
        """Send a query and return the endpoint's bytes and content type untouched."""
        import httpx

        data: list[tuple[str, str]] = [("query", sparql)]
        data += [("default-graph-uri", g) for g in default_graphs or []]
        data += [("named-graph-uri", g) for g in named_graphs or []]
        try:
            response = self._http.post(
                self.query_url,
                content=urlencode(data).encode(),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            )
        except httpx.HTTPError as error:
            raise StoreError(f"{self.query_url}: {error}") from None
        self._raise_for(response)
        return response.content, response.headers.get("content-type", "")

    def update(self, sparql: str) -> None:
        import httpx

        if not self.update_url:
            raise StoreError("this remote store is read-only: set REFORMKG_UPDATE_URL to write to it")
        self._changed()
        try:
            response = self._http.post(
                self.update_url, content=sparql.encode(), headers={"Content-Type": "application/sparql-update"}
            )
        except httpx.HTTPError as error:
            raise StoreError(f"{self.update_url}: {error}") from None
        self._raise_for(response)

    @staticmethod
    def _raise_for(response) -> None:
        if response.status_code < 400:
            return
        message = response.text.strip()[:500]
        if response.status_code == 400:
            raise QuerySyntaxError(message)
        raise StoreError(f"{response.request.url} answered {response.status_code}: {message}")

    def load_file(self, path, *, graph=None, fmt=None, progress=None) -> LoadReport:
        started = time.perf_counter()
        path = _resolve(path)
        rdf_fmt = rdf_format(path, fmt)
        target = ox.NamedNode(graph or default_graph_iri(path))
        quads = _parse_file(path, rdf_fmt, target)
        by_graph: dict[str, list[ox.Triple]] = {target.value: []}
        for q in quads:
            by_graph.setdefault(q.graph_name.value, []).append(q.triple)
        existing = [g for g in by_graph if self.count(g) > 0]
        parts = []
        for g, triples in by_graph.items():
            parts.append(f"DROP SILENT GRAPH <{g}> ;")
            if triples:
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
                parts.append(f"INSERT DATA {{ GRAPH <{g}> {{\n{body}}} }} ;")
        self.update("\n".join(parts).rstrip(" ;"))
        if progress:
            size = path.stat().st_size
            progress(size, size)
        return LoadReport(str(path), sorted(by_graph), len(quads), existing, time.perf_counter() - started)

    @property
    def rdflib(self):
        if self._rdflib is None:
            import rdflib
            from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

            store = SPARQLUpdateStore(self.query_url, self.update_url) if self.update_url else None
            if store is None:
                from rdflib.plugins.stores.sparqlstore import SPARQLStore

                store = SPARQLStore(self.query_url)
            self._rdflib = rdflib.Dataset(store=store, default_union=True)
        return self._rdflib

    def close(self) -> None:
        self._http.close()


def open_store(location: str, *, update_url: str | None = None, timeout: float = 60.0) -> Store:
    """Open the store a ``REFORMKG_STORE`` value names: a folder, ``memory`` or an ``http(s)://`` query URL."""
    if location == "memory":
        return OxigraphStore()
    if location.startswith(("http://", "https://")):
        return RemoteStore(location, update_url, timeout)
    return OxigraphStore(Path(location))
