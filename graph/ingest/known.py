"""What the graph already knows: entities by their Chinese names, and reform pilots by their places.

A draft links a name the graph knows instead of minting a new entity. Names come from ``rdfs:label``,
``skos:altLabel`` and ``rko:sourceLabel`` in Chinese (not the ``zh-Latn`` romanisations), through the plumbing
queries ``ingest-known-entities`` and ``ingest-pilots``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reformkg.graph import GRAPH_BASE, ID_BASE, queries
from reformkg.graph.namespaces import RKO
from reformkg.graph.store import Store

ORG_CLASSES = {RKO + c for c in ("Agency", "LeadingGroup", "Enterprise", "StateForestFarm")}
PLACE_CLASSES = {RKO + c for c in ("Province", "City", "District", "County", "Town", "Village", "ForestFarmSite")}
REFORM_CLASSES = {RKO + "ReformInitiative", RKO + "ReformPilot"}
DOCUMENT_CLASSES = {RKO + "PolicyDocument"}

#: When two entities share a name, the lower number wins: a forest farm is a site and an institution of one name,
#: and a mention links the site (the place).
KIND_PRIORITY = {"reform": 0, "document": 1, "place": 2, "org": 3}
#: Where accepted issues' graphs live (``names.ISSUE_GRAPH_BASE``).
ISSUE_GRAPHS = GRAPH_BASE + "issue/"
#: An IRI that names no graph: exclude nothing.
NO_GRAPH = "urn:reformkg:none"


@dataclass(frozen=True)
class Known:
    """An entity the graph has: its IRI, its kind (org, place, reform, document) and its types."""

    iri: str
    kind: str
    types: frozenset[str]


@dataclass
class KnownEntities:
    """Entities in the graph by their zh names (labels, altLabels, source labels), and reform pilots by place."""

    by_label: dict[str, Known] = field(default_factory=dict)
    pilot_places: dict[str, list[str]] = field(default_factory=dict)  # pilot IRI → its places
    parents: dict[str, str] = field(default_factory=dict)  # pilot IRI → the reform it is part of
    labels: dict[str, list[str]] = field(default_factory=dict)  # IRI → its zh names, longest first
    curated_series: set[str] = field(default_factory=set)  # periodicals described outside the issues' graphs

    def find(self, name: str, kind: str | None = None) -> Known | None:
        """The entity the graph names ``name`` (of ``kind``, if given); None when there is none, or several."""
        known = self.by_label.get(name)
        return known if known is not None and (kind is None or known.kind == kind) else None

    def names_longest_first(self) -> list[str]:
        """Every name a mention can link by, longest first (so 昆明市科技局 is found before 昆明市)."""
        return sorted(self.by_label, key=lambda n: (-len(n), n))


@dataclass(frozen=True)
class KnownSeries:
    """A periodical the graph has: its IRI, Chinese name, and its publisher's IRI and Chinese name (if any)."""

    iri: str
    name: str
    publisher: str | None
    publisher_name: str | None
    curated: bool  # described outside the accepted issues' graphs (the seed's 改革快报)


def known_series(store: Store | None) -> list[KnownSeries]:
    """The periodicals in the graph, by their Chinese names (plumbing query ``ingest-series``)."""
    if store is None:
        return []
    found: dict[tuple[str, str], KnownSeries] = {}
    for row in queries.run(store, "ingest-series", issues=ISSUE_GRAPHS).rows():
        key = (row["series"], row["label"])
        if key not in found or (found[key].publisher_name is None and row["publisherLabel"]):
            curated = str(row["curated"]).lower() in ("true", "1")
            found[key] = KnownSeries(row["series"], row["label"], row["publisher"], row["publisherLabel"], curated)
    return list(found.values())


def known_entities(store: Store | None, *, exclude_graph: str = NO_GRAPH) -> KnownEntities:
    """What the graph knows, outside ``exclude_graph`` (the issue's own graph, so re-ingesting it is stable)."""
    known = KnownEntities()
    if store is None:
        return known
    rows = queries.run(store, "ingest-known-entities", base=ID_BASE, exclude=exclude_graph).rows()
    types: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for row in rows:
        types.setdefault(row["e"], set()).add(row["type"])
        names.setdefault(row["e"], set()).add(row["label"])
    _index_names(known, types, names)
    known.curated_series = {s.iri for s in known_series(store) if s.curated}
    for row in queries.run(store, "ingest-pilots", exclude=exclude_graph).rows():
        known.pilot_places.setdefault(row["pilot"], []).append(row["place"])
        if row["parent"]:
            known.parents[row["pilot"]] = row["parent"]
    return known


def _index_names(known: KnownEntities, types: dict[str, set[str]], names: dict[str, set[str]]) -> None:
    """Fill ``known.by_label`` and ``known.labels``; a name two entities of one kind share links neither."""
    ambiguous: set[str] = set()
    for iri in sorted(types):
        kind = entity_kind(types[iri])
        if kind is None:
            continue
        known.labels[iri] = sorted(names[iri], key=lambda n: (-len(n), n))
        for name in sorted(names[iri]):
            if len(name) < 2:  # one-character source labels (省) are too ambiguous to link by
                continue
            current = known.by_label.get(name)
            if current is None or KIND_PRIORITY[kind] < KIND_PRIORITY[current.kind]:
                known.by_label[name] = Known(iri, kind, frozenset(types[iri]))
            elif KIND_PRIORITY[kind] == KIND_PRIORITY[current.kind] and current.iri != iri:
                ambiguous.add(name)  # 《办法》 names three documents: link none of them
    for name in ambiguous:
        known.by_label.pop(name, None)


def entity_kind(types: set[str]) -> str | None:
    """reform, org, place or document, from an entity's types; None for anything else."""
    if types & REFORM_CLASSES:
        return "reform"
    if types & ORG_CLASSES:
        return "org"
    if types & PLACE_CLASSES:
        return "place"
    if types & DOCUMENT_CLASSES:
        return "document"
    return None
