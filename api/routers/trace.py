"""Tracing endpoints: an agency's reforms, and a reform's owners, measures, places, outcomes, status and sources.

Each answer is built from the named competency queries in ``graph/queries/``, bound to the agency or reform asked for.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import error_response, page_url
from reformkg.graph import entities, queries
from reformkg.graph.entities import ID_BASE, InvalidIri
from reformkg.graph.store import Store

router = APIRouter(prefix="/api", tags=["trace"])

AGENCY_BASE = ID_BASE + "org/"
REFORM_BASE = ID_BASE + "reform/"
RKO = "https://w3id.org/reformkg/ontology#"
REFORM_CLASSES = {RKO + "ReformInitiative", RKO + "ReformPilot"}
DCTERMS_SPATIAL = "http://purl.org/dc/terms/spatial"
DCTERMS_PART_OF = "http://purl.org/dc/terms/isPartOf"
REPORTED_IN = RKO + "reportedIn"


class Ref(BaseModel):
    """A resource in the graph with its labels and its page on this server."""

    iri: str
    label_zh: str | None = None
    label_en: str | None = None
    page: str


class AgencyReform(BaseModel):
    reform: Ref
    role: Ref = Field(description="The owner's role: rko:leadOwner or rko:coOwner")
    via: Ref | None = Field(
        description="The sub-organisation that owns the reform; null when the agency owns it itself"
    )
    path: list[Ref] = Field(description="From the owning organisation up org:subOrganizationOf to the agency asked for")


class AgencyReforms(BaseModel):
    agency: Ref
    reforms: list[AgencyReform]


class Owner(BaseModel):
    agency: Ref
    role: Ref


class Measure(BaseModel):
    measure: Ref
    kind: str | None = Field(description="rko:Model, rko:PolicyArea or rko:NextStep")
    ordinal: int | None
    count: int | None = Field(description="How many measures the source says it has (rko:measureCount)")
    parent: str = Field(description="What it hangs from: the reform, a pilot of it or a measure")
    sub_measures: list[Measure] = []


class Place(BaseModel):
    place: Ref
    how: list[str] = Field(description="applies to, pilot, measure or figure")


class Outcome(BaseModel):
    observation: str
    indicator: str | None
    place: Ref | None
    period: str | None
    as_of: str | None = Field(description="The report date, for figures without a period of their own")
    value: int | float | str
    upper_value: int | float | str | None
    unit: str
    qualifier: str | None
    kind: str
    original_text: str
    sentences: list[str]


class StatusRecord(BaseModel):
    record: str
    stage: Ref
    reported_on: str
    event_date: str | None
    assessor: Ref | None
    source: str | None
    sentences: list[str]


class Sentence(BaseModel):
    iri: str
    quote: str
    start: int
    end: int


class SourceItem(BaseModel):
    item: Ref
    sentences: list[Sentence]


class ReformTrace(BaseModel):
    reform: Ref
    types: list[str]
    part_of: Ref | None
    owners: list[Owner]
    measures: list[Measure]
    places: list[Place]
    outcomes: list[Outcome]
    status_history: list[StatusRecord] = Field(description="Every status record, oldest report first")
    sources: list[SourceItem]


Measure.model_rebuild()


class Labels:
    """Labels of many resources, fetched in one query, turned into Refs."""

    def __init__(self, store: Store, iris):
        self._labels = entities.labels(store, [i for i in iris if i])

    def ref(self, iri: str | None) -> Ref | None:
        if not iri:
            return None
        zh, en = self._labels.get(iri, (None, None))
        return Ref(iri=iri, label_zh=zh, label_en=en, page=page_url(iri))


def _number(lexical: str | None) -> int | float | str | None:
    if lexical is None:
        return None
    try:
        number = Decimal(lexical)
    except InvalidOperation:
        return lexical
    return int(number) if number == number.to_integral_value() and "." not in lexical else float(number)


def _iri_for(base: str, slug: str, what: str) -> str:
    try:
        return entities.check_iri(base + slug)
    except InvalidIri:
        raise HTTPException(404, f"no {what} {slug!r}") from None


@router.get(
    "/agencies/{slug}/reforms",
    summary="An agency's reforms: owned directly or through its sub-organisations, with role and path",
    response_model=AgencyReforms,
    responses={404: error_response("No agency with this slug (or the slug cannot be part of an IRI)")},
)
def agency_reforms(slug: str, store: StoreDep) -> AgencyReforms:
    """``slug`` is the part after https://w3id.org/reformkg/id/org/ (e.g. ``kunming-municipal-government``)."""
    agency = _iri_for(AGENCY_BASE, slug, "agency")
    if not entities.exists(store, agency):
        raise HTTPException(404, f"no agency {slug!r}: the graph holds nothing about {agency}")
    rows = queries.run(store, "agency-reforms", agency=agency).rows()
    parents = entities.organisation_parents(store)
    paths = {r["via"]: entities.organisation_path(parents, r["via"], agency) for r in rows if r["via"]}
    wanted = {agency} | {r["reform"] for r in rows} | {r["role"] for r in rows} | {i for p in paths.values() for i in p}
    labels = Labels(store, wanted)
    reforms = [
        AgencyReform(
            reform=labels.ref(r["reform"]),
            role=labels.ref(r["role"]),
            via=labels.ref(r["via"]),
            path=[labels.ref(i) for i in (paths[r["via"]] if r["via"] else [agency])],
        )
        for r in rows
    ]
    return AgencyReforms(agency=labels.ref(agency), reforms=reforms)


@router.get(
    "/reforms/{slug}",
    summary="A reform's owners, measures, places, outcomes, status history and sources",
    response_model=ReformTrace,
    responses={404: error_response("No reform with this slug (or the slug cannot be part of an IRI)")},
)
def reform_trace(slug: str, store: StoreDep) -> ReformTrace:
    """``slug`` is the part after https://w3id.org/reformkg/id/reform/ (e.g. ``kunming-state-forest-farm-reform``)."""
    reform = _iri_for(REFORM_BASE, slug, "reform")
    description = entities.describe(store, reform, incoming_limit=0)
    types = sorted(t.value for t in description.types) if description else []
    if not REFORM_CLASSES & set(types):
        raise HTTPException(404, f"no reform {slug!r}: {reform} is not a reform initiative or pilot in the graph")
    outgoing: dict[str, list[str]] = {}
    for link in description.properties:
        if link.value.kind == "iri":
            outgoing.setdefault(link.property, []).append(link.value.value)

    owners = [r for r in queries.run(store, "agency-reforms", reform=reform).rows() if r["via"] is None]
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
        | {r["agency"] for r in owners}
        | {r["role"] for r in owners}
        | {r["measure"] for r in measures}
        | {r["place"] for r in places}
        | {r["place"] for r in outcomes}
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
        owners=[Owner(agency=labels.ref(r["agency"]), role=labels.ref(r["role"])) for r in owners],
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
