"""The store layer: one interface over embedded Oxigraph (on disk or in memory) and remote SPARQL 1.1 endpoints.

Queries go to the engine whole and come back as pyoxigraph results, so results are serialised by Oxigraph's own
writers with no per-row Python work. The default graph of every query is the union of all graphs; each loaded file
lives in its own named graph.

Loads are atomic. A file is parsed completely before anything is written, so a syntax error changes nothing. On disk,
the fast bulk loader writes the new data; a graph that already exists is written to a staging graph first and swapped
in by one SPARQL update (one transaction). A journal file beside the data, and a commit marker written in the same
transaction as the swap, let the next open undo a load that was killed half way. A remote load sends bounded chunks
through the Graph Store Protocol (or SPARQL Update, blank nodes skolemised) to a staging graph that one ``MOVE`` puts
in place; see ``RemoteStore.load_file``.
"""

from __future__ import annotations

import collections
import io
import json
import logging
import os
import re
import stat
import sys
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from reformkg.graph.errors import (
    InputError,
    QuerySyntaxError,
    QueryTimeout,
    RemoteError,
    RequestFailed,
    StoreError,
)
from reformkg.graph.guard import GraphRead, query_form, touched_iris, update_reads
from reformkg.graph.rdfxml import UnsafeXmlError, check_rdfxml

log = logging.getLogger(__name__)

SYSTEM_GRAPH = "urn:reformkg:system"
COMMITTED = "urn:reformkg:committed"
JOURNAL = "load-journal.json"
#: Beside the data while a process has the store open read-write: its pid, command and (for a server) URL.
OWNER = "owner.json"
#: Beside an on-disk store's data: which state of the store its folder held when reformkg last closed it
#: (``Store.state_id``) and the folder's data files then, so that derived data kept on disk (the ranking's typed
#: part) can be known at the next open to be of the store as it is.
STATE_FILE = "reformkg-state.json"
#: Beside an on-disk store's data: the agency ranking's typed part as of the state recorded (``analytics.keep_typed``),
#: its first line JSON that says which state (``state``).
TYPED_PART_FILE = "reformkg-typed-part.bin"
#: How many writes back ``Store.touched_since`` can say what they named.
TOUCHED_LOG = 256
#: Updates longer than this are not kept to be read for the IRIs they name (``Store.touched_since`` then says it does
#: not know): at most ``TOUCHED_LOG`` texts of this size are held.
TOUCHED_MAX_CHARS = 50_000


def _data_files(folder: Path) -> list[list[Any]] | None:
    """The data files of an engine's folder, sorted, each as [name, size, modification time in ns]: any write to the
    store, by reformkg or by another program, adds, grows or replaces one (a write-ahead log, a manifest, a table).
    The engine's info logs (``LOG``, ``LOG.old.*``) and ``LOCK`` are left out: opening a store, even read-only, may
    write them. None when the folder cannot be read."""
    try:
        with os.scandir(folder) as entries:
            files = []
            for entry in entries:
                if entry.name == "LOCK" or entry.name.startswith("LOG"):
                    continue
                info = entry.stat(follow_symlinks=False)
                files.append([entry.name, info.st_size, info.st_mtime_ns])
    except OSError:
        return None
    return sorted(files)


def _union(*parts: frozenset[str] | list[str] | None) -> frozenset[str] | None:
    """The union of sets of IRIs, or None when one of them is not known."""
    if any(part is None for part in parts):
        return None
    return frozenset().union(*parts)


#: A load of a file up to this size, replacing graphs of up to ``TOUCHED_MAX_QUADS`` quads, says what it changed.
TOUCHED_MAX_FILE_BYTES = 5_000_000
TOUCHED_MAX_QUADS = 100_000
#: An update with a WHERE whose WHERE has more solutions than this, run before it, does not say what it changed.
TOUCHED_MAX_ROWS = 20_000
UTF8_BOM = b"\xef\xbb\xbf"

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


class StoreMissing(StoreError):
    """No store at the folder, and the open was not allowed to create one (a read, or a server)."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"no store at {path}")


class StoreLocked(StoreError):
    """Another process has the on-disk store open read-write; ``holder`` is what its owner file says, if anything."""

    def __init__(self, path: Path, holder: dict[str, Any] | None):
        self.path, self.holder = path, holder
        super().__init__(f"the store {path} is in use by {describe_holder(holder)}; {_lock_advice(holder)}")


class RdfSyntaxError(InputError):
    """A file that does not parse, located as ``file:line:column: message``."""

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = str(path), line, column, message
        if line is None:
            where = self.path
        elif column is None:
            where = f"{self.path}:{line}"
        else:
            where = f"{self.path}:{line}:{column}"
        super().__init__(f"{where}: {message}")


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


_DIRECTIONS = {"ltr": ox.BaseDirection.LTR, "rtl": ox.BaseDirection.RTL}


def _json_term(cell: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    """A term of the SPARQL JSON results format (as the engine writes it) as a pyoxigraph term."""
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "literal":
        if "xml:lang" in cell:
            direction = _DIRECTIONS[cell["its:dir"]] if "its:dir" in cell else None
            return ox.Literal(value, language=cell["xml:lang"], direction=direction)
        if "datatype" in cell:
            return ox.Literal(value, datatype=ox.NamedNode(cell["datatype"]))
        return ox.Literal(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind == "triple":
        return ox.Triple(_json_term(value["subject"]), _json_term(value["predicate"]), _json_term(value["object"]))
    raise StoreError(f"the engine wrote a term of an unknown kind {kind!r}")


def _json_value(cell: dict) -> str:
    """A term's value from its SPARQL JSON form: the IRI, the lexical form, the blank node's id (a triple term: its
    N-Triples text)."""
    return cell["value"] if cell["type"] != "triple" else str(_json_term(cell))


class QueryResult:
    """A query's answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    def __init__(self, payload: Any):
        if isinstance(payload, ox.QuerySolutions):
            self.kind = "select"
        elif isinstance(payload, ox.QueryBoolean):
            self.kind = "ask"
        else:
            self.kind = "graph"
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
        """CONSTRUCT or DESCRIBE triples, all of them (read once, then kept)."""
        if self.kind != "graph":
            raise StoreError("only CONSTRUCT and DESCRIBE queries answer with triples")
        if not isinstance(self._payload, list):
            self._payload = list(self._payload)
        return self._payload

    def stream(self) -> Iterable[ox.Triple]:
        """CONSTRUCT or DESCRIBE triples as they come, so a caller can stop early; consumes them."""
        if self.kind != "graph":
            raise StoreError("only CONSTRUCT and DESCRIBE queries answer with triples")
        return iter(self._payload)

    def rows(self) -> list[dict[str, str | None]]:
        """SELECT solutions as dicts of term values (IRI, literal lexical form or blank node id; a triple term as
        N-Triples writes it), None when unbound; consumes them.

        Read in one call of the engine's JSON writer. Row by row, the engine lets go of Python's interpreter lock
        inside each step and the loop takes it back for every row: beside a thread busy in Python, each take can wait
        for the interpreter's switch interval (5 ms). ``benchmarks.bench_request_path`` measures both ways."""
        names, bindings = self._bindings("rows")
        return [{name: (_json_value(cell) if (cell := row.get(name)) else None) for name in names} for row in bindings]

    def solutions(self) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]]:
        """SELECT solutions as dicts of pyoxigraph terms (None when unbound); consumes them. Read in one call of the
        engine's JSON writer, as ``rows`` (why: there); ``stream_solutions`` reads them one at a time."""
        names, bindings = self._bindings("solutions")
        return [{name: (_json_term(cell) if (cell := row.get(name)) else None) for name in names} for row in bindings]

    def _bindings(self, what: str) -> tuple[list[str], list[dict]]:
        """The variables and the solutions as the SPARQL JSON results format has them, written by the engine (``what``
        names the caller's answer in the error of a result that is not SELECT's)."""
        if self.kind != "select":
            raise StoreError(f"a {self.kind} result has no {what}")
        answer = json.loads(self._payload.serialize(format=ox.QueryResultsFormat.JSON))
        return self.variables, answer["results"]["bindings"]

    def stream_solutions(self) -> Iterable[ox.QuerySolution]:
        """SELECT solutions one at a time as the engine gives them, so that a caller can stop early (the row cap);
        consumes them. A loop over them takes Python's interpreter lock back for every row (see ``rows``)."""
        if self.kind != "select":
            raise StoreError(f"a {self.kind} result has no solutions")
        return self._payload

    def serialize(self, fmt: str, output: IO[bytes] | None = None) -> bytes | None:
        """The result in a SPARQL results format (json, xml, csv, tsv) or an RDF format (ttl, nt, jsonld, xml): as
        bytes, or written to ``output`` (then None). For a large answer, write it to ``Pieces`` (``pieces``)."""
        if self.kind == "graph":
            if fmt not in GRAPH_RESULT_FORMATS:
                raise StoreError(f"a graph result cannot be written as {fmt!r}")
            return ox.serialize(self._payload, output, format=GRAPH_RESULT_FORMATS[fmt])
        if fmt not in RESULT_FORMATS:
            raise StoreError(f"a {self.kind} result cannot be written as {fmt!r}")
        return self._payload.serialize(output, format=RESULT_FORMATS[fmt])

    def pieces(self, fmt: str) -> Pieces:
        """The result written as ``serialize`` writes it, kept in the pieces the engine writes (``Pieces``)."""
        written = Pieces()
        self.serialize(fmt, written)
        return written


