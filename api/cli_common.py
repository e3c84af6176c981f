"""What every ``reformkg`` command shares: the consoles, the settings, the store, failing with one line.

Every expected failure ends a command with one line on standard error, ``error: …``, and a non-zero exit code;
``cli_store`` is where the library's errors (``reformkg.graph.errors``: a store missing or held by another process,
a bad file, a query that does not parse, an unknown entity) become that line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from reformkg.graph.errors import ReformkgError, StoreError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from reformkg.graph.settings import Settings
    from reformkg.graph.store import Store


class _LazyConsole:
    """A rich Console made on first use: ``reformkg --help`` and every command that fails before printing do not pay
    for importing rich (about a tenth of a second)."""

    def __init__(self, **options: Any):
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    def rich(self) -> Console:
        """The rich Console itself (for what needs the object, e.g. as a context manager)."""
        if self._console is None:
            from rich.console import Console

            object.__setattr__(self, "_console", Console(**self._options))
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.rich(), name, value)


out: Console = _LazyConsole(emoji=False, highlight=False)  # type: ignore[assignment]
err: Console = _LazyConsole(stderr=True, emoji=False, highlight=False)  # type: ignore[assignment]


def escape(text: str) -> str:
    """``text`` with rich's markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def new_table(*columns: str, **options: Any) -> Table:
    """A rich Table (rich is imported on first use)."""
    from rich.table import Table

    return Table(*columns, **options)


def print_table(table: Table) -> None:
    """Print a table without cutting any cell: on a terminal, cells too wide for it wrap (fold) instead of ending in
    "…"; into a pipe or a file, the table takes the width it needs, so every name stays on its line whole."""
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    if out.is_terminal:
        out.print(table)
    else:
        from rich.measure import Measurement

        natural = Measurement.get(out, out.options.update_width(1_000_000), table).maximum
        width = out.width
        out.width = max(natural, width)
        try:
            out.print(table, crop=False)
        finally:
            out.width = width


def one_line(message: object) -> str:
    """A message on one line: engines' messages can span several."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def fail(message: object, code: int = 1) -> typer.Exit:
    """Print ``error: message`` (one line) on standard error and return the Exit to raise."""
    err.print(f"[red]error:[/red] {escape(one_line(message))}", markup=True, soft_wrap=True, highlight=False)
    return typer.Exit(code)


def warn(message: object) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(one_line(message))}", markup=True, soft_wrap=True, highlight=False)


def os_error(error: OSError) -> str:
    """``path: reason`` for a failed file operation."""
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason.lower() if reason[:1].isupper() else reason}" if error.filename else reason


def write_atomically(output: Path, write) -> None:
    """Call ``write(fh)`` on a temporary file beside ``output``, then put it in place: no half-written file.

    An OSError names ``output``, not the temporary file.
    """
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            write(fh)
        os.replace(tmp, output)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(output)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_settings() -> Settings:
    """The settings from the environment, or one line naming the variable that is wrong."""
    from pydantic import ValidationError

    from reformkg.graph.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = f"REFORMKG_{str(first['loc'][0]).upper()}" if first.get("loc") else "a REFORMKG_ setting"
        raise fail(f"{name}: {first['msg']} (got {first.get('input')!r})") from None


def open_configured_store(
    settings: Settings | None = None, *, write: bool, create: bool = False, owner: dict[str, Any] | None = None
) -> Store:
    """The store ``REFORMKG_STORE`` names: read-write when ``write``, else a read-only snapshot (see ``open_store``)."""
    from reformkg.graph.store import open_store

    settings = settings or load_settings()
    return open_store(
        settings.store,
        write=write,
        create=create,
        owner=owner,
        update_url=settings.update_url,
        timeout=settings.http_timeout,
        gsp_url=settings.gsp_url,
        chunk_triples=settings.load_chunk_triples,
    )


def store_location(store: Store, settings: Settings) -> str:
    """Where a store is, for messages: an on-disk store's absolute folder, else the setting."""
    from reformkg.graph.store import OxigraphStore

    return str(store.path) if isinstance(store, OxigraphStore) and store.path is not None else settings.store


@contextmanager
def cli_store(
    *,
    write: bool,
    create: bool = False,
    command: str | None = None,
    url: str | None = None,
    settings: Settings | None = None,
) -> Iterator[Store]:
    """The configured store for one command, closed after it; every expected failure becomes one ``error:`` line.

    A read (``write=False``) gets a read-only snapshot of an on-disk store, so it works while ``reformkg serve`` or a
    load holds the store, and refuses a missing store instead of creating one. A write takes the store's lock and
    records ``command`` (and ``url`` for a server) in the store's owner file, so another command can say who holds
    it; ``create`` lets it make a store that does not exist yet.
    """
    from reformkg.graph.store import StoreMissing

    settings = settings or load_settings()
    command = command or " ".join(["reformkg", *sys.argv[1:2]])
    owner = {"command": command, **({"url": url} if url else {})}
    try:
        store = open_configured_store(settings, write=write, create=create, owner=owner)
    except StoreMissing as error:
        raise fail(f"no store at {error.path} (REFORMKG_STORE); build one with: reformkg build") from None
    except StoreError as error:
        raise fail(str(error)) from None
    if store.in_flux:
        warn(
            f"a load into {', '.join(store.in_flux)} is running in another process (or was cut short); "
            "this snapshot may hold part of it"
        )
    try:
        yield store
    except ReformkgError as error:
        raise fail(str(error)) from None
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the command line ends quietly
    except OSError as error:
        raise fail(os_error(error)) from None
    finally:
        store.close()
