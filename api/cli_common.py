"""What every ``reformkg`` command shares: the consoles, opening the configured store, failing with a message."""

from __future__ import annotations

import typer
from rich.console import Console

from graph.settings import Settings
from graph.store import Store, open_store

out = Console(emoji=False, highlight=False)
err = Console(stderr=True, emoji=False, highlight=False)


def open_configured_store(settings: Settings | None = None) -> Store:
    """The store ``REFORMKG_STORE`` names."""
    settings = settings or Settings()
    return open_store(settings.store, update_url=settings.update_url, timeout=settings.http_timeout)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on standard error and return the Exit to raise."""
    err.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True, highlight=False)
    return typer.Exit(code)
