"""Run untrusted SPARQL with limits: checked first, stopped at its time limit, capped in rows, scheduled fairly.

Every query and update is first read by ``graph.guard`` (length, nesting, operators, and SERVICE or LOAD targets off
the allow-list): a refused one never reaches the engine, on any backend.

pyoxigraph's ``Store.query`` has no timeout or cancel, so for the embedded on-disk store each query runs in a worker
process that holds a read-only view of the store, and a query past its time is stopped by ending its worker. The main
process keeps the read-write store. A write runs alone among writes but neither waits for queries nor holds them
back: a running query reads the snapshot its view was opened on, and each worker reopens its view before its first
query after a write, so a query that starts after a write has been acknowledged sees it. No process is restarted for
a write.

Scheduling is fair to light queries. The pool has ``workers`` processes for queries that run long and ``reserve`` more
that stay free for short ones: a query that has used ``light_seconds`` of CPU counts as long, and when ``workers``
long queries already run it is stopped at once (503, try again) rather than take a place that short queries need.
A long query's worker runs at a low CPU priority, so short queries and the server itself come first on the cores.
Queries that queue for a worker are served cheap ones first: those whose text took little CPU when it last ran.

A query text that took at most ``INLINE_SECONDS`` of CPU on a worker, on the store exactly as it is now, is answered
the next times by the main process itself (``QueryExecutor._query_inline``): the engine does the same work for the
same text on the same data, so it cannot run long, and the hand-off to a worker would cost more than the query. A
write makes every text go to a worker again first; a federated query never takes that path.

The in-memory store cannot be shared with another process: its queries run in threads, and one past its time is
answered as timed out while the thread finishes in the background. So are a remote endpoint's: the answer comes on
time, and stopping the query there is the endpoint's own business (e.g. ``oxigraph serve --timeout-s``).

Engine calls run on threads with a large stack, so that whatever the guard admits is parsed without exhausting it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import pickle
import socket
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string  # a str as JSON, as json.dumps writes it
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from reformkg.graph import guard
from reformkg.graph.errors import (
    ExecutorBusy,
    QuerySyntaxError,
    QueryTimeout,
    RefusedRequest,
    RemoteError,
    RequestFailed,
    StoreError,
)
from reformkg.graph.store import (
    GRAPH_RESULT_FORMATS,
    RESULT_FORMATS,
    OxigraphStore,
    QueryResult,
    Store,
    dataset_options,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Stack for threads that call the engine (it parses and evaluates recursively). Reserved address space, not memory.
ENGINE_STACK_BYTES = 64 << 20
#: Query workers kept free for short queries, beyond the ``workers`` that may run long ones.
LIGHT_RESERVE = 2
#: A queued query whose text took less CPU than this when it last ran goes before the others (``_ProcessPool``).
CHEAP_SECONDS = 0.02
#: How many recent query texts the pool remembers the cost of.
COST_MEMORY = 4096
#: A query whose text took at most this much CPU on a worker, on the store as it is now, is answered by the main
#: process itself the next times, on the event loop (``QueryExecutor.query_async``): the hand-off to a worker process
#: costs more than such a query.
INLINE_SECONDS = 0.002
#: Writes between two flushes of the on-disk store (see ``QueryExecutor._flush_now_and_then``).
FLUSH_EVERY = 64
#: The niceness a worker runs at while its query counts as long.
LONG_QUERY_NICENESS = 15
_stack_lock = threading.Lock()

#: What a LOAD asks its source for.
LOAD_ACCEPT = (
    "text/turtle, application/n-triples, application/n-quads;q=0.9, application/trig;q=0.9, "
    "application/rdf+xml;q=0.8, application/ld+json;q=0.8"
)

__all__ = ["Answer", "ExecutorBusy", "QueryExecutor", "QueryTimeout"]


@dataclass(frozen=True)
class Answer:
    """A serialised query result; ``limited`` when rows or triples past the cap were left out."""

    kind: str  # select, ask or graph
    body: bytes
    fmt: str
    limited: bool = False


def _term_text(term) -> str:
    """A term as SPARQL JSON results write it, in the engine's own bytes (keys in its order, no spaces, strings
    escaped as ``json.dumps`` with ``ensure_ascii=False`` escapes them)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _json_string(term.value) + "}"
    if isinstance(term, ox.Triple):
        return (
            '{"type":"triple","value":{"subject":'
            + _term_text(term.subject)
            + ',"predicate":'
            + _term_text(term.predicate)
            + ',"object":'
            + _term_text(term.object)
            + "}}"
        )
    text = '{"type":"literal","value":' + _json_string(term.value)
    if term.language:
        text += ',"xml:lang":' + _json_string(term.language)
        if term.direction is not None:
            text += ',"its:dir":"rtl"' if term.direction == ox.BaseDirection.RTL else ',"its:dir":"ltr"'
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        text += ',"datatype":' + _json_string(term.datatype.value)
    return text + "}"


