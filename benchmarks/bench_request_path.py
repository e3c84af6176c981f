"""Where a short ``/sparql`` request's time goes, in process: the app called as ASGI, its query executor alone, and a
bare ASGI app and a one-route FastAPI app over loopback for the floor of the HTTP stack.

``python -m benchmarks.bench_request_path`` builds a small on-disk store (the 300-farm synthetic graph), then prints
medians of 500 calls on uvloop: ``GET /sparql?query=…`` through reformkg's whole app and ``QueryExecutor.query_async``
alone, each for ``ASK {}`` sent again and again (answered by the main process once a worker has found it light) and
for a new text at each call (``ASK { <urn:bench:N> ?p ?o }``: scanned by the guard, run on a query worker process);
then the same with a pause of ``PAUSE_SECONDS`` before each call, as one analyst's requests come, beside the floors
that any server's path is made of (a round trip to another process over a pipe, the engine answering a new ``ASK``),
back to back and after the same pause; then the app's requests again beside a thread busy in Python, at Python's
default switch interval and at the one the app sets while it serves (``requests_beside_a_busy_thread``); then a
1,000-row answer read in one call and row by row, alone and beside such a thread (``beside_a_busy_thread``); then a
full garbage collection before and after the server freezes what it has loaded (``full_collections``); then, over
loopback with httpx, a bare ASGI app and a one-route FastAPI app under uvicorn as ``reformkg serve`` runs it.
Every figure printed is measured in this run.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvloop

from benchmarks.bench import BENCH_GRAPH, free_port, generate, load_average, stop

CALLS = 500
#: The pause before each call in the runs "after a pause": one analyst's requests come one at a time, with the machine
#: idle in between (``bench_serve`` interleaves two servers, so each of them idles between its requests too).
PAUSE_SECONDS = 0.005
#: Python's own switch interval (``sys.getswitchinterval()`` unless a program changes it).
PYTHON_SWITCH_INTERVAL = 0.005
SERVERS = {
    "bare ASGI app": """
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
""",
    "one-route FastAPI app": """
from fastapi import FastAPI
from fastapi.responses import Response
app = FastAPI()
@app.get("/x")
async def x():
    return Response(b"ok")
""",
}
RUN = """
import sys, uvicorn
{code}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", loop="uvloop", access_log=False,
            log_level="warning")
