"""``reformkg ingest | accept | withdraw | diff | timeline``: next month's newsletter, from text to reviewed graph.

The commands live on ``ingest_app``; ``api/cli.py`` mounts them at the top level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reformkg.api.cli_common import cli_store, err, fail, load_settings, new_table, out, print_table

ingest_app = typer.Typer(
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, help="Ingest newsletters and track reforms."
)


@ingest_app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="The newsletter: text (any common encoding), .docx, .pdf or .html")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for draft.ttl, report.md and source.txt")],
) -> None:
    """Draft RDF from a newsletter for review: header, items, owners, candidates, figures, each with its sentence."""
    from reformkg.graph.ingest import IngestError, read_newsletter
    from reformkg.graph.ingest import ingest as ingest_newsletter

    settings = load_settings()
    try:
        read_newsletter(path, max_bytes=settings.max_ingest_bytes)  # bad input is reported before the store is opened
    except IngestError as error:
        raise fail(str(error)) from None
    with cli_store(write=False, settings=settings) as store:
        try:
            draft = ingest_newsletter(path, out_dir, store, max_bytes=settings.max_ingest_bytes)
        except IngestError as error:
            raise fail(str(error)) from None
    header = draft.newsletter.header
    out.print(
        f"drafted {header.label} {header.date.isoformat()} ({draft.newsletter.source_format}): "
        f"{len(draft.items)} items, "
        f"{sum(len(i.owners) for i in draft.items)} owners, {len(draft.figures)} figures, "
        f"{len(draft.statuses)} status records, {len(draft.minted)} new entities, "
        f"{len(draft.uncertain)} points to check"
    )
    out.print(f"review {out_dir / 'report.md'} and {out_dir / 'draft.ttl'}, then: reformkg accept {out_dir}")


@ingest_app.command()
def accept(draft_dir: Annotated[Path, typer.Argument(help="The folder `reformkg ingest` wrote")]) -> None:
    """Apply the review saved with a draft (review.json, from the review page), validate it (SHACL and the Data Cube
    integrity constraints) and load it as its issue's named graph; violations load nothing."""
    from reformkg.graph.ingest import AcceptError, IngestError, find_draft
    from reformkg.graph.ingest import accept as accept_draft

    try:
        find_draft(draft_dir)  # a mistyped folder should not open (or create) the store
    except IngestError as error:
        raise fail(str(error)) from None
    with cli_store(write=True, create=True, command="reformkg accept") as store:
        try:
            report = accept_draft(draft_dir, store)
        except AcceptError as error:
            for finding in error.findings:
                err.print(str(finding), soft_wrap=True, highlight=False)
            raise fail(str(error)) from None
        except IngestError as error:
            raise fail(str(error)) from None
    for finding in report.findings:
        err.print(str(finding), soft_wrap=True, highlight=False)
    if report.review:
        r = report.review
        out.print(
            f"applied the review in {draft_dir / 'review.json'}: {r['decided']} of {r['facts']} facts decided "
            f"({r['rejected']} rejected, {r['edited']} edited); the rest as drafted"
        )
    verb = "replaced" if report.replaced else "loaded"
    out.print(f"{verb} {report.triples:,} triples into {report.graph} ({len(report.findings)} warnings)")


@ingest_app.command()
def withdraw(issue: Annotated[str, typer.Argument(help="Overall number (108), slug or graph IRI")]) -> None:
    """Drop one issue's named graph; every other graph stays as it is."""
    from reformkg.graph.ingest import IngestError
    from reformkg.graph.ingest import withdraw as withdraw_issue

    with cli_store(write=True, command="reformkg withdraw") as store:
        try:
            graph = withdraw_issue(store, issue)
        except IngestError as error:
            raise fail(str(error)) from None
    out.print(f"withdrew {graph}")


@ingest_app.command()
def diff(
    issue_a: Annotated[str, typer.Argument(help="The earlier issue: overall number (107), slug or IRI")],
    issue_b: Annotated[str, typer.Argument(help="The later issue")],
) -> None:
    """What changed between two issues: reforms added, not mentioned in the later one, ended, stage changes, figures.

    A reform the later issue does not mention is reported as that, not as ended: only a status record at an ended
    stage in the later issue ends it.
    """
    from reformkg.graph.timeline import UnknownEntity, diff_issues

    with cli_store(write=False) as store:
        try:
            result = diff_issues(store, issue_a, issue_b)
        except UnknownEntity as error:
            raise fail(str(error)) from None
    out.print(f"{result.issue_a} → {result.issue_b}")
    for reform, label in result.added:
        out.print(f"added: {label or ''} <{reform}>")
    for reform, label in result.not_mentioned:
        out.print(f"not mentioned in issue {issue_b}: {label or ''} <{reform}>")
    for change in result.ended:
        out.print(f"ended: {change.label or ''} <{change.reform}>: {_stages(change)}")
    for change in result.stage_changes:
        out.print(f"stage changed: {change.label or ''} <{change.reform}>: {_stages(change)}")
    for title, figures in (("figure added", result.figures_added), ("figure removed", result.figures_removed)):
        for reform, value, unit, text in figures:
            out.print(f"{title}: <{reform}> {value} {unit} ({text})")
    out.print(
        f"{len(result.added)} added, {len(result.not_mentioned)} not mentioned in issue {issue_b}, "
        f"{len(result.ended)} ended, "
        f"{len(result.stage_changes)} stage changes, {len(result.unchanged)} unchanged, "
        f"{len(result.figures_added)} figures added, {len(result.figures_removed)} removed"
    )


def _stages(change) -> str:
    """A stage change for people: ``accepted → deepening``."""
    return f"{', '.join(change.before)} → {', '.join(change.after)}"


@ingest_app.command()
def timeline(
    reform: Annotated[str, typer.Argument(help="The reform: its IRI, slug (after …/id/reform/) or label (林场改革)")],
) -> None:
    """A reform's status records in date order, with the issue and sentence behind each."""
    from reformkg.graph.resolve import resolve
    from reformkg.graph.timeline import UnknownEntity, reform_timeline

    with cli_store(write=False) as store:
        try:
            result = reform_timeline(store, resolve(store, reform, prefer=("reform",)))
        except UnknownEntity as error:
            raise fail(str(error)) from None
    table = new_table(title=f"{result.label_zh or ''} {result.label_en or ''}".strip() or result.reform)
    for column in ("reported on", "stage", "issue", "assessed by", "sentence"):
        table.add_column(column)
    for entry in result.entries:
        table.add_row(
            entry.reported_on,
            entry.stage_label_zh or entry.stage,
            entry.issue_label or entry.issue or "",
            entry.assessor_label or "",
            "\n".join(e.quote or e.sentence for e in entry.sentences),
        )
    print_table(table)
