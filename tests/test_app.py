"""The minimal app: /healthz and GET /sparql, on every backend."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from tests.conftest import FIXTURES


def test_health_and_sparql_get(store):
    store.load_file(FIXTURES / "farms.ttl", graph="http://example.org/g")
    client = TestClient(create_app(Settings(store="memory"), store))
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["backend"] == store.backend

    answer = client.get("/sparql", params={"query": "SELECT ?f WHERE { ?f a <http://example.org/ForestFarm> }"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/sparql-results+json")
    values = sorted(b["f"]["value"] for b in answer.json()["results"]["bindings"])
    assert values == ["http://example.org/haikou", "http://example.org/xishan"]

    graph = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s a ?t }"})
    assert graph.headers["content-type"].startswith("text/turtle")

    bad = client.get("/sparql", params={"query": "SELEKT"})
    assert bad.status_code == 400
    assert "does not parse" in bad.json()["detail"]


def test_healthz_is_503_when_the_store_does_not_answer():
    from reformkg.graph.store import RemoteStore
    from tests.conftest import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)  # nothing listens there
    try:
        answer = TestClient(create_app(Settings(store="unused"), store)).get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "unavailable", "backend": "remote"}
    finally:
        store.close()


def test_the_views_modules_are_imported_in_the_background_once_the_server_starts():
    """Building the app imports neither networkx nor pyvis (the command line stays quick); once the server has
    started, a thread imports them, so that the first graph view a visitor opens does not wait for them, then freezes
    what the process has loaded (``gc.freeze``): the collector's full passes no longer walk it."""
    import subprocess
    import sys

    probe = (
        "import sys, threading\n"
        "from fastapi.testclient import TestClient\n"
        "from reformkg.api.app import PRELOADED, create_app\n"
        "from reformkg.graph.settings import Settings\n"
        "from reformkg.graph.store import OxigraphStore\n"
        "app = create_app(Settings(store='memory'), OxigraphStore())\n"
        "before = [m for m in PRELOADED if m in sys.modules]\n"
        "with TestClient(app) as client:\n"
        "    client.get('/healthz')\n"
        "    for thread in threading.enumerate():\n"
        "        if thread.name == 'reformkg-preload':\n"
        "            thread.join(60)\n"
        "    after = [m for m in PRELOADED if m in sys.modules]\n"
        "print(before, after)\n"
        "import gc, networkx\n"
        "print(gc.get_freeze_count() > 0, gc.is_tracked(networkx.Graph), networkx.Graph in gc.get_objects())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[] ['networkx', 'pyvis.network']"
    # then what it loaded is out of the garbage collector's reach: a full collection no longer walks it
    assert done.stdout.split("\n")[1] == "True True False"


def test_the_switch_interval_is_short_while_the_app_serves_and_restored_after():
    """While the app serves, a thread running Python keeps the interpreter lock for at most
    ``SWITCH_INTERVAL_SECONDS`` when the event loop asks for it (not Python's 5 ms); when it stops, the process's own
    interval comes back. (``bench_request_path`` measures what this does to requests beside such a thread.)"""
    import sys

    from reformkg.api.app import SWITCH_INTERVAL_SECONDS
    from reformkg.graph.store import OxigraphStore

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        with TestClient(create_app(Settings(store="memory"), OxigraphStore())) as client:
            assert client.get("/healthz").status_code == 200
            assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS < 0.005
        assert sys.getswitchinterval() == 0.005
    finally:
        sys.setswitchinterval(previous)


def _preloaded() -> None:
    """Wait for the app's start-up thread (imports, freeze, the ranking's start) to finish."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "reformkg-preload":
            thread.join(60)


def test_the_server_makes_the_ranking_once_started_on_a_disk_store(tmp_path):
    """On an on-disk store, the server starts making the agency ranking once it has started, before anyone asks for
    it (``REFORMKG_WARM_RANKING``): the first visitor to the ranking gets it at once, for the store as it is."""
    import time

    from reformkg.graph import projection
    from reformkg.graph.store import OxigraphStore

    store = OxigraphStore(tmp_path / "store")
    try:
        store.load_file(FIXTURES / "farms.ttl", graph="http://example.org/g")
        with TestClient(create_app(Settings(store="unused"), store)) as client:
            _preloaded()
            builder = projection._builder(store, "ranking")
            assert builder is not None  # started without any request for it
            deadline = time.monotonic() + 60
            while builder.latest is None and time.monotonic() < deadline:
                time.sleep(0.05)
            made = builder.latest
            assert made is not None and made[0] == store.generation
            answer = client.get("/analytics/agencies")
            assert answer.status_code == 200 and "stale" not in answer.json()
            assert builder.latest is made  # answered from the ranking made at start, not made again
    finally:
        store.close()


def test_the_ranking_is_made_at_start_only_on_disk_and_when_the_setting_asks(tmp_path):
    from reformkg.api.app import warmed
    from reformkg.graph import projection
    from reformkg.graph.store import OxigraphStore

    memory, disk = OxigraphStore(), OxigraphStore(tmp_path / "store")
    try:
        assert warmed(Settings(store="unused"), disk) is disk
        assert warmed(Settings(store="unused"), memory) is None  # starts empty: nothing to make ahead
        assert warmed(Settings(store="unused", warm_ranking=False), disk) is None
        with TestClient(create_app(Settings(store="unused", warm_ranking=False), disk)) as client:
            assert client.get("/healthz").status_code == 200
            _preloaded()
            assert projection._builder(disk, "ranking") is None
    finally:
        memory.close()
        disk.close()
