"""Named SPARQL queries: one ``.rq`` file each, read by the API, the query UI's examples and the tests."""

from __future__ import annotations

import re
from pathlib import Path

from reformkg.graph.store import QueryResult, Store, sparql_iri

FOLDER = Path(__file__).parent
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def names() -> list[str]:
    """The named queries there are."""
    return sorted(p.stem for p in FOLDER.glob("*.rq"))


def examples() -> list[str]:
    """The queries meant for people (the query UI's examples): all but the plumbing of the projection and of the
    Data Cube checks."""
    return [name for name in names() if not name.startswith(("projection-", "cube-"))]


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


def with_bindings(sparql: str, bindings: dict[str, str]) -> str:
    """Fix variables to IRIs by a ``VALUES`` block at the start of the outer WHERE clause.

    Each IRI is checked by Oxigraph and written by it, and each name must be a plain variable name: nothing a caller
    passes can change the query's structure (StoreError or ValueError otherwise).
    """
    if not bindings:
        return sparql
    for var in bindings:
        if not _VARIABLE.fullmatch(var):
            raise ValueError(f"{var!r} is not a SPARQL variable name")
    values = " ".join(f"VALUES ?{var} {{ {sparql_iri(iri)} }}" for var, iri in bindings.items())
    match = _WHERE.search(sparql)
    if match is None:
        raise ValueError("the query has no WHERE clause to bind variables in")
    return f"{sparql[: match.end()]}\n  {values}\n{sparql[match.end() :]}"


def run(store: Store, name: str, **bindings: str) -> QueryResult:
    """Run a named query, with variables bound to IRIs."""
    return store.query(with_bindings(text(name), bindings))
