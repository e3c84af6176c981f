"""``reformkg analytics …``: agency influence, ownership tracing, paths and exports on the command line.

An unknown entity, a missing path or a store failure is a library error; ``cli_store`` turns it into one ``error:``
line and exit code 1.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reformkg.api.cli_common import cli_store, err, fail, new_table, os_error, out, print_table, write_atomically

analytics_app = typer.Typer(
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, help="Graph analytics over the store."
)


class GraphExport(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    csv = "csv"


@analytics_app.command()
def agencies(limit: Annotated[int, typer.Option(help="Show the top N")] = 20) -> None:
    """Agencies ranked by PageRank on the agency-reform-measure-place projection, with degree and betweenness."""
    from reformkg.graph.analytics import rank_agencies

    with cli_store(write=False) as store:
        ranking = rank_agencies(store, limit=limit)
    table = new_table("rank", "agency", "名称", "degree", "PageRank", "betweenness")
    for row in ranking["agencies"]:
        b = "" if row["betweenness"] is None else f"{row['betweenness']:.4f}"
        pagerank = f"{row['pagerank']:.4f}"
        table.add_row(str(row["rank"]), row["label_en"], row["label_zh"], str(row["degree"]), pagerank, b)
    print_table(table)
    p = ranking["projection"]
    err.print(f"typed projection: {p['nodes']:,} nodes, {p['edges']:,} edges; betweenness {ranking['betweenness']}")


@analytics_app.command()
def trace(
    agency: Annotated[str, typer.Argument(help="The agency: its IRI, slug or label (市政府, 昆明市人民政府)")],
) -> None:
    """Every reform an agency owns, directly or through its sub-organisations, with the path."""
    from reformkg.graph import entities, ownership
    from reformkg.graph.projection import local_name
    from reformkg.graph.resolve import resolve

    with cli_store(write=False) as store:
        found = ownership.reforms_of(store, resolve(store, agency, prefer=("org",)))
        labels = entities.labels(store, [i for owned in found for i in owned.path])

    def name(iri: str) -> str:
        zh, en = labels.get(iri, (None, None))
        return en or zh or local_name(iri)

    for owned in found:
        role = f" ({local_name(owned.role)})" if owned.role else ""
        out.print(" → ".join(name(i) for i in owned.path) + role)
    err.print(f"{len(found)} reforms")


@analytics_app.command()
def path(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Where the path starts: an IRI, slug or label")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Where the path ends: an IRI, slug or label")],
) -> None:
    """The shortest path between two entities, each edge named."""
    from reformkg.graph.analytics import shortest_path
    from reformkg.graph.resolve import resolve

    with cli_store(write=False) as store:
        source, target = resolve(store, source), resolve(store, target)
        found = shortest_path(store, source, target)
    labels = {n["iri"]: n["label_en"] for n in found["nodes"]}
    out.print(labels[source])
    for edge in found["edges"]:
        arrow = f"--{edge['label']}-->" if edge["direction"] == "forward" else f"<--{edge['label']}--"
        out.print(f"  {arrow} {labels[edge['to']]}")
    err.print(f"{found['length']} links")


@analytics_app.command()
def export(
    fmt: Annotated[GraphExport, typer.Option("--format", help="graphml or gexf (the graph), csv (agency ranking)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default: stdout")] = None,
) -> None:
    """Export the projected graph as GraphML or GEXF (Gephi), or the agency ranking as CSV."""
    from reformkg.graph.analytics import SPREADSHEET_BOM, export_text

    with cli_store(write=False) as store:
        body = export_text(store, fmt.value)
    if output is None:  # (for a pipe: the CSV without the byte-order mark a file for a spreadsheet starts with)
        sys.stdout.buffer.write(body.removeprefix(SPREADSHEET_BOM.encode()))
        sys.stdout.buffer.flush()
    else:
        try:
            write_atomically(output, lambda fh: fh.write(body))
        except OSError as error:
            raise fail(os_error(error)) from None
        err.print(f"wrote {len(body):,} bytes to {output}")
