"""Benchmark: reformkg's store and SPARQL endpoint against raw pyoxigraph, ``oxigraph serve`` and rdflib.

Run ``python -m benchmarks.bench`` (default: 5,000 forest farms, about 170k triples, a few minutes) or
``python -m benchmarks.bench --farms 50000`` (about 1.7M triples; rdflib is skipped above 10,000 farms unless
``--with-rdflib``). It generates a synthetic national forest-farm graph as N-Triples in a temporary folder, loads it
into three systems, times four query shapes in process (each answer serialised to SPARQL JSON), times the same queries
over HTTP against ``oxigraph serve`` and reformkg's own app, and prints one table, the targets and whether each is met.
Every figure printed is measured in this run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from benchmarks import PROJECT_ROOT
from reformkg.graph import ID_BASE
from reformkg.graph.namespaces import PREFIXES

RKO = PREFIXES["rko"]
REFORM, AG, PL, MS, OB, IND, ST = (
    f"{ID_BASE}{k}/" for k in ("reform", "org", "place", "measure", "observation", "indicator", "status")
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ORG = PREFIXES["org"]
PROV = PREFIXES["prov"]
QB = PREFIXES["qb"]
SKOS = PREFIXES["skos"]
SCHEMA = PREFIXES["schema"]
DCTERMS = PREFIXES["dcterms"]
SDMX_MEASURE = PREFIXES["sdmx-measure"]
SDMX_DIMENSION = PREFIXES["sdmx-dimension"]
SDMX_ATTRIBUTE = PREFIXES["sdmx-attribute"]
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"

#: The named graph every system loads the data into; queries read the union default graph.
BENCH_GRAPH = "https://w3id.org/reformkg/graph/bench-forest-farms"
PROVINCES = 30
STAGES = ("launched", "policy-issued", "pilot", "in-progress", "accepted", "deepening")
PROVINCIAL_AGENCIES = ("forestry-department", "reform-office", "finance-department")
#: (indicator slug, unit, low, high)
INDICATORS = (
    ("forest-coverage", "percent", 20.0, 80.0),
    ("afforested-area", "mu", 100.0, 20000.0),
    ("staff-monthly-income", "yuanPerMonth", 1500.0, 6000.0),
)
RDFLIB_DEFAULT_LIMIT = 10_000
TARGETS = {"load": 1.3, "query": 1.5, "http": 1.5}


# -- 1. the synthetic graph ------------------------------------------------------------------------------------------
def generate(path: Path, farms: int, seed: int = 7) -> int:
    """Write a national forest-farm graph of ``farms`` farms as N-Triples; return the number of triples."""
    rng = random.Random(seed)
    counties = max(1, farms // 10)
    lines: list[str] = []
    add = lines.append

    def iri(s: str, p: str, o: str) -> None:
        add(f"<{s}> <{p}> <{o}> .\n")

    def lit(s: str, p: str, text: str, suffix: str = "@en") -> None:
        add(f'<{s}> <{p}> "{text}"{suffix} .\n')

    for stage in STAGES:
        iri(f"{RKO}stage-{stage}", RDF_TYPE, f"{RKO}ReformStage")
        iri(f"{RKO}stage-{stage}", f"{SKOS}inScheme", f"{RKO}ReformStageScheme")
    for slug, _unit, _lo, _hi in INDICATORS:
        iri(f"{IND}{slug}", RDF_TYPE, f"{RKO}Indicator")
        lit(f"{IND}{slug}", f"{SKOS}prefLabel", slug.replace("-", " "))
    for p in range(PROVINCES):
        province, government = f"{PL}province-{p:02d}", f"{AG}province-{p:02d}-government"
        iri(province, RDF_TYPE, f"{RKO}Province")
        lit(province, RDFS_LABEL, f"Province {p:02d}")
        iri(government, RDF_TYPE, f"{RKO}Agency")
        lit(government, RDFS_LABEL, f"Province {p:02d} People's Government")
        for kind in PROVINCIAL_AGENCIES:
            agency = f"{AG}province-{p:02d}-{kind}"
            iri(agency, RDF_TYPE, f"{RKO}Agency")
            lit(agency, RDFS_LABEL, f"Province {p:02d} {kind.replace('-', ' ')}")
            iri(agency, f"{ORG}subOrganizationOf", government)
    for c in range(counties):
        county, agency = f"{PL}county-{c:05d}", f"{AG}county-{c:05d}-forestry-bureau"
        iri(county, RDF_TYPE, f"{RKO}County")
        lit(county, RDFS_LABEL, f"County {c:05d}")
        iri(county, f"{SCHEMA}containedInPlace", f"{PL}province-{c % PROVINCES:02d}")
        iri(agency, RDF_TYPE, f"{RKO}Agency")
        lit(agency, RDFS_LABEL, f"County {c:05d} forestry bureau")
        iri(agency, f"{ORG}subOrganizationOf", f"{AG}province-{c % PROVINCES:02d}-forestry-department")
    for i in range(farms):
        c = rng.randrange(counties)
        p = c % PROVINCES
        county, site = f"{PL}county-{c:05d}", f"{PL}forest-farm-{i:06d}"
        reform, status = f"{REFORM}forest-farm-{i:06d}-reform", f"{ST}forest-farm-{i:06d}-status"
        # Most reforms are owned by the county forestry bureau, some by a provincial agency.
        owner = (
            f"{AG}county-{c:05d}-forestry-bureau"
            if rng.random() < 0.9
            else f"{AG}province-{p:02d}-{rng.choice(PROVINCIAL_AGENCIES)}"
        )
        iri(site, f"{SCHEMA}containedInPlace", county)
        iri(reform, RDF_TYPE, f"{RKO}ReformPilot")
        iri(reform, f"{PROV}wasAssociatedWith", owner)
        iri(reform, f"{DCTERMS}spatial", site)
        for m in range(1, 5):
            measure = f"{MS}forest-farm-{i:06d}-measure-{m}"
            iri(reform, f"{RKO}hasMeasure", measure)
            iri(measure, RDF_TYPE, f"{RKO}Measure")
        iri(status, RDF_TYPE, f"{RKO}StatusRecord")
        iri(status, f"{RKO}statusOf", reform)
        iri(status, f"{RKO}stage", f"{RKO}stage-{rng.choice(STAGES)}")
        iri(status, f"{RKO}assessedBy", f"{AG}province-{p:02d}-{rng.choice(PROVINCIAL_AGENCIES)}")
        for slug, unit, lo, hi in INDICATORS:
            obs = f"{OB}forest-farm-{i:06d}-{slug}"
            iri(obs, RDF_TYPE, f"{QB}Observation")
            iri(obs, f"{RKO}indicator", f"{IND}{slug}")
            lit(obs, f"{SDMX_MEASURE}obsValue", f"{rng.uniform(lo, hi):.2f}", f"^^<{XSD_DECIMAL}>")
            iri(obs, f"{SDMX_ATTRIBUTE}unitMeasure", f"{RKO}{unit}")
            iri(obs, f"{SDMX_DIMENSION}refArea", county)
            iri(obs, f"{RKO}outcomeOf", reform)
        if len(lines) > 200_000:
            _flush(path, lines)
    _flush(path, lines)
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _flush(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(lines)
    lines.clear()


# -- the four query shapes -------------------------------------------------------------------------------------------
PREFIXES = f"""PREFIX rko: <{RKO}>
PREFIX ag: <{AG}>
PREFIX pl: <{PL}>
PREFIX ind: <{IND}>
PREFIX org: <{ORG}>
PREFIX prov: <{PROV}>
PREFIX dcterms: <{DCTERMS}>
PREFIX schema: <{SCHEMA}>
PREFIX sdmx-measure: <{SDMX_MEASURE}>
PREFIX sdmx-dimension: <{SDMX_DIMENSION}>
"""


def queries(farms: int) -> dict[str, str]:
    farm = f"{PL}forest-farm-{farms // 2 + 7 if farms > 20 else 0:06d}"
    return {
        "a group-by owners": PREFIXES
        + """SELECT ?owner (COUNT(?reform) AS ?reforms) WHERE {
  ?reform a rko:ReformPilot ; prov:wasAssociatedWith ?owner .
} GROUP BY ?owner ORDER BY DESC(?reforms) ?owner""",
        "b province join+filter": PREFIXES
        + """SELECT ?reform ?agency ?stage WHERE {
  ?agency org:subOrganizationOf+ ag:province-03-government .
  ?reform prov:wasAssociatedWith ?agency .
  ?status rko:statusOf ?reform ; rko:stage ?stage .
  FILTER(?stage IN (rko:stage-accepted, rko:stage-deepening))
}""",
        "c avg by province": PREFIXES
        + """SELECT ?province (AVG(?value) AS ?mean) (COUNT(?obs) AS ?n) WHERE {
  ?obs rko:indicator ind:forest-coverage ; sdmx-measure:obsValue ?value ; sdmx-dimension:refArea ?county .
  ?county schema:containedInPlace ?province .
} GROUP BY ?province ORDER BY ?province""",
        "d point lookup": PREFIXES
        + f"""SELECT ?reform ?stage ?owner WHERE {{
  ?reform dcterms:spatial <{farm}> ; prov:wasAssociatedWith ?owner .
  ?status rko:statusOf ?reform ; rko:stage ?stage .
}}""",
    }


# -- timing ----------------------------------------------------------------------------------------------------------
@dataclass
class Timing:
    """Milliseconds of each run, and the SPARQL JSON of the last one."""

    runs: list[float] = field(default_factory=list)
    body: bytes = b""

    @property
    def ms(self) -> float:
        return statistics.median(self.runs)

    @property
    def rows(self) -> int:
        return len(json.loads(self.body)["results"]["bindings"])


def timed(fn: Callable[[], bytes], runs: int = 5, warmup: int = 1, slow_ms: float | None = None) -> Timing:
    """Median-of-``runs`` timing of ``fn`` (which returns the serialised answer), after ``warmup`` untimed runs.

    With ``slow_ms``, stop after the first run if it took longer than that (rdflib).
    """
    for _ in range(warmup):
        fn()
    t = Timing()
    for _ in range(runs):
        started = time.perf_counter()
        t.body = fn()
        t.runs.append((time.perf_counter() - started) * 1000)
        if slow_ms is not None and t.runs[-1] > slow_ms:
            break
    return t


def timed_together(fns: dict[str, Callable[[], bytes]], runs: int = 5, warmup: int = 1) -> dict[str, Timing]:
    """Like ``timed`` for several systems at once, their runs interleaved so that drift hits them all alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    out = {name: Timing() for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            out[name].body = fn()
            out[name].runs.append((time.perf_counter() - started) * 1000)
    return out


class Sampler:
    """A thread that calls ``sample`` again and again while a ``with`` block runs (``sample`` paces itself)."""

    def __init__(self):
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"bench-{type(self).__name__}", daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            self.sample()

    def sample(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        self._thread.join()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 2. in process ---------------------------------------------------------------------------------------------------
def load_reformkg(data: Path, folder: Path):
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore(folder)
    started = time.perf_counter()
    store.load_file(data, graph=BENCH_GRAPH)
    return store, (time.perf_counter() - started) * 1000


def load_pyoxigraph(data: Path, folder: Path):
    store = ox.Store(str(folder))
    started = time.perf_counter()
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(BENCH_GRAPH))
    return store, (time.perf_counter() - started) * 1000


def load_rdflib(data: Path):
    import rdflib

    ds = rdflib.Dataset(default_union=True)
    started = time.perf_counter()
    ds.graph(rdflib.URIRef(BENCH_GRAPH)).parse(str(data), format="nt")
    return ds, (time.perf_counter() - started) * 1000


# -- 3. servers ------------------------------------------------------------------------------------------------------
def serve_reformkg(folder: str, data: str, port: int) -> None:
    """The reformkg server subprocess: load the file through the product path into its own store, then serve it."""
    import uvicorn

    from reformkg.api.app import create_app, uvicorn_options
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore(Path(folder))
    store.load_file(Path(data), graph=BENCH_GRAPH)
    settings = Settings(store=folder, host="127.0.0.1", port=port)
    # As `reformkg serve` runs it (httptools, uvloop, no access log unless REFORMKG_ACCESS_LOG asks).
    uvicorn.run(create_app(settings, store), **uvicorn_options(settings))


def wait_for(client, url: str, proc: subprocess.Popen, timeout: float, **kwargs) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            if client.get(url, **kwargs).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def oxigraph_serve_command(location: Path, port: int) -> list[str]:
    """``oxigraph serve`` on a loopback port, its default graph the union of all graphs (as reformkg's)."""
    oxigraph = Path(sys.executable).parent / "oxigraph"
    return [str(oxigraph), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]


def finish(procs: list[subprocess.Popen], tmp: Path, keep: bool) -> None:
    """Stop the servers; remove the temporary folder unless asked to keep it."""
    for p in procs:
        stop(p)
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


# -- 4. report -------------------------------------------------------------------------------------------------------
def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.1f}" if v >= 10 else f"{v:.3f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)])


