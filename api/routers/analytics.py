"""Graph analytics as JSON: agency influence, ownership tracing, paths, co-ownership, components, places, exports.

Handlers are plain ``def``: FastAPI runs them in its thread pool, so projecting a large store never blocks the loop.
What needs the whole projection (paths, components, exports) is answered from the latest one built: while it is
rebuilt after a write, from the previous one, marked ``"stale": {"generation": N, "rebuilding": true}`` (exports: the
``X-Reformkg-Stale`` header); while the first is built, 503 with Retry-After. The ranking reads the typed part of the
graph alone when the projection is not built, and is likewise made once per state of the store and answered from
the previous state (marked stale) while it is made; tracing, co-ownership and places read only what they show. None
of them waits for the projection.
An unknown entity or a missing path (404) and a store failure (503) are the library's errors, answered by the app's
error handler.
"""

from __future__ import annotations

import io
import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from reformkg.api import i18n
from reformkg.api.deps import StoreDep
from reformkg.api.negotiation import prefers_html
from reformkg.api.routers.ui import VARY, error_response, render
from reformkg.graph import analytics, entities, views
from reformkg.graph import ownership as tracer
from reformkg.graph.projection import current, project, stale_allowed, stale_note
from reformkg.graph.resolve import resolve

router = APIRouter(prefix="/analytics", tags=["analytics"])

NAME = (
    "an IRI (https://w3id.org/reformkg/id/org/kunming-municipal-government), a slug (kunming-municipal-government, "
    "org/kunming-municipal-government) or a label (昆明市人民政府, 市政府)"
)
Iri = Annotated[str, Query(min_length=1, description=f"The entity: {NAME}")]

#: Every answer may be a 503 when the store fails; the ones about an entity may also be a 404, or a 400 for a name
#: that fits several entities.
STORE_DOWN = {
    503: error_response("The store could not answer, or the first projection is still being built (Retry-After)")
}
AMBIGUOUS = {400: error_response("The name fits several entities (the message lists them)")}
UNKNOWN = {404: error_response("No such entity in the graph"), **AMBIGUOUS, **STORE_DOWN}
NO_PATH = {
    404: error_response("An entity is not in the graph, or the graph does not connect the two"),
    **AMBIGUOUS,
    **STORE_DOWN,
}


class ResultKind(StrEnum):
    json = "json"
    html = "html"


class ExportFormat(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    csv = "csv"


EXPORT_TYPES = {
    "graphml": ("application/graphml+xml", "reformkg.graphml"),
    "gexf": ("application/gexf+xml", "reformkg.gexf"),
    "csv": ("text/csv; charset=utf-8", "reformkg-agency-ranking.csv"),
}
EXPORT_RESPONSES = {
    200: {
        "description": "A file download: GraphML, GEXF or CSV, as ``format`` asks",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media, _filename in EXPORT_TYPES.values()
        },
    },
    **STORE_DOWN,
}


@router.get(
    "/agencies",
    summary="Agencies ranked by influence",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The ranking: JSON for programs, a page with a table and a chart for a browser",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **STORE_DOWN,
    },
)
def agencies(
    request: Request,
    store: StoreDep,
    limit: Annotated[int | None, Query(ge=1, description="Return only the top N agencies")] = None,
    fmt: Annotated[
        ResultKind | None, Query(alias="format", description="json or html; by default as the Accept header asks")
    ] = None,
) -> Response:
    """Agencies ranked by PageRank on the agency–reform–measure–place projection, with degree and betweenness
    (betweenness is exact on that typed projection, and omitted when it is too large). A browser gets a page: the
    table, a bar per agency, and how many reforms each owns."""
    with stale_allowed():
        ranking = analytics.rank_agencies(store, limit=limit)
    html = fmt == ResultKind.html if fmt else prefers_html(request.headers.get("accept"))
    if not html:
        return JSONResponse(ranking, headers={"Vary": VARY})
    rows = ranking["agencies"][: limit or 200]
    whole = current(store)  # the owners and the tree, read once per projection when it is built for the store as it is
    kept = {} if whole is None else {"named": tracer.owners_kept(store, whole), "tree": tracer.tree_kept(store, whole)}
    owned = tracer.reform_counts(store, [r["iri"] for r in rows], **kept)
    top = max((r["pagerank"] for r in rows), default=0) or 1
    for row in rows:
        row["reforms"] = owned.get(row["iri"], 0)
        row["bar"] = round(100 * row["pagerank"] / top)
    lang = i18n.choose(request)
    t = i18n.translator(lang)
    note = stale_note(ranking["stale"], lang) if "stale" in ranking else ""
    context = {"title": t("analytics.title"), "ranking": ranking, "rows": rows, "stale_note": note}
    return render(request, "analytics.html", context, nav="analytics")


class TraceFormat(StrEnum):
    json = "json"
    html = "html"
    csv = "csv"


#: How many reforms one page of an agency's list shows (a national department owns thousands).
OWNERSHIP_PAGE_ROWS = 500


