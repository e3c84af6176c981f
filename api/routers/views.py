"""Interactive graph views: HTML pages of pyvis networks, fully offline (vis-network from /static/vis-network/)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import IRI_PATTERN, error_response
from reformkg.graph import views

router = APIRouter(prefix="/graph", tags=["views"])


class Lang(StrEnum):
    en = "en"
    zh = "zh"


LangQuery = Annotated[Lang, Query(description="Label language shown first; the page can switch")]

#: A page, or a JSON error: 503 when the store fails, and for the ego view 404 for an IRI not in the graph.
STORE_DOWN = {503: error_response("The store could not answer")}
UNKNOWN = {404: error_response("No such entity in the graph"), **STORE_DOWN}


def _page(view: views.ViewData, lang: Lang) -> HTMLResponse:
    """A view rendered as a page. An unknown IRI (404) or a store failure (503) while building it rises to the app's
    error handler, which answers JSON."""
    return HTMLResponse(views.render(view, lang=lang.value))


@router.get("/ego", response_class=HTMLResponse, summary="The neighbourhood of an entity", responses=UNKNOWN)
def ego(
    store: StoreDep,
    iri: Annotated[str, Query(min_length=1, pattern=IRI_PATTERN, description="The entity at the centre (an IRI)")],
    hops: Annotated[int, Query(ge=1, le=3, description="How many links away to go (1 to 3)")] = 1,
    kind: Annotated[
        list[str] | None,
        Query(description="Show only neighbours of these kinds: " + ", ".join(views.KIND_STYLES)),
    ] = None,
    predicate: Annotated[list[str] | None, Query(description="Follow only links with these predicate IRIs")] = None,
    lang: LangQuery = Lang.en,
) -> HTMLResponse:
    """Entities up to ``hops`` links from ``iri``, at most 150; beyond that one "+N more" node per predicate.
    Not an absolute IRI, or hops outside 1..3: 422; unknown IRI: 404."""
    return _page(views.ego_data(store, iri, hops=hops, kinds=kind, predicates=predicate), lang)


@router.get("/overview", response_class=HTMLResponse, summary="The whole graph", responses=STORE_DOWN)
def overview(store: StoreDep, lang: LangQuery = Lang.en) -> HTMLResponse:
    """Every entity and link (above 1,500 entities, the best connected ones)."""
    return _page(views.overview_data(store), lang)


@router.get("/ownership", response_class=HTMLResponse, summary="Agencies → reforms → measures", responses=STORE_DOWN)
def ownership(store: StoreDep, lang: LangQuery = Lang.en) -> HTMLResponse:
    """Which agencies own which reforms (lead or co-owner), their organisation tree, and the reforms' measures."""
    return _page(views.ownership_data(store), lang)


@router.get("/forest-farms", response_class=HTMLResponse, summary="The state forest farm reform", responses=STORE_DOWN)
def forest_farms(store: StoreDep, lang: LangQuery = Lang.en) -> HTMLResponse:
    """The three forest farms (sites and institutions), their pilots and acceptance, the provincial leading group
    that accepted them, and the next steps of the reform."""
    return _page(views.forest_farms_data(store), lang)
