"""Run untrusted SPARQL queries with a time limit that really stops them.

pyoxigraph's ``Store.query`` has no timeout or cancel (see FINDINGS.md), so for the embedded on-disk store each query
runs in a worker process that holds a read-only view of the store, and a query past its time is stopped by ending its
worker. The main process keeps the read-write store; before it writes, the workers are stopped, and they reopen the
store afterwards, so a read-only view never runs beside a write. Results are serialised in the worker by Oxigraph's
own writers and come back as bytes.

The in-memory store cannot be shared with another process: its queries run in a thread, and one past its time is
answered as timed out while the thread finishes in the background. So are a remote endpoint's: the answer comes on
time, and stopping the query there is the endpoint's own business (e.g. ``oxigraph serve --timeout-s``).
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from graph.store import (
    GRAPH_RESULT_FORMATS,
    RESULT_FORMATS,
    OxigraphStore,
    QueryResult,
    QuerySyntaxError,
    RemoteStore,
    Store,
    StoreError,
    dataset_options,
)

log = logging.getLogger(__name__)

_TOKENS = re.compile(r"""(<[^<>"{}|^`\\\s]*>)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(#[^\n]*)""")
_PROLOGUE = re.compile(r"^\s*(?:(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*", re.IGNORECASE)
_FORM = re.compile(r"^(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_OUTER_LIMIT = re.compile(r"\bLIMIT\s+\d+\s*(?:OFFSET\s+\d+\s*)?$|\bOFFSET\s+\d+\s*LIMIT\s+\d+\s*$", re.IGNORECASE)


class QueryTimeout(StoreError):
    """The query ran past its time and was stopped."""


class ExecutorBusy(StoreError):
    """No worker became free within the query's time."""


def strip_comments(sparql: str) -> str:
    """The text without ``#`` comments; a ``#`` inside an IRI or a string is kept."""
    return _TOKENS.sub(lambda m: "" if m.group(3) else m.group(0), sparql)


def query_form(sparql: str) -> str | None:
    """The query form (select, ask, construct, describe) read from the text, or None if it is not a query."""
    body = _PROLOGUE.sub("", strip_comments(sparql), count=1)
    match = _FORM.match(body.lstrip())
    return match.group(1).lower() if match else None


def with_row_limit(sparql: str, limit: int) -> tuple[str, bool]:
    """Append ``LIMIT`` to a SELECT or CONSTRUCT that has no outer LIMIT; returns the text and whether it did."""
    if limit <= 0 or query_form(sparql) not in ("select", "construct"):
        return sparql, False
    stripped = strip_comments(sparql).rstrip()
    if _OUTER_LIMIT.search(stripped) or re.search(r"\bVALUES\b[^{}]*\{[^{}]*\}\s*$", stripped, re.IGNORECASE):
        return sparql, False
    return f"{sparql.rstrip()}\nLIMIT {limit}", True


@dataclass(frozen=True)
class Answer:
    """A serialised query result."""

    kind: str  # select, ask or graph
    body: bytes
    fmt: str
    limited: bool = False


def _serialize(result: QueryResult, formats: dict[str, str]) -> Answer:
    fmt = formats["graph" if result.kind == "graph" else "results"]
    return Answer(result.kind, result.serialize(fmt), fmt)


def _check_formats(formats: dict[str, str]) -> None:
    if formats["results"] not in RESULT_FORMATS or formats["graph"] not in GRAPH_RESULT_FORMATS:
        raise StoreError(f"unknown result formats {formats}")


# -- the worker process ------------------------------------------------------------------------------------------------
def _worker_main(path: str, connection) -> None:  # pragma: no cover - runs in a child process
    import pyoxigraph as ox

    store = ox.Store.read_only(path)
    connection.send(("ready", None))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        sparql, formats, default_graphs, named_graphs = request
        try:
            options = dataset_options(default_graphs, named_graphs)
            answer = _serialize(QueryResult(store.query(sparql, **options)), formats)
            connection.send(("ok", (answer.kind, answer.body, answer.fmt)))
        except SyntaxError as error:
            connection.send(("syntax", str(error)))
        except (ValueError, OSError, StoreError) as error:
            connection.send(("error", str(error)))


class _Worker:
    def __init__(self, context, path: str):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(path, child), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.connection.poll(timeout):
            status, _ = self.connection.recv()
            self.ready = status == "ready"
        return self.ready

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()


class _ProcessPool:
    """Worker processes, each with a read-only view of an on-disk Oxigraph store."""

    def __init__(self, path: Path, size: int):
        self._context = multiprocessing.get_context("spawn")
        self._path = str(path)
        self._size = size
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._available = threading.Condition(self._lock)
        self._busy = 0
        self._paused = False
        self._idle = [_Worker(self._context, self._path) for _ in range(size)]

    def _take(self, deadline: float) -> _Worker:
        with self._available:
            while self._paused or not self._idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._available.wait(remaining):
                    raise ExecutorBusy("every query worker stayed busy too long; try again")
            worker = self._idle.pop()
            self._busy += 1
            return worker

    def _give_back(self, worker: _Worker | None) -> None:
        with self._available:
            self._busy -= 1
            self._idle.append(worker if worker is not None else _Worker(self._context, self._path))
            self._available.notify()

    def run(self, request: tuple, timeout: float, queue_timeout: float) -> tuple[str, object]:
        """Run one request; ``timeout`` bounds the query's own run, ``queue_timeout`` the wait for a free worker."""
        worker = self._take(time.monotonic() + queue_timeout)
        deadline = time.monotonic() + timeout
        try:
            if not worker.wait_ready(max(0.0, deadline - time.monotonic())):
                raise QueryTimeout(f"the query worker did not start within {timeout:g} s")
            worker.connection.send(request)
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                raise QueryTimeout(f"the query ran past the {timeout:g} s limit and was stopped")
            status, payload = worker.connection.recv()
        except (QueryTimeout, EOFError, OSError, BrokenPipeError) as error:
            worker.stop()
            self._give_back(None)  # a fresh worker takes the ended one's place
            if isinstance(error, QueryTimeout):
                raise
            raise StoreError(f"the query worker failed: {error}") from None
        if status == "error":
            # A read-only view can trip over files the writer has since replaced: reopen before the next query.
            worker.stop()
            self._give_back(None)
        else:
            self._give_back(worker)
        return status, payload

    def restart(self, write) -> None:
        """Stop every worker, let ``write`` run alone, then start fresh workers that see what it wrote."""
        with self._available:
            self._paused = True
            while self._busy:
                self._available.wait()
            for worker in self._idle:
                worker.stop()
            self._idle = []
        try:
            write()
        finally:
            with self._available:
                self._idle = [_Worker(self._context, self._path) for _ in range(self._size)]
                self._paused = False
                self._available.notify_all()

    def close(self) -> None:
        with self._available:
            for worker in self._idle:
                worker.stop()
            self._idle = []


class QueryExecutor:
    """Runs users' SPARQL queries against a store with a time limit and a row cap, and serialises the answers."""

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = 10.0,
        workers: int = 4,
        row_limit: int = 10_000,
        queue_timeout: float | None = None,
    ):
        self.store, self.timeout, self.row_limit, self.workers = store, timeout, row_limit, workers
        #: How long a query may wait for a free worker before it is refused as busy (503); its own run is then
        #: bounded by ``timeout``.
        self.queue_timeout = queue_timeout if queue_timeout is not None else max(30.0, 3 * timeout)
        self._pool: _ProcessPool | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        """Start the workers (processes for an on-disk store, threads for the in-memory one)."""
        if isinstance(self.store, OxigraphStore) and self.store.path is not None:
            self.store.oxigraph.flush()
            self._pool = _ProcessPool(self.store.path / "oxigraph", self.workers)
        else:  # in memory, or remote: a thread, so the answer comes on time even when the query does not end
            self._threads = ThreadPoolExecutor(max_workers=max(self.workers, 2), thread_name_prefix="reformkg-query")
        self._closed = False

    def _ensure_open(self) -> None:
        with self._lock:
            if self._closed:
                self._open()

    def query(
        self,
        sparql: str,
        formats: dict[str, str],
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Answer:
        """Run a query; ``formats`` names the serialisation for solutions ("results") and for triples ("graph")."""
        _check_formats(formats)
        self._ensure_open()
        sparql, limited = with_row_limit(sparql, self.row_limit)
        if self._pool is not None:
            status, payload = self._pool.run(
                (sparql, formats, default_graphs, named_graphs), self.timeout, self.queue_timeout
            )
            if status == "syntax":
                raise QuerySyntaxError(str(payload))
            if status == "error":
                raise StoreError(str(payload))
            kind, body, fmt = payload
            return Answer(kind, body, fmt, limited)

        def run() -> Answer:
            result = self.store.query(sparql, default_graphs=default_graphs, named_graphs=named_graphs)
            return _serialize(result, formats)

        if self._threads is None:
            raise StoreError("the query executor has no workers")
        else:
            started = threading.Event()

            def timed() -> Answer:
                started.set()
                return run()

            future = self._threads.submit(timed)
            try:
                if not started.wait(self.queue_timeout):
                    future.cancel()
                    raise ExecutorBusy("every query thread stayed busy too long; try again")
                answer = future.result(timeout=self.timeout)
            except FutureTimeout:
                where = "the remote endpoint" if isinstance(self.store, RemoteStore) else "the in-memory store"
                raise QueryTimeout(
                    f"the query ran past the {self.timeout:g} s limit ({where} cannot be made to stop it here; "
                    "it finishes in the background)"
                ) from None
        return Answer(answer.kind, answer.body, answer.fmt, limited)

    def update(self, sparql: str) -> None:
        """Run an update as one transaction, with no query worker reading meanwhile."""
        self._ensure_open()
        if self._pool is None:
            self.store.update(sparql)
            return

        def write() -> None:
            self.store.update(sparql)
            self.store.oxigraph.flush()

        self._pool.restart(write)

    def close(self) -> None:
        """Stop the workers; a later query starts them again."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._threads is not None:
                self._threads.shutdown(wait=False, cancel_futures=True)
                self._threads = None
            self._closed = True
