"""Shared fixtures: every store test runs on in-memory Oxigraph, on-disk Oxigraph, a real `oxigraph serve` and a real
Virtuoso 7 (one per session, emptied before each test; skipped, saying why, where Virtuoso is not installed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from reformkg.graph.store import OxigraphStore, RemoteStore, Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _no_user_store(tmp_path_factory):
    """No test reaches the real per-user store: XDG_DATA_HOME is a temporary folder (subprocesses inherit it) and
    REFORMKG_STORE is unset unless a test sets it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data-home")))
        patch.delenv("REFORMKG_STORE", raising=False)
        yield


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.fail("the `oxigraph` command is missing: `make install` installs it with the dev extras")
    return found


def stop_process(process: subprocess.Popen, grace: float = 10) -> int | None:
    """SIGTERM, as a service manager would; SIGKILL if it has not ended within ``grace`` seconds. Its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)
    return process.returncode


def wait_until_up(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Poll ``url`` until it answers 200 (True), or until ``process`` ends or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class OxigraphServer:
    """A real `oxigraph serve` on a free loopback port, with the union default graph like the embedded store; its
    Graph Store Protocol at ``/store``."""

    def __init__(self, location: Path | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]
        if location is not None:
            command += ["--location", str(location)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until_up(f"{self.base}/query?query=ASK%20%7B%7D", self.process, 20):
            self.stop()
            pytest.fail(f"oxigraph serve did not start: {self.process.stderr.read().decode()[-500:]}")

    @property
    def query_url(self) -> str:
        return f"{self.base}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base}/update"

    @property
    def gsp_url(self) -> str:
        return f"{self.base}/store"

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """One throw-away Virtuoso for the session (``tests/virtuoso.py``); skips with the reason where it cannot run."""
    from tests.virtuoso import VirtuosoServer, installed

    reason = installed()
    if reason:
        pytest.skip(f"Virtuoso test: {reason}")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture
def virtuoso_store(virtuoso_server):
    """A RemoteStore over the session's Virtuoso, emptied first; loads through its Graph Store Protocol."""
    virtuoso_server.clear()
    store = RemoteStore(
        virtuoso_server.query_url, virtuoso_server.update_url, timeout=60, gsp_url=virtuoso_server.gsp_url
    )
    yield store
    store.close()


@pytest.fixture
def oxigraph_server():
    server = OxigraphServer()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "disk", "remote", pytest.param("virtuoso", marks=pytest.mark.slow)])
def store(request, tmp_path) -> Store:
    """A fresh, empty store of each backend; the remote ones load through their Graph Store Protocol."""
    if request.param == "memory":
        made: Store = OxigraphStore()
    elif request.param == "disk":
        made = OxigraphStore(tmp_path / "store")
    elif request.param == "virtuoso":
        made = request.getfixturevalue("virtuoso_store")
    else:
        server = OxigraphServer()
        request.addfinalizer(server.stop)
        made = RemoteStore(server.query_url, server.update_url, timeout=30, gsp_url=server.gsp_url)
    yield made
    made.close()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skips with the reason when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip("browser test: /usr/bin/chromium is missing (`make test` installs Debian's chromium as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test: the playwright package is missing (`make install` installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


class LiveServer:
    """The app under a real uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app):
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def synthetic_farms(tmp_path_factory, farms: int) -> OxigraphStore:
    """An in-memory store of the synthetic national forest-farm graph (``benchmarks.bench.generate``) of ``farms``
    farms."""
    from benchmarks.bench import generate

    data = tmp_path_factory.mktemp("farms") / "farms.nt"
    generate(data, farms)
    store = OxigraphStore()
    store.load_file(data)
    return store


@pytest.fixture(scope="module")
def seed_store():
    """An in-memory store holding the built seed graph (ontology + data), shared read-only by a module's tests."""
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings

    settings = Settings()
    store = OxigraphStore()
    build(store, settings.ontology_dir, settings.data_dir)
    yield store
    store.close()


@pytest.fixture(scope="module")
def live_seed_app(seed_store):
    """reformkg's app over the seed graph, served by a real uvicorn on loopback."""
    from reformkg.api.app import create_app
    from reformkg.graph.settings import Settings

    server = LiveServer(create_app(Settings(store="memory"), seed_store))
    yield server
    server.stop()


def seeded_store(kind: str, request, tmp_path_factory) -> Store:
    """The seed graph (ontology + data) built into a fresh store of a kind: memory, disk, remote (`oxigraph serve`)
    or virtuoso (the session's, emptied first)."""
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings

    settings = Settings()
    if kind == "memory":
        store: Store = OxigraphStore()
    elif kind == "disk":
        store = OxigraphStore(tmp_path_factory.mktemp("store") / "store")
    elif kind == "virtuoso":
        virtuoso = request.getfixturevalue("virtuoso_server")
        virtuoso.clear()
        store = RemoteStore(virtuoso.query_url, virtuoso.update_url, timeout=60, gsp_url=virtuoso.gsp_url)
    else:
        server = OxigraphServer()
        request.addfinalizer(server.stop)
        store = RemoteStore(server.query_url, server.update_url)
    build(store, settings.ontology_dir, settings.data_dir)
    return store


class OfflinePage:
    """A page whose requests to anything but 127.0.0.1 are aborted and recorded; so are failures, script errors and
    console errors, dialogs. ``context`` goes to Playwright's new_page (``extra_http_headers``, ``locale`` …)."""

    def __init__(self, browser, **context):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, **context)
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._guard)
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("dialog", self._dialog)

    def _guard(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _failed(self, request):
        # A fetch cut short by the page navigating away (ERR_ABORTED) is not a failure; blocked ones are in outside.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self):
        assert self.outside == [], f"requests off loopback: {self.outside}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.errors == [], f"script errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened (script ran from data?): {self.dialogs}"

    def close(self):
        self.page.close()


class Unclosable:
    """The shared seed store, with close() a no-op so the CLI cannot close it for the next test."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def close(self) -> None:
        pass
