"""Benchmark: ``reformkg serve`` and ``reformkg load`` beside ``oxigraph serve`` and ``oxigraph load``, whole processes.

``python -m benchmarks.bench_serve [--farms 5000] [--window 10] [--rounds 3]`` generates the synthetic forest-farm
graph (``benchmarks/bench.py``), then measures, in one run:

- **load**: ``reformkg load FILE`` against ``oxigraph load --file FILE``, each a fresh process into a fresh folder;
- **start**: ``reformkg --help`` against ``python -c pass``;
- **single requests**: the four query shapes, ``ASK {}`` and ``GET /healthz``, one client, the two servers' runs
  interleaved; the fixed cost of reformkg's path is its ``ASK {}`` time less oxigraph serve's. A text sent again is
  answered by reformkg's main process once a worker has found it light (``graph/executor.py``), so the point lookup is
  also measured on a new farm at each run: texts neither server has seen, which reformkg scans and runs on a worker;
- **throughput**: 16 clients sending a mix (owners, trace, outcome, three point lookups) for ``--rounds`` windows of
  ``--window`` seconds on each server, alternating, so that drift on the machine hits both alike;
- **memory**: the resident memory of each server (reformkg: the server and its query workers together);
- **writes** (on the seed graph, ``reformkg build``): updates sent one after another while four clients read, and
  how long the updates and the reads took.

Both servers run as their users run them: ``reformkg serve`` (the CLI, with its settings) and ``oxigraph serve
--union-default-graph``. Every figure printed is measured in this run; the targets are printed with the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.bench import (
    BENCH_GRAPH,
    Sampler,
    finish,
    free_port,
    generate,
    load_average,
    machine_info,
    oxigraph_serve_command,
    queries,
    stop,
    wait_for,
)

BIN = Path(sys.executable).parent
#: The targets of the performance issue, as ratios reformkg / oxigraph (lower is better) unless said otherwise.
TARGETS = {
    "load": 1.3,
    "single": 1.5,
    "fixed_ms": 1.0,
    "throughput": 0.67,  # reformkg / oxigraph requests per second: higher is better
    "p50": 2.0,
    "start_s": 0.3,
    "update_ms": 100.0,
}
MIX = ("a group-by owners", "b province join+filter", "c avg by province", "d point lookup", "d2", "d3")
SHAPE_NAMES = {"a group-by owners": "owners", "b province join+filter": "trace", "c avg by province": "outcome"}
JSON = {"Accept": "application/sparql-results+json"}


def lookup_on(farms: int, farm: int) -> str:
    """The point lookup (``d`` of ``benchmarks.bench.queries``) on farm number ``farm`` (modulo ``farms``)."""
    base = queries(farms)["d point lookup"]
    marker = f"forest-farm-{farms // 2 + 7 if farms > 20 else 0:06d}"
    return base.replace(marker, f"forest-farm-{farm % max(farms, 1):06d}")


def point_lookups(farms: int) -> list[str]:
    """Three point lookups on three different farms (the mix's last three requests)."""
    return [lookup_on(farms, farms // 2 + 7 + k * 97) for k in range(3)]


def timed_process(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, timeout=7200)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def rss_mib(pid: int, with_children: bool) -> float:
    """Resident memory of a process (and its child processes), in MiB, from /proc."""
    pids = [pid]
    if with_children:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakMemory(Sampler):
    """Samples a server's resident memory (with its worker processes) twice a second while in the ``with`` block."""

    def __init__(self, server: Server):
        super().__init__()
        self.server, self.peak = server, 0.0

    def sample(self) -> None:
        self.peak = max(self.peak, rss_mib(self.server.proc.pid, with_children=True))
        self._done.wait(0.5)


def cpu_seconds(pid: int) -> float:
    """CPU time a process and its children have used (from /proc)."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def wait_until_idle(servers: list[Server], limit: float) -> float:
    """Wait until the servers use under a tenth of a core together for 2 s (RocksDB compacts a freshly loaded store
    in the background when it is opened: measuring meanwhile would measure that). Seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = sum(cpu_seconds(s.proc.pid) for s in servers)
        time.sleep(2.0)
        if sum(cpu_seconds(s.proc.pid) for s in servers) - before < 0.2:
            break
    return time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


class Server:
    """A running server: its process, how to send it a query, and its base URL."""

    def __init__(self, name: str, proc: subprocess.Popen, query_url: str):
        self.name, self.proc, self.query_url = name, proc, query_url

    def ask(self, client: httpx.Client, query: str) -> httpx.Response:
        return client.get(self.query_url, params={"query": query}, headers=JSON)


def start_oxigraph(location: Path) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        oxigraph_serve_command(location, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server("oxigraph serve", proc, f"http://127.0.0.1:{port}/query")
    with httpx.Client(timeout=60) as client:
        wait_for(client, server.query_url, proc, 300, params={"query": "ASK {}"}, headers=JSON)
    return server


def start_reformkg(store: Path, log: Path, **settings: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "REFORMKG_STORE": str(store),
        "REFORMKG_HOST": "127.0.0.1",
        "REFORMKG_PORT": str(port),
        **{f"REFORMKG_{k.upper()}": v for k, v in settings.items()},
    }
    proc = subprocess.Popen([str(BIN / "reformkg"), "serve"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server("reformkg serve", proc, f"http://127.0.0.1:{port}/sparql")
    with httpx.Client(timeout=60) as client:
        wait_for(client, f"http://127.0.0.1:{port}/healthz", proc, 300)
        # the query workers start in the background: wait until one answers
        wait_for(client, server.query_url, proc, 300, params={"query": "ASK {}"}, headers=JSON)
    return server


def fresh_lookups(farms: int, count: int) -> list[str]:
    """``count`` point lookups, each on a farm of its own: texts that neither server has seen before."""
    return [lookup_on(farms, k * 7919 + 11) for k in range(count)]


def single_requests(
    servers: list[Server], shapes: dict[str, str | list[str]], runs: int
) -> dict[str, dict[str, float]]:
    """Median milliseconds of each shape on each server, one client, the servers' runs interleaved. A shape given as
    a list of texts sends the next one at each run (after one for the warm-up), the same to both servers."""
    medians: dict[str, dict[str, float]] = {}
    with httpx.Client(timeout=600) as client:
        for name, query in shapes.items():
            texts = query if isinstance(query, list) else [query] * (runs + 1)
            times: dict[str, list[float]] = {s.name: [] for s in servers}
            for s in servers:  # warm-up
                s.ask(client, texts[0]).raise_for_status()
            for text in texts[1 : runs + 1]:
                for s in servers:
                    started = time.perf_counter()
                    s.ask(client, text).raise_for_status()
                    times[s.name].append((time.perf_counter() - started) * 1000)
            medians[name] = {k: statistics.median(v) for k, v in times.items()}
    return medians


def throughput_window(server: Server, mix: list[str], clients: int, seconds: float) -> tuple[int, list[float], Counter]:
    """``clients`` threads sending the mix in turn for ``seconds``: answers, latencies (ms) and statuses."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        with httpx.Client(timeout=120) as http:
            turn = number
            while time.monotonic() < stop_at:
                query = mix[turn % len(mix)]
                turn += 1
                started = time.perf_counter()
                try:
                    status = server.ask(http, query).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    statuses[status] += 1
                    if status == 200:
                        latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses.get(200, 0), latencies, statuses


def writes_on_seed(tmp: Path, updates: int) -> dict[str, float | int]:
    """``reformkg build`` of the seed, served with an update token: ``updates`` INSERTs one after another while four
    clients read (ASK and a lookup); the update and read latencies, and any read that failed."""
    store = tmp / "seed-store"
    env = {**os.environ, "REFORMKG_STORE": str(store)}
    timed_process([str(BIN / "reformkg"), "build"], env)
    token = "bench-token"
    server = start_reformkg(store, tmp / "seed-serve.log", update_token=token)
    base = server.query_url
    reads: list[float] = []
    read_statuses: Counter = Counter()
    writing = threading.Event()
    done = threading.Event()
    lock = threading.Lock()
    lookups = [
        "ASK {}",
        "SELECT ?label WHERE { <https://w3id.org/reformkg/id/place/haikou-forest-farm> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    ]

    def reader(n: int) -> None:
        with httpx.Client(timeout=60) as http:
            turn = n
            while not done.is_set():
                query = lookups[turn % 2]
                turn += 1
                started = time.perf_counter()
                status = http.get(base, params={"query": query}, headers=JSON).status_code
                elapsed = (time.perf_counter() - started) * 1000
                if writing.is_set():
                    with lock:
                        read_statuses[status] += 1
                        reads.append(elapsed)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    update_ms: list[float] = []
    try:
        time.sleep(1.0)
        writing.set()
        with httpx.Client(timeout=60) as http:
            for i in range(updates):
                body = {
                    "update": f"INSERT DATA {{ GRAPH <urn:bench:writes> {{ <urn:bench:s{i}> <urn:bench:p> {i} }} }}"
                }
                started = time.perf_counter()
                answer = http.post(base, data=body, headers={"Authorization": f"Bearer {token}"})
                update_ms.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 204:
                    raise RuntimeError(f"update answered {answer.status_code}: {answer.text[:300]}")
                time.sleep(0.05)
        writing.clear()
    finally:
        done.set()
        for thread in threads:
            thread.join()
        stop(server.proc)
    return {
        "updates": len(update_ms),
        "update_p50": statistics.median(update_ms),
        "update_p95": percentile(update_ms, 0.95),
        "update_max": max(update_ms),
        "reads": len(reads),
        "read_failed": sum(n for status, n in read_statuses.items() if status != 200),
        "read_p50": statistics.median(reads) if reads else float("nan"),
        "read_p99": percentile(reads, 0.99),
        "read_max": max(reads) if reads else float("nan"),
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def load_both(args: argparse.Namespace, tmp: Path, checks: list[tuple[str, bool]]) -> None:
    """Generate the graph, then time ``reformkg load`` and ``oxigraph load`` into fresh folders of ``tmp``."""
    data = tmp / "forest-farms.nt"
    t0 = time.perf_counter()
    triples = generate(data, args.farms)
    print(f"generated {args.farms:,} farms: {triples:,} triples in {time.perf_counter() - t0:.1f} s")

    # -- load, whole processes, interleaved into fresh folders; the last folders are served
    rk_loads, ox_loads = [], []
    for _ in range(args.load_runs):
        for folder in (tmp / "rk", tmp / "ox"):
            shutil.rmtree(folder, ignore_errors=True)
        ox_loads.append(
            timed_process(
                [
                    str(BIN / "oxigraph"),
                    "load",
                    "--location",
                    str(tmp / "ox"),
                    "--file",
                    str(data),
                    "--graph",
                    BENCH_GRAPH,
                ]
            )
        )
        env = {**os.environ, "REFORMKG_STORE": str(tmp / "rk")}
        rk_loads.append(timed_process([str(BIN / "reformkg"), "load", str(data), "--graph", BENCH_GRAPH], env))
    rk_load, ox_load = statistics.median(rk_loads), statistics.median(ox_loads)
    print(
        f"\nload ({args.load_runs} runs each, median): reformkg load {rk_load:.2f} s, "
        f"oxigraph load {ox_load:.2f} s: "
        f"{rk_load / ox_load:.2f}x (runs: reformkg {[round(x, 2) for x in rk_loads]}, "
        f"oxigraph {[round(x, 2) for x in ox_loads]})"
    )
    checks.append(
        (
            f"reformkg load within {TARGETS['load']}x of oxigraph load: {rk_load / ox_load:.2f}x",
            rk_load <= TARGETS["load"] * ox_load,
        )
    )


def run(args: argparse.Namespace) -> None:
    tmp = args.reuse or Path(tempfile.mkdtemp(prefix="reformkg-bench-serve-", dir=args.tmp))
    servers: list[Server] = []
    checks: list[tuple[str, bool]] = []
    print(machine_info())
    print(f"{load_average()} at the start (other processes on the machine make every figure noisier)")
    try:
        if args.reuse:
            print(f"reusing {tmp}: its stores, loaded by an earlier run (no load measured)")
        else:
            load_both(args, tmp, checks)

        # -- CLI start
        help_runs = [timed_process([str(BIN / "reformkg"), "--help"]) for _ in range(7)]
        bare = [timed_process([sys.executable, "-c", "pass"]) for _ in range(7)]
        start = statistics.median(help_runs)
        print(f"start: reformkg --help {start:.3f} s (python -c pass {statistics.median(bare):.3f} s), median of 7")
        checks.append((f"reformkg --help under {TARGETS['start_s']} s: {start:.3f} s", start < TARGETS["start_s"]))

        # -- servers
        ox_server = start_oxigraph(tmp / "ox")
        servers.append(ox_server)
        rk_server = start_reformkg(tmp / "rk", tmp / "reformkg-serve.log", query_timeout=str(args.query_timeout))
        servers.append(rk_server)
        both = [rk_server, ox_server]
        waited = wait_until_idle(both, limit=900)
        print(f"servers idle after {waited:.0f} s (an engine compacts its files after opening a freshly loaded store)")

        shapes = queries(args.farms)
        fresh = fresh_lookups(args.farms, args.runs + 1)
        singles = single_requests(
            both, {**shapes, "point lookup, a new farm each run": fresh, "ASK {}": "ASK {}"}, args.runs
        )
        with httpx.Client(timeout=60) as client:
            health = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(rk_server.query_url.rsplit("/", 1)[0] + "/healthz").raise_for_status()
                health.append((time.perf_counter() - started) * 1000)
        print(f"\nsingle requests, one client, median of {args.runs} interleaved runs (ms):")
        print(f"  {'shape':<36}{'reformkg':>10}{'oxigraph':>10}{'ratio':>8}")
        for name, m in singles.items():
            r, o = m["reformkg serve"], m["oxigraph serve"]
            print(f"  {SHAPE_NAMES.get(name, name):<36}{r:>10.2f}{o:>10.2f}{r / o:>7.2f}x")
            if name == "ASK {}":  # not a shape: it measures the fixed cost, whose target is below
                continue
            checks.append(
                (
                    f"single {SHAPE_NAMES.get(name, name)} within {TARGETS['single']}x: {r / o:.2f}x",
                    r <= TARGETS["single"] * o,
                )
            )
        fixed = singles["ASK {}"]["reformkg serve"] - singles["ASK {}"]["oxigraph serve"]
        print(f"  GET /healthz on reformkg: {statistics.median(health):.2f} ms")
        print(f"  fixed cost of reformkg's path (its ASK {{}} less oxigraph's): {fixed:.2f} ms")
        checks.append((f"fixed cost under {TARGETS['fixed_ms']} ms: {fixed:.2f} ms", fixed < TARGETS["fixed_ms"]))

        # -- throughput
        lookups = point_lookups(args.farms)
        mix = [shapes[n] for n in MIX[:3]] + lookups
        totals = {s.name: {"ok": 0, "lat": [], "statuses": Counter(), "seconds": 0.0} for s in both}
        peak = {s.name: 0.0 for s in both}
        for _ in range(args.rounds):
            for s in both:
                with PeakMemory(s) as sampled:
                    ok, lat, statuses = throughput_window(s, mix, args.clients, args.window)
                peak[s.name] = max(peak[s.name], sampled.peak)
                t = totals[s.name]
                t["ok"] += ok
                t["lat"] += lat
                t["statuses"] += statuses
                t["seconds"] += args.window
        print(
            f"\nthroughput: {args.clients} clients, mix owners/trace/outcome/3 point lookups, "
            f"{args.rounds} alternating windows of {args.window:g} s on each server:"
        )
        rates = {}
        for name, t in totals.items():
            rates[name] = t["ok"] / t["seconds"]
            failed = sum(n for st, n in t["statuses"].items() if st != 200)
            print(
                f"  {name:<15} {rates[name]:7.1f} answers/s  p50 {percentile(t['lat'], 0.5):7.1f} ms  "
                f"p99 {percentile(t['lat'], 0.99):7.1f} ms  failed {failed}  statuses {dict(t['statuses'])}"
            )
        rk_t, ox_t = totals["reformkg serve"], totals["oxigraph serve"]
        ratio = rates["reformkg serve"] / rates["oxigraph serve"]
        p50_ratio = percentile(rk_t["lat"], 0.5) / percentile(ox_t["lat"], 0.5)
        rk_failed = sum(n for st, n in rk_t["statuses"].items() if st != 200)
        checks.append(
            (
                f"throughput at least {TARGETS['throughput']}x of oxigraph serve: {ratio:.2f}x",
                ratio >= TARGETS["throughput"],
            )
        )
        checks.append((f"p50 within {TARGETS['p50']}x: {p50_ratio:.2f}x", p50_ratio <= TARGETS["p50"]))
        checks.append((f"no failed request under load: {rk_failed} failed", rk_failed == 0))

        # -- memory
        rk_mem = rss_mib(rk_server.proc.pid, with_children=True)
        ox_mem = rss_mib(ox_server.proc.pid, with_children=False)
        print(
            f"\nmemory (resident), peak during the load test / after it: reformkg serve "
            f"{peak['reformkg serve']:.0f} / {rk_mem:.0f} MiB (server and query workers), oxigraph serve "
            f"{peak['oxigraph serve']:.0f} / {ox_mem:.0f} MiB"
        )
        for s in servers:
            stop(s.proc)
        servers.clear()

        # -- writes
        w = writes_on_seed(tmp, args.updates)
        print(
            f"\nwrites on the seed graph: {w['updates']} updates one after another while 4 clients read: "
            f"update p50 {w['update_p50']:.1f} ms, p95 {w['update_p95']:.1f} ms, max {w['update_max']:.1f} ms; "
            f"{w['reads']} reads meanwhile: p50 {w['read_p50']:.1f} ms, p99 {w['read_p99']:.1f} ms, "
            f"max {w['read_max']:.1f} ms, failed {w['read_failed']}"
        )
        checks.append(
            (
                f"update p95 under {TARGETS['update_ms']:g} ms: {w['update_p95']:.1f} ms",
                w["update_p95"] < TARGETS["update_ms"],
            )
        )
        checks.append(
            (
                f"reads during writes: none failed, p99 under {TARGETS['update_ms']:g} ms: "
                f"{w['read_failed']} failed, p99 {w['read_p99']:.1f} ms",
                w["read_failed"] == 0 and w["read_p99"] < TARGETS["update_ms"],
            )
        )

        print("\ntargets:")
        for text, ok in checks:
            print(f"  [{verdict(ok)}] {text}")
        print(f"\n{load_average()} at the end")
    finally:
        finish([s.proc for s in servers], tmp, args.keep or bool(args.reuse))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--farms", type=int, default=5000, help="forest farms (5000 ~ 171k triples; 50000 ~ 1.7M)")
    parser.add_argument("--runs", type=int, default=15, help="runs per single-request shape (median reported)")
    parser.add_argument("--load-runs", type=int, default=0, help="load runs (default 3, or 1 above 20,000 farms)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per throughput window")
    parser.add_argument("--rounds", type=int, default=3, help="throughput windows per server")
    parser.add_argument("--updates", type=int, default=50, help="updates in the writes test")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=10.0,
        help="REFORMKG_QUERY_TIMEOUT for reformkg serve (default 10, the product's; the larger sizes' queries take "
        "longer, and oxigraph serve has no limit)",
    )
    parser.add_argument("--tmp", default=None, help="folder for the temporary data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--reuse", type=Path, help="a folder kept by an earlier run (--keep) of the same size: no load")
    args = parser.parse_args(argv)
    args.load_runs = args.load_runs or (3 if args.farms <= 20_000 else 1)
    run(args)


if __name__ == "__main__":
    main()
