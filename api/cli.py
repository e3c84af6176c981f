"""The ``reformkg`` command line. It prints; the library returns.

Read commands (query, export, analytics, timeline, diff, ingest) open the store as a read-only snapshot, so they work
while ``reformkg serve`` runs; write commands (load, build, accept, withdraw, serve) take the store's lock. Every
expected failure is one ``error:`` line on standard error and a non-zero exit code (``api/cli_common.py``).
"""

from __future__ import annotations

import signal
import socket
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reformkg.api.cli_analytics import analytics_app
from reformkg.api.cli_common import (
    cli_store,
    err,
    fail,
    load_settings,
    new_table,
    os_error,
    out,
    print_table,
    store_location,
    write_atomically,
)
from reformkg.api.cli_ingest import ingest_app
from reformkg.graph.errors import InputError, QuerySyntaxError, StoreError

if TYPE_CHECKING:
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import Store

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich's help panels cost about 0.3 s of every `reformkg --help`
    pretty_exceptions_show_locals=False,  # a bug's traceback must not print settings such as the update token
    help="Government reforms as a knowledge graph.",
)


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


class ExportFormat(StrEnum):
    """The names of ``reformkg.graph.store.EXPORT_FORMATS``, written out so that ``reformkg --help`` need not import
    the store (a test keeps the two the same)."""

    ttl = "ttl"
    nt = "nt"
    nq = "nq"
    trig = "trig"
    jsonld = "jsonld"


def _load_with_progress(store: Store, path: Path, graph: str | None, fmt: str | None, settings: Settings):
    if path.is_file() and path.stat().st_size > settings.progress_bytes:
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err.rich(), transient=True) as bar:
            task = bar.add_task(path.name, total=path.stat().st_size)
            return store.load_file(
                path, graph=graph, fmt=fmt, progress=lambda done, _t: bar.update(task, completed=done)
            )
    return store.load_file(path, graph=graph, fmt=fmt)


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML files")],
    graph: Annotated[str | None, typer.Option(help="Named graph IRI (one file only); default: the file's IRI")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Format name when the extension does not tell")] = None,
) -> None:
    """Load files, each into its own named graph (replaced on reload). A bad file changes nothing."""
    from reformkg.graph.store import check_input_file, rdf_format

    if graph and len(files) > 1:
        raise fail("--graph names one graph: give one file with it", 2)
    for path in files:  # a mistyped name or format should not open (or create) the store
        try:
            check_input_file(path)
            rdf_format(path, fmt)
        except StoreError as error:
            raise fail(str(error)) from None
    settings = load_settings()
    with cli_store(write=True, create=True, command="reformkg load", settings=settings) as store:
        for path in files:
            report = _load_with_progress(store, path, graph, fmt, settings)
            verb = "replaced" if report.replaced else "loaded"
            out.print(
                f"{verb} {report.triples:,} triples from {path} into {', '.join(report.graphs)} "
                f"in {report.seconds:.2f} s",
                highlight=False,
            )


def _print_findings(report) -> None:
    for finding in report.findings:
        colour = "red" if finding.severity == "violation" else "yellow"
        err.print(
            f"[{colour}]{finding.severity}[/{colour}]: {finding.label} <{finding.focus}>"
            f"{' ' + finding.path if finding.path else ''}: {finding.message}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def validate() -> None:
    """Check ontology/ and data/ against the SHACL shapes; exit 1 on violations (warnings do not fail)."""
    from reformkg.graph.build import BuildError, validate_project

    settings = load_settings()
    try:
        report = validate_project(settings.ontology_dir, settings.data_dir)
    except (InputError, BuildError, StoreError) as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(os_error(error)) from None
    _print_findings(report)
    out.print(f"{len(report.violations)} violations, {len(report.warnings)} warnings", highlight=False)
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
def build() -> None:
    """Validate, then build the graph from ontology/ and data/ into the store (nothing loads on violations)."""
    from reformkg.graph.build import BuildError, build_project

    settings = load_settings()
    with cli_store(write=True, create=True, command="reformkg build", settings=settings) as store:
        try:
            report = build_project(store, settings.ontology_dir, settings.data_dir)
        except BuildError as error:
            if error.validation is not None:
                _print_findings(error.validation)
            raise fail(str(error)) from None
        where = store_location(store, settings)
    if report.validation is not None:
        _print_findings(report.validation)
    total = sum(r.triples for r in report.loaded)
    out.print(f"built {len(report.loaded)} files, {total:,} triples into {where}", highlight=False)
    for graph in report.dropped:
        out.print(f"dropped {graph} (its file is gone)", highlight=False)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL 1.1 query; '-' reads it from standard input")],
    fmt: Annotated[ResultFormat, typer.Option("--format", help="How to print the answer")] = ResultFormat.table,
) -> None:
    """Run a SPARQL query against the store (the default graph is the union of all graphs)."""
    try:
        text = sys.stdin.read() if sparql == "-" else sparql
        text.encode("utf-8")  # undecodable bytes come in as lone surrogates
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise fail("the query is not UTF-8 text") from None
    with cli_store(write=False) as store:
        try:
            result = store.query(text)
        except QuerySyntaxError as error:
            raise fail(f"query does not parse: {error}") from None
        if result.kind == "graph":
            sys.stdout.write(result.serialize("nt" if fmt != ResultFormat.json else "jsonld").decode())
        elif fmt != ResultFormat.table:
            sys.stdout.write(result.serialize(fmt.value).decode())
        elif result.kind == "ask":
            out.print("yes" if result.boolean else "no")
        else:
            table = new_table(*result.variables, show_lines=False)
            rows = result.rows()
            for row in rows:
                table.add_row(*("" if row[v] is None else row[v] for v in result.variables))
            print_table(table)
            err.print(f"{len(rows)} rows")