def load_average() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def machine_info() -> str:
    mem = ""
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kb = int(next(ln for ln in meminfo if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    oxi = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"
    try:
        serve_version = subprocess.run([oxi, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        serve_version = "oxigraph (not found)"
    try:
        import rdflib

        rdflib_version = rdflib.__version__
    except ImportError:
        rdflib_version = "not installed"
    return (
        f"machine: {os.cpu_count()} cores{mem}, {platform.platform()}; python {platform.python_version()}; "
        f"pyoxigraph {ox.__version__}; {serve_version}; rdflib {rdflib_version}"
    )


# -- the run ---------------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    import httpx

    from reformkg.graph import store as store_module

    use_rdflib = args.with_rdflib or args.farms <= RDFLIB_DEFAULT_LIMIT
    load_runs = args.load_runs or (3 if args.farms <= RDFLIB_DEFAULT_LIMIT else 1)
    oxigraph_bin = Path(sys.executable).parent / "oxigraph"
    tmp = Path(tempfile.mkdtemp(prefix="reformkg-bench-", dir=args.tmp))
    procs: list[subprocess.Popen] = []
    started_run = time.perf_counter()
    print(machine_info())
    print(f"{load_average()} at the start (other processes on the machine make every figure noisier)")
    try:
        data = tmp / "forest-farms.nt"
        t0 = time.perf_counter()
        triples = generate(data, args.farms)
        print(
            f"generated {args.farms:,} farms: {triples:,} triples, {data.stat().st_size / 1e6:.1f} MB N-Triples "
            f"in {time.perf_counter() - t0:.1f} s ({data})"
        )
        qs = queries(args.farms)

        # -- 2. load, in process (interleaved runs into fresh folders; the last stores are kept for the queries)
        rk_loads, px_loads = [], []
        rk_store = px_store = None
        for n in range(load_runs):
            rk_store = px_store = None
            gc.collect()
            px_store, t = load_pyoxigraph(data, tmp / f"pyoxigraph-{n}")
            px_loads.append(t)
            rk_store, t = load_reformkg(data, tmp / f"reformkg-{n}")
            rk_loads.append(t)
        rdf_ds, rdflib_load = None, None
        if use_rdflib:
            rdf_ds, rdflib_load = load_rdflib(data)

        # -- 3. the two HTTP servers, each loading its own folder (after the timed loads, so they compete with none)
        ox_port, rk_port = free_port(), free_port()
        ox_dir, rk_dir = tmp / "http-oxigraph-serve", tmp / "http-reformkg"
        loader = subprocess.Popen(
            [str(oxigraph_bin), "load", "--location", str(ox_dir), "--file", str(data), "--graph", BENCH_GRAPH],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append(loader)
        rk_log = (tmp / "reformkg-serve.log").open("wb")
        rk_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.bench",
                "--serve-reformkg",
                str(rk_dir),
                "--serve-data",
                str(data),
                "--serve-port",
                str(rk_port),
            ],
            cwd=PROJECT_ROOT,
            stdout=rk_log,
            stderr=subprocess.STDOUT,
        )
        procs.append(rk_proc)
        _, load_err = loader.communicate()
        if loader.returncode != 0:
            raise RuntimeError(f"oxigraph load failed: {load_err.decode()[:2000]}")
        ox_proc = subprocess.Popen(
            oxigraph_serve_command(ox_dir, ox_port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(ox_proc)
        with httpx.Client(timeout=600) as client:
            wait_for(
                client,
                f"http://127.0.0.1:{ox_port}/query",
                ox_proc,
                120,
                params={"query": "ASK {}"},
                headers={"Accept": "application/sparql-results+json"},
            )
            wait_for(client, f"http://127.0.0.1:{rk_port}/healthz", rk_proc, 900)

        # -- 2. queries, in process
        px_graph = ox.NamedNode(BENCH_GRAPH)
        results: dict[str, dict[str, Timing | None]] = {}
        extra: dict[str, dict[str, float]] = {}
        for name, q in qs.items():
            r: dict[str, Timing | None] = {}
            r.update(
                timed_together(
                    {
                        "reformkg": lambda q=q: rk_store.query(q).serialize("json"),
                        "pyoxigraph": lambda q=q: px_store.query(q, use_default_graph_as_union=True).serialize(
                            format=ox.QueryResultsFormat.JSON
                        ),
                    },
                    args.runs,
                )
            )
            r["rdflib"] = (
                timed(lambda q=q: rdf_ds.query(q).serialize(format="json"), args.runs, warmup=0, slow_ms=1000)
                if rdf_ds is not None
                else None
            )
            # Diagnostics: rows turned into Python dicts (the per-row work /sparql avoids by serialising natively),
            # and the named graph as the default graph instead of the union of all graphs.
            extra[name] = {
                "reformkg rows()": timed(lambda q=q: rk_store.query(q).rows(), args.runs).ms,
                "pyoxigraph named graph": timed(
                    lambda q=q: px_store.query(q, default_graph=px_graph).serialize(format=ox.QueryResultsFormat.JSON),
                    args.runs,
                ).ms,
            }
            results[name] = r

        # -- 3. HTTP
        with httpx.Client(timeout=600) as client:

            def http(url: str, q: str, accept: str | None = None) -> bytes:
                headers = {"Accept": accept} if accept else {}
                response = client.get(url, params={"query": q}, headers=headers)
                response.raise_for_status()
                return response.content

            for name, q in qs.items():
                rk_url, ox_url = f"http://127.0.0.1:{rk_port}/sparql", f"http://127.0.0.1:{ox_port}/query"
                results[name].update(
                    timed_together(
                        {
                            "reformkg-http": lambda q=q, u=rk_url: http(u, q),
                            "oxigraph-serve": lambda q=q, u=ox_url: http(u, q, "application/sparql-results+json"),
                        },
                        args.runs,
                    )
                )
            # The floor of an HTTP round trip on each server: the cheapest request it answers.
            health = timed(lambda: client.get(f"http://127.0.0.1:{rk_port}/healthz").content, args.runs).ms
            ask = timed(
                lambda: http(f"http://127.0.0.1:{ox_port}/query", "ASK {}", "application/sparql-results+json"),
                args.runs,
            ).ms
            rk_ask = timed(lambda: http(f"http://127.0.0.1:{rk_port}/sparql", "ASK {}"), args.runs).ms
        for p in (rk_proc, ox_proc):
            stop(p)

        # -- 4. the table
        rk_load, px_load = statistics.median(rk_loads), statistics.median(px_loads)
        header = [
            "",
            "reformkg ms",
            "pyoxigraph ms",
            "rdflib ms",
            "reformkg/pyoxigraph",
            "rdflib/reformkg",
            "reformkg-http ms",
            "oxigraph-serve ms",
            "http reformkg/serve",
            "rows",
        ]
        rows = [
            [
                "load",
                ms(rk_load),
                ms(px_load),
                ms(rdflib_load) if use_rdflib else "skipped",
                ratio(rk_load, px_load),
                ratio(rdflib_load, rk_load),
                "-",
                "-",
                "-",
                f"{triples:,} triples",
            ]
        ]
        checks: list[tuple[str, bool]] = [
            (
                f"load within {TARGETS['load']}x of pyoxigraph bulk_load ({ratio(rk_load, px_load)})",
                rk_load <= TARGETS["load"] * px_load,
            )
        ]
        row_problems = []
        for name, r in results.items():
            rk, px, rl, rkh, oxh = (
                r.get(k) for k in ("reformkg", "pyoxigraph", "rdflib", "reformkg-http", "oxigraph-serve")
            )
            counts = {k: t.rows for k, t in r.items() if t is not None}
            if len(set(counts.values())) != 1:
                row_problems.append(f"{name}: {counts}")
            rows.append(
                [
                    name,
                    ms(rk.ms),
                    ms(px.ms),
                    (ms(rl.ms) + (" (1 run)" if len(rl.runs) == 1 else "")) if rl else "skipped",
                    ratio(rk.ms, px.ms),
                    ratio(rl.ms, rk.ms) if rl else "-",
                    ms(rkh.ms),
                    ms(oxh.ms),
                    ratio(rkh.ms, oxh.ms),
                    str(counts["reformkg"]),
                ]
            )
            checks.append(
                (
                    f"query {name} within {TARGETS['query']}x of pyoxigraph ({ratio(rk.ms, px.ms)})",
                    rk.ms <= TARGETS["query"] * px.ms,
                )
            )
            checks.append(
                (
                    f"http {name} within {TARGETS['http']}x of oxigraph serve ({ratio(rkh.ms, oxh.ms)})",
                    rkh.ms <= TARGETS["http"] * oxh.ms,
                )
            )
        print()
        print(
            f"{args.farms:,} farms, {triples:,} triples; median of {args.runs} runs after 1 warm-up, "
            "reformkg's and its comparison's runs interleaved "
            f"(load: median of {load_runs}; rdflib: no warm-up, 1 run when a run takes over 1 s); "
            "times include serialising to SPARQL JSON"
        )
        print(table(header, rows))
        if not use_rdflib:
            print(
                f"rdflib skipped: more than {RDFLIB_DEFAULT_LIMIT:,} farms (pass --with-rdflib to include it; "
                "it takes minutes)"
            )
        print("row counts:", "all systems agree" if not row_problems else "MISMATCH " + "; ".join(row_problems))

        print()
        print("targets:")
        for text, ok in checks:
            print(f"  [{'met' if ok else 'MISSED'}] {text}")

        # -- 5. diagnostics, to say why a target is missed
        print()
        print("diagnostics:")
        check = getattr(store_module, "check_file", None) or getattr(store_module, "_check_file", None)
        t0 = time.perf_counter()
        if check is not None:
            check(data, ox.RdfFormat.N_TRIPLES)
        else:  # what the check-parse does: every triple parsed into a Python object and dropped
            for _ in ox.parse(path=data, format=ox.RdfFormat.N_TRIPLES, lenient=True):
                pass
        check_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        rk_store.count(BENCH_GRAPH)
        count_ms = (time.perf_counter() - t0) * 1000
        print(
            f"  load: reformkg load_file {ms(rk_load)} ms = check-parse (check_file: a Python loop over every "
            f"triple) {ms(check_ms)} ms + bulk_load ~{ms(px_load)} ms + the triple count it reports "
            f"{ms(count_ms)} ms + rest {ms(rk_load - check_ms - px_load - count_ms)} ms"
        )
        print(f"  load runs ms: reformkg {[round(x) for x in rk_loads]}, pyoxigraph {[round(x) for x in px_loads]}")
        diag_header = [
            "",
            "reformkg +json",
            "reformkg .rows()",
            "pyoxigraph +json union",
            "pyoxigraph +json named graph",
            "reformkg-http - in process",
            "oxigraph-serve - pyoxigraph",
        ]
        diag = []
        for name, e in extra.items():
            r = results[name]
            diag.append(
                [
                    name,
                    ms(r["reformkg"].ms),
                    ms(e["reformkg rows()"]),
                    ms(r["pyoxigraph"].ms),
                    ms(e["pyoxigraph named graph"]),
                    ms(r["reformkg-http"].ms - r["reformkg"].ms),
                    ms(r["oxigraph-serve"].ms - r["pyoxigraph"].ms),
                ]
            )
        print("  " + table(diag_header, diag).replace("\n", "\n  "))
        print(
            f"  HTTP floor: reformkg GET /healthz {ms(health)} ms, GET /sparql ASK{{}} {ms(rk_ask)} ms; "
            f"oxigraph serve GET /query ASK{{}} {ms(ask)} ms"
        )
        print(f"\ntotal run {time.perf_counter() - started_run:.0f} s; {load_average()} at the end")
        return 0 if not row_problems else 1
    finally:
        finish(procs, tmp, args.keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--farms",
        type=int,
        default=5000,
        help="forest farms to generate (default 5000, ~170k triples, a few minutes; 50000 gives ~1.7M triples)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query; the median is reported")
    parser.add_argument(
        "--load-runs",
        type=int,
        default=0,
        help=f"load runs per system (default 3, or 1 above {RDFLIB_DEFAULT_LIMIT} farms)",
    )
    parser.add_argument("--with-rdflib", action="store_true", help=f"include rdflib above {RDFLIB_DEFAULT_LIMIT} farms")
    parser.add_argument("--tmp", default=None, help="folder for the temporary data (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--serve-reformkg", help=argparse.SUPPRESS)
    parser.add_argument("--serve-data", help=argparse.SUPPRESS)
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_reformkg:
        serve_reformkg(args.serve_reformkg, args.serve_data, args.serve_port)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