"""


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


async def medians(calls: dict[str, Callable[[], Awaitable[None]]], before: Callable[[], None] = lambda: None):
    """Medians (ms) of each call: ``CALLS`` of them back to back, then ``CALLS // 2`` with a pause of ``PAUSE_SECONDS``
    before each (named "…, after a pause"); each series after 50 calls to warm up, and after ``before`` (not timed)."""
    figures = {}
    for pause in (0.0, PAUSE_SECONDS):
        for name, call in calls.items():
            before()
            for _ in range(50):
                await call()
            times = []
            for _ in range(CALLS if not pause else CALLS // 2):
                if pause:
                    await asyncio.sleep(pause)
                started = time.perf_counter()
                await call()
                times.append(time.perf_counter() - started)
            figures[name + (", after a pause" if pause else "")] = median_ms(times)
    return figures


async def in_process(app, executor, names: tuple[str, ...] | None = None) -> dict[str, float]:
    """Medians (ms) of the whole app on ``GET /sparql?query=…`` and of the executor alone, each for a text sent again
    and again (after the first time answered in the main process: ``INLINE_SECONDS``) and for a new text at each call
    (scanned by the guard, run on a query worker process). ``names`` keeps only those calls."""
    counter = itertools.count()

    def scope_for(text: str) -> dict:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/sparql",
            "raw_path": b"/sparql",
            "query_string": urlencode({"query": text}).encode(),
            "root_path": "",
            "headers": [(b"host", b"bench"), (b"accept", b"application/sparql-results+json")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message):
        return None

    def new_text() -> str:
        return f"ASK {{ <urn:bench:{next(counter)}> ?p ?o }}"

    formats = {"results": "json", "graph": "ttl"}
    repeated = "ASK {}"
    repeated_scan = executor.check(repeated)

    async def app_repeated() -> None:
        await app(scope_for(repeated), receive, send)

    async def app_new() -> None:
        await app(scope_for(new_text()), receive, send)

    async def executor_repeated() -> None:
        await executor.query_async(repeated, formats, scan=repeated_scan)

    scans: list = []

    async def executor_new() -> None:
        text, scan = scans.pop()
        await executor.query_async(text, formats, scan=scan)

    def new_scans() -> None:
        scans[:] = [(text, executor.check(text)) for text in (new_text() for _ in range(CALLS + 50))]

    calls = {
        "app, same text": app_repeated,
        "app, new text": app_new,
        "executor, same text": executor_repeated,
        "executor, new text": executor_new,
    }
    if names is not None:
        calls = {name: calls[name] for name in names}
    return await medians(calls, before=new_scans)


def _echo(connection) -> None:  # pragma: no cover - runs in a child process
    import os
    import socket

    from reformkg.graph.executor import _frame, _read_message

    replies = socket.socket(fileno=os.dup(connection.fileno()))
    while (message := _read_message(connection.fileno())) is not None:
        replies.sendall(_frame(message))


def floors(store_path: Path) -> dict[str, float]:
    """Medians (ms) of what any server's path is made of, back to back and after a pause: a round trip of a small
    message to another process and back (a ``multiprocessing`` pipe, framed and read as the query workers' messages
    are), and the engine alone answering a new ``ASK`` on a read-only view."""
    import multiprocessing
    import os
    import socket

    import pyoxigraph as ox

    from reformkg.graph.executor import _frame, _read_message

    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    echo = context.Process(target=_echo, args=(theirs,), daemon=True)
    echo.start()
    view = ox.Store.read_only(str(store_path))
    counter = itertools.count()

    requests = socket.socket(fileno=os.dup(mine.fileno()))

    async def round_trip() -> None:  # blocking calls: the event loop waits in them, as a plain loop would
        requests.sendall(_frame((1, "ASK {}", {"results": "json"}, None, None, 10000)))
        _read_message(mine.fileno())

    async def engine() -> None:
        text = f"ASK {{ <urn:bench:{next(counter)}> ?p ?o }}"
        view.query(text, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)

    try:
        figures = uvloop.run(medians({"pipe round trip": round_trip, "engine, a new ASK": engine}))
    finally:
        mine.send(None)
        requests.close()
        echo.join(5)
    return figures


#: The answer ``beside_a_busy_thread`` reads: 1,000 rows of three terms.
ROWS_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1000"


@contextmanager
def busy_thread() -> Iterator[None]:
    """A thread running a Python loop until the block ends, as a projection or a ranking being made in the server's
    process (pure Python, never letting go of the interpreter lock but when the switch interval forces it)."""
    busy = threading.Event()
    busy.set()

    def loop() -> None:
        while busy.is_set():
            pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        busy.clear()
        thread.join()


def beside_a_busy_thread(store) -> dict[str, float]:
    """Milliseconds (median of 3) to read a 1,000-row answer in one call of the engine's JSON writer
    (``QueryResult.rows``) and one row at a time (``stream_solutions``), alone and beside a thread running a Python
    loop, as a request handler reads while a projection or a ranking is being made in the same process."""

    def one_call() -> None:
        store.query(ROWS_QUERY).rows()

    def row_by_row() -> None:
        [{name: row[name] for name in ("s", "p", "o")} for row in store.query(ROWS_QUERY).stream_solutions()]

    figures = {}
    for beside in (False, True):
        with busy_thread() if beside else nullcontext():
            for name, call in (("in one call", one_call), ("row by row", row_by_row)):
                times = []
                for _ in range(3):
                    started = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - started)
                figures[name + (", beside a busy thread" if beside else "")] = median_ms(times)
    return figures


def requests_beside_a_busy_thread(app, executor) -> dict[float, dict[str, float]]:
    """The app's requests (``in_process``, both texts) beside a thread running a Python loop, at Python's default
    switch interval and at the one the app sets while it serves (``SWITCH_INTERVAL_SECONDS``): per interval, the
    medians by name."""
    from reformkg.api.app import SWITCH_INTERVAL_SECONDS

    previous = sys.getswitchinterval()
    figures = {}
    try:
        for interval in (PYTHON_SWITCH_INTERVAL, SWITCH_INTERVAL_SECONDS):
            sys.setswitchinterval(interval)
            with busy_thread():
                figures[interval] = uvloop.run(in_process(app, executor, ("app, same text", "app, new text")))
    finally:
        sys.setswitchinterval(previous)
    return figures


def full_collections() -> dict[str, float]:
    """A full garbage collection in this process, which holds what a server holds once it has started (the app and
    the modules it imports then, ``PRELOADED``), before and after ``freeze_what_is_loaded``: milliseconds (median of
    5) and the objects the collector tracks, for each."""
    import gc
    import importlib

    from reformkg.api.app import PRELOADED, freeze_what_is_loaded

    for name in PRELOADED:
        importlib.import_module(name)
    figures = {}
    for when in ("before", "after"):
        if when == "after":
            freeze_what_is_loaded()
        times = []
        for _ in range(5):
            started = time.perf_counter()
            gc.collect()
            times.append(time.perf_counter() - started)
        figures[when] = median_ms(times)
        figures[when + ", objects"] = len(gc.get_objects())
    return figures


def over_loopback(name: str, code: str, folder: Path) -> float:
    """Median (ms) of a GET to a tiny app under uvicorn (httptools, uvloop, no access log), one httpx client."""
    script = folder / f"{name.replace(' ', '-')}.py"
    script.write_text(RUN.format(code=code))
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/x"
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get(url)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            for _ in range(50):
                client.get(url)
            times = []
            for _ in range(CALLS):
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
        return median_ms(times)
    finally:
        stop(proc)


def main() -> None:
    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import OxigraphStore

    print(f"{load_average()} at the start; medians of {CALLS} calls")
    folder = Path(tempfile.mkdtemp(prefix="reformkg-bench-path-"))
    try:
        generate(folder / "farms.nt", 300)
        store = OxigraphStore(folder / "store")
        store.load_file(folder / "farms.nt", graph=BENCH_GRAPH)
        app = create_app(Settings(store=str(folder / "store")), store)
        executor = app.state.executor
        deadline = time.monotonic() + 60
        while executor.ready_workers() < executor.workers + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        figures = uvloop.run(in_process(app, executor))
        inline = executor.inline_answers
        crowded = requests_beside_a_busy_thread(app, executor)
        executor.close()
        reading = beside_a_busy_thread(store)
        store.close()
        same, new = figures["app, same text"], figures["app, new text"]
        print("reformkg app, GET /sparql?query=… called as ASGI in process:")
        print(f"  a text sent before (answered in the main process):  {same:.3f} ms")
        print(f"    of which the executor:                             {figures['executor, same text']:.3f} ms")
        print(f"  a new text each time (scanned, run on a worker):     {new:.3f} ms")
        print(f"    of which the executor (round trip to a worker):    {figures['executor, new text']:.3f} ms")
        rest = new - figures["executor, new text"]
        print(f"  the rest, new text (parameters, guard, negotiation, response): {rest:.3f} ms")
        print(f"  ({inline:,} answers came from the main process)")
        ms = PAUSE_SECONDS * 1000
        print(f"the same with a {ms:g} ms pause before each call (the machine idle in between, as for one analyst):")
        for name in ("app, same text", "app, new text", "executor, new text"):
            back, paused = figures[name], figures[name + ", after a pause"]
            print(f"  {name + ':':<52} {paused:.3f} ms ({paused / back:.1f}x back to back)")
        floor = floors(folder / "store" / "oxigraph")
        for name in ("pipe round trip", "engine, a new ASK"):
            for key in (name, name + ", after a pause"):
                print(f"  floor, {key + ':':<45} {floor[key]:.3f} ms")
        print("the app's requests beside a thread running a Python loop (a ranking or a projection being made):")
        for name in ("app, same text", "app, new text"):
            for key in (name, name + ", after a pause"):
                alone = figures[key]
                at = ", ".join(f"{crowded[i][key]:.3f} ms at a {i * 1000:g} ms switch interval" for i in crowded)
                print(f"  {key + ':':<32} {at} ({alone:.3f} ms alone)")
        print("a 1,000-row answer read in process (median of 3), alone and beside a thread running a Python loop:")
        for name in ("in one call", "row by row"):
            alone, beside = reading[name], reading[name + ", beside a busy thread"]
            print(f"  {name + ':':<14} {alone:9.1f} ms alone, {beside:9.1f} ms beside it ({beside / alone:.1f}x)")
        collections = full_collections()
        print("a full garbage collection in a process holding what the server holds once started (median of 5):")
        for when in ("before", "after"):
            objects = collections[when + ", objects"]
            print(f"  {when} it freezes what it has loaded: {collections[when]:8.2f} ms, {objects:,} objects tracked")
        for name, code in SERVERS.items():
            print(f"over loopback, {name} under uvicorn: {over_loopback(name, code, folder):.3f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    main()
