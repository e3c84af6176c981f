"""Accepting a reviewed draft as its issue's named graph, and withdrawing an issue again.

``accept`` applies the review's decisions saved with the draft (``review.json``, see ``graph.ingest.review``),
validates the result with the project's SHACL shapes (with the types of the entities it only points at, from the
store, so the class checks can see them) and the Data Cube integrity constraints (``graph.cube``), and loads it into
``https://w3id.org/reformkg/graph/issue/<slug>``; re-accepting replaces that graph. A violation of either loads
nothing. ``withdraw`` drops the graph; the other graphs stay as they are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from reformkg.graph import ID_BASE, queries
from reformkg.graph import ontology_dir as shipped_ontology
from reformkg.graph.ingest.errors import AcceptError, IngestError
from reformkg.graph.ingest.names import SOURCE_BASE, resolve_issue_graph
from reformkg.graph.namespaces import RKO
from reformkg.graph.store import Store


@dataclass
class AcceptReport:
    """What ``accept`` did: the graph loaded, the issue, how many triples, the SHACL findings, and whether it
    replaced an earlier version of the graph."""

    graph: str
    issue: str
    triples: int
    findings: list = field(default_factory=list)
    replaced: bool = False
    review: dict = field(default_factory=dict)  # the review's counts: facts, decided, rejected, edited


def find_draft(draft_dir: Path) -> Path:
    """The ``draft.ttl`` in a folder ``reformkg ingest`` wrote, or IngestError."""
    draft_file = Path(draft_dir) / "draft.ttl"
    if not draft_file.is_file():
        raise IngestError(f"{draft_dir}: no draft.ttl (run `reformkg ingest PATH --out {draft_dir}` first)")
    return draft_file


def read_draft(draft_file: Path) -> rdflib.Graph:
    """A draft's triples, or IngestError when it is not Turtle."""
    graph = rdflib.Graph()
    try:
        graph.parse(draft_file, format="turtle")
    except Exception as error:  # rdflib raises several kinds for bad Turtle
        raise IngestError(f"{draft_file}: not valid Turtle: {error}") from None
    return graph


def draft_issue(graph: rdflib.Graph, draft_file: Path) -> str:
    """The issue a draft describes, or IngestError when it is not exactly one issue of reformkg's."""
    issues = list(graph.subjects(rdflib.RDF.type, rdflib.URIRef(RKO + "NewsletterIssue")))
    if len(issues) != 1:
        raise IngestError(f"{draft_file}: a draft describes exactly one rko:NewsletterIssue, found {len(issues)}")
    if not str(issues[0]).startswith(SOURCE_BASE) or "/" in str(issues[0]).removeprefix(SOURCE_BASE):
        raise IngestError(f"{draft_file}: the issue <{issues[0]}> is not named under <{SOURCE_BASE}>")
    return str(issues[0])


def context_graph(store: Store, graph: rdflib.Graph) -> rdflib.Graph:
    """The types, from the store, of the entities the draft points at but does not describe."""
    described = set(graph.subjects(rdflib.RDF.type, None))
    referenced = {
        o for o in graph.objects() if isinstance(o, rdflib.URIRef) and str(o).startswith(ID_BASE) and o not in described
    }
    context = rdflib.Graph()
    if referenced:
        for row in queries.run(store, "ingest-types", entity=sorted(str(e) for e in referenced)).rows():
            context.add((rdflib.URIRef(row["entity"]), rdflib.RDF.type, rdflib.URIRef(row["type"])))
    return context


def reviewed_draft(draft_dir: Path, store: Store) -> tuple[rdflib.Graph, str, dict]:
    """The draft with the decisions saved beside it applied, its issue, and the review's counts; IngestError (or
    ReviewError naming the fact) when the draft or a decision cannot be taken."""
    from reformkg.graph.ingest.review import (
        apply_review,
        check_decisions,
        draft_facts,
        read_review,
        review_counts,
    )

    draft_file = find_draft(draft_dir)
    graph = read_draft(draft_file)
    issue = draft_issue(graph, draft_file)
    decisions = read_review(draft_dir)
    if not decisions:
        return graph, issue, {}
    facts = draft_facts(graph)
    try:
        checked = check_decisions(facts, decisions, store)
    except IngestError as error:
        raise type(error)(f"{Path(draft_dir) / 'review.json'}: {error}") from None
    return apply_review(graph, facts, checked), issue, review_counts(facts, checked)


def accept(
    draft_dir: Path, store: Store, ontology_dir: Path | None = None, *, write: Callable | None = None
) -> AcceptReport:
    """Apply the saved review, validate the draft with the project's shapes and the Data Cube integrity constraints,
    and load it as its issue's named graph.

    Violations raise AcceptError with the findings (the constraints named) and load nothing; warnings are returned.
    Findings about the entities the draft only points at (already in the graph) are not the draft's and are left out.
    ``write`` runs the load (a callable taking the load as a callable): the server's query executor, so that no
    query reads meanwhile; by default the load runs at once.
    """
    from reformkg.graph.validate import validate_files

    draft_file = find_draft(draft_dir)
    graph, issue, review = reviewed_draft(draft_dir, store)
    ontology_dir = ontology_dir or shipped_ontology()
    context = context_graph(store, graph)
    with tempfile.TemporaryDirectory() as folder:
        reviewed_file = Path(folder) / "reviewed.ttl"
        graph.serialize(reviewed_file, format="turtle")
        context_file = Path(folder) / "context.ttl"
        context.serialize(context_file, format="turtle")
        report = validate_files(
            ontology_dir / "shapes.ttl", [ontology_dir / "reformkg.ttl"], [reviewed_file, context_file], cube=True
        )
        context_iris = {str(s) for s in context.subjects()}
        findings = [f for f in report.findings if f.focus not in context_iris]
        violations = [f for f in findings if f.severity == "violation"]
        if violations:
            kinds = sorted({_constraint(f) for f in violations})
            raise AcceptError(
                f"{len(violations)} violations in {draft_file} ({'; '.join(kinds)}): nothing loaded", findings
            )
        target = resolve_issue_graph(issue)
        existed = store.count(target) > 0
        load = lambda: store.load_file(reviewed_file, graph=target, fmt="ttl")  # noqa: E731
        loaded = write(load) if write is not None else load()
    return AcceptReport(target, issue, loaded.triples, findings, existed, review)


def _constraint(finding) -> str:
    """What a violation breaks: the Data Cube constraint it names (``IC-11 All dimensions required``), or SHACL."""
    if finding.message.startswith("IC-"):
        return finding.message.split(":", 1)[0]
    return "SHACL shapes"


def withdraw(store: Store, issue: str) -> str:
    """Drop an issue's named graph (by overall number, slug or graph IRI); the other graphs stay as they are."""
    graph = resolve_issue_graph(issue)
    if store.count(graph) == 0:
        raise IngestError(f"no issue graph <{graph}> in the store")
    store.drop_graph(graph)
    return graph
