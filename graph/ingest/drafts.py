"""The drafts a server offers for review: folders ``reformkg ingest`` wrote, under one directory (a setting).

A draft is named by its folder's name under that directory, never by a path a request sends: the name must match
``DRAFT_NAME`` (letters, digits, ``.``, ``_``, ``-``; no ``..``), the folder must be a real folder directly inside the
directory (no symbolic link), and so must the files read from it. Anything else is NoDraft (404), and nothing is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reformkg.graph.errors import NotFound
from reformkg.graph.ingest.acceptance import draft_issue, read_draft
from reformkg.graph.ingest.names import resolve_issue_graph
from reformkg.graph.store import Store

DRAFT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: The files of a draft folder the review reads.
READ = ("draft.ttl", "source.txt", "report.md", "review.json")


class NoDraft(NotFound):
    """No draft of that name in the drafts directory (or a name that cannot be one)."""


def draft_folder(drafts_dir: Path, name: str) -> Path:
    """The folder of the draft ``name`` under ``drafts_dir``; NoDraft for a name that is not a plain folder name,
    a folder that is missing or a symbolic link, or one whose draft.ttl is missing or a link."""
    if not DRAFT_NAME.fullmatch(name or "") or ".." in name:
        raise NoDraft(f"no draft named {name!r}: a draft is named by its folder, letters, digits, '.', '_' and '-'")
    base = Path(drafts_dir).resolve()
    folder = base / name
    if folder.is_symlink() or not folder.is_dir() or folder.resolve().parent != base:
        raise NoDraft(f"no draft named {name!r}")
    for file in READ:
        path = folder / file
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise NoDraft(f"draft {name!r}: {file} is not a regular file")
    if not (folder / "draft.ttl").is_file():
        raise NoDraft(f"no draft named {name!r}: its folder holds no draft.ttl")
    return folder


@dataclass
class DraftSummary:
    """A draft in the list: its name, issue label and date, how far its review has come, and whether its issue is
    in the store."""

    name: str
    label: str
    date: str
    issue: str
    facts: int
    decided: int
    rejected: int
    edited: int
    accepted: bool
    error: str = ""

    @property
    def status(self) -> str:
        """accepted, reviewed (n of m decided) or not-reviewed."""
        if self.accepted:
            return "accepted"
        return "reviewed" if self.decided else "not-reviewed"


def list_drafts(drafts_dir: Path, store: Store) -> list[DraftSummary]:
    """Every draft folder under ``drafts_dir``, newest issue first; a folder that cannot be read is listed with why."""
    from rdflib import Literal, URIRef

    from reformkg.graph.ingest.errors import IngestError
    from reformkg.graph.ingest.review import draft_facts, read_review, review_counts
    from reformkg.graph.namespaces import PREFIXES

    schema = PREFIXES["schema"]
    out = []
    base = Path(drafts_dir)
    if not base.is_dir():
        return out
    for folder in sorted(base.iterdir()):
        try:
            folder = draft_folder(base, folder.name)
        except NoDraft:
            continue
        try:
            graph = read_draft(folder / "draft.ttl")
            issue = draft_issue(graph, folder / "draft.ttl")
            counts = review_counts(draft_facts(graph), read_review(folder))
        except IngestError as error:
            out.append(DraftSummary(folder.name, "", "", "", 0, 0, 0, 0, False, str(error)))
            continue
        node = URIRef(issue)
        labels = [str(v) for v in graph.objects(node, URIRef(PREFIXES["rdfs"] + "label")) if isinstance(v, Literal)]
        day = graph.value(node, URIRef(schema + "datePublished"))
        accepted = store.count(resolve_issue_graph(issue)) > 0
        out.append(
            DraftSummary(
                folder.name,
                labels[0] if labels else issue,
                str(day or ""),
                issue,
                counts["facts"],
                counts["decided"],
                counts["rejected"],
                counts["edited"],
                accepted,
            )
        )
    return sorted(out, key=lambda d: (d.date, d.name), reverse=True)