@router.get(
    "/ownership",
    summary="Every reform an agency owns, with the path",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The reforms: JSON for programs, a page with a table for a browser, or CSV",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/html": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        400: error_response("The name fits several entities (the message lists them)", html=True),
        404: error_response("No such entity in the graph", html=True),
        **STORE_DOWN,
    },
)
def ownership(
    request: Request,
    store: StoreDep,
    agency: Iri,
    fmt: Annotated[
        TraceFormat | None,
        Query(alias="format", description="json, html or csv; by default as the Accept header asks (json or html)"),
    ] = None,
    page: Annotated[int, Query(ge=1, description=f"The page's number ({OWNERSHIP_PAGE_ROWS} rows each; html)")] = 1,
) -> Response:
    """The reforms an agency owns directly or through its sub-organisations (``org:subOrganizationOf``), each with
    the role and the path agency → … → owning sub-organisation → reform. The agency by IRI, slug or label; a name
    that fits nothing: 404, several: 400 (a browser gets them as a page). A browser gets a page listing the reforms
    (those the agency owns itself first, then by how far down the tree the owner is), 500 rows at a time; a reform
    owned by several bodies under the agency has a row for each. ``format=csv`` downloads the whole list."""
    iri = resolve(store, agency, prefer=("org",))
    traced = analytics.trace_ownership(store, iri)
    kind = fmt or (TraceFormat.html if prefers_html(request.headers.get("accept")) else TraceFormat.json)
    if kind == TraceFormat.json:
        return JSONResponse(traced, headers={"Vary": VARY})
    if kind == TraceFormat.csv:
        output = io.StringIO()
        output.write(analytics.SPREADSHEET_BOM)  # (for a spreadsheet)
        analytics.ownership_csv(traced, output)
        headers = {"Content-Disposition": f'attachment; filename="reformkg-reforms-of-{_file_slug(iri)}.csv"'}
        return Response(output.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    lang = i18n.choose(request)
    pages = max(1, -(-len(traced) // OWNERSHIP_PAGE_ROWS))
    page = min(page, pages)
    first = (page - 1) * OWNERSHIP_PAGE_ROWS
    zh, en = entities.labels(store, [iri]).get(iri, (None, None))
    name = (zh or en if lang == "zh" else en or zh) or views.readable(iri)
    context = {
        "title": i18n.translator(lang)("ownership.title").format(name=name),
        "agency": {"iri": iri, "label_zh": zh or "", "label_en": en or ""},
        "rows": traced[first : first + OWNERSHIP_PAGE_ROWS],
        "first": first,
        "total": len(traced),
        "reforms": len({row["reform"]["iri"] for row in traced}),
        "direct": len({row["reform"]["iri"] for row in traced if row["direct"]}),
        "page": page,
        "pages": pages,
        "query": f"agency={quote(iri, safe='')}",
    }
    return render(request, "ownership.html", context, nav="analytics")


def _file_slug(iri: str) -> str:
    """The last segment of an IRI, kept to letters, digits, dot, dash and underscore: for a download's name."""
    last = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-") or "agency"


@router.get("/path", summary="Shortest path between two entities", responses=NO_PATH)
def path(
    store: StoreDep,
    source: Annotated[str, Query(alias="from", min_length=1, description=f"Where the path starts: {NAME}")],
    target: Annotated[str, Query(alias="to", min_length=1, description=f"Where the path ends: {NAME}")],
) -> dict:
    """The shortest path between two entities, ignoring direction and skipping provenance and vocabulary links;
    each edge names its predicate and whether it is walked forward or inverse. Entities by IRI, slug or label; unknown
    entity or no path: 404; a name that fits several: 400."""
    with stale_allowed():
        return analytics.shortest_path(store, resolve(store, source), resolve(store, target))


@router.get("/coownership", summary="Agencies that own reforms together", responses=STORE_DOWN)
def coownership(store: StoreDep) -> dict:
    """The co-ownership network: agencies linked when they own the same reform, with the shared reforms."""
    return analytics.coownership(store)


@router.get("/components", summary="Connected components", responses=STORE_DOWN)
def components(
    store: StoreDep,
    typed: Annotated[bool, Query(description="On the agency–reform–measure–place projection instead of all")] = False,
    sample: Annotated[int, Query(ge=0, le=100, description="Members listed per component")] = 10,
) -> dict:
    """Weakly connected components, largest first, with sizes, kinds and a sample of members."""
    with stale_allowed():
        return analytics.components(store, typed=typed, sample=sample)


@router.get("/places", summary="Reforms and outcomes per place", responses=STORE_DOWN)
def places(store: StoreDep) -> list[dict]:
    """Per place: the reforms that apply there (directly, through a measure, or by an outcome measured there) and
    the number of outcome figures per reform."""
    return analytics.place_summary(store)


@router.get(
    "/export",
    summary="The projection as GraphML or GEXF, or the agency ranking as CSV",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export(
    store: StoreDep,
    fmt: Annotated[ExportFormat, Query(alias="format", description="graphml, gexf (Gephi): graph; csv: ranking")],
) -> Response:
    """Download the projected graph (GraphML, GEXF) or the agency ranking (CSV)."""
    with stale_allowed():
        stale = project(store).stale_for(store)
        body = analytics.export_text(store, fmt.value)
    media_type, filename = EXPORT_TYPES[fmt.value]
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if stale:
        headers["X-Reformkg-Stale"] = stale_note(stale)
    return Response(body, media_type=media_type, headers=headers)
