"""What the tracing API answers, assembled: an agency's reforms, and a reform with everything the graph says of it.

``agency_reforms`` is the ownership tracer's answer (``ownership.reforms_of``) with labels. ``reform_trace`` gathers a
reform's owners, measures (as a tree), places, outcome figures, status history and source sentences from the named
queries in ``graph/queries/`` bound to the reform. Every resource comes as a ``Ref``: its IRI and its zh and en
labels, all fetched in one query. The results are plain dataclasses; the web layer adds the links to pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from reformkg.graph import ID_BASE, entities, ownership, queries
from reformkg.graph.entities import InvalidIri
from reformkg.graph.errors import UnknownEntity
from reformkg.graph.store import Store

AGENCY_BASE = ID_BASE + "org/"
REFORM_BASE = ID_BASE + "reform/"
RKO = "https://w3id.org/reformkg/ontology#"
REFORM_CLASSES = {RKO + "ReformInitiative", RKO + "ReformPilot"}
DCTERMS_SPATIAL = "http://purl.org/dc/terms/spatial"
DCTERMS_PART_OF = "http://purl.org/dc/terms/isPartOf"
REPORTED_IN = RKO + "reportedIn"


@dataclass
class Ref:
    """A resource in the graph with its labels."""

    iri: str
    label_zh: str | None = None
    label_en: str | None = None


@dataclass
class AgencyReform:
    reform: Ref
    role: Ref | None  # rko:leadOwner or rko:coOwner; None when the source gives no role
    via: Ref | None  # the sub-organisation that owns the reform; None when the agency owns it itself
    path: list[Ref]  # from the owning organisation up org:subOrganizationOf to the agency


@dataclass
class AgencyReforms:
    agency: Ref
    reforms: list[AgencyReform]


@dataclass
class Owner:
    agency: Ref
    role: Ref | None


@dataclass
class Measure:
    measure: Ref
    kind: str | None  # rko:Model, rko:PolicyArea or rko:NextStep
    ordinal: int | None
    count: int | None  # how many measures the source says it has (rko:measureCount)
    parent: str  # what it hangs from: the reform, a pilot of it or a measure
    sub_measures: list[Measure] = field(default_factory=list)


@dataclass
class Place:
    place: Ref
    how: list[str]  # applies to, pilot, measure or figure


@dataclass
class Outcome:
    observation: str
    indicator: str | None  # the indicator's English label
    place: Ref | None
    period: str | None
    as_of: str | None  # the report date, for figures without a period of their own
    value: int | float | str
    upper_value: int | float | str | None
    unit: str
    qualifier: str | None
    kind: str
    original_text: str
    sentences: list[str]
    # the indicator, unit, value kind and qualifier with their zh and en labels
    indicator_ref: Ref | None = None
    unit_ref: Ref | None = None
    kind_ref: Ref | None = None
    qualifier_ref: Ref | None = None


@dataclass
class StatusRecord:
    record: str
    stage: Ref
    reported_on: str
    event_date: str | None
    assessor: Ref | None
    source: str | None
    sentences: list[str]


@dataclass
class Sentence:
    iri: str
    quote: str
    start: int
    end: int


@dataclass
class SourceItem:
    item: Ref
    sentences: list[Sentence]


@dataclass
class ReformTrace:
    reform: Ref
    types: list[str]
    part_of: Ref | None
    owners: list[Owner]
    measures: list[Measure]
    places: list[Place]
    outcomes: list[Outcome]
    status_history: list[StatusRecord]  # every status record, oldest report first
    sources: list[SourceItem]


class Labels:
    """The labels of many resources, fetched in one query, handed out as Refs."""

    def __init__(self, store: Store, iris):
        self._labels = entities.labels(store, [i for i in iris if i])

    def ref(self, iri: str | None) -> Ref | None:
        if not iri:
            return None
        zh, en = self._labels.get(iri, (None, None))
        return Ref(iri, zh, en)


def _number(lexical: str | None) -> int | float | str | None:
    """A literal's number: int for integers, float for decimals, the text itself when it is no number."""
    if lexical is None:
        return None
    try:
        number = Decimal(lexical)
    except InvalidOperation:
        return lexical
    return int(number) if number == number.to_integral_value() and "." not in lexical else float(number)


def agency_reforms(store: Store, agency: str) -> AgencyReforms:
    """Every reform ``agency`` owns, directly or through its sub-organisations, with role and path (owner up to the
    agency), in the tracer's order. UnknownEntity when the graph holds nothing about the agency."""
    found = ownership.reforms_of(store, agency)
    labels = Labels(store, {agency} | {i for r in found for i in (r.reform, r.role, *r.chain)})
    return AgencyReforms(
        agency=labels.ref(agency),
        reforms=[
            AgencyReform(
                reform=labels.ref(r.reform),
                role=labels.ref(r.role),
                via=labels.ref(r.via),
                path=[labels.ref(i) for i in r.chain],
            )
            for r in found
        ],
    )


