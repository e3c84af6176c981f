"""One way to name an entity everywhere: its IRI, its slug, or a label in Chinese, English or pinyin.

``resolve(store, name)`` answers the IRI:

- an absolute IRI the graph holds is itself;
- a slug is the last part of an IRI reformkg mints (``kunming-state-forest-farm-reform``), optionally with its kind
  (``reform/kunming-state-forest-farm-reform``, ``org/kunming-poverty-alleviation-office``) or a prefix from
  ``ontology/MODEL.md`` (``reform:…``, ``ag:…``);
- anything else is looked up by label in the search index (``graph/search.py``): an exact label wins; otherwise the
  best match when it stands clearly ahead of the next one.

UnknownEntity (404) when nothing matches, Ambiguous (400, listing the candidates) when several do.
"""

from __future__ import annotations

from reformkg.graph import entities, search
from reformkg.graph.entities import ID_BASE, InvalidIri
from reformkg.graph.errors import InputError, UnknownEntity
from reformkg.graph.namespaces import PREFIXES
from reformkg.graph.store import Store

#: The folders of the IRIs reformkg mints, tried in this order for a bare slug.
KINDS = (
    "reform",
    "org",
    "place",
    "measure",
    "document",
    "indicator",
    "observation",
    "status",
    "dataset",
    "note",
    "ownership",
    "source",
)


class Ambiguous(InputError):
    """A name that fits several entities."""


def _exists(store: Store, iri: str) -> bool:
    try:
        return entities.exists(store, iri)
    except InvalidIri:
        return False


def _candidates(name: str) -> list[str]:
    """The IRIs a slug-like name could stand for."""
    if ":" in name and not name.startswith(("http://", "https://")):
        prefix, _, rest = name.partition(":")
        namespace = PREFIXES.get(prefix)
        return [namespace + rest] if namespace and rest else []
    if "/" in name:
        return [ID_BASE + name.strip("/")]
    return [f"{ID_BASE}{kind}/{name}" for kind in KINDS]


def _preferred(found: list[str], prefer: tuple[str, ...]) -> list[str]:
    """The candidates in the preferred folders (``org``, ``reform`` …), when there are any."""
    inside = [iri for iri in found if any(iri.startswith(f"{ID_BASE}{kind}/") for kind in prefer)]
    return inside or found


def resolve(store: Store, name: str, prefer: tuple[str, ...] = ()) -> str:
    """The IRI of the entity ``name`` names (an IRI, a slug or a label); see the module's description. ``prefer``
    names folders (``org``, ``reform`` …) that settle a tie: an agency's name asked for an agency, say."""
    name = (name or "").strip()
    if not name:
        raise InputError("name an entity: an IRI, a slug or a label")
    if name.startswith(("http://", "https://", "urn:")):
        if _exists(store, name):
            return name
        raise UnknownEntity(name, f"no entity <{name}> in the graph")
    if all(ch.isascii() and (ch.isalnum() or ch in "-_./:") for ch in name):
        found = _preferred([iri for iri in _candidates(name) if _exists(store, iri)], prefer)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise Ambiguous(f"{name!r} names several entities: {', '.join(found)}; give the IRI or kind/slug")
    try:
        hits = search.search(store, name, limit=5)
    except search.EmptyQuery:
        hits = []
    hits = [h for h in hits if h.kind == "entity"] or hits
    preferred = _preferred([h.iri for h in hits], prefer)
    hits = [h for h in hits if h.iri in preferred]
    if not hits:
        raise UnknownEntity(name, f"no entity named {name!r}: not an IRI, slug or label in the graph")
    exact = [h for h in hits if h.score >= search.EXACT]
    if len(exact) == 1 or (hits and (len(hits) == 1 or hits[0].score - hits[1].score >= search.ENTITY_BONUS)):
        return (exact or hits)[0].iri
    names = "; ".join(f"{h.label_zh or h.label_en} <{h.iri}>" for h in (exact or hits)[:5])
    raise Ambiguous(f"{name!r} fits several entities: {names}; give the IRI or slug")
