"""The library's errors as HTTP answers, in one place: ``install(app)`` registers the handler.

Routers call the library and let its errors rise; the status comes from the error's kind (the most specific class
in ``STATUS`` wins, see ``reformkg.graph.errors``):

====================================  ======  ============================================================
error                                 status  note
====================================  ======  ============================================================
InputError (InvalidIri, EmptyQuery,   400
RdfSyntaxError, UnsafeXmlError, …)
NotFound (UnknownEntity, NoPath)      404
StoreError (StoreMissing, …)          503     the store could not answer
QuerySyntaxError, RefusedRequest      400     the SPARQL protocol's "malformed query" and refusals
RequestFailed                         400     the embedded engine ran the text and it failed
QueryTimeout, ExecutorBusy            503     with ``Retry-After``
RemoteError                           502     a remote endpoint failed; its words are never repeated
====================================  ======  ============================================================

The body is ``{"detail": "<the error's one line>"}``. A route that documents an HTML error page for a status (its
``responses`` list ``text/html`` for it, as ``error_response(..., html=True)`` writes) answers a browser with that page
instead: the entity pages and the timelines do.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from reformkg.api.negotiation import prefers_html
from reformkg.api.routers.ui import render
from reformkg.graph.entities import InvalidIri
from reformkg.graph.errors import (
    ExecutorBusy,
    InputError,
    NotFound,
    QuerySyntaxError,
    QueryTimeout,
    ReformkgError,
    RefusedRequest,
    RemoteError,
    RequestFailed,
    StoreError,
    UnknownEntity,
)

log = logging.getLogger(__name__)

STATUS: dict[type[ReformkgError], int] = {
    InputError: 400,
    NotFound: 404,
    StoreError: 503,
    QuerySyntaxError: 400,
    RefusedRequest: 400,
    RequestFailed: 400,
    QueryTimeout: 503,
    ExecutorBusy: 503,
    RemoteError: 502,
}
#: Errors a client may simply retry, and after how many seconds.
RETRY_AFTER: dict[type[ReformkgError], str] = {QueryTimeout: "5", ExecutorBusy: "5"}
#: The heading of an HTML error page, by kind.
TITLES: dict[type[ReformkgError], str] = {
    InputError: "Bad request",
    InvalidIri: "Not an IRI",
    NotFound: "Not found",
    UnknownEntity: "Unknown entity",
    StoreError: "The store could not answer",
}


def _most_specific(table: dict, error: BaseException):
    return next((table[cls] for cls in type(error).__mro__ if cls in table), None)


def status_of(error: ReformkgError) -> int:
    """The HTTP status of a library error."""
    return _most_specific(STATUS, error) or 500


def _one_line(error: BaseException) -> str:
    """The error's message on one line: an engine's message can span several."""
    return " ".join(part.strip() for part in str(error).splitlines() if part.strip())


def _documents_html(request: Request, status: int) -> bool:
    """Whether the route that failed documents an HTML page for this status."""
    route = request.scope.get("route")
    responses = getattr(route, "responses", None) or {}
    documented = responses.get(status) or responses.get(str(status)) or {}
    return "text/html" in documented.get("content", {})


async def library_error(request: Request, error: ReformkgError) -> Response:
    """Answer a library error with its status: JSON ``{"detail": …}``, or the error page for a browser."""
    status = status_of(error)
    message = _one_line(error)
    if status >= 500:
        log.warning("%s %s: %s (%s)", request.method, request.url.path, message, type(error).__name__)
    headers = {"Retry-After": retry} if (retry := _most_specific(RETRY_AFTER, error)) else None
    if _documents_html(request, status) and prefers_html(request.headers.get("accept")):
        title = _most_specific(TITLES, error) or "Error"
        context = {"title": title, "message": message}
        return render(request, "entity_error.html", context, status_code=status, headers=headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Make ``library_error`` answer every ReformkgError a route lets rise."""
    app.add_exception_handler(ReformkgError, library_error)
