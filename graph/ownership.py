"""Who owns which reform, up the organisation tree: the one ownership tracer.

Ownership is as the model writes it (``ontology/MODEL.md``): a reform (``rko:ReformInitiative`` or ``rko:ReformPilot``)
names its owners by ``prov:qualifiedAssociation`` (``prov:agent``, with ``prov:hadRole`` ``rko:leadOwner`` or
``rko:coOwner``) or by a plain ``prov:wasAssociatedWith``; organisations hang from one another by
``org:subOrganizationOf``. An agency owns a reform *directly* when the reform names it, and *through a
sub-organisation* when an owner the reform names is part of it, at any depth.

- ``OrganisationTree.of(store)``: which organisation is part of which; ``chain(start, goal)`` walks up from one
  organisation to another, ``above(org)`` lists everything an organisation is part of.
- ``owners(store)``: every reform's owners, with their roles; ``owners_of(store, reform)``: one reform's.
- ``reforms_of(store, agency)``: every reform an agency owns, directly or through sub-organisations, each with the
  chain from the owner up to the agency (``OwnedReform``).

Analytics, the graph views, the tracing API and ``reformkg analytics trace`` all answer from here. The SPARQL is in
``graph/queries/ownership-*.rq``; the named query ``agency-reforms`` asks the same question in one query, for people.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from reformkg.graph import entities, queries
from reformkg.graph.entities import InvalidIri
from reformkg.graph.errors import UnknownEntity
from reformkg.graph.store import Store

ORG_SUB = "http://www.w3.org/ns/org#subOrganizationOf"


@dataclass(frozen=True)
class OrganisationTree:
    """Which organisation is part of which: each organisation's direct parents (``org:subOrganizationOf``), sorted."""

    parents: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, store: Store) -> OrganisationTree:
        """The tree as the store states it (one query)."""
        parents: dict[str, list[str]] = {}
        for row in queries.run(store, "ownership-sub-organisations").rows():
            parents.setdefault(row["part"], []).append(row["whole"])
        return cls({part: tuple(sorted(set(wholes))) for part, wholes in parents.items()})

    def chain(self, start: str, goal: str) -> list[str] | None:
        """The shortest chain ``start, …, goal`` up ``org:subOrganizationOf`` links; ``[start]`` when they are the
        same; None when ``start`` is not part of ``goal``. Ties go to the parent that sorts first."""
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                chain = [node]
                while (before := previous[chain[-1]]) is not None:
                    chain.append(before)
                return chain[::-1]
            for parent in self.parents.get(node, ()):
                if parent not in previous:
                    previous[parent] = node
                    queue.append(parent)
        return None

    def above(self, organisation: str) -> list[str]:
        """Every organisation ``organisation`` is part of, at any depth, nearest first (itself not included)."""
        seen = {organisation}
        found: list[str] = []
        queue = deque([organisation])
        while queue:
            for parent in self.parents.get(queue.popleft(), ()):
                if parent not in seen:
                    seen.add(parent)
                    found.append(parent)
                    queue.append(parent)
        return found


@dataclass(frozen=True)
class Owner:
    """An organisation a reform names as its owner, with its role (None when the source gives none)."""

    agent: str
    role: str | None


@dataclass(frozen=True)
class OwnedReform:
    """A reform an agency owns: through ``owner`` (the organisation the reform names), whose ``chain`` leads up
    ``org:subOrganizationOf`` from the owner to the agency (just the agency when it owns the reform itself)."""

    agency: str
    reform: str
    owner: str
    role: str | None
    chain: tuple[str, ...]

    @property
    def direct(self) -> bool:
        """Whether the reform names the agency itself as an owner."""
        return self.owner == self.agency

    @property
    def via(self) -> str | None:
        """The sub-organisation that owns the reform; None when the agency owns it itself."""
        return None if self.direct else self.owner

    @property
    def path(self) -> tuple[str, ...]:
        """From the agency down to the reform: agency, …, owner, reform."""
        return (*reversed(self.chain), self.reform)


