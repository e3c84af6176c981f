"""The app factory: wires the routers to a store and settings. Nothing heavy happens at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.routers import health, sparql
from graph.settings import Settings
from graph.store import Store, open_store


STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app around a store; tests pass their own store and settings."""
    settings = settings or Settings()
    if store is None:
        store = open_store(settings.store, update_url=settings.update_url, timeout=settings.http_timeout)
    app = FastAPI(title="reformkg", version="0.1.0", description="Government reforms as a knowledge graph.")
    app.state.settings = settings
    app.state.store = store
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(sparql.router)
    return app