def serialize_capped(result: QueryResult, formats: dict[str, str], limit: int) -> Answer:
    """Serialise at most ``limit`` solutions or triples (``limit`` <= 0: all), fetching one more to know if any were
    left out. The engine's own writers write every format; the query text is never edited. The JSON results written
    here for a cap are byte for byte what the engine writes for the same rows (a test compares them), so an answer
    does not change with the path that made it."""
    if result.kind == "ask":
        fmt = formats["results"]
        return Answer("ask", result.serialize(fmt), fmt)
    if result.kind == "graph":
        fmt = formats["graph"]
        triples = result.stream()
        if limit <= 0:
            return Answer("graph", ox.serialize(triples, format=GRAPH_RESULT_FORMATS[fmt]), fmt)
        head = list(itertools.islice(triples, limit + 1))
        return Answer("graph", ox.serialize(head[:limit], format=GRAPH_RESULT_FORMATS[fmt]), fmt, len(head) > limit)
    fmt = formats["results"]
    if limit <= 0:
        return Answer("select", result.serialize(fmt), fmt)
    variables = result.variables
    head = list(itertools.islice(result.stream_solutions(), limit + 1))
    keys = [_json_string(name) + ":" for name in variables]
    written: dict = {}  # a term's JSON, written once however often it recurs
    rows = []
    for row in head[:limit]:
        cells = []
        for key, term in zip(keys, row, strict=True):
            if term is not None:
                text = written.get(term)
                if text is None:
                    text = written[term] = _term_text(term)
                cells.append(key + text)
        rows.append("{" + ",".join(cells) + "}")
    body = (
        '{"head":{"vars":['
        + ",".join(map(_json_string, variables))
        + ']},"results":{"bindings":['
        + ",".join(rows)
        + "]}}"
    ).encode()
    if fmt != "json":
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        body = parsed.serialize(format=RESULT_FORMATS[fmt])
    return Answer("select", body, fmt, len(head) > limit)


def _cost_key(request: tuple) -> int:
    """What identifies a query for its remembered cost: its text and its dataset (the request's first, third and
    fourth parts)."""
    return hash((request[0], str(request[2]), str(request[3])))


def _check_formats(formats: dict[str, str]) -> None:
    if formats["results"] not in RESULT_FORMATS or formats["graph"] not in GRAPH_RESULT_FORMATS:
        raise StoreError(f"unknown result formats {formats}")


def _start_with_big_stack(start) -> None:
    """Call ``start()`` (which creates threads) so that the threads it creates get ENGINE_STACK_BYTES of stack."""
    with _stack_lock:
        previous = threading.stack_size(ENGINE_STACK_BYTES)
        try:
            start()
        finally:
            threading.stack_size(previous)


# -- the worker process ------------------------------------------------------------------------------------------------
def _files_replaced(error: Exception) -> bool:
    """Whether an engine error says a store file was gone: the writer flushed or compacted files away while this
    view was opening or reading (RocksDB: "No such file or directory: While open a file … .sst", reported as an
    OSError or a RuntimeError "Corruption"). Nothing is wrong with the store or the query; a fresh view will do."""
    return isinstance(error, (OSError, RuntimeError)) and "No such file" in str(error)


def _files_state(path: str) -> int | None:
    """When the store's folder last changed (a file made or removed: a flush, a compaction, a new log), in ns."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _open_view(path: str) -> ox.Store:
    """A read-only view of the store as of now, tried again a few times if the writer replaced files meanwhile."""
    for attempt in range(5):
        try:
            return ox.Store.read_only(path)
        except (OSError, RuntimeError) as error:
            if attempt == 4 or not _files_replaced(error):
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def _run_on_view(store: ox.Store | None, path: str, sparql: str, formats, options, limit) -> tuple[ox.Store, Answer]:
    """Run a query on the view, on a fresh view when the writer replaced files under it (at most three times)."""
    for attempt in range(3):
        try:
            if store is None:
                store = _open_view(path)
            return store, serialize_capped(QueryResult(store.query(sparql, **options)), formats, limit)
        except (OSError, RuntimeError) as error:
            if attempt == 2 or not _files_replaced(error):
                raise
            store = None
    raise AssertionError("unreachable")


def _frame(message: object) -> bytes:
    """A message in ``multiprocessing.Connection``'s framing (a 4-byte big-endian length, then the pickle), written at
    once: the pool and its workers read and write every message this way, not through ``Connection``, which reads a
    message in two system calls and pickles through a class of its own (it reads and writes the same frames)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, len(data)) + data
    return struct.pack("!i", len(data)) + data


