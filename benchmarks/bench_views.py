"""Benchmark of the analytics and views: projection, agency ranking and ego-view times, synthetic graph beside seed.

Run ``python -m benchmarks.bench_views`` (default 5,000 farms) or ``python -m benchmarks.bench_views --farms 50000``.
It builds ``benchmarks.bench``'s synthetic forest-farm graph into an embedded Oxigraph store, and the seed graph into
another, and prints for each: the projection time (store -> networkx, uncached), the agency ranking time (projection
cached), and the ego view's server-side time (median of 5: the neighbourhood plus the HTML, projection cached).
Targets at 50,000 farms: ego view under 300 ms, ranking under 5 s. A script that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"ego": 300.0, "ranking": 5000.0}
AG = "https://w3id.org/reformkg/id/org/"


def measure(store, ego_iri: str, runs: int = 5) -> dict[str, float]:
    """Milliseconds for projection, ranking and the ego view on one store."""
    from reformkg.graph.analytics import rank_agencies
    from reformkg.graph.projection import clear_cache, project
    from reformkg.graph.views import ego_data, render

    clear_cache()
    started = time.perf_counter()
    proj = project(store)
    projection = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ranking = rank_agencies(store)
    ranked = (time.perf_counter() - started) * 1000
    ego_times = []
    for _ in range(runs):
        started = time.perf_counter()
        html = render(ego_data(store, ego_iri, hops=2))
        ego_times.append((time.perf_counter() - started) * 1000)
    return {
        "nodes": proj.graph.number_of_nodes(),
        "edges": proj.graph.number_of_edges(),
        "typed": ranking["projection"]["nodes"],
        "projection": projection,
        "ranking": ranked,
        "ego": statistics.median(ego_times),
        "ego_kb": len(html) / 1024,
        "betweenness": ranking["betweenness"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_views", description=__doc__.split("\n\n")[0])
    parser.add_argument("--farms", type=int, default=5000, help="forest farms to generate (default 5000)")
    parser.add_argument("--runs", type=int, default=5, help="ego-view runs; the median is reported")
    args = parser.parse_args(argv)

    from benchmarks.bench import generate
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import OxigraphStore

    settings = Settings()
    seed = OxigraphStore()
    build(seed, settings.ontology_dir, settings.data_dir)
    seed_figures = measure(seed, "https://w3id.org/reformkg/id/place/kunming", args.runs)
    seed_triples = seed.count()
    seed.close()

    tmp = Path(tempfile.mkdtemp(prefix="reformkg-bench-views-"))
    try:
        data = tmp / "farms.nt"
        started = time.perf_counter()
        triples = generate(data, args.farms)
        generated = time.perf_counter() - started
        store = OxigraphStore(tmp / "store")
        started = time.perf_counter()
        store.load_file(data)
        loaded = time.perf_counter() - started
        synthetic = measure(store, f"{AG}province-00-forestry-department", args.runs)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"synthetic graph: {args.farms:,} farms, {triples:,} triples "
        f"(generated {generated:.1f} s, loaded {loaded:.1f} s)"
    )
    print(f"seed graph: {seed_triples:,} triples\n")
    rows = [
        ("projection nodes", "nodes", "{:,.0f}"),
        ("projection edges", "edges", "{:,.0f}"),
        ("typed projection nodes", "typed", "{:,.0f}"),
        ("projection ms (uncached)", "projection", "{:,.1f}"),
        ("agency ranking ms", "ranking", "{:,.1f}"),
        (f"ego view ms (2 hops, median of {args.runs})", "ego", "{:,.1f}"),
        ("ego view HTML KiB", "ego_kb", "{:,.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'synthetic':>12}  {'seed':>10}")
    for title, key, fmt in rows:
        print(f"{title:{width}}  {fmt.format(synthetic[key]):>12}  {fmt.format(seed_figures[key]):>10}")
    print(f"\nbetweenness: synthetic {synthetic['betweenness']}; seed {seed_figures['betweenness']}")
    scale = "" if args.farms >= 50_000 else f" (targets are for 50,000 farms; this run has {args.farms:,})"
    print(f"targets{scale}:")
    for key, label in (("ego", "ego view"), ("ranking", "agency ranking")):
        verdict = "met" if synthetic[key] < TARGETS[key] else "MISSED"
        print(f"  {label} < {TARGETS[key]:,.0f} ms: {synthetic[key]:,.1f} ms, {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
