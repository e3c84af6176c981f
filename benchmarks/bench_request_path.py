"""Where a short ``/sparql`` request's time goes, in process: the app called as ASGI, its query executor alone, and a
bare ASGI app and a one-route FastAPI app over loopback for the floor of the HTTP stack.

``python -m benchmarks.bench_request_path`` builds a small on-disk store (the 300-farm synthetic graph), then prints
medians of 500 calls on uvloop: ``GET /sparql?query=ASK {}`` through reformkg's whole app, ``QueryExecutor.query_async``
of the same query (the round trip to a query worker process), and, over loopback with httpx, a bare ASGI app and a
one-route FastAPI app under uvicorn as ``reformkg serve`` runs it. Every figure printed is measured in this run.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

from benchmarks.bench import BENCH_GRAPH, free_port, generate, load_average, stop

CALLS = 500
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


async def in_process(app, executor) -> tuple[float, float]:
    """Medians (ms) of the whole app on ``GET /sparql?query=ASK {}``, and of the executor alone on that query."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/sparql",
        "raw_path": b"/sparql",
        "query_string": b"query=ASK+%7B%7D",
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

    async def whole() -> None:
        await app(dict(scope), receive, send)

    formats, scan = {"results": "json", "graph": "ttl"}, executor.check("ASK {}")

    async def executor_only() -> None:
        await executor.query_async("ASK {}", formats, scan=scan)

    figures = []
    for call in (whole, executor_only):
        for _ in range(50):
            await call()
        times = []
        for _ in range(CALLS):
            started = time.perf_counter()
            await call()
            times.append(time.perf_counter() - started)
        figures.append(median_ms(times))
    return figures[0], figures[1]


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
        whole, executor_only = uvloop.run(in_process(app, executor))
        executor.close()
        store.close()
        print(f"reformkg app, GET /sparql?query=ASK {{}} called as ASGI in process: {whole:.3f} ms")
        print(f"  of which the executor (round trip to a query worker process):     {executor_only:.3f} ms")
        print(f"  the rest (routing, guard, negotiation, response):                  {whole - executor_only:.3f} ms")
        for name, code in SERVERS.items():
            print(f"over loopback, {name} under uvicorn: {over_loopback(name, code, folder):.3f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    main()
