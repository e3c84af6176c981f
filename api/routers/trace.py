"""Tracing endpoints: an agency's reforms, and a reform's owners, measures, places, outcomes, status and sources.

The answers are assembled by ``reformkg.graph.tracing`` (ownership through ``reformkg.graph.ownership``); this router
maps a slug to an IRI and declares the response schema, which adds each resource's page on this server. An unknown
slug is the library's UnknownEntity, which the app's error handler answers with a 404.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, computed_field

from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import error_response, page_url
from reformkg.graph import tracing
from reformkg.graph.tracing import AGENCY_BASE, REFORM_BASE

router = APIRouter(prefix="/api", tags=["trace"])


class Ref(BaseModel):
    """A resource in the graph with its labels and its page on this server."""

    iri: str
    label_zh: str | None = None
    label_en: str | None = None

    @computed_field
    @property
    def page(self) -> str:
        return page_url(self.iri)


class AgencyReform(BaseModel):
    reform: Ref
    role: Ref | None = Field(description="The owner's role: rko:leadOwner or rko:coOwner; null when none is given")
    via: Ref | None = Field(
        description="The sub-organisation that owns the reform; null when the agency owns it itself"
    )
    path: list[Ref] = Field(description="From the owning organisation up org:subOrganizationOf to the agency asked for")


class AgencyReforms(BaseModel):
    agency: Ref
    reforms: list[AgencyReform]


class Owner(BaseModel):
    agency: Ref
    role: Ref | None = Field(description="rko:leadOwner or rko:coOwner; null when the source gives no role")


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
    indicator_ref: Ref | None = Field(None, description="The indicator, with its labels")
    unit_ref: Ref | None = Field(None, description="The unit, with its labels")
    kind_ref: Ref | None = Field(None, description="The value kind (reported, planned, baseline …), with its labels")
    qualifier_ref: Ref | None = Field(None, description="The qualifier (at least, more than …), with its labels")


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


NOT_FOUND = {404: error_response("No agency or reform with this slug (or the slug cannot be part of an IRI)")}
STORE_DOWN = {503: error_response("The store could not answer")}


@router.get(
    "/agencies/{slug}/reforms",
    summary="An agency's reforms: owned directly or through its sub-organisations, with role and path",
    response_model=AgencyReforms,
    responses={**NOT_FOUND, **STORE_DOWN},
)
def agency_reforms(slug: str, store: StoreDep) -> tracing.AgencyReforms:
    """``slug`` is the part after https://w3id.org/reformkg/id/org/ (e.g. ``kunming-municipal-government``)."""
    return tracing.agency_reforms(store, AGENCY_BASE + slug)


@router.get(
    "/reforms/{slug}",
    summary="A reform's owners, measures, places, outcomes, status history and sources",
    response_model=ReformTrace,
    responses={**NOT_FOUND, **STORE_DOWN},
)
def reform_trace(slug: str, store: StoreDep) -> tracing.ReformTrace:
    """``slug`` is the part after https://w3id.org/reformkg/id/reform/ (e.g. ``kunming-state-forest-farm-reform``)."""
    return tracing.reform_trace(store, REFORM_BASE + slug)
