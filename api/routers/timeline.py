"""Timelines: how a reform, or the reforms of a place, moved from one newsletter issue to the next.

``/reforms/{id}/timeline`` and ``/places/{id}/timeline`` answer JSON, or a page for browsers (by ``Accept``). An
unknown id is the library's UnknownEntity: the app's error handler answers 404, as a page for browsers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reformkg.api.deps import StoreDep
from reformkg.api.negotiation import prefers_html
from reformkg.api.routers.ui import error_response, page_url, render
from reformkg.graph.timeline import PLACE_BASE, REFORM_BASE, place_timeline, reform_timeline

router = APIRouter(tags=["timeline"])

SLUG = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
OK_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"type": "object"}},
    "text/html": {"schema": {"type": "string"}},
}


def _page(request: Request, context: dict) -> Response:
    return render(request, "timeline.html", {"page_url": page_url, **context})


@router.get(
    "/reforms/{reform_id}/timeline",
    summary="A reform's status over time",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "Status records in date order, each with stage, issue, assessor and sentences",
            "content": OK_CONTENT,
        },
        404: error_response("No reform with this id", html=True),
        422: error_response("The id is not a slug"),
    },
)
def reform_timeline_view(reform_id: str, request: Request, store: StoreDep) -> Response:
    """The reform ``https://w3id.org/reformkg/id/reform/{reform_id}``: its status records, oldest first."""
    timeline = reform_timeline(store, REFORM_BASE + reform_id)
    if prefers_html(request.headers.get("accept")):
        title = timeline.label_zh or timeline.label_en or reform_id
        return _page(request, {"title": title, "subject": timeline.reform, "timelines": [timeline.as_dict()]})
    return JSONResponse(timeline.as_dict())


@router.get(
    "/places/{place_id}/timeline",
    summary="The reforms of a place over time",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "Each reform in the place (or in places it contains) with its status records",
            "content": OK_CONTENT,
        },
        404: error_response("No place with this id", html=True),
    },
)
def place_timeline_view(place_id: str, request: Request, store: StoreDep) -> Response:
    """The place ``https://w3id.org/reformkg/id/place/{place_id}``: the timelines of the reforms in it."""
    data = place_timeline(store, PLACE_BASE + place_id)
    if prefers_html(request.headers.get("accept")):
        title = data["label_zh"] or data["label_en"] or place_id
        return _page(request, {"title": title, "subject": data["place"], "timelines": data["reforms"]})
    return JSONResponse(data)