def reform_trace(store: Store, reform: str) -> ReformTrace:
    """A reform's owners, measures, places, outcomes, status history and sources.

    UnknownEntity when ``reform`` is not a reform initiative or pilot in the graph (or cannot be an IRI)."""
    try:
        description = entities.describe(store, reform, incoming_limit=0)
    except InvalidIri:
        description = None
    types = sorted(t.value for t in description.types) if description else []
    if not REFORM_CLASSES & set(types):
        raise UnknownEntity(reform, f"no reform <{reform}>: not a reform initiative or pilot in the graph")
    outgoing: dict[str, list[str]] = {}
    for link in description.properties:
        if link.value.kind == "iri":
            outgoing.setdefault(link.property, []).append(link.value.value)

    owners = ownership.owners_of(store, reform)
    measures = queries.run(store, "reform-measures", reform=reform).rows()
    places = queries.run(store, "reform-places", reform=reform).rows()
    if not places:  # a pilot: reform-places answers for whole reforms only, so take the pilot's own places
        places = [{"place": p, "how": "applies to"} for p in outgoing.get(DCTERMS_SPATIAL, [])]
    outcomes = queries.run(store, "reform-outcomes", reform=reform).rows()
    history = queries.run(store, "status-history", reform=reform).rows()
    facts = queries.run(store, "item-facts", fact=reform).rows()

    part_of = (outgoing.get(DCTERMS_PART_OF) or [None])[0]
    labels = Labels(
        store,
        {reform, part_of}
        | {o.agent for o in owners}
        | {o.role for o in owners}
        | {r["measure"] for r in measures}
        | {r["place"] for r in places}
        | {r["place"] for r in outcomes}
        | {r[key] for r in outcomes for key in ("indicator", "unit", "kind", "qualifier")}
        | {r["stage"] for r in history}
        | {r["assessor"] for r in history}
        | {r["item"] for r in facts}
        | set(outgoing.get(REPORTED_IN, [])),
    )

    nodes: dict[str, Measure] = {}
    for r in measures:
        if r["measure"] not in nodes:
            nodes[r["measure"]] = Measure(
                measure=labels.ref(r["measure"]),
                kind=r["kind"],
                ordinal=_number(r["ordinal"]),
                count=_number(r["count"]),
                parent=r["parent"],
            )
    top = []
    for measure in nodes.values():
        parent = nodes.get(measure.parent)
        (parent.sub_measures if parent is not None else top).append(measure)

    place_hows: dict[str, list[str]] = {}
    for r in places:
        place_hows.setdefault(r["place"], []).append(r["how"])

    items: dict[str, dict[str, Sentence]] = {i: {} for i in outgoing.get(REPORTED_IN, [])}
    for r in facts:
        items.setdefault(r["item"], {})[r["sentence"]] = Sentence(
            iri=r["sentence"], quote=r["quote"], start=int(r["start"]), end=int(r["end"])
        )

    return ReformTrace(
        reform=labels.ref(reform),
        types=types,
        part_of=labels.ref(part_of),
        owners=[Owner(agency=labels.ref(o.agent), role=labels.ref(o.role)) for o in owners],
        measures=top,
        places=[Place(place=labels.ref(p), how=hows) for p, hows in place_hows.items()],
        outcomes=[
            Outcome(
                observation=r["observation"],
                indicator=r["indicatorLabel"],
                place=labels.ref(r["place"]),
                period=r["period"],
                as_of=r["asOf"],
                value=_number(r["value"]),
                upper_value=_number(r["upperValue"]),
                unit=r["unit"],
                qualifier=r["qualifier"],
                kind=r["kind"],
                original_text=r["originalText"],
                sentences=(r["sentences"] or "").split(),
                indicator_ref=labels.ref(r["indicator"]),
                unit_ref=labels.ref(r["unit"]),
                kind_ref=labels.ref(r["kind"]),
                qualifier_ref=labels.ref(r["qualifier"]),
            )
            for r in outcomes
        ],
        status_history=[
            StatusRecord(
                record=r["record"],
                stage=labels.ref(r["stage"]),
                reported_on=r["reportedOn"],
                event_date=r["eventDate"],
                assessor=labels.ref(r["assessor"]),
                source=r["source"],
                sentences=(r["sentences"] or "").split(),
            )
            for r in history
        ],
        sources=[
            SourceItem(item=labels.ref(item), sentences=sorted(sentences.values(), key=lambda s: s.start))
            for item, sentences in items.items()
        ],
    )