@app.command()
def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="ttl, nt and jsonld write the union; nq and trig keep graphs")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default: standard output")
    ] = None,
) -> None:
    """Write the whole store in an RDF format."""
    with cli_store(write=False) as store:
        if output is None:
            store.export(fmt.value, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_atomically(output, lambda fh: store.export(fmt.value, fh))


@app.command()
def sources(
    text: Annotated[Path, typer.Argument(help="A newsletter as plain UTF-8 text")],
    issue_iri: Annotated[str, typer.Option(help="IRI of the issue; sentences are minted under it")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Turtle file to write")],
) -> None:
    """Mint one source-sentence resource per sentence of a newsletter (quote and character offsets)."""
    from reformkg.graph.sources import sentences_turtle
    from reformkg.graph.store import check_input_file

    try:
        check_input_file(text)
        content = text.read_text(encoding="utf-8")
    except StoreError as error:
        raise fail(str(error)) from None
    except UnicodeDecodeError as error:
        raise fail(f"{text}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise fail(os_error(error)) from None
    turtle = sentences_turtle(content, issue_iri=issue_iri, source_file=text.as_posix())
    try:
        write_atomically(output, lambda fh: fh.write(turtle.encode("utf-8")))
    except OSError as error:
        raise fail(os_error(error)) from None
    out.print(f"wrote {output}", highlight=False)


def _check_address(host: str, port: int) -> None:
    """Fail with one line when the server could not listen there (uvicorn would log several and exit)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(address)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise fail(f"cannot listen on {host}:{port}: {reason} (REFORMKG_HOST, REFORMKG_PORT)") from None


class _Stopped(BaseException):
    """The server was asked to stop by a signal (uvicorn has shut down and passes the signal on)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame) -> None:
    raise _Stopped(signum)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [REFORMKG_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [REFORMKG_PORT]")] = None,
) -> None:
    """Serve whatever the store holds over HTTP (the store must exist: `reformkg build` makes it)."""
    import uvicorn

    from reformkg.api.app import create_app, uvicorn_options

    settings = load_settings()
    settings.host = host or settings.host
    settings.port = port or settings.port
    url = f"http://{settings.host}:{settings.port}"
    try:
        with cli_store(write=True, command="reformkg serve", url=url, settings=settings) as store:
            _check_address(settings.host, settings.port)
            out.print(f"reformkg serving {store_location(store, settings)} on {url}", highlight=False)
            # uvicorn shuts down on SIGTERM or SIGINT, then raises the signal again, which would end the process at
            # once: close the store first (its owner file goes with it), then end by the signal as uvicorn meant.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, _stop)
            uvicorn.run(create_app(settings, store), **uvicorn_options(settings))
    except _Stopped as stopped:
        signal.signal(stopped.signum, signal.SIG_DFL)
        signal.raise_signal(stopped.signum)


app.add_typer(analytics_app, name="analytics", help="Analytics: agency ranking, ownership, paths, exports.")
app.registered_commands += ingest_app.registered_commands  # ingest, accept, withdraw, diff, timeline


def main() -> None:
    app()


if __name__ == "__main__":
    main()
