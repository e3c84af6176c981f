"""The app factory: wires the routers to a store and settings. Nothing heavy happens at import time.

Routers map requests to library calls and results to responses; the library's errors become HTTP statuses in one
place, ``reformkg.api.errors``.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from reformkg.api import errors, i18n
from reformkg.api.routers import (
    analytics,
    drafts,
    entities,
    health,
    home,
    search,
    sparql,
    timeline,
    trace,
    ui,
    views,
)
from reformkg.graph.executor import QueryExecutor
from reformkg.graph.guard import Limits
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore, Store, open_store

STATIC = Path(__file__).parent / "static"
#: What the graph views import on their first request, imported on a thread of low priority once the server has
#: started, so that the first view a visitor opens does not wait for it (once per server; the ranking's numpy and
#: scipy are left to the ranking, which runs on a thread of its own anyway).
PRELOADED = ("networkx", "pyvis.network")
#: Python's switch interval while the app serves: how long a thread that runs Python code keeps the interpreter lock
#: when another thread asks for it (Python's default is 5 ms). The server's own threads make rankings, projections and
#: views beside the event loop, and the loop asks for the lock again at each step of a request (each time the engine
#: or a socket gave it back): each such step waits up to the interval. ``bench_request_path`` measures requests beside
#: a thread running Python at both intervals.
SWITCH_INTERVAL_SECONDS = 0.0005


def _preload(warm: Store | None = None) -> None:
    """Import ``PRELOADED``, freeze what is loaded, then start making ``warm``'s ranking (when given)."""
    from reformkg.graph.projection import background_priority

    background_priority()
    for name in PRELOADED:
        # best effort: should an import fail here (two threads importing modules that import each other raise a
        # deadlock error in one of them), the first view imports it itself, as it would without this thread
        with contextlib.suppress(ImportError, RuntimeError):
            importlib.import_module(name)
    freeze_what_is_loaded()
    if warm is not None:
        # after the freeze: what the ranking makes is not frozen, and is freed as usual when it is replaced
        from reformkg.graph.analytics import warm_ranking

        warm_ranking(warm)


def warmed(settings: Settings, store: Store) -> Store | None:
    """The store whose ranking the server makes once it has started (``REFORMKG_WARM_RANKING``): an on-disk store,
    whose ranking from nothing takes seconds at scale and whose typed part is kept beside it across restarts. An
    in-memory store starts empty, and a remote engine is left to be asked only when a visitor asks."""
    on_disk = isinstance(store, OxigraphStore) and store.path is not None
    return store if settings.warm_ranking and on_disk else None


def freeze_what_is_loaded() -> None:
    """Put the objects alive now out of the garbage collector's reach (``gc.freeze``), after one last collection: the
    modules, classes and functions the server has imported, which live as long as it does. Each full collection
    walks every object it tracks while it holds the interpreter lock, and every thread (the event loop among them)
    waits meanwhile; ``bench_request_path`` measures one before and after. Objects made later are collected as
    usual, and a frozen object is still freed when its last reference goes (only a cycle of them would stay)."""
    gc.collect()
    gc.freeze()


def uvicorn_options(settings: Settings) -> dict:
    """How ``reformkg serve`` runs uvicorn: httptools' HTTP parser and the uvloop event loop (both C; together they
    take about a third off a short request's time), and the access log only when ``REFORMKG_ACCESS_LOG`` asks."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": "httptools",
        "loop": "uvloop",
        "access_log": settings.access_log,
        "log_level": "info",
    }


class ReformkgApp(FastAPI):
    """FastAPI, with a plain ``GET /sparql?query=…`` answered before Starlette's middleware stack and the router
    (``sparql.quick_answer``): on a short query their layers cost about as much as the query. Every other request,
    and any such request the quick answer leaves, goes through the whole app."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/sparql" and scope["method"] == "GET":
            scope["app"] = self  # (as Starlette sets it: the error handlers read the app from the request)
            response = await sparql.quick_answer(self, scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app around a store; tests pass their own store and settings."""
    settings = settings or Settings()
    if store is None:
        store = open_store(
            settings.store,
            write=True,
            update_url=settings.update_url,
            timeout=settings.http_timeout,
            gsp_url=settings.gsp_url,
            chunk_triples=settings.load_chunk_triples,
        )
    executor = QueryExecutor(
        store,
        timeout=settings.query_timeout,
        workers=settings.query_workers,
        row_limit=settings.result_limit,
        limits=Limits(
            max_chars=settings.query_max_chars,
            max_depth=settings.query_max_depth,
            max_operators=settings.query_max_operators,
            service_allow=tuple(settings.service_allow),
            max_load_bytes=settings.max_body_bytes,
        ),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, SWITCH_INTERVAL_SECONDS))
        threading.Thread(target=_preload, args=(warmed(settings, store),), name="reformkg-preload", daemon=True).start()
        try:
            yield
        finally:
            sys.setswitchinterval(previous)
            executor.close()

    app = ReformkgApp(
        title="reformkg",
        version="0.1.0",
        description="Government reforms as a knowledge graph.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own /docs loads Swagger UI from a CDN; ours is served from /static
        redoc_url=None,
    )

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="reformkg API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no call to the online validator
        )
        # the site header above Swagger UI, so the API docs lead back like every other page
        header = ui.templates.get_template("site_header.html").render(nav="docs", q=None, **i18n.context(request))
        html = page.body.decode("utf-8")
        html = html.replace("</head>", '<link rel="stylesheet" href="/static/reformkg.css">\n</head>', 1)
        html = html.replace("<body>", "<body>\n" + header, 1)
        response = HTMLResponse(html, headers={"Vary": ui.VARY})
        i18n.remember(request, response)
        return response

    errors.install(app)
    app.state.settings = settings
    app.state.store = store
    app.state.executor = executor
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(sparql.router)
    app.include_router(analytics.router)
    app.include_router(views.router)
    app.include_router(ui.router)
    app.include_router(entities.router)
    app.include_router(search.router)
    app.include_router(trace.router)
    app.include_router(timeline.router)
    app.include_router(drafts.router)
    return app
