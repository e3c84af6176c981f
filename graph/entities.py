"""An entity's description: its labels, classes, properties, incoming links and the sentences it was drawn from.

Used by the entity pages and the tracing API. The SPARQL is in ``graph/queries/entity-*.rq``; the entity's IRI is
checked (``check_iri``) and bound as a VALUES row written by Oxigraph, so a crafted IRI cannot change a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from reformkg.graph import queries
from reformkg.graph.errors import InputError
from reformkg.graph.store import QueryResult, Store

ID_BASE = "https://w3id.org/reformkg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"

# What an IRIREF may not contain (SPARQL 1.1 grammar), plus anything below the space.
_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


class InvalidIri(InputError):
    """A string that cannot be an IRI in a query."""


def check_iri(iri: str) -> str:
    """The IRI itself if it is absolute and safe to put between ``<>`` in SPARQL; else InvalidIri."""
    if not iri or _BAD_IRI.search(iri) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
        raise InvalidIri(f"not an absolute IRI: {iri!r}")
    try:  # the grammar is not all: the query parser also checks the IRI itself (RFC 3987), as NamedNode does
        ox.NamedNode(iri)
    except ValueError:
        raise InvalidIri(f"not an absolute IRI: {iri!r}") from None
    return iri


def is_minted(iri: str) -> bool:
    """Whether reformkg minted the IRI (it starts with https://w3id.org/reformkg/id/)."""
    return iri.startswith(ID_BASE)


@dataclass
class Term:
    """An RDF term as a page shows it: IRI (with labels), literal (with language or datatype) or blank node."""

    kind: str  # iri | literal | blank
    value: str
    language: str | None = None
    datatype: str | None = None
    label_zh: str | None = None
    label_en: str | None = None

    @classmethod
    def of(cls, term, label_zh=None, label_en=None) -> Term:
        if isinstance(term, ox.NamedNode):
            return cls("iri", term.value, label_zh=_value(label_zh), label_en=_value(label_en))
        if isinstance(term, ox.BlankNode):
            return cls("blank", term.value)
        datatype = term.datatype.value if term.datatype is not None else None
        if datatype in (
            "http://www.w3.org/2001/XMLSchema#string",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
        ):
            datatype = None
        return cls("literal", term.value, language=term.language or None, datatype=datatype)


@dataclass
class Link:
    """A property and its value, from the entity (outgoing) or to it (incoming)."""

    property: str
    property_label: str | None
    value: Term
    nested: list[tuple[str, Term]] = field(default_factory=list)  # a blank node's own properties


@dataclass
class SourceSentence:
    """A sentence the entity was drawn from, with where it sits in its item."""

    iri: str
    quote: str | None
    item: str | None
    item_label: str | None
    start: int | None
    end: int | None


@dataclass
class Description:
    """Everything an entity page shows."""

    iri: str
    labels_zh: list[str]
    labels_en: list[str]
    alt_labels: list[Term]
    types: list[Term]
    properties: list[Link]
    incoming: list[Link]
    incoming_truncated: bool
    sources: list[SourceSentence]

    @property
    def label(self) -> str:
        """The name to head the page with: zh first, then en, else the IRI."""
        return (self.labels_zh or self.labels_en or [self.iri])[0]


def _value(term) -> str | None:
    return term.value if term is not None else None


def _run(store: Store, name: str, iri: str, suffix: str = "") -> QueryResult:
    """The named query ``name`` with ``?entity`` bound to the (checked) IRI; ``suffix`` adds a solution modifier."""
    return store.query(queries.with_bindings(queries.text(name), {"entity": check_iri(iri)}) + suffix)


def exists(store: Store, iri: str) -> bool:
    """Whether the store holds any triple with the IRI as subject, predicate or object. InvalidIri if it is none."""
    return _run(store, "entity-exists", iri).boolean


def describe(store: Store, iri: str, incoming_limit: int = 500) -> Description | None:
    """The entity's description, or None when the store holds no triple about it."""
    check_iri(iri)
    if not exists(store, iri):
        return None
    blanks: dict[str, list[tuple[str, Term]]] = {}
    for row in _run(store, "entity-blank-nodes", iri).solutions():
        blanks.setdefault(row["b"].value, []).append((row["p"].value, Term.of(row["o"])))

    labels_zh, labels_en, alt_labels, types, properties = [], [], [], [], []
    for row in _run(store, "entity-outgoing", iri).solutions():
        prop, obj = row["p"].value, row["o"]
        term = Term.of(obj, row["oLabelZh"], row["oLabelEn"])
        if prop in (RDFS_LABEL, SKOS_PREF) and isinstance(obj, ox.Literal):
            if obj.language == "zh":
                labels_zh.append(obj.value)
            elif obj.language == "en":
                labels_en.append(obj.value)
        if prop == SKOS_ALT:
            alt_labels.append(term)
        if prop == RDF_TYPE:
            types.append(term)
        nested = blanks.get(obj.value, []) if isinstance(obj, ox.BlankNode) else []
        properties.append(Link(prop, _value(row["pLabel"]), term, nested))

    incoming = [
        Link(row["p"].value, _value(row["pLabel"]), Term.of(row["s"], row["sLabelZh"], row["sLabelEn"]))
        for row in _run(store, "entity-incoming", iri, f"\nLIMIT {int(incoming_limit) + 1}").solutions()
    ]
    sources = [
        SourceSentence(
            iri=row["sentence"].value,
            quote=_value(row["quote"]),
            item=_value(row["item"]),
            item_label=_value(row["itemLabel"]),
            start=int(row["start"].value) if row["start"] is not None else None,
            end=int(row["end"].value) if row["end"] is not None else None,
        )
        for row in _run(store, "entity-sources", iri).solutions()
    ]
    return Description(
        iri=iri,
        labels_zh=labels_zh,
        labels_en=labels_en,
        alt_labels=alt_labels,
        types=types,
        properties=properties,
        incoming=incoming[:incoming_limit],
        incoming_truncated=len(incoming) > incoming_limit,
        sources=sources,
    )


def triples(store: Store, iri: str) -> QueryResult:
    """The entity's triples (outgoing, the blank nodes it points at, incoming) as a graph result to serialise."""
    return _run(store, "entity-triples", iri)


def labels(store: Store, iris: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """The zh and en labels of some resources: {iri: (zh, en)}; resources without labels are left out.

    One query for all of them: ``entity-labels`` with ``?entity`` bound to the whole list."""
    wanted = sorted({check_iri(i) for i in iris if i})
    if not wanted:
        return {}
    return {
        row["entity"].value: (_value(row["zh"]), _value(row["en"]))
        for row in queries.run(store, "entity-labels", entity=wanted).solutions()
        if row["zh"] is not None or row["en"] is not None
    }
