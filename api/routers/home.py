"""The front page: the reforms at a glance (``reformkg.graph.reforms``), with search on top.

``/`` is the page for people; ``/api/reforms`` is the same list as JSON for programs. Links shared when ``/`` was the
query UI (``/?query=…``) are sent on to ``/query``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, computed_field

from reformkg.api import i18n
from reformkg.api.deps import StoreDep
from reformkg.api.routers.trace import Outcome, Owner, Place, Ref, StatusRecord
from reformkg.api.routers.ui import error_response, render
from reformkg.graph import reforms
from reformkg.graph.reforms import ReformCard
from reformkg.graph.tracing import REFORM_BASE

router = APIRouter(tags=["reforms"])


class Accountable(BaseModel):
    agency: Ref
    accepted: bool = Field(description="True when it accepted the reform or its pilots (通过验收)")
    pilots: list[Ref] = Field(description="The pilots it accepted or assessed; empty for the reform itself")


class Item(BaseModel):
    item: Ref
    issue: Ref | None
    published: str | None


class Card(BaseModel):
    """A reform at a glance."""

    reform: Ref
    pilot: bool
    owners: list[Owner] = Field(description="Owners with roles; empty when the source names none")
    accountable: list[Accountable] = Field(
        description="When the source names no owner: the bodies that accepted or assessed the reform or its pilots"
    )
    status: StatusRecord | None = Field(description="The latest status record")
    figures: int = Field(description="How many figures the reform reports")
    key_figures: list[Outcome]
    places: list[Place]
    items: list[Item] = Field(description="The newsletter items that report it")
    pilots: list[Card]
    measures: int
    more_pilots: int = Field(0, description="Pilots not listed (a card lists at most 12)")

    @computed_field
    @property
    def timeline(self) -> str:
        return "/reforms/" + self.reform.iri.removeprefix(REFORM_BASE) + "/timeline"


Card.model_rebuild()

STORE_DOWN = {503: error_response("The store could not answer")}


@router.get(
    "/",
    response_class=HTMLResponse,
    summary="The front page: every reform with owners, status, key figures, places and sources",
    responses={307: {"description": "A query shared as /?query=…: sent on to the query UI at /query"}, **STORE_DOWN},
)
def home(request: Request, store: StoreDep) -> Response:
    """The reforms, Chinese first with English beside, in the reader's language (``Accept-Language``, ``?lang=``)."""
    if "query" in request.query_params:
        return RedirectResponse("/query?" + urlencode(list(request.query_params.multi_items())), status_code=307)
    cards = reforms.reform_cards(store)
    t = i18n.translator(i18n.choose(request))
    return render(request, "home.html", {"title": t("home.title"), "cards": cards}, nav="reforms")


@router.get(
    "/api/reforms",
    summary="Every reform at a glance (the front page as JSON)",
    response_model=list[Card],
    responses=STORE_DOWN,
    tags=["trace"],
)
def reform_list(store: StoreDep) -> list[ReformCard]:
    """Each reform initiative with its owners (or, when the source names none, who accepted or assessed it), its
    current status, its key figures, places, newsletter items and pilots: the 60 most recently reported."""
    return reforms.reform_cards(store)
