"""Load test of the SPARQL endpoint: 16 clients for 60 s on loopback, the example queries and one heavy query.

``python -m benchmarks.loadtest [--clients 16] [--seconds 60] [--max-requests 200000]`` builds the seed graph into a
temporary on-disk store, starts ``reformkg serve`` on a free loopback port with a short query time limit, and runs
the clients. Each sends the query UI's example queries in turn; one request in the whole run is a query that cannot
finish in time and must come back 503. It prints the counts, the failures (anything but 200, and the heavy query's
503), and p50/p99 latencies. Then a fairness round: four heavy queries, and once they run, 40 light ``ASK`` queries
at once; it prints each kind's statuses and the slowest light answer (the target: every light one 200 within 1 s).
A benchmark, not a test: it asserts nothing and prints what it measured. Only loopback is ever contacted, and the
run stops at the time or request bound, whichever comes first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from reformkg.graph import queries

HEAVY = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ {' '.join(str(n) for n in range(100))} }}" for i in range(5))
    + " }"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def fairness(base: str, timeout: float) -> None:
    """Four heavy queries running, then 40 light ones at once: print the statuses and the slowest light answer."""
    from concurrent.futures import ThreadPoolExecutor

    limits = httpx.Limits(max_connections=44, max_keepalive_connections=44)
    http = httpx.Client(base_url=base, timeout=timeout + 30, limits=limits)

    def timed(query: str) -> tuple[int, float]:
        started = time.perf_counter()
        status = http.post("/sparql", data={"query": query}).status_code
        return status, time.perf_counter() - started

    list(ThreadPoolExecutor(max_workers=44).map(timed, ["ASK {}"] * 44))  # open the connections before measuring
    with ThreadPoolExecutor(max_workers=44) as pool:
        heavy = [pool.submit(timed, HEAVY) for _ in range(4)]
        time.sleep(0.5)
        light = list(pool.map(timed, ["ASK {}"] * 40))
        heavy_done = [f.result() for f in heavy]
    http.close()
    slowest = max(seconds for _, seconds in light)
    print(
        f"fairness: 40 light ASK beside 4 heavy queries: light statuses {dict(Counter(s for s, _ in light))}, "
        f"slowest light {slowest * 1000:.0f} ms (target < 1000 ms: {'met' if slowest < 1 else 'MISSED'}), "
        f"p50 light {percentile([t for _, t in light], 0.5) * 1000:.0f} ms; "
        f"heavy statuses {dict(Counter(s for s, _ in heavy_done))} after "
        f"{', '.join(f'{t:.1f} s' for _, t in heavy_done)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=2.0, help="REFORMKG_QUERY_TIMEOUT for the server")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="reformkg-load-"))
    port = free_port()
    env = {
        **os.environ,
        "REFORMKG_STORE": str(work / "store"),
        "REFORMKG_PORT": str(port),
        "REFORMKG_HOST": "127.0.0.1",
        "REFORMKG_QUERY_TIMEOUT": str(args.timeout),
    }
    binary = str(Path(sys.executable).parent / "reformkg")
    server = None
    try:
        subprocess.run([binary, "build"], env=env, check=True, capture_output=True)
        server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)

        examples = [queries.text(name) for name in queries.examples()]
        latencies: dict[str, list[float]] = {"example": [], "heavy": []}
        statuses: Counter = Counter()
        failures: list[str] = []
        lock = threading.Lock()
        sent = [0]
        stop_at = time.monotonic() + args.seconds

        def client(number: int) -> None:
            with httpx.Client(base_url=base, timeout=args.timeout + 30) as http:
                turn = number
                while time.monotonic() < stop_at:
                    with lock:
                        if sent[0] >= args.max_requests:
                            return
                        sent[0] += 1
                        heavy = sent[0] == args.clients  # exactly one heavy query, early in the run
                    query = HEAVY if heavy else examples[turn % len(examples)]
                    turn += 1
                    started = time.perf_counter()
                    try:
                        answer = http.post("/sparql", data={"query": query})
                        status = answer.status_code
                    except httpx.HTTPError as error:
                        status = f"error {type(error).__name__}"
                    elapsed = time.perf_counter() - started
                    with lock:
                        latencies["heavy" if heavy else "example"].append(elapsed)
                        statuses[status] += 1
                        expected = 503 if heavy else 200
                        if status != expected:
                            failures.append(f"{'heavy' if heavy else 'example'} query answered {status}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started

        example = latencies["example"]
        print(
            f"{args.clients} clients, {wall:.1f} s on {base}, {len(examples)} example queries, "
            f"query time limit {args.timeout:g} s, {os.cpu_count()} cores"
        )
        print(
            f"requests: {sum(statuses.values()):,} ({sum(statuses.values()) / wall:,.0f}/s); statuses: {dict(statuses)}"
        )
        print(
            f"example queries: p50 {percentile(example, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(example, 0.99) * 1000:.1f} ms, max {max(example) * 1000:.1f} ms, "
            f"mean {statistics.fmean(example) * 1000:.1f} ms"
        )
        heavy = latencies["heavy"]
        print(f"heavy query: {len(heavy)} sent, answered in {', '.join(f'{h:.2f} s' for h in heavy)}")
        print(f"failed requests besides the timed-out one: {len(failures)}")
        for line in Counter(failures).most_common(10):
            print(f"  {line[1]} x {line[0]}")
        fairness(base, args.timeout)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
