"""Benchmark: reformkg on Virtuoso 7 against Virtuoso's own bulk loader and its own ``/sparql``.

Run ``python -m benchmarks.bench_virtuoso`` (``make bench`` runs it; it skips, saying why, where Debian's
``virtuoso-opensource`` is not installed). It starts a throw-away Virtuoso in a temporary folder on free loopback
ports (``tests/virtuoso.py``), generates the synthetic forest-farm graph of ``benchmarks/bench.py`` (5,000 farms by
default) as N-Triples in a folder Virtuoso may read, and measures:

- load: reformkg's ``load_file`` through the Graph Store Protocol (parse, chunks, staging graph, ``MOVE``) against
  Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run``); each followed by a ``checkpoint``, so both end with the
  data queryable and on disk. Runs alternate; the graph is emptied between them;
- the four query shapes of ``benchmarks/bench.py`` through reformkg's ``/sparql`` (a ``reformkg serve`` process over
  the Virtuoso backend) against Virtuoso's own ``/sparql``, both answering SPARQL JSON, runs interleaved.

It prints one table with medians and ratios, and whether each target (1.5x) is met. Every figure is measured in this
run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench import (
    BENCH_GRAPH,
    free_port,
    generate,
    load_average,
    machine_info,
    ms,
    queries,
    ratio,
    stop,
    table,
    timed,
    timed_together,
    wait_for,
)

TARGET = 1.5


def serve(query_url: str, update_url: str, gsp_url: str, port: int) -> None:
    """The reformkg server subprocess over the Virtuoso backend, as ``reformkg serve`` runs it."""
    import uvicorn

    from reformkg.api.app import create_app, uvicorn_options
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import RemoteStore

    settings = Settings(store=query_url, update_url=update_url, gsp_url=gsp_url, host="127.0.0.1", port=port)
    store = RemoteStore(query_url, update_url, settings.http_timeout, gsp_url=gsp_url)
    uvicorn.run(create_app(settings, store), **uvicorn_options(settings))


def run(args: argparse.Namespace) -> int:
    import httpx

    from reformkg.graph.store import RemoteStore
    from tests.virtuoso import VirtuosoServer, installed

    reason = installed()
    if reason:
        print(f"bench_virtuoso skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory(prefix="reformkg-bench-virtuoso-") as tmp:
        folder = Path(tmp)
        data_dir = folder / "data"
        data_dir.mkdir()
        data = data_dir / "bench.nt"
        triples = generate(data, args.farms)
        print(f"{triples:,} triples ({args.farms:,} farms) in {data.stat().st_size / 1e6:.1f} MB of N-Triples")
        server = VirtuosoServer(folder / "virtuoso", buffers=args.buffers)
        rk_proc = None
        try:
            store = RemoteStore(server.query_url, server.update_url, 600, gsp_url=server.gsp_url)

            def empty() -> None:
                server.isql(f"SPARQL CLEAR GRAPH <{BENCH_GRAPH}>;\ncheckpoint;\n")

            def load_reformkg() -> float:
                started = time.perf_counter()
                report = store.load_file(data, graph=BENCH_GRAPH)
                server.isql("checkpoint;")
                assert report.triples == triples
                return (time.perf_counter() - started) * 1000

            def load_bulk() -> float:
                started = time.perf_counter()
                server.isql(
                    "DELETE FROM DB.DBA.load_list;\n"
                    f"ld_dir('{data_dir}', 'bench.nt', '{BENCH_GRAPH}');\n"
                    "rdf_loader_run();\n"
                    "checkpoint;\n"
                )
                return (time.perf_counter() - started) * 1000

            rk_loads, bulk_loads = [], []
            for _ in range(args.load_runs):
                empty()
                rk_loads.append(load_reformkg())
                count = store.count(BENCH_GRAPH)
                assert count == triples, f"reformkg loaded {count:,} of {triples:,} triples"
                empty()
                bulk_loads.append(load_bulk())
                count = store.count(BENCH_GRAPH)
                assert count == triples, f"the bulk loader loaded {count:,} of {triples:,} triples"
            rk_load, bulk_load = statistics.median(rk_loads), statistics.median(bulk_loads)

            rk_port = free_port()
            rk_proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_virtuoso",
                    "--serve",
                    server.query_url,
                    server.update_url,
                    server.gsp_url,
                    str(rk_port),
                ],
            )
            rows = [
                [
                    "load",
                    ms(rk_load),
                    ms(bulk_load),
                    ratio(rk_load, bulk_load),
                    "-",
                    "-",
                    "-",
                    f"{triples:,} triples",
                ]
            ]
            checks = [
                (
                    f"load within {TARGET}x of ld_dir + rdf_loader_run ({ratio(rk_load, bulk_load)})",
                    rk_load <= TARGET * bulk_load,
                )
            ]
            with httpx.Client(timeout=600) as client:
                wait_for(client, f"http://127.0.0.1:{rk_port}/healthz", rk_proc, 60)

                def http(url: str, q: str) -> bytes:
                    response = client.get(
                        url, params={"query": q}, headers={"Accept": "application/sparql-results+json"}
                    )
                    response.raise_for_status()
                    return response.content

                rk_url = f"http://127.0.0.1:{rk_port}/sparql"
                for name, q in queries(args.farms).items():
                    got = timed_together(
                        {"reformkg": lambda q=q: http(rk_url, q), "virtuoso": lambda q=q: http(server.query_url, q)},
                        args.runs,
                    )
                    rk, vt = got["reformkg"], got["virtuoso"]
                    same = rk.rows == vt.rows
                    rows.append(
                        [
                            name,
                            "-",
                            "-",
                            "-",
                            ms(rk.ms),
                            ms(vt.ms),
                            ratio(rk.ms, vt.ms),
                            f"{rk.rows:,} rows" + ("" if same else f" (virtuoso {vt.rows:,})"),
                        ]
                    )
                    checks.append(
                        (
                            f"{name} through reformkg within {TARGET}x of Virtuoso's /sparql ({ratio(rk.ms, vt.ms)})",
                            rk.ms <= TARGET * vt.ms and same,
                        )
                    )
                health = timed(lambda: client.get(f"http://127.0.0.1:{rk_port}/healthz").content, args.runs).ms
                ask = timed(lambda: http(server.query_url, "ASK {}"), args.runs).ms
        finally:
            stop(rk_proc)
            server.stop()
    print()
    print(machine_info())
    print(
        f"Virtuoso 7 (Debian virtuoso-opensource), {args.buffers:,} buffers; medians of {args.load_runs} loads and "
        f"{args.runs} query runs; {load_average()}"
    )
    header = [
        "",
        "reformkg load ms",
        "bulk loader ms",
        "load ratio",
        "reformkg /sparql ms",
        "virtuoso /sparql ms",
        "http ratio",
        "size",
    ]
    print(table(header, rows))
    print(f"round-trip floors: reformkg GET /healthz {ms(health)} ms, Virtuoso /sparql ASK {{}} {ms(ask)} ms")
    for text, met in checks:
        print(f"  [{'met' if met else 'MISSED'}] {text}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--farms", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--load-runs", type=int, default=3, help="timed loads per loader (median)")
    parser.add_argument("--buffers", type=int, default=50_000, help="Virtuoso's NumberOfBuffers (8 KB pages)")
    parser.add_argument(
        "--serve", nargs=4, metavar=("QUERY_URL", "UPDATE_URL", "GSP_URL", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve:
        query_url, update_url, gsp_url, port = args.serve
        serve(query_url, update_url, gsp_url, int(port))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