class Pieces(io.RawIOBase):
    """Bytes kept in the pieces they are written in, then read back in order (as a binary file, or piece by piece with
    ``take``), each piece let go once read.

    Given a file, the engine writes an answer in pieces of 8 KiB, taking Python's interpreter lock for each one. Asked
    for bytes, it makes one object of the whole answer while it holds the lock, and every other thread (the server's
    requests) waits meanwhile: 56 to 79 ms for the 56 MB of the projection's nodes at 50,000 farms, 204 ms once as
    its edges' answer was handed over."""

    def __init__(self) -> None:
        super().__init__()
        self._pieces: collections.deque[bytes] = collections.deque()
        self._at = 0  # how much of the first piece has been read

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._pieces.append(bytes(data))
        return len(data)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if not len(buffer):
            return 0
        while self._pieces:
            piece = self._pieces[0]
            n = min(len(buffer), len(piece) - self._at)
            if n <= 0:
                self._pieces.popleft()
                self._at = 0
                continue
            buffer[:n] = memoryview(piece)[self._at : self._at + n]
            self._at += n
            return n
        return 0

    def take(self) -> Iterator[bytes]:
        """The pieces not yet read, in order, each let go as it is given."""
        if self._at and self._pieces:
            self._pieces[0] = self._pieces[0][self._at :]
            self._at = 0
        while self._pieces:
            yield self._pieces.popleft()


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


@contextmanager
def _rdf_source(path: Path) -> Iterator[dict[str, Any]]:
    """Arguments for ``ox.parse`` or ``bulk_load`` that read a file, past a UTF-8 byte order mark if it starts with
    one (Windows editors write it; Oxigraph's Turtle and N-Triples parsers stop at it). Lines and columns stay as
    an editor shows them."""
    with path.open("rb") as fh:
        if fh.read(len(UTF8_BOM)) == UTF8_BOM:
            yield {"input": fh}
            return
    yield {"path": path}


def _check_xml(path: Path, fmt: ox.RdfFormat) -> None:
    """Refuse RDF/XML whose entities could expand far past its size (``graph/rdfxml.py``), before a parser sees it."""
    if fmt != ox.RdfFormat.RDF_XML:
        return
    try:
        check_rdfxml(path)
    except UnsafeXmlError as error:
        raise RdfSyntaxError(path, error.line, None, error.message) from None
    except OSError as error:
        raise StoreError(f"{path}: {error.strerror or error}") from None


