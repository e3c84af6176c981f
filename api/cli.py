"""The ``reformkg`` command line. It prints; the library returns."""

from __future__ import annotations

import sys
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from api.cli_analytics import analytics_app
from api.cli_common import err, fail, open_configured_store, out
from api.cli_ingest import ingest_app
from graph.settings import Settings
from graph.store import (
    EXPORT_FORMATS,
    QuerySyntaxError,
    RdfSyntaxError,
    Store,
    StoreError,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Government reforms as a knowledge graph.")


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


ExportFormat = Enum("ExportFormat", {name: name for name in EXPORT_FORMATS}, type=str)


def _load_with_progress(store: Store, path: Path, graph: str | None, fmt: str | None, settings: Settings):
    if path.is_file() and path.stat().st_size > settings.progress_bytes:
        columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
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
    if graph and len(files) > 1:
        raise fail("--graph names one graph: give one file with it", 2)
    settings = Settings()
    store = open_configured_store(settings)
    try:
        for path in files:
            report = _load_with_progress(store, path, graph, fmt, settings)
            verb = "replaced" if report.replaced else "loaded"
            out.print(
                f"{verb} {report.triples:,} triples from {path} into {', '.join(report.graphs)} "
                f"in {report.seconds:.2f} s",
                highlight=False,
            )
    except (RdfSyntaxError, StoreError) as error:
        raise fail(str(error)) from None
    finally:
        store.close()


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
    from graph.build import BuildError, validate_project

    settings = Settings()
    try:
        report = validate_project(settings.ontology_dir, settings.data_dir)
    except (RdfSyntaxError, BuildError) as error:
        raise fail(str(error)) from None
    _print_findings(report)
    out.print(f"{len(report.violations)} violations, {len(report.warnings)} warnings", highlight=False)
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
def build() -> None:
    """Validate, then build the graph from ontology/ and data/ into the store (nothing loads on violations)."""
    from graph.build import BuildError, build_project

    settings = Settings()
    store = open_configured_store(settings)
    try:
        report = build_project(store, settings.ontology_dir, settings.data_dir)
    except BuildError as error:
        if error.validation is not None:
            _print_findings(error.validation)
        raise fail(str(error)) from None
    except (RdfSyntaxError, StoreError) as error:
        raise fail(str(error)) from None
    finally:
        store.close()
    if report.validation is not None:
        _print_findings(report.validation)
    total = sum(r.triples for r in report.loaded)
    out.print(f"built {len(report.loaded)} files, {total:,} triples into {settings.store}", highlight=False)
    for graph in report.dropped:
        out.print(f"dropped {graph} (its file is gone)", highlight=False)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL 1.1 query; '-' reads it from standard input")],
    fmt: Annotated[ResultFormat, typer.Option("--format", help="How to print the answer")] = ResultFormat.table,
) -> None:
    """Run a SPARQL query against the store (the default graph is the union of all graphs)."""
    text = sys.stdin.read() if sparql == "-" else sparql
    store = open_configured_store()
    try:
        result = store.query(text)
        if result.kind == "graph":
            sys.stdout.write(result.serialize("nt" if fmt != ResultFormat.json else "jsonld").decode())
        elif fmt != ResultFormat.table:
            sys.stdout.write(result.serialize(fmt.value).decode())
        elif result.kind == "ask":
            out.print("yes" if result.boolean else "no")
        else:
            table = Table(*result.variables, show_lines=False)
            rows = result.rows()
            for row in rows:
                table.add_row(*("" if row[v] is None else row[v] for v in result.variables))
            out.print(table)
            err.print(f"{len(rows)} rows")
    except QuerySyntaxError as error:
        raise fail(f"query does not parse: {error}") from None
    except StoreError as error:
        raise fail(str(error)) from None
    finally:
        store.close()


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
    store = open_configured_store()
    try:
        if output is None:
            store.export(fmt.value, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as fh:
                store.export(fmt.value, fh)
    except StoreError as error:
        raise fail(str(error)) from None
    finally:
        store.close()


@app.command()
def sources(
    text: Annotated[Path, typer.Argument(help="A newsletter as plain UTF-8 text")],
    issue_iri: Annotated[str, typer.Option(help="IRI of the issue; sentences are minted under it")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Turtle file to write")],
) -> None:
    """Mint one source-sentence resource per sentence of a newsletter (quote and character offsets)."""
    from graph.sources import sentences_turtle

    try:
        content = text.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{text}: {error}") from None
    output.write_text(sentences_turtle(content, issue_iri=issue_iri, source_file=text.as_posix()), encoding="utf-8")
    out.print(f"wrote {output}", highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [REFORMKG_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [REFORMKG_PORT]")] = None,
) -> None:
    """Serve whatever the store holds over HTTP."""
    import uvicorn

    from api.app import create_app

    settings = Settings()
    settings.host = host or settings.host
    settings.port = port or settings.port
    out.print(f"reformkg serving {settings.store} on http://{settings.host}:{settings.port}", highlight=False)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


app.add_typer(analytics_app, name="analytics", help="Analytics: agency ranking, ownership, paths, exports.")
app.registered_commands += ingest_app.registered_commands  # ingest, accept, withdraw, diff, timeline


def main() -> None:
    app()


if __name__ == "__main__":
    main()