def _framed_size(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """Where a framed message's pickle starts in ``buffer`` and how long it is, once its length has arrived."""
    if len(buffer) < 4:
        return None
    (size,) = struct.unpack_from("!i", buffer)
    if size != -1:
        return 4, size
    if len(buffer) < 12:
        return None
    return 12, struct.unpack_from("!Q", buffer, 4)[0]


def _read_message(fd: int) -> object:
    """The next framed message on ``fd`` (blocking): one read for a short message. Raises EOFError at the end. Nothing
    follows a message: the pool sends a worker one request and waits for its answer before the next."""
    buffer = bytearray()
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError
        buffer += chunk
        frame = _framed_size(buffer)
        if frame is not None and len(buffer) >= frame[0] + frame[1]:
            return pickle.loads(memoryview(buffer)[frame[0] : frame[0] + frame[1]])


def _worker_loop(path: str, connection) -> None:  # pragma: no cover - runs in a child process
    fd = connection.fileno()
    replies = socket.socket(fileno=os.dup(fd))  # for sendall: a long answer takes several writes

    def reply(status: str, payload, started: float | None = None) -> None:
        # with the CPU time used so far (the pool's baseline for this worker's next query, read without /proc) and
        # the query's own (since ``started``), the view's reopening left out
        now = time.process_time()
        replies.sendall(_frame((status, payload, now, None if started is None else now - started)))

    files = _files_state(path)
    store, epoch = _open_view(path), 0
    reply("ready", None)
    while True:
        try:
            request = _read_message(fd)
        except (EOFError, OSError):
            return
        wanted_epoch, sparql, formats, default_graphs, named_graphs, limit = request
        try:
            now = _files_state(path)
            # The store was written since this view opened (the query must see that), or the writer flushed or
            # compacted its files: a view opened before a compaction and read after it has grown past 6 GiB in
            # one query on a freshly loaded 6.9M-triple store, where a fresh view reads the same in 0.2 GiB.
            if wanted_epoch != epoch or now != files:
                files, store, epoch = now, _open_view(path), wanted_epoch
            options = dataset_options(default_graphs, named_graphs)
            started = time.process_time()
            store, answer = _run_on_view(store, path, sparql, formats, options, limit)
            reply("ok", (answer.kind, answer.body, answer.fmt, answer.limited), started)
        except SyntaxError as error:
            reply("syntax", str(error))
        except Exception as error:  # any engine failure is this query's, never the worker's end
            if _files_replaced(error):  # still, after fresh views: busy writes; the paths are the server's business
                reply("error", "the store kept changing under the query; try again")
                store = None
            elif isinstance(error, (ValueError, RuntimeError)):  # the engine evaluated the query and it failed
                reply("failed", f"{type(error).__name__}: {error}")
            else:
                reply("error", f"{type(error).__name__}: {error}")
                store = None if isinstance(error, OSError) else store


def _worker_main(path: str, connection) -> None:  # pragma: no cover - runs in a child process
    thread = threading.Thread(target=_worker_loop, args=(path, connection), name="reformkg-query-worker")
    _start_with_big_stack(thread.start)
    thread.join()


class _Wake:
    """Wakes a coroutine on the event loop: ``set`` (from a reader or a timer callback) ends the ``wait`` in progress,
    or the next one. A bare future each time: ``asyncio.Event`` does more, and every step counts on a short query."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.future = loop.create_future()

    def set(self) -> None:
        if not self.future.done():
            self.future.set_result(None)

    async def wait(self) -> None:
        await self.future
        self.future = self.loop.create_future()


class _Worker:
    def __init__(self, context, path: str):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(path, child), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.cpu_idle: float | None = None  # the CPU time the worker had used when it last answered
        # The same socket, for writing a framed message whole (sendall) and reading an answer without blocking
        # (MSG_DONTWAIT) on the event loop.
        self._socket = socket.socket(fileno=os.dup(self.connection.fileno()))

    def wait_ready(self, timeout: float) -> bool:
        """Whether the worker has opened its store, waiting at most ``timeout`` seconds; False if it died."""
        try:
            if not self.ready and self.connection.poll(max(0.0, timeout)):
                status, _, self.cpu_idle, _ = _read_message(self.connection.fileno())
                self.ready = status == "ready"
        except (EOFError, OSError):
            return False
        return self.ready

    def cpu_seconds(self) -> float | None:
        """CPU time the worker has used so far (Linux ``/proc``), or None where that cannot be read."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def yield_cpu(self, lower: bool) -> bool:
        """Run this worker at a low CPU priority (``lower``) or the normal one again; False where not allowed."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, LONG_QUERY_NICENESS if lower else 0)
        except (OSError, AttributeError):
            return False
        return True

    def read_available(self, buffer: bytearray) -> bool:
        """Add to ``buffer`` what the worker has sent, without blocking; whether a whole message is there. EOFError if
        the worker closed its end."""
        while True:
            try:
                chunk = self._socket.recv(1 << 16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return False
            if not chunk:
                raise EOFError
            buffer += chunk
            frame = _framed_size(buffer)
            if frame is not None and len(buffer) >= frame[0] + frame[1]:
                return True

    @staticmethod
    def message(buffer: bytearray) -> object:
        """The whole message in ``buffer`` (``read_available`` said it is there)."""
        start, size = _framed_size(buffer)  # type: ignore[misc]
        return pickle.loads(memoryview(buffer)[start : start + size])

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()
        self._socket.close()


class _ProcessPool:
    """Worker processes, each with a read-only view of an on-disk Oxigraph store, and a readers-writer gate.

    Reads never wait for writes, nor writes for reads. Each worker reads its own read-only view of the store: a
    snapshot as of its opening, which the writer in the main process does not disturb. A write runs alone among
    writes and then bumps the epoch; a worker whose view is older than the epoch reopens it before its next query, so
    every query that starts after a write has been acknowledged sees it, and one that ran during the write sees the
    store as it was before. The pool's state is guarded by one condition, every change announced with ``notify_all``.
    """

    def __init__(self, path: Path, workers: int, reserve: int, light_seconds: float):
        self._context = multiprocessing.get_context("spawn")
        self._path = str(path)
        self._max_long = workers
        self._light_seconds = light_seconds
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._readers = 0  # queries holding a worker
        self._long = 0  # of those, how many run past light_seconds
        self._tickets = itertools.count()
        self._waiting_readers: set[tuple[int, int]] = set()  # (priority, ticket) of each queued query
        # CPU seconds each recent query text took, the epoch of the store it ran on, and whether its answer held every
        # row (none past the row cap)
        self._costs: OrderedDict[int, tuple[float, int, bool]] = OrderedDict()
        self._epoch = 0  # bumped by every write; a worker reopens its view when it is behind
        self._writes_started = 0  # bumped as each write starts: with the epoch, says whether a write ran meanwhile
        self._closed = False
        self._idle = [_Worker(self._context, self._path) for _ in range(workers + reserve)]

    def _take(self, deadline: float, priority: int = 1) -> _Worker:
        """A ready worker for a queued query. Queued queries are served by (priority, arrival): those known to be
        cheap first (see ``_priority``), the rest in the order they came."""
        with self._cond:
            place = (priority, next(self._tickets))
            self._waiting_readers.add(place)
            try:
                while True:
                    if self._closed:
                        raise StoreError("the query executor is closed")
                    worker = self._ready_worker() if place == min(self._waiting_readers) else None
                    if worker is not None:
                        self._readers += 1
                        return worker
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ExecutorBusy("every query worker stayed busy too long; try again")
                    # A worker still starting up announces nothing when it is ready: look again shortly.
                    self._cond.wait(min(remaining, 0.05) if self._idle else remaining)
            finally:
                self._waiting_readers.discard(place)
                self._cond.notify_all()

    def _ready_worker(self) -> _Worker | None:
        """Take an idle worker that is ready (called with the condition held); replace any that died starting. The
        one that answered last comes first: its process is the likeliest to be on a core, its caches warm."""
        for index in range(len(self._idle) - 1, -1, -1):
            worker = self._idle[index]
            if worker.wait_ready(0):
                return self._idle.pop(index)
            if not worker.process.is_alive():
                worker.stop()
                self._idle[index] = _Worker(self._context, self._path)
        return None

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.stop()
            worker = _Worker(self._context, self._path)  # a fresh worker takes the ended one's place
        with self._cond:
            self._readers -= 1
            if self._closed:
                worker.stop()
            else:
                self._idle.append(worker)
            self._cond.notify_all()

    def _admit_long(self) -> bool:
        with self._cond:
            if self._long >= self._max_long:
                return False
            self._long += 1
            return True

    def _end_long(self) -> None:
        with self._cond:
            self._long -= 1
            self._cond.notify_all()

    def _still_running(self, worker: _Worker, end: float, timeout: float, cpu_before, counted_long: bool) -> bool:
        """A query has not answered yet: QueryTimeout past its time; once it has used ``light_seconds`` of CPU (wall
        time where CPU time cannot be read; one that only waits for a core on a busy machine is not held against the
        others) it counts as long, or is stopped (ExecutorBusy) when enough long ones run. Whether it counts as long."""
        if time.monotonic() >= end:
            raise QueryTimeout(f"the query ran past the {timeout:g} s limit and was stopped")
        if counted_long:
            return True
        cpu_now = worker.cpu_seconds()
        if cpu_before is not None and cpu_now is not None and cpu_now - cpu_before < self._light_seconds:
            return False
        if not self._admit_long():
            raise ExecutorBusy(
                f"{self._max_long} long queries are running already; this one was stopped after "
                f"{self._light_seconds:g} s so that short queries stay quick: try again later"
            )
        worker.yield_cpu(lower=True)  # short queries and the server itself come first on the cores
        return True

    def _priority(self, request: tuple) -> int:
        """0 for a query whose text took under ``CHEAP_SECONDS`` of CPU when it last ran, else 1. Under load short
        queries then do not wait in line behind long ones (as the cores' own time sharing would let them through in
        a threaded engine); a query never seen before waits its turn."""
        with self._cond:
            known = self._costs.get(_cost_key(request))
        return 0 if known is not None and known[0] < CHEAP_SECONDS else 1

    def _record(self, request: tuple, cpu_seconds: float, epoch: int, whole: bool = False) -> None:
        """Remember what a query text cost on the store as of ``epoch``, and whether its answer held every row."""
        with self._cond:
            key = _cost_key(request)
            self._costs[key] = (cpu_seconds, epoch, whole)
            self._costs.move_to_end(key)
            while len(self._costs) > COST_MEMORY:
                self._costs.popitem(last=False)

    def inline_turn(self, request: tuple) -> tuple[int, int, bool] | None:
        """Whether the main process may answer this query itself: its text took at most ``INLINE_SECONDS`` of CPU
        when it last ran, on the store exactly as it is now (no write since, none running). Then the state it may
        run on, to give ``inline_still_valid`` after the run, and whether its answer then held every row (the same
        text on the same data has the same rows, so none need be counted); else None and the query goes to a
        worker."""
        with self._cond:
            known = self._costs.get(_cost_key(request))
            if known is None or known[0] > INLINE_SECONDS or known[1] != self._epoch:
                return None
            if self._writes_started != self._epoch:  # a write is running
                return None
            return self._writes_started, self._epoch, known[2]

    def inline_still_valid(
        self, request: tuple, turn: tuple[int, int, bool], cpu_seconds: float, whole: bool = False
    ) -> bool:
        """After an inline run: remember its cost (over ``INLINE_SECONDS``, the next run goes to a worker again) and
        whether its answer held every row, and whether no write started meanwhile (else the answer may have read a
        write halfway: a worker answers)."""
        self._record(request, cpu_seconds, turn[1], whole)
        with self._cond:
            return (self._writes_started, self._epoch) == turn[:2]

    def run(self, request: tuple, timeout: float, queue_timeout: float) -> tuple[str, object]:
        """Run one query; ``queue_timeout`` bounds the wait for a ready worker, ``timeout`` the query's own run."""
        deadline = time.monotonic() + queue_timeout
        worker = self._take(deadline, self._priority(request))
        healthy, counted_long = False, False
        try:
            with self._cond:
                epoch = self._epoch
            cpu_before = worker.cpu_idle
            worker._socket.sendall(_frame((epoch, *request)))
            end = time.monotonic() + timeout
            while not worker.connection.poll(max(0.0, min(self._light_seconds, end - time.monotonic()))):
                counted_long = self._still_running(worker, end, timeout, cpu_before, counted_long)
            reply = _read_message(worker.connection.fileno())
            healthy = self._answered(request, worker, epoch, reply)
            return reply[0], reply[1]
        except (EOFError, OSError) as error:
            raise StoreError(f"the query worker failed ({type(error).__name__}); try again") from None
        finally:
            self._release(worker, self._settle(worker, counted_long, healthy))

    def _answered(self, request: tuple, worker: _Worker, epoch: int, reply: tuple) -> bool:
        """A worker answered (``reply``: status, payload, its CPU time now, the query's own): remember what the query
        cost on the store as of ``epoch`` (when it ran: a query that failed early says nothing) and whether its answer
        held every row, and the worker's CPU time now. True (it is healthy)."""
        status, payload, cpu_after, query_cpu = reply
        if query_cpu is not None:
            self._record(request, query_cpu, epoch, status == "ok" and not payload[3])
        worker.cpu_idle = cpu_after
        return True

    def _settle(self, worker: _Worker, counted_long: bool, healthy: bool) -> bool:
        """After a query: a long one's place freed and its worker back at the normal priority. Whether the worker can
        take the next query (a process may not raise its own priority again without privileges: then a fresh worker
        takes its place)."""
        if counted_long:
            self._end_long()
            healthy = healthy and worker.yield_cpu(lower=False)
        return healthy

    def _try_take(self) -> _Worker | None:
        """A ready idle worker at once, or None when the caller must queue (other queries queue already, or no
        worker is free): the event loop's fast path never waits here."""
        with self._cond:
            if self._closed:
                raise StoreError("the query executor is closed")
            if self._waiting_readers:  # others queue already: this one takes its turn after them
                return None
            worker = self._ready_worker()
            if worker is not None:
                self._readers += 1
            return worker

    async def run_async(self, request: tuple, timeout: float, queue_timeout: float, waiters: ThreadPoolExecutor):
        """``run`` for the event loop. When a worker is free and no one queues before this query, the request goes to
        it at once and its answer is awaited on the loop (a reader on the worker's connection), with no thread in
        between: a thread hand-off costs more than a short query. A query that must queue runs ``run`` in a thread of
        ``waiters``. Time limit, long-query accounting and the gate are the same either way."""
        loop = asyncio.get_running_loop()
        worker = self._try_take()
        if worker is None:  # queue as ``run`` does, in a thread: under load the loop has enough else to do
            return await asyncio.wrap_future(waiters.submit(self.run, request, timeout, queue_timeout))
        healthy, counted_long = False, False
        wake = _Wake(loop)
        fd = worker.connection.fileno()
        try:
            with self._cond:
                epoch = self._epoch
            cpu_before = worker.cpu_idle
            worker._socket.sendall(_frame((epoch, *request)))  # (blocking here: see below)
            end = time.monotonic() + timeout
            loop.add_reader(fd, wake.set)  # level-triggered: called at every turn of the loop while readable
            try:
                buffer = bytearray()
                while True:  # until the answer begins: a tick every light_seconds for the time limit and the accounting
                    tick = loop.call_later(max(0.0, min(self._light_seconds, end - time.monotonic())), wake.set)
                    try:
                        await wake.wait()
                    finally:
                        tick.cancel()
                    whole = worker.read_available(buffer)
                    if buffer:
                        break
                    counted_long = self._still_running(worker, end, timeout, cpu_before, counted_long)
                while not whole:  # the rest of a long answer, as it arrives
                    await wake.wait()
                    whole = worker.read_available(buffer)
                reply = worker.message(buffer)
            finally:
                loop.remove_reader(fd)
                # uvloop (libuv) makes a watched descriptor non-blocking, for the whole socket: ``run``'s blocking
                # send and receive on this worker would then fail with BlockingIOError.
                os.set_blocking(fd, True)
            healthy = self._answered(request, worker, epoch, reply)
            return reply[0], reply[1]
        except (EOFError, OSError) as error:
            raise StoreError(f"the query worker failed ({type(error).__name__}); try again") from None
        finally:
            if self._settle(worker, counted_long, healthy):
                self._release(worker, True)
            else:  # stopping a worker and starting its successor takes a while: not on the loop
                waiters.submit(self._release, worker, False)

    def write(self, write, wait: float):
        """Run ``write()`` alone among writes (ExecutorBusy, nothing written, if other writes hold the store past
        ``wait`` seconds); running and new queries go on meanwhile, and the ones after it see what it wrote."""
        if not self._write_lock.acquire(timeout=wait):
            raise ExecutorBusy("other updates kept the store busy; nothing was written, try again")
        with self._cond:
            self._writes_started += 1
        try:
            return write()
        finally:
            with self._cond:
                self._epoch += 1
                self._cond.notify_all()
            self._write_lock.release()

    def processes(self) -> list:
        """The idle worker processes (for tests and diagnostics)."""
        with self._cond:
            return [w.process for w in self._idle]

    def ready_workers(self) -> int:
        """How many idle workers have opened their view and can take a query now (for tests and diagnostics)."""
        with self._cond:
            return sum(1 for w in self._idle if w.wait_ready(0))

    def long_queries(self) -> int:
        """How many queries run long now (for tests and diagnostics)."""
        with self._cond:
            return self._long

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.stop()


@contextmanager
def _federated_words(scan: guard.Scan) -> Iterator[None]:
    """A federated query's failure said without the engine's words: they may carry what a remote service sent."""
    try:
        yield
    except (QueryTimeout, ExecutorBusy, RefusedRequest):
        raise
    except StoreError as error:
        if not scan.services:
            raise
        log.warning("federated query failed: %s", str(error))
        raise StoreError(
            "the federated query failed: it does not parse, or a SERVICE did not answer as expected"
        ) from None


class QueryExecutor:
    """Runs users' SPARQL against a store: checked, time-limited, row-capped, fairly scheduled; answers serialised."""

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = 10.0,
        workers: int = 4,
        row_limit: int = 10_000,
        limits: guard.Limits | None = None,
        queue_timeout: float | None = None,
        light_seconds: float = 0.25,
    ):
        self.store, self.timeout, self.row_limit, self.workers = store, timeout, row_limit, workers
        self.limits = limits or guard.Limits()
        #: How long a query may wait for a free worker before it is refused as busy (503).
        self.queue_timeout = queue_timeout if queue_timeout is not None else max(5.0, timeout)
        self.light_seconds = light_seconds
        self._pool: _ProcessPool | None = None
        self._threads: ThreadPoolExecutor | None = None
        #: Threads for what the event loop must not wait on: a query queued for a worker, ending a worker.
        self._waiters = ThreadPoolExecutor(max_workers=64, thread_name_prefix="reformkg-queue")
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writes_since_flush, self._flushing = 0, False
        #: How many queries this process answered itself, known to be light (for tests and diagnostics).
        self.inline_answers = 0
        self._closed = True
        self._open()

    def _open(self) -> None:
        """Start the workers (processes for an on-disk store, threads otherwise)."""
        if isinstance(self.store, OxigraphStore) and self.store.path is not None and not self.store.read_only:
            self.store.oxigraph.flush()
            self._pool = _ProcessPool(self.store.path / "oxigraph", self.workers, LIGHT_RESERVE, self.light_seconds)
        else:  # in memory, read-only or remote: threads, so the answer comes on time even when the query does not end
            self._threads = ThreadPoolExecutor(
                max_workers=self.workers + LIGHT_RESERVE, thread_name_prefix="reformkg-query"
            )
        self._closed = False

    def _ensure_open(self) -> None:
        with self._lock:
            if self._closed:
                self._open()

    def check(self, sparql: str, *, update: bool = False) -> guard.Scan:
        """Refuse what this server will not run (RefusedRequest); the scan says the form and any remote targets."""
        scan = guard.check(sparql, self.limits, update=update)
        if not update and scan.form is None:
            raise QuerySyntaxError("this is not a query (SELECT, ASK, CONSTRUCT or DESCRIBE); send updates as update=")
        return scan

    def query(
        self,
        sparql: str,
        formats: dict[str, str],
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        scan: guard.Scan | None = None,
    ) -> Answer:
        """Run a query; ``formats`` names the serialisation for solutions ("results") and for triples ("graph").

        ``scan`` is what ``check`` said of this very text, when the caller has asked already."""
        _check_formats(formats)
        scan = scan or self.check(sparql)
        self._ensure_open()
        with _federated_words(scan):
            if self._pool is not None:
                return self._query_in_process(sparql, formats, default_graphs, named_graphs)
            return self._query_in_thread(sparql, formats, default_graphs, named_graphs)

    async def query_async(
        self,
        sparql: str,
        formats: dict[str, str],
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        scan: guard.Scan | None = None,
    ) -> Answer:
        """``query`` for a caller on an event loop. On the worker processes no thread stands between the loop and the
        worker (the hand-off that a thread pool costs is most of a short query's time); the thread backends run
        ``query`` in a thread."""
        loop = asyncio.get_running_loop()
        if self._pool is None or scan is None:
            return await loop.run_in_executor(
                self._waiters,
                lambda: self.query(
                    sparql, formats, default_graphs=default_graphs, named_graphs=named_graphs, scan=scan
                ),
            )
        _check_formats(formats)
        self._ensure_open()
        request = (sparql, formats, default_graphs, named_graphs, self.row_limit)
        if not scan.services:  # a federated query's CPU time says nothing of how long it waits for the network
            answer = self._query_inline(request)
            if answer is not None:
                return answer
        with _federated_words(scan):
            return self._answer(*await self._pool.run_async(request, self.timeout, self.queue_timeout, self._waiters))

    def _query_inline(self, request: tuple) -> Answer | None:
        """Answer a query in this process, on the caller's thread, when its text is known to be light on the store
        as it is now (``_ProcessPool.inline_turn``): a deterministic engine does the same work for the same text on
        the same data, so it takes no longer than the ``INLINE_SECONDS`` of CPU it took last time, and no time limit
        is needed. None when it must go to a worker: not known to be light, or a write started meanwhile, or the
        engine failed (the worker then reports the failure as usual)."""
        assert self._pool is not None
        turn = self._pool.inline_turn(request)
        if turn is None:
            return None
        sparql, formats, default_graphs, named_graphs, limit = request
        started = time.thread_time()
        try:
            result = self.store.oxigraph.query(sparql, **dataset_options(default_graphs, named_graphs))
            # an answer known to hold every row is written whole by the engine's own writer, with no row counted
            answer = serialize_capped(QueryResult(result), formats, 0 if turn[2] else limit)
        except Exception:  # whatever failed, the worker path runs it again and says so
            return None
        if not self._pool.inline_still_valid(request, turn, time.thread_time() - started, not answer.limited):
            return None
        self.inline_answers += 1
        return answer

    def _query_in_process(self, sparql, formats, default_graphs, named_graphs) -> Answer:
        request = (sparql, formats, default_graphs, named_graphs, self.row_limit)
        return self._answer(*self._pool.run(request, self.timeout, self.queue_timeout))

    @staticmethod
    def _answer(status: str, payload) -> Answer:
        """A worker's reply as an Answer, or the error it reports."""
        if status == "syntax":
            raise QuerySyntaxError(str(payload))
        if status == "failed":
            raise RequestFailed(str(payload))
        if status == "error":
            raise StoreError(str(payload))
        kind, body, fmt, limited = payload
        return Answer(kind, body, fmt, limited)

    def _query_in_thread(self, sparql, formats, default_graphs, named_graphs) -> Answer:
        if self._threads is None:
            raise StoreError("the query executor has no workers")
        started = threading.Event()

        def run() -> Answer:
            # pyoxigraph results must be dropped on the thread that made them, so no exception that leaves this
            # thread may hold them through its traceback: errors are rebuilt here, without one.
            started.set()
            result = failure = None
            try:
                result = self.store.query(sparql, default_graphs=default_graphs, named_graphs=named_graphs)
                return serialize_capped(result, formats, self.row_limit)
            except StoreError as error:  # first: a StoreError is a RuntimeError too
                failure = type(error)(str(error))
            except (SyntaxError, OSError, ValueError, RuntimeError) as error:  # raised while the results are read
                if self.store.backend == "remote":  # the endpoint's answer: name the endpoint, never its words
                    log.warning("the remote endpoint's answer does not read: %s", str(error))
                    failure = RemoteError("the remote endpoint answered with results that do not parse")
                elif isinstance(error, SyntaxError):
                    failure = QuerySyntaxError(str(error))
                elif isinstance(error, OSError):
                    failure = StoreError(f"{type(error).__name__}: {error}")
                else:
                    failure = RequestFailed(f"{type(error).__name__}: {error}")
            finally:
                result = None
            raise failure

        holder: list = []
        _start_with_big_stack(lambda: holder.append(self._threads.submit(run)))
        future = holder[0]
        if not started.wait(self.queue_timeout):
            future.cancel()
            raise ExecutorBusy("every query thread stayed busy too long; try again")
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            where = "the remote endpoint" if self.store.backend == "remote" else "the in-memory store"
            raise QueryTimeout(
                f"the query ran past the {self.timeout:g} s limit ({where} cannot be made to stop it here; "
                "it finishes in the background)"
            ) from None
        except RecursionError:
            raise RefusedRequest("the query is too deeply nested for this server") from None

    def write(self, write: Callable[[], T]) -> T:
        """Run a write of the caller's (an accepted draft's load) as updates run: alone among writes, the queries
        after it seeing what it wrote. Its result back."""
        self._ensure_open()
        if self._pool is None:
            with self._write_lock:
                return write()
        return self._pool.write(write, wait=self.timeout + 2.0)

    def update(self, sparql: str) -> None:
        """Run an update as one transaction, after the guard, alone among writes; queries go on meanwhile and the ones
        after it see it."""
        scan = self.check(sparql, update=True)
        if scan.form is not None:
            raise QuerySyntaxError(f"this is a {scan.form.upper()} query, not an update; send it as query=")
        self._ensure_open()
        if scan.loads:
            operations = guard.load_operations(sparql)
            if operations is None:
                raise RefusedRequest("send LOAD operations on their own, without other operations in the update")
            quads = [quad for op in operations for quad in self._fetch_load(op)]  # before the write, time-limited

            def write() -> None:
                self.store.add_quads(quads)
                self._flush_now_and_then()
        else:

            def write() -> None:
                self._run_update(sparql)

        if self._pool is None:
            with self._write_lock:
                write()
            return
        self._pool.write(write, wait=self.timeout + 2.0)

    def _fetch_load(self, op: guard.LoadOperation) -> list[ox.Quad]:
        """Fetch and parse a LOAD source within the query time limit and the body size limit, nothing written yet.

        The fetch follows no redirect and uses no proxy from the environment; RDF/XML with nested or external
        entities is refused. A failure of a SILENT LOAD loads nothing from that source."""
        import httpx

        from reformkg.graph.rdfxml import check_rdfxml

        deadline = time.monotonic() + self.timeout
        try:
            with (
                httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client,
                client.stream("GET", op.source, headers={"Accept": LOAD_ACCEPT}) as response,
            ):
                if response.status_code != 200:
                    raise RemoteError(f"LOAD <{op.source}>: the source answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.limits.max_load_bytes:
                        raise RefusedRequest(
                            f"LOAD <{op.source}>: the document is larger than {self.limits.max_load_bytes:,} bytes "
                            "(REFORMKG_MAX_BODY_BYTES)"
                        )
                    if time.monotonic() > deadline:
                        raise QueryTimeout(f"LOAD <{op.source}> ran past the {self.timeout:g} s limit; nothing loaded")
                media = response.headers.get("content-type", "")
            fmt = ox.RdfFormat.from_media_type(media) if media else None
            fmt = fmt or ox.RdfFormat.from_extension(op.source.rsplit(".", 1)[-1].lower())
            if fmt is None:
                raise StoreError(f"LOAD <{op.source}>: cannot tell the RDF format of {media or 'the document'!r}")
            if fmt == ox.RdfFormat.RDF_XML:
                check_rdfxml(bytes(body), name=op.source)
            graph = ox.NamedNode(op.graph) if op.graph else ox.DefaultGraph()
            return [
                ox.Quad(q.subject, q.predicate, q.object, graph) for q in ox.parse(bytes(body), fmt, base_iri=op.source)
            ]
        except httpx.TimeoutException:
            failure: StoreError = QueryTimeout(
                f"LOAD <{op.source}> ran past the {self.timeout:g} s limit; nothing loaded"
            )
        except httpx.HTTPError as error:
            failure = RemoteError(f"LOAD <{op.source}>: the source did not answer ({type(error).__name__})")
        except SyntaxError:
            failure = StoreError(f"LOAD <{op.source}>: the document does not parse as {fmt.name}")
        except ValueError as error:  # an RDF/XML entity refused, or a bad graph name
            failure = RefusedRequest(str(error))
        except StoreError as error:
            failure = error
        if op.silent:
            log.warning("LOAD SILENT <%s> loaded nothing: %s", op.source, failure)
            return []
        raise failure

    def _run_update(self, sparql: str) -> None:
        error: list[BaseException] = []

        def run() -> None:
            try:
                self.store.update(sparql)
                self._flush_now_and_then()
            except BaseException as caught:  # handed to the caller below
                error.append(caught)

        thread = threading.Thread(target=run, name="reformkg-update")
        _start_with_big_stack(thread.start)
        thread.join()
        if error:
            raise error[0]

    def _flush_now_and_then(self) -> None:
        """After every ``FLUSH_EVERY`` writes, flush the on-disk store in the background.

        A write is in the store's write-ahead log as soon as it commits, and a worker's view, opened afterwards,
        reads it from there: no flush is needed for the next query to see it (a flush per update made every update wait
        for a write of the store's files).
        But each view replays the whole log when it opens, so the log is flushed into the store's files now and then
        to keep that replay short. The flush runs beside queries and later writes; one at a time."""
        if not isinstance(self.store, OxigraphStore) or self.store.path is None:
            return
        with self._lock:
            self._writes_since_flush += 1
            if self._writes_since_flush < FLUSH_EVERY or self._flushing:
                return
            self._writes_since_flush, self._flushing = 0, True

        def flush() -> None:
            try:
                self.store.oxigraph.flush()
            except OSError as error:  # the next flush tries again; nothing is lost, the log keeps the writes
                log.warning("flushing the store failed: %s", error)
            finally:
                with self._lock:
                    self._flushing = False

        threading.Thread(target=flush, name="reformkg-flush", daemon=True).start()

    def processes(self) -> list:
        """The query worker processes alive now (none for the thread backends)."""
        return self._pool.processes() if self._pool is not None else []

    def ready_workers(self) -> int:
        """How many query workers are idle and ready now (for the thread backends: their threads, always ready)."""
        if self._pool is not None:
            return self._pool.ready_workers()
        return self.workers + LIGHT_RESERVE if self._threads is not None else 0

    def long_queries(self) -> int:
        """How many queries count as long now: past ``light_seconds`` of CPU (always 0 for the thread backends)."""
        return self._pool.long_queries() if self._pool is not None else 0

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