def _parse_file(path: Path, fmt: ox.RdfFormat, target: ox.NamedNode) -> list[ox.Quad]:
    """Parse a whole file; quads in its default graph move to ``target``. Raises RdfSyntaxError."""
    _check_xml(path, fmt)
    try:
        with _rdf_source(path) as source:
            quads = list(ox.parse(**source, format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as error:
        raise _syntax_error(path, error) from None
    except OSError as error:
        raise StoreError(f"{path}: {error.strerror or error}") from None
    return [
        q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
        for q in quads
    ]


def check_file(path: Path, fmt: ox.RdfFormat) -> None:
    """Parse a file to the end without keeping it, so a syntax error is found before anything is written."""
    _check_xml(path, fmt)
    try:
        with _rdf_source(path) as source:
            for _ in ox.parse(**source, format=fmt, base_iri=path.resolve().as_uri(), lenient=True):
                pass
    except SyntaxError as error:
        raise _syntax_error(path, error) from None
    except OSError as error:
        raise StoreError(f"{path}: {error.strerror or error}") from None


def sparql_iri(value: str) -> str:
    """An IRI written for SPARQL text (``<...>``), after Oxigraph has checked it; StoreError if it is not one."""
    try:
        return str(ox.NamedNode(value))
    except ValueError as error:
        raise StoreError(f"{value!r} is not an absolute IRI: {error}") from None


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


def check_input_file(path: Path | str) -> os.stat_result:
    """A regular file this process can read, or StoreError saying in one line why not. Never opens a FIFO or device."""
    path = Path(path)
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise StoreError(f"{path}: no such file") from None
    except PermissionError:
        raise StoreError(f"{path}: permission denied") from None
    except (OSError, ValueError) as error:
        raise StoreError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path}: not a regular file")
    try:
        with path.open("rb"):
            pass
    except PermissionError:
        raise StoreError(f"{path}: permission denied") from None
    except OSError as error:
        raise StoreError(f"{path}: {error.strerror or error}") from None
    return info


def _resolve(path: Path | str) -> Path:
    path = Path(path)
    check_input_file(path)
    return path


def store_holder(path: Path | str) -> dict[str, Any] | None:
    """What an on-disk store's owner file says about the process holding it read-write, while that process lives."""
    try:
        holder = json.loads((Path(path) / OWNER).read_text())
        pid = int(holder["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid <= 0:
        return None
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
        except PermissionError:
            pass  # alive, another user's
        except OSError:
            return None  # gone: the file is stale
    return holder


def describe_holder(holder: dict[str, Any] | None) -> str:
    """``reformkg serve (pid 1234, http://127.0.0.1:8000)``, or ``another process`` when nothing is known."""
    if holder is None:
        return "another process"
    who = "this process" if holder["pid"] == os.getpid() else str(holder.get("command") or "a process")
    details = [f"pid {holder['pid']}"] + ([str(holder["url"])] if holder.get("url") else [])
    return f"{who} ({', '.join(details)})"


def _lock_advice(holder: dict[str, Any] | None) -> str:
    if holder is None:
        return (
            "stop it first (if it is reformkg serve, send updates to its /sparql endpoint with REFORMKG_UPDATE_TOKEN)"
        )
    if holder.get("url"):
        return "stop it first, or send updates to its /sparql endpoint with REFORMKG_UPDATE_TOKEN"
    return "wait for it to finish, or stop it"


def _is_lock_error(error: OSError) -> bool:
    # RocksDB: "While lock file: …/LOCK: Resource temporarily unavailable" (another process) or
    # "lock hold by current process … LOCK: No locks available" (this one).
    text = str(error)
    held = ("temporarily unavailable", "lock hold by current process", "No locks available")
    return "LOCK" in text and any(h in text for h in held)


class Store(ABC):
    """What every backend offers. The default graph of a query is the union of all graphs."""

    backend: str = "abstract"
    #: True for a read-only view (an on-disk store opened as a snapshot): loads and updates raise StoreError.
    read_only: bool = False
    #: Graphs a load in another process was writing when a read-only view opened: they may be partial.
    in_flux: tuple[str, ...] | list[str] = ()
    #: Bumped by every write made through this object, so caches of derived data know when to refresh. Writes made
    #: by other processes or other clients of a remote endpoint are not seen.
    generation: int = 0
    #: Set once derived data is brought up to date from what writes touched (the ranking's typed part): from then on
    #: an update with a WHERE, or a graph operation, reads before it runs which IRIs it may touch (``OxigraphStore``).
    track_touched: bool = False

    def _changed(self, update: str | None = None, touched: Callable[[], frozenset[str] | None] | None = None) -> None:
        """A write was made: the generation moves on. ``update`` is the text of a SPARQL update that made it, kept
        (up to ``TOUCHED_MAX_CHARS``) so that ``touched_since`` can say later which IRIs it named; ``touched`` says
        the IRIs of every quad a write added or removed, when the writer can (called only when asked); any other
        write is remembered as unknown."""
        self.generation += 1
        log = self.__dict__.setdefault("_touched_log", collections.deque(maxlen=TOUCHED_LOG))
        if update is not None:
            log.append([self.generation, update if len(update) <= TOUCHED_MAX_CHARS else None])
        else:
            log.append([self.generation, touched])

    def state_id(self, generation: int | None = None) -> str | None:
        """An id of the store's content at ``generation`` (default: now) that holds across restarts, for derived data
        kept on disk; None when this backend cannot say one (``OxigraphStore`` on disk can)."""
        return None

    def kept_path(self, name: str) -> Path | None:
        """Where derived data called ``name`` may be kept beside the store's data, or None (in memory, remote)."""
        return None

    def on_close(self, callback: Callable[[Store], None]) -> None:
        """Have ``callback(store)`` called when a read-write store closes, before it lets go (once, however many
        times it is asked): to keep derived data beside it (``analytics.keep_typed``)."""
        callbacks = self.__dict__.setdefault("_on_close", [])
        if callback not in callbacks:
            callbacks.append(callback)

    def touched_since(self, generation: int) -> set[str] | None:
        """The IRIs named by the writes made through this object since ``generation``: every quad they added or
        removed is among them (its subject, predicate, object and graph). None when a write since is not known that
        way or is more than ``TOUCHED_LOG`` writes back. Known are updates made of INSERT DATA and DELETE DATA
        operations (``guard.touched_iris``, read here, off the write's path), small loads (``load_file``) and, while
        ``track_touched`` is set, updates of one operation with a WHERE and graph operations
        (``OxigraphStore.update``)."""
        if generation == self.generation:
            return set()
        try:
            entries = [entry for entry in list(self.__dict__.get("_touched_log", ())) if entry[0] > generation]
        except RuntimeError:  # a write appended meanwhile
            return None
        if len(entries) != self.generation - generation:
            return None
        touched: set[str] = set()
        for entry in entries:
            if isinstance(entry[1], str):
                entry[1] = touched_iris(entry[1])  # an update's text, read once, then kept
            elif callable(entry[1]):
                entry[1] = entry[1]()
            if entry[1] is None:
                return None
            touched |= entry[1]
        return touched

    @abstractmethod
    def query(
        self, sparql: str, *, default_graphs: list[str] | None = None, named_graphs: list[str] | None = None
    ) -> QueryResult:
        """Run a SPARQL 1.1 query."""

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 update as one transaction."""

    @abstractmethod
    def add_quads(self, quads: list[ox.Quad]) -> None:
        """Add quads in one transaction (a quad in the default graph goes to the store's default graph)."""

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
        where = f"GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}").rows()
        return int(rows[0]["n"])

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH {sparql_iri(graph)}")

    def export(self, fmt: str, output: IO[bytes]) -> None:
        """Write everything: quad formats keep the named graphs, triple formats write the union."""
        if fmt not in EXPORT_FORMATS:
            raise StoreError(f"cannot export as {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        rdf_fmt = EXPORT_FORMATS[fmt]
        if _is_quad_format(rdf_fmt):
            result = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            quads = (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in result.stream_solutions())
            ox.serialize(quads, output, format=rdf_fmt)
        else:
            result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            ox.serialize(result.triples, output, format=rdf_fmt)

    @property
    @abstractmethod
    def rdflib(self):
        """This store as an ``rdflib.Dataset`` whose default graph is the union of its graphs."""

    def close(self) -> None:
        """Release the store."""
        self._forget_derived()

    def _forget_derived(self) -> None:
        """Let go of what was made from this store (its projection, the results kept beside it, its ranking's typed
        part), as it closes: a closed store object can outlive its close (a reference cycle that a projection's
        ``gc.freeze`` put out of the collector's reach stays until the process ends: three seed stores built,
        projected and closed in one process kept their three projections), and a projection of 50,000 farms takes
        about 600 MiB. Only the modules already imported have anything to let go of."""
        for name in ("reformkg.graph.projection", "reformkg.graph.analytics"):
            module = sys.modules.get(name)
            if module is not None:
                module.forget(self)


class OxigraphStore(Store):
    """Embedded Oxigraph: on disk when given a folder, else in memory."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        read_only: bool = False,
        create: bool = True,
        owner: dict[str, Any] | None = None,
    ):
        """In memory without a path. On disk, read-write by default: it takes the folder's lock (StoreLocked when
        another process has it), creates the store unless ``create`` is False (StoreMissing), writes the owner file
        (``owner`` adds to it: ``command``, and ``url`` for a server) and finishes or undoes an interrupted load.

        ``read_only`` opens a snapshot of the store as of now instead: it works while another process holds the
        store, never creates one (StoreMissing), refuses loads and updates, and makes no writes of its own. If a load
        was interrupted and the store is free, a short read-write open undoes it first; if the store is held, the
        graphs that load was writing are listed in ``in_flux``.
        """
        self.path = Path(path).absolute() if path is not None else None
        self.read_only = read_only and self.path is not None
        self.in_flux: list[str] = []
        self._writing = threading.RLock()
        self._owned = False
        self._rdflib = None
        if self.path is None:
            self.backend = "memory"
            self._ox = ox.Store()
            return
        self.backend = "disk"
        if (read_only or not create) and not (self.path / "oxigraph" / "CURRENT").is_file():
            raise StoreMissing(self.path)
        self._session = uuid.uuid4().hex
        recorded = self._recorded_state()
        if read_only:
            self._ox = self._open_read_only(owner)
        else:
            self._ox = self._open_read_write(owner)
            self._recover()
        # the state recorded at the last close holds when the folder is as that close left it, checked before the
        # open (which changes the folder), and nobody closed it since (a read-only view also checks it is unchanged)
        if recorded is not None and recorded == self._read_state_file() and not self.in_flux:
            unchanged = not read_only or _data_files(self.path / "oxigraph") == recorded["files"]
            self._opened_state = recorded["state"] if unchanged else None
        # a typed part kept for this state is brought up to date as the store closes (``close``): every write must
        # say what it touched, updates with a WHERE included
        opened = self._opened_state
        self._typed_part_kept = opened is not None and self._kept_state(TYPED_PART_FILE) == opened
        if self._typed_part_kept and not read_only:
            self.track_touched = True

    _opened_state: str | None = None

    def state_id(self, generation: int | None = None) -> str | None:
        """``generation`` 0 is the store as opened: the state recorded when reformkg last closed it, if its folder is
        still as that close left it (``_recorded_state``). Any other state of a read-write store is this session's
        own id and the generation; a read-only view has no other. In memory: None."""
        generation = self.generation if generation is None else generation
        if generation == 0 and self._opened_state is not None:
            return self._opened_state
        if self.path is None or self.read_only:
            return None
        return f"{self._session}.{generation}"

    def kept_path(self, name: str) -> Path | None:
        return self.path / name if self.path is not None else None

    def _kept_state(self, name: str) -> str | None:
        """The state of the store that derived data kept beside it is of: its first line is JSON with ``state``."""
        try:
            with (self.path / name).open("rb") as kept:
                head = json.loads(kept.readline(65_536))
        except (OSError, ValueError):
            return None
        return head.get("state") if isinstance(head, dict) else None

    def _read_state_file(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.path / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        if isinstance(state, dict) and isinstance(state.get("state"), str) and isinstance(state.get("files"), list):
            return state
        return None

    def _recorded_state(self) -> dict[str, Any] | None:
        """The state file as the last close wrote it, when the folder's data files are still the ones it lists (no
        write since, by reformkg or any other program) and no load was cut short; else None."""
        if (self.path / JOURNAL).exists():
            return None
        state = self._read_state_file()
        if state is None or _data_files(self.path / "oxigraph") != state["files"]:
            return None
        return state

    def _record_state(self) -> None:
        """At close, once the engine has let go of the folder: which state it holds now, and its data files."""
        files = _data_files(self.path / "oxigraph")
        state = None if self.__dict__.get("_written_past") else self.state_id()
        target = self.path / STATE_FILE
        try:
            if files is None or state is None:
                target.unlink(missing_ok=True)
                return
            tmp = self.path / f".{STATE_FILE}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps({"state": state, "files": files}))
            os.replace(tmp, target)
        except OSError as error:
            log.warning("store %s: cannot write %s: %s", self.path, STATE_FILE, error)

    def _open_read_write(self, owner: dict[str, Any] | None) -> ox.Store:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            store = ox.Store(str(self.path / "oxigraph"))
        except OSError as error:
            if _is_lock_error(error):
                raise StoreLocked(self.path, store_holder(self.path)) from None
            raise StoreError(f"cannot open the store {self.path}: {error.strerror or error}") from None
        self._write_owner(owner)
        return store

    def _open_read_only(self, owner: dict[str, Any] | None) -> ox.Store:
        journal = self.path / JOURNAL
        if journal.exists():
            try:  # a load was cut short, or is running: if the store is free, let a read-write open undo it
                OxigraphStore(self.path, create=False, owner=owner).close()
            except StoreError:
                try:
                    self.in_flux = sorted(json.loads(journal.read_text())["writing"])
                except (OSError, ValueError, KeyError, TypeError):
                    self.in_flux = []
        try:
            return ox.Store.read_only(str(self.path / "oxigraph"))
        except OSError as error:
            raise StoreError(f"cannot open the store {self.path} read-only: {error}") from None

    def _write_owner(self, owner: dict[str, Any] | None) -> None:
        entry = {
            "pid": os.getpid(),
            "command": Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python",
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **(owner or {}),
        }
        tmp = self.path / f".{OWNER}.{os.getpid()}.tmp"
        try:
            tmp.write_text(json.dumps(entry))
            os.replace(tmp, self.path / OWNER)
            self._owned = True
        except OSError as error:
            log.warning("store %s: cannot write %s: %s", self.path, OWNER, error)

    def _remove_owner(self) -> None:
        self._owned = False
        owner = self.path / OWNER
        try:
            if json.loads(owner.read_text()).get("pid") == os.getpid():
                owner.unlink()
        except (OSError, ValueError, AttributeError):
            pass

    def _check_writable(self) -> None:
        """Called first by every write (update, load_file): a read-only view refuses it with one clear line."""
        if self.read_only:
            raise StoreError(f"the store {self.path} is open read-only (a snapshot): it cannot be written")

    # -- queries -------------------------------------------------------------------------------------------------
    def query(self, sparql, *, default_graphs=None, named_graphs=None) -> QueryResult:
        options = dataset_options(default_graphs, named_graphs)
        try:
            return QueryResult(self._ox.query(sparql, **options))
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from None
        except OSError as error:
            raise StoreError(str(error)) from None
        except (ValueError, RuntimeError) as error:  # the engine evaluated the text and it failed
            raise RequestFailed(str(error)) from None

    def update(self, sparql: str) -> None:
        self._check_writable()
        with self._writing:  # what _touched_by reads is the store as the update finds it
            touched = self._touched_by(sparql) if self.track_touched else None
            try:
                self._ox.update(sparql)
            except SyntaxError as error:
                raise QuerySyntaxError(str(error)) from None
            except OSError as error:
                raise StoreError(str(error)) from None
            except (ValueError, RuntimeError) as error:  # CREATE of a graph that exists, DROP of one that does not …
                raise RequestFailed(str(error)) from None
            finally:
                # after the write, so a cache built meanwhile is not taken for current
                if touched is not None:
                    self._changed(touched=lambda: touched)
                else:
                    self._changed(sparql)

    def _touched_by(self, sparql: str) -> frozenset[str] | None:
        """Before an update runs: the IRIs it may touch, when it is one operation with a WHERE or a graph operation
        (``guard.update_reads``): those its WHERE binds on the store as it is now (the update binds the same: same
        text, same data), with those its text names; or those in the graphs a graph operation changes. None for any
        other update (an update of data operations says it by its text, when asked), or past ``TOUCHED_MAX_ROWS``
        solutions or ``TOUCHED_MAX_QUADS`` quads."""
        read = update_reads(sparql)
        if read is None:
            return None
        if isinstance(read, GraphRead):
            return _union(self._graph_iris(list(read.graphs)), read.named)
        names = set(read.named)
        options = {"default_graph": ox.NamedNode(read.default_graph)} if read.default_graph is not None else {}
        try:
            for row, solution in enumerate(self._ox.query(read.select, **options)):
                if row >= TOUCHED_MAX_ROWS:
                    return None
                for term in solution:
                    if isinstance(term, ox.NamedNode):
                        names.add(term.value)
                    elif isinstance(term, ox.Triple):  # a quoted triple: its IRIs are not read here
                        return None
        except (SyntaxError, OSError, ValueError, RuntimeError, TypeError):  # the update will say what is wrong
            return None
        return frozenset(names)

    def add_quads(self, quads: list[ox.Quad]) -> None:
        self._check_writable()
        with self._writing:
            try:
                self._ox.extend(quads)
            finally:
                self._changed()

    def graphs(self) -> list[str]:
        names = (g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode))
        return sorted(g for g in names if g != SYSTEM_GRAPH and "#reformkg-staging-" not in g)

    @property
    def oxigraph(self) -> ox.Store:
        """The pyoxigraph store underneath, for native reads (and ``flush``). A write made through it bypasses this
        object: derived data (projections, the ranking, the typed part kept beside the store) does not see it; write
        through ``update``, ``add_quads`` or ``load_file`` instead."""
        return self._ox

    @property
    def rdflib(self):
        """As ``Store.rdflib``. Such a dataset can write past this object, so once it is made the store records no
        state as it closes (``STATE_FILE``): the next open trusts no derived data kept beside it."""
        if self._rdflib is None:
            import rdflib
            from oxrdflib import OxigraphStore as RdflibOxigraphStore

            self._written_past = True
            self._rdflib = rdflib.Dataset(store=RdflibOxigraphStore(store=self._ox), default_union=True)
        return self._rdflib

    # -- loading -------------------------------------------------------------------------------------------------
    def load_file(self, path, *, graph=None, fmt=None, progress=None) -> LoadReport:
        self._check_writable()
        with self._writing:
            return self._load_file(path, graph=graph, fmt=fmt, progress=progress)

    def _load_file(self, path, *, graph, fmt, progress) -> LoadReport:
        started = time.perf_counter()
        path = _resolve(path)
        rdf_fmt = rdf_format(path, fmt)
        target = ox.NamedNode(graph or default_graph_iri(path))
        load_id = uuid.uuid4().hex
        if _is_quad_format(rdf_fmt):
            quads = _parse_file(path, rdf_fmt, target)
            targets = sorted({q.graph_name.value for q in quads} | {target.value})
        else:
            # No parse before the load: bulk_load stops at the first syntax error, and the journal's undo below drops
            # what it wrote (a new graph, or the staging copy of one being replaced). Only RDF/XML is read first,
            # for entities that must never reach the parser.
            _check_xml(path, rdf_fmt)
            quads, targets = None, [target.value]
        existing = [t for t in targets if self._ox.contains_named_graph(ox.NamedNode(t))]
        # a small load (the next newsletter's graph) says what it changed: the IRIs of the graphs it replaces, as they
        # were and as they are after it (``touched_since``); a large one does not (reading them would cost too much)
        small = path.stat().st_size <= TOUCHED_MAX_FILE_BYTES
        replaced = self._graph_iris(existing) if small else None
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
        # the graphs as they are now are read only when a ranking asks (``touched_since``): a later write that
        # changes them again is in the log with what it named
        self._changed(
            touched=(lambda: _union(replaced, self._graph_iris(targets), targets)) if replaced is not None else None
        )
        triples = sum(self.count(t) for t in targets)
        return LoadReport(str(path), targets, triples, existing, time.perf_counter() - started)

    def _graph_iris(self, graphs: list[str | None]) -> frozenset[str] | None:
        """Every IRI in the quads of these graphs (None: the default graph; subjects, predicates, objects), or None
        past ``TOUCHED_MAX_QUADS`` quads."""
        names: set[str] = set()
        seen = 0
        for graph in graphs:
            name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
            for quad in self._ox.quads_for_pattern(None, None, None, name):
                seen += 1
                if seen > TOUCHED_MAX_QUADS:
                    return None
                for term in (quad.subject, quad.predicate, quad.object):
                    if isinstance(term, ox.NamedNode):
                        names.add(term.value)
        return frozenset(names)

    def _bulk_load_file(self, path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode, progress: Progress | None) -> None:
        base = path.resolve().as_uri()
        try:
            with path.open("rb") as raw:
                bom = raw.read(len(UTF8_BOM)) == UTF8_BOM
                if progress is None and not bom:
                    self._ox.bulk_load(path=str(path), format=fmt, to_graph=graph, base_iri=base)
                    return
                raw.seek(len(UTF8_BOM) if bom else 0)
                reader = (
                    raw
                    if progress is None
                    else io.BufferedReader(_ProgressReader(raw, path.stat().st_size, progress), 1 << 20)
                )
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
        """Flush and let go of the store, so another process (or the next command) can open the folder; on disk,
        record which state the folder holds (``STATE_FILE``)."""
        with self._writing:  # no write between what the derived data kept says and the state recorded
            writable = self._ox is not None and not self.read_only
            if writable and self.generation and self.__dict__.get("_typed_part_kept"):
                from reformkg.graph.analytics import keep_typed  # the typed part kept beside the store, up to date

                self.on_close(keep_typed)
            if writable:
                for callback in self.__dict__.pop("_on_close", ()):
                    try:
                        callback(self)
                    except Exception as error:  # derived data kept or not, the store closes
                        log.warning("store %s: on closing, %s failed: %s", self.path, callback.__name__, error)
                self._ox.flush()
            self._ox = None
            self._rdflib = None
            if writable and self.path is not None:
                # (a result still open keeps the engine's handle on the folder: if the engine changes a file when it
                # lets go, the next open finds the folder changed and trusts no derived data kept)
                self._record_state()
        if self._owned:
            self._remove_owner()
        self._forget_derived()


#: Skolem IRIs that stand for blank nodes on a load through SPARQL Update into an engine that refuses blank nodes in
#: ``INSERT DATA`` (Virtuoso 7): one per blank node of the load, ``SKOLEM_BASE`` + the load's id + ``/`` + its label.
SKOLEM_BASE = "https://w3id.org/reformkg/genid/"
#: The graph a remote load writes a target graph's new content into before it is moved over the target.
STAGING_SUFFIX = "#reformkg-staging"
DEFAULT_CHUNK_TRIPLES = 20_000
#: Most triples in one ``INSERT DATA`` of a load: Virtuoso 7.2's SPARQL compiler runs out of memory at about 5,000.
UPDATE_CHUNK_TRIPLES = 2_000
#: Virtuoso's error classes for a text it compiled and refused, or ran and found wrong (22023: a bad argument, such
#: as CREATE of a graph that exists; 37000: the SPARQL compiler), as the first words of its answer.
_VIRTUOSO_REQUEST_ERRORS = (b"Virtuoso 22023 ", b"Virtuoso 37000 ", b"Virtuoso 42000 ")
#: Virtuoso's word for a transaction it rolled back in a deadlock, to be sent again; and how many times it is.
_VIRTUOSO_DEADLOCK = b"SR172"
DEADLOCK_RETRIES = 3
#: Virtuoso writes blank nodes in SPARQL results as ``nodeID://b1234``, which is no blank node label.
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_GRAPH_FORMS = ("construct", "describe")


def staging_graph(graph: str) -> str:
    """Where a remote load writes a graph's new content before moving it over the graph. One per target, so a load
    cut short leaves at most one, which the next load of that graph replaces."""
    return f"{graph or 'urn:reformkg:default-graph'}{STAGING_SUFFIX}"


def skolemise(triples: Iterable[ox.Triple], load_id: str) -> list[ox.Triple]:
    """The triples with each blank node replaced by its Skolem IRI (``SKOLEM_BASE``) for this load."""

    def term(t):
        return ox.NamedNode(f"{SKOLEM_BASE}{load_id}/{t.value}") if isinstance(t, ox.BlankNode) else t

    return [
        ox.Triple(term(t.subject), t.predicate, term(t.object))
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
        else t
        for t in triples
    ]


def chunks(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """The triples in chunks of about ``size`` (at least one triple), in which triples that share a blank node, and so
    every blank node's whole neighbourhood of blank nodes, stay together: sent as one request each, a blank node is
    still one node. A group larger than ``size`` goes whole into a chunk of its own."""
    size = max(1, size)
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    plain: list[ox.Triple] = []
    linked: list[tuple[str, ox.Triple]] = []
    for t in triples:
        labels = [x.value for x in (t.subject, t.object) if isinstance(x, ox.BlankNode)]
        if not labels:
            plain.append(t)
            continue
        for label in labels:
            parent.setdefault(label, label)
        if len(labels) == 2:
            parent[root(labels[0])] = root(labels[1])
        linked.append((labels[0], t))
    for start in range(0, len(plain), size):
        yield plain[start : start + size]
    groups: dict[str, list[ox.Triple]] = {}
    for label, t in linked:
        groups.setdefault(root(label), []).append(t)
    batch: list[ox.Triple] = []
    for group in groups.values():
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def _public_url(url: str) -> str:
    """A URL as messages and logs may show it: without a user name and password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _credentials(url: str):
    """httpx auth for the user name and password in a URL (``http://user:password@host/sparql``), or None. It
    answers the scheme the endpoint asks for: Basic (Fuseki, GraphDB), or Digest (Virtuoso's ``/sparql-auth``)."""
    import httpx

    parts = urlsplit(url)
    if parts.username is None:
        return None
    user, password = unquote(parts.username), unquote(parts.password or "")

    class Credentials(httpx.Auth):
        """Nothing until the endpoint asks (401); then the scheme it named, for this and every later request."""

        def __init__(self) -> None:
            self._scheme: httpx.Auth | None = None

        def auth_flow(self, request):
            if self._scheme is not None:
                yield from self._scheme.auth_flow(request)
                return
            response = yield request
            if response.status_code != 401:
                return
            asked = response.headers.get("www-authenticate", "").lower()
            if asked.startswith("digest"):
                self._scheme = httpx.DigestAuth(user, password)
            elif asked.startswith("basic"):
                self._scheme = httpx.BasicAuth(user, password)
            else:
                return
            yield from self._scheme.auth_flow(request)

    return Credentials()


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint over HTTP: Virtuoso and ``oxigraph serve`` are tested; Fuseki, GraphDB and Neptune speak
    the same protocols (the README's "Your own engine" says what each needs).

    The endpoint's default graph should be the union of its named graphs (``oxigraph serve --union-default-graph``,
    Fuseki's ``unionDefaultGraph``; Virtuoso's is), as it is for the embedded store. Queries ask for the media type
    their form answers in (SPARQL JSON, or N-Triples for CONSTRUCT and DESCRIBE). Loads go through the Graph Store
    Protocol when ``gsp_url`` is given, else as SPARQL Update ``INSERT DATA`` (blank nodes skolemised, with
    ``SKOLEM_BASE``, where the engine refuses them), in chunks of about ``chunk_triples``; see ``load_file``. A user
    name and password in a URL are sent as the endpoint asks (Basic or Digest) and never appear in a message.
    """

    backend = "remote"

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        timeout: float = 60.0,
        *,
        gsp_url: str | None = None,
        chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
    ):
        import httpx

        self.query_url, self.update_url, self.gsp_url = query_url, update_url, gsp_url
        self.chunk_triples = max(1, chunk_triples)
        self._http = httpx.Client(timeout=timeout)
        self._auth = {u: _credentials(u) for u in (query_url, update_url, gsp_url) if u}
        self._skolemise = False  # set once the engine refuses blank nodes in INSERT DATA
        self._rdflib = None

    # -- queries -------------------------------------------------------------------------------------------------
    def query(self, sparql, *, default_graphs=None, named_graphs=None) -> QueryResult:
        form = query_form(sparql)
        if form in _GRAPH_FORMS:
            accept = "application/n-triples"
        elif form is not None:
            accept = "application/sparql-results+json"
        else:
            accept = "application/sparql-results+json, application/n-triples;q=0.9"
        body, content_type = self.query_raw(
            sparql, accept=accept, default_graphs=default_graphs, named_graphs=named_graphs
        )
        if content_type.startswith("application/sparql-results+json"):
            body = _VIRTUOSO_BNODE.sub(rb"\1", body)
            return QueryResult(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        if content_type.startswith("application/n-triples") and form not in ("select", "ask"):
            return QueryResult(q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        log.warning("%s answered with content type %r", _public_url(self.query_url), content_type[:200])
        raise RemoteError(f"{_public_url(self.query_url)} answered in a media type reformkg does not read")

    def query_raw(
        self,
        sparql: str,
        *,
        accept: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> tuple[bytes, str]:
        """Send a query and return the endpoint's bytes and content type untouched."""
        data: list[tuple[str, str]] = [("query", sparql)]
        data += [("default-graph-uri", g) for g in default_graphs or []]
        data += [("named-graph-uri", g) for g in named_graphs or []]
        response = self._send(
            "POST",
            self.query_url,
            content=urlencode(data).encode(),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        self._check_complete(response)
        return response.content, response.headers.get("content-type", "")

    def _check_complete(self, response) -> None:
        """Refuse an answer the engine cut short but sent as a success: Virtuoso answers a query that reached its
        ``MaxQueryExecutionTime`` with the rows found so far (``X-SQL-State``), and caps every answer at its
        ``ResultSetMaxRows`` (``X-SPARQL-MaxRows``). Taken as whole, either would silently be a wrong answer."""
        url = _public_url(self.query_url)
        if response.headers.get("x-sql-state"):
            log.warning("%s answered partially: %s", url, response.headers.get("x-sql-message", "")[:300])
            raise QueryTimeout(f"the remote endpoint stopped the query at its own time limit ({url})")
        if response.headers.get("x-sparql-maxrows"):
            rows = response.headers["x-sparql-maxrows"]
            raise RemoteError(
                f"the remote endpoint cut the answer at {rows} rows ({url}); raise its result limit "
                "(Virtuoso: ResultSetMaxRows in virtuoso.ini) above REFORMKG_RESULT_LIMIT"
            )

    # -- writes --------------------------------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        if not self.update_url:
            raise StoreError("this remote store is read-only: set REFORMKG_UPDATE_URL to write to it")
        try:
            self._send(
                "POST",
                self.update_url,
                content=sparql.encode(),
                headers={"Content-Type": "application/sparql-update"},
            )
        finally:
            self._changed()  # after the write (or its failure), never before

    def add_quads(self, quads: list[ox.Quad]) -> None:
        self._write(self._by_graph(quads, None), replace=False)

    def load_file(self, path, *, graph=None, fmt=None, progress=None) -> LoadReport:
        """Load a file into its own named graph, replacing what the graph held; all or nothing per graph.

        The file is parsed whole first, so a syntax error sends nothing. The triples go in chunks of about
        ``chunk_triples``: through the Graph Store Protocol (POST) when a GSP URL is set, keeping blank nodes (a
        chunk never splits the triples that share one), else as ``INSERT DATA`` (at most ``UPDATE_CHUNK_TRIPLES``)
        with blank nodes as they are, or skolemised where the engine refuses them. A graph that holds triples already
        is written to its staging graph (``staging_graph``) and one ``MOVE`` puts the new content in place of the
        old: until then readers see the old graph, and a load that fails or is cut short (Ctrl-C) drops the staging
        graph and leaves the old graph as it was. A graph that held nothing is written in place (no copy), and
        dropped again if the load fails.
        """
        started = time.perf_counter()
        path = _resolve(path)
        rdf_fmt = rdf_format(path, fmt)
        target = ox.NamedNode(graph or default_graph_iri(path))
        quads = _parse_file(path, rdf_fmt, target)
        by_graph = self._by_graph(quads, target.value)
        existing = self._existing(list(by_graph))
        size = path.stat().st_size
        total = max(1, len(quads))
        report = (lambda done: progress(min(size, size * done // total), size)) if progress else None
        self._write(by_graph, replace=True, new=[g for g in by_graph if g not in existing], progress=report)
        if progress:
            progress(size, size)
        return LoadReport(str(path), sorted(by_graph), len(quads), existing, time.perf_counter() - started)

    @staticmethod
    def _by_graph(quads: list[ox.Quad], target: str | None) -> dict[str, list[ox.Triple]]:
        """Triples by graph name ("" for the default graph), ``target`` first even when empty."""
        by_graph: dict[str, list[ox.Triple]] = {target: []} if target is not None else {}
        for q in quads:
            name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
            by_graph.setdefault(name, []).append(q.triple)
        return by_graph

    def _existing(self, graphs: list[str]) -> list[str]:
        values = " ".join(sparql_iri(g) for g in graphs if g)
        if not values:
            return []
        rows = self.query(f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}")
        found = {r["g"] for r in rows.rows()}
        return [g for g in graphs if g in found]

    def _write(
        self,
        by_graph: dict[str, list[ox.Triple]],
        *,
        replace: bool,
        new: Iterable[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Write each graph's triples, then make them the graph's content (``replace``) or add them to it.

        A graph in ``new`` (one that held nothing when the load began) is written in place: there is nothing for
        readers to see instead, and a failure drops what was written. Any other graph is written to its staging
        graph and moved (``replace``) or added over; a failure drops the staging graph and the graph stays as it was.
        """
        if not self.update_url:
            raise StoreError("this remote store is read-only: set REFORMKG_UPDATE_URL to write to it")
        load_id = uuid.uuid4().hex
        direct = set(new) if replace else set()
        writing: dict[str, str] = {}  # graph -> where its triples go
        finished: set[str] = set()
        done = 0
        try:
            for name, triples in by_graph.items():
                if not triples:
                    continue
                into = name if name in direct else staging_graph(name)
                writing[name] = into
                self.update(f"DROP SILENT GRAPH {sparql_iri(into)}")  # what a load cut short left
                # closing: a failure here (Ctrl-C in progress) ends the requests in flight before the clean-up
                with closing(self._send_chunks(into, self._chunks(triples, load_id), load_id)) as sending:
                    for sent in sending:
                        done += sent
                        if progress:
                            progress(done)
            for name in by_graph:
                target = f"GRAPH {sparql_iri(name)}" if name else "DEFAULT"
                into = writing.get(name)
                if into is None:
                    if replace:  # the new content is empty
                        self.update(f"DROP SILENT {target}")
                elif name in direct:
                    pass
                elif replace:
                    self.update(f"MOVE SILENT GRAPH {sparql_iri(into)} TO {target}")
                else:
                    self.update(f"ADD SILENT GRAPH {sparql_iri(into)} TO {target}")
                    self.update(f"DROP SILENT GRAPH {sparql_iri(into)}")
                finished.add(name)
        except BaseException:
            for name, into in writing.items():
                if name not in finished or name in direct:
                    try:
                        self.update(f"DROP SILENT GRAPH {sparql_iri(into)}")
                    except StoreError as error:
                        log.warning("could not drop %s after a failed load: %s", into, error)
            raise
        finally:
            self._changed()

    def _chunks(self, triples: list[ox.Triple], load_id: str) -> Iterator[list[ox.Triple]]:
        return chunks(triples, self.chunk_triples if self.gsp_url else min(self.chunk_triples, UPDATE_CHUNK_TRIPLES))

    def _send_chunks(self, graph: str, parts: Iterator[list[ox.Triple]], load_id: str) -> Iterator[int]:
        """Send the chunks with up to two requests in flight, so that the engine stores one while the next is
        written; yields how many triples each finished request held, in order. Stops at the first failure."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            pending = []
            try:
                for part in parts:
                    pending.append((len(part), pool.submit(self._send_chunk, graph, part, load_id)))
                    if len(pending) == 2:
                        size, future = pending.pop(0)
                        future.result()
                        yield size
                for size, future in pending:
                    future.result()
                    yield size
            finally:
                for _size, future in pending:
                    future.cancel()

    def _send_chunk(self, graph: str, triples: list[ox.Triple], load_id: str) -> None:
        """One chunk: a GSP POST, or an ``INSERT DATA``. Blank nodes go as they are (a chunk holds every triple that
        shares one); an engine that refuses blank nodes in ``INSERT DATA`` (Virtuoso 7, with a 400) gets this chunk
        and the rest of this store's loads with blank nodes skolemised (``SKOLEM_BASE``)."""
        if not self.gsp_url:
            blank = any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)
            if blank and not self._skolemise:
                try:
                    self._insert_data(graph, triples)
                    return
                except QuerySyntaxError:
                    log.info(
                        "%s refused blank nodes in INSERT DATA: loads skolemise them", _public_url(self.update_url)
                    )
                    self._skolemise = True
            self._insert_data(graph, skolemise(triples, load_id) if blank else triples)
            return
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if self.gsp_url:
            self._send(
                "POST",
                self.gsp_url,
                params={"graph": graph},
                content=body,
                headers={"Content-Type": "application/n-triples"},
            )

    def _insert_data(self, graph: str, triples: list[ox.Triple]) -> None:
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
        self.update(f"INSERT DATA {{ GRAPH {sparql_iri(graph)} {{\n{body}}} }}")

    # -- HTTP ----------------------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs):
        """One request; RemoteError when the endpoint does not answer, the mapped error for an error status."""
        import httpx

        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                response = self._http.request(
                    method, url, auth=self._auth.get(url) or httpx.USE_CLIENT_DEFAULT, **kwargs
                )
            except httpx.HTTPError as error:
                raise RemoteError(f"{_public_url(url)} did not answer: {type(error).__name__}") from None
            if attempt < DEADLOCK_RETRIES and response.status_code == 500 and _VIRTUOSO_DEADLOCK in response.content:
                # Virtuoso rolled the transaction back and asks for it again (two chunks of a load in flight can
                # lock each other)
                log.info("%s: transaction deadlocked, sent again", _public_url(url))
                time.sleep(0.1 * 3**attempt)
                continue
            break
        self._raise_for(response)
        return response

    @staticmethod
    def _raise_for(response) -> None:
        """Raise the library error for an error status. What the endpoint said goes to the log, never into a message:
        400 is a text the endpoint refused as malformed; 401 and 403 are refused credentials; a text the engine ran
        and found wrong (Virtuoso answers those 500 with its error class first) is RequestFailed; any other failure is
        RemoteError."""
        if response.status_code < 400:
            return
        url = _public_url(str(response.request.url))
        text = response.content[:2000]
        log.warning("%s answered %s: %s", url, response.status_code, text.decode(errors="replace").strip()[:500])
        status = response.status_code
        if status == 400:
            raise QuerySyntaxError(f"the remote endpoint refused it as malformed (HTTP 400 from {url})")
        if status in (401, 403):
            raise RemoteError(
                f"the remote endpoint refused reformkg's credentials or rights (HTTP {status} from {url}); give the "
                "user name and password in the URL (http://user:password@host/...) and grant it updates"
            )
        if status == 500 and text.lstrip().startswith(_VIRTUOSO_REQUEST_ERRORS):
            raise RequestFailed(f"the remote endpoint ran it and it failed (HTTP 500 from {url})")
        raise RemoteError(f"the remote endpoint failed (HTTP {status} from {url})")

    def graphs(self) -> list[str]:
        return [g for g in super().graphs() if not g.endswith(STAGING_SUFFIX)]

    @property
    def rdflib(self):
        if self._rdflib is None:
            import rdflib
            from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

            # SPARQL JSON: asked for XML, Virtuoso answers a SELECT in RDF/XML, which rdflib cannot read as results.
            if self.update_url:
                store = SPARQLUpdateStore(self.query_url, self.update_url, returnFormat="json")
            else:
                from rdflib.plugins.stores.sparqlstore import SPARQLStore

                store = SPARQLStore(self.query_url, returnFormat="json")
            self._rdflib = rdflib.Dataset(store=store, default_union=True)
        return self._rdflib

    def close(self) -> None:
        self._http.close()
        self._forget_derived()


def open_store(
    location: str,
    *,
    write: bool,
    create: bool = False,
    owner: dict[str, Any] | None = None,
    update_url: str | None = None,
    timeout: float = 60.0,
    gsp_url: str | None = None,
    chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
) -> Store:
    """Open the store a ``REFORMKG_STORE`` value names: a folder, ``memory`` or an ``http(s)://`` query URL.

    A folder opens read-write when ``write`` (taking its lock: StoreLocked while another process has it; ``create``
    makes a missing store, else StoreMissing), or else as a read-only snapshot, which works beside a process that
    holds the store and never creates one. See ``OxigraphStore``. A remote store takes its update and Graph Store
    Protocol URLs and its load chunk size; see ``RemoteStore``.
    """
    if location == "memory":
        return OxigraphStore()
    if location.startswith(("http://", "https://")):
        return RemoteStore(location, update_url, timeout, gsp_url=gsp_url, chunk_triples=chunk_triples)
    return OxigraphStore(Path(location), read_only=not write, create=write and create, owner=owner)