def owners(store: Store, reforms: list[str] | None = None) -> dict[str, list[Owner]]:
    """Every reform's owners (or only those of ``reforms``), sorted by IRI. An owner named both with a role and
    without one keeps the role (the first role by IRI when several are named)."""
    roles: dict[str, dict[str, str | None]] = {}
    bindings = {} if reforms is None else {"reform": reforms}
    for row in queries.run(store, "ownership-reform-owners", **bindings).rows():
        _keep_role(roles.setdefault(row["reform"], {}), row["owner"], row["role"])
    return {reform: [Owner(a, r) for a, r in sorted(named.items())] for reform, named in sorted(roles.items())}


def owners_kept(store: Store, proj) -> dict[str, list[Owner]]:
    """Every reform's owners (``owners``), read once per projection of the store (``proj``, a
    ``projection.Projection``: seconds at national scale) for whatever is drawn or listed from it."""
    return proj.derive("owners", lambda: owners(store))


def tree_kept(store: Store, proj) -> OrganisationTree:
    """The organisation tree (``OrganisationTree.of``), read once per projection of the store (``proj``), so that what
    is drawn or listed from the projection takes the tree of the same state of the store as its owners."""
    return proj.derive("organisation-tree", lambda: OrganisationTree.of(store))


def owners_of(store: Store, reform: str) -> list[Owner]:
    """The owners one reform names (empty when it is not a reform or names none)."""
    roles: dict[str, str | None] = {}
    for row in queries.run(store, "ownership-reform-owners", reform=reform).rows():
        _keep_role(roles, row["owner"], row["role"])
    return [Owner(a, r) for a, r in sorted(roles.items())]


def _keep_role(named: dict[str, str | None], owner: str, role: str | None) -> None:
    """Note ``owner`` with ``role`` in ``named``: a role beats none, and the first role by IRI beats the others, in
    whatever order the rows come (the query has no ORDER BY: the engine sorted 50,000 reforms' rows by the text of
    their terms in 5 of its 6 seconds)."""
    held = named.get(owner)
    if owner not in named or (role is not None and (held is None or role < held)):
        named[owner] = role


def reforms_of(
    store: Store,
    agency: str,
    named: dict[str, list[Owner]] | None = None,
    tree: OrganisationTree | None = None,
) -> list[OwnedReform]:
    """Every reform ``agency`` owns, directly or through its sub-organisations, at any depth (``named``: the owners
    as ``owners`` reads them, and ``tree``, the organisation tree, when the caller has them).

    Direct ownership first, then by the length of the chain, the reform and the owner. An organisation that owns a
    reform through two routes gets the shortest. UnknownEntity when the graph holds nothing about ``agency`` (or it
    cannot be an IRI); an organisation that owns nothing gets an empty list.
    """
    try:
        known = entities.exists(store, agency)
    except InvalidIri:
        known = False
    if not known:
        raise UnknownEntity(agency, f"no agency <{agency}> in the graph")
    tree = OrganisationTree.of(store) if tree is None else tree
    found = []
    chains: dict[str, list[str] | None] = {}  # each owner's chain up to the agency, found once
    for reform, listed in (owners(store) if named is None else named).items():
        for owner in listed:
            if owner.agent not in chains:
                chains[owner.agent] = tree.chain(owner.agent, agency)
            chain = chains[owner.agent]
            if chain is not None:
                found.append(OwnedReform(agency, reform, owner.agent, owner.role, tuple(chain)))
    found.sort(key=lambda r: (not r.direct, len(r.chain), r.reform, r.owner))
    return found


def reform_counts(
    store: Store,
    agencies: list[str],
    named: dict[str, list[Owner]] | None = None,
    tree: OrganisationTree | None = None,
) -> dict[str, int]:
    """How many reforms each agency owns, directly or through its sub-organisations (as ``reforms_of`` counts them),
    in two queries for all of them (none when the caller has the owners, ``named``, and the ``tree``)."""
    tree = OrganisationTree.of(store) if tree is None else tree
    counts = dict.fromkeys(agencies, 0)
    for listed in (owners(store) if named is None else named).values():
        reached: set[str] = set()
        for owner in listed:
            reached.add(owner.agent)
            reached.update(tree.above(owner.agent))
        for agency in reached & counts.keys():
            counts[agency] += 1
    return counts
