"""Named SPARQL queries: one ``.rq`` file each, read by the API, the query UI's examples and the tests."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from reformkg.graph.store import QueryResult, Store, sparql_iri

FOLDER = Path(__file__).parent
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def names() -> list[str]:
    """The named queries there are."""
    return sorted(p.stem for p in FOLDER.glob("*.rq"))


#: Name prefixes of the queries the code runs for its own ends (the projection, ingest, entity pages, timelines, the
#: ownership tracer, the search index, the Data Cube checks, the front page): hidden from the query UI's examples.
PLUMBING = ("projection-", "ingest-", "entity-", "timeline-", "ownership-", "search-", "cube-", "page-")


def examples() -> list[str]:
    """The queries meant for people (the query UI's examples): all but the plumbing (``PLUMBING``)."""
    return [name for name in names() if not name.startswith(PLUMBING)]


def text(name: str) -> str:
    """The SPARQL of a named query."""
    path = FOLDER / f"{name}.rq"
    if not path.is_file():
        raise KeyError(f"no named query {name!r}; there are: {', '.join(names())}")
    return path.read_text(encoding="utf-8")


def title(name: str) -> str:
    """The first comment line of a named query: what question it answers."""
    first = text(name).splitlines()[0]
    return first.lstrip("# ").strip()


def with_bindings(sparql: str, bindings: Mapping[str, str | Sequence[str]]) -> str:
    """Fix variables to IRIs by a ``VALUES`` block at the start of the outer WHERE clause; a variable bound to a
    sequence of IRIs takes each of them in turn (one row per IRI).

    Each IRI is checked by Oxigraph and written by it, and each name must be a plain variable name: nothing a caller
    passes can change the query's structure (StoreError or ValueError otherwise).
    """
    if not bindings:
        return sparql
    blocks = []
    for var, iris in bindings.items():
        if not _VARIABLE.fullmatch(var):
            raise ValueError(f"{var!r} is not a SPARQL variable name")
        iris = [iris] if isinstance(iris, str) else list(iris)
        blocks.append(f"VALUES ?{var} {{ {' '.join(sparql_iri(iri) for iri in iris)} }}")
    match = _WHERE.search(sparql)
    if match is None:
        raise ValueError("the query has no WHERE clause to bind variables in")
    return f"{sparql[: match.end()]}\n  {' '.join(blocks)}\n{sparql[match.end() :]}"


def run(store: Store, name: str, **bindings: str | Sequence[str]) -> QueryResult:
    """Run a named query, with variables bound to IRIs (one IRI, or a sequence of them)."""
    return store.query(with_bindings(text(name), bindings))
