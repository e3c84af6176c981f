"""Interactive graph views, each for one question: pages under the site header, fully offline (vis-network from
/static/vis-network/). The views themselves are built by ``reformkg.graph.views``; this router picks the reader's
language and passes the switches on."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import StringConstraints

from reformkg.api import i18n
from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import IRI_PATTERN, error_response, render
from reformkg.graph import views
from reformkg.graph.projection import stale_allowed
from reformkg.graph.resolve import resolve

router = APIRouter(prefix="/graph", tags=["views"])


#: The kinds of entity a view draws (``views.KIND_STYLES``), which the ego view can keep.
NodeKind = StrEnum("NodeKind", {kind: kind for kind in views.KIND_STYLES})


class Lang(StrEnum):
    en = "en"
    zh = "zh"


LangQuery = Annotated[
    Lang | None, Query(description="Language of the page and its labels; by default the browser's (Accept-Language)")
]
Provenance = Annotated[bool, Query(description="Draw provenance too: source sentences, items, data sets, notes")]
Observations = Annotated[bool, Query(description="Draw each figure as its own node instead of one 'N figures' node")]

#: A page, or a JSON error: 503 when the store fails, and for the views that name an entity (ego, ownership kept to an
#: agency) 404 for one not in the graph, 400 for a name that fits several.
STORE_DOWN = {
    503: error_response("The store could not answer, or the first projection is still being built (Retry-After)")
}
UNKNOWN = {
    400: error_response("The name fits several entities (the message lists them)"),
    404: error_response("No such entity in the graph"),
    **STORE_DOWN,
}


def _page(request: Request, view: views.ViewData, nav: str | None = None) -> HTMLResponse:
    """A view under the site header, in the reader's language. An unknown entity (404) or a store failure (503)
    while building it rises to the app's error handler, which answers JSON."""
    lang = i18n.choose(request)
    t = i18n.translator(lang)
    words = {
        "legend": t("view.legend"),
        "details": t("view.details"),
        "open": t("view.open_page"),
        "around": "以此为中心" if lang == "zh" else "Explore around it",
        "loading": t("view.loading"),
        "show": t("view.show"),
        "nodes": t("view.nodes"),
        "edges": t("view.edges"),
        "hint": t("view.click_hint"),
    }
    params = {k: v for k, v in request.query_params.items() if k not in ("lang",)}
    context = {**views.page_context(view, lang=lang), "words": words, "params": params}
    return render(request, "view.html", context, nav=nav)


@router.get("/ego", response_class=HTMLResponse, summary="What is around an entity", responses=UNKNOWN)
def ego(
    request: Request,
    store: StoreDep,
    iri: Annotated[
        str,
        Query(
            min_length=1,
            description="The entity at the centre: its IRI, its slug, or a label (Chinese, English, pinyin)",
        ),
    ],
    hops: Annotated[int, Query(ge=1, le=3, description="How many links away to go (1 to 3)")] = 1,
    kind: Annotated[
        list[NodeKind] | None,
        Query(description="Show only neighbours of these kinds (another word: 422)"),
    ] = None,
    predicate: Annotated[
        list[Annotated[str, StringConstraints(pattern=IRI_PATTERN)]] | None,
        Query(description="Follow only links with these predicate IRIs (absolute; anything else: 422)"),
    ] = None,
    provenance: Provenance = False,
    observations: Observations = False,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Entities up to ``hops`` links from the centre, at most 80 nodes: per link type at most 8 neighbours, the
    best connected first, and one "+N more" node for the rest; hubs are drawn, not expanded. hops outside 1..3:
    422; a name that fits nothing: 404; one that fits several: 400. Read by SPARQL around the entity: it never
    waits for the whole projection."""
    centre = resolve(store, iri)
    kinds = [k.value for k in kind] if kind is not None else None
    view = views.ego_data(
        store, centre, hops=hops, kinds=kinds, predicates=predicate, provenance=provenance, observations=observations
    )
    return _page(request, view)


@router.get("/overview", response_class=HTMLResponse, summary="The whole picture", responses=STORE_DOWN)
def overview(
    request: Request,
    store: StoreDep,
    provenance: Provenance = False,
    observations: Observations = False,
    lang: LangQuery = None,
) -> HTMLResponse:
    """The 300 best connected entities, grouped by the reform each is nearest to. Drawn from the whole projection:
    while it is rebuilt after a write, from the previous one, and the page says so ("as of generation N,
    rebuilding"); 503 with Retry-After while the first is built."""
    with stale_allowed():
        view = views.overview_data(store, provenance=provenance, observations=observations)
    return _page(request, view, "overview")


@router.get("/ownership", response_class=HTMLResponse, summary="Who owns which reform", responses=UNKNOWN)
def ownership(
    request: Request,
    store: StoreDep,
    participants: Annotated[
        bool, Query(description="Also draw organisations that take part in a reform's measures, as participants")
    ] = False,
    agency: Annotated[
        str | None,
        Query(
            min_length=1,
            description="Only the reforms this agency owns, directly or through the bodies under it: its IRI, its "
            "slug, or a label (Chinese, English, pinyin)",
        ),
    ] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Owners (lead owner or co-owner, the role on the edge) and the organisation tree above them; a reform whose
    source names no owner is marked so, with the bodies that accepted or assessed it or its pilots. At most 60
    reforms (the owners with the most reforms first, each with a "+N" node for those not drawn; the page says how many
    of how many); ``agency`` keeps one agency's. From the whole projection, as the overview."""
    iri = None if agency is None else resolve(store, agency, prefer=("org",))
    with stale_allowed():
        view = views.ownership_data(store, participants=participants, agency=iri)
    return _page(request, view, "ownership")


@router.get("/forest-farms", response_class=HTMLResponse, summary="The state forest farm reform", responses=STORE_DOWN)
def forest_farms(request: Request, store: StoreDep, lang: LangQuery = None) -> HTMLResponse:
    """The three forest farms (sites and institutions), their pilots and acceptance, the provincial leading group
    that accepted them, and the next steps of the reform. From the whole projection, as the overview."""
    with stale_allowed():
        view = views.forest_farms_data(store)
    return _page(request, view, "forest")
