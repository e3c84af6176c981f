"""Entity pages: every IRI reformkg mints dereferences, as HTML for people and Turtle or JSON-LD for programs.

A string that cannot be an IRI (InvalidIri, 400) and an IRI the graph holds nothing about (UnknownEntity, 404) are
answered by the app's error handler: an HTML page for a browser, JSON otherwise, as ``RESPONSES`` documents.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import error_response, negotiate, page_url, render
from reformkg.graph import entities, reforms
from reformkg.graph.entities import ID_BASE
from reformkg.graph.errors import UnknownEntity
from reformkg.graph.projection import LocalProjection
from reformkg.graph.store import Store
from reformkg.graph.tracing import REFORM_CLASSES

router = APIRouter(tags=["entities"])

#: What an entity answers with, by media type, and the result format that writes it.
RDF_MEDIA = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt"}
OFFERED = ["text/html", *RDF_MEDIA]
#: ``?format=`` overrides the Accept header, so a link can name a format.
FORMAT_PARAM = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}

FormatParam = Annotated[
    str | None,
    Query(description="Override the Accept header: html, ttl, jsonld or nt", pattern="^(html|ttl|jsonld|nt)$"),
]
RESPONSES = {
    200: {
        "description": "The entity: an HTML page, or its triples (outgoing, blank nodes it points at, incoming)",
        "content": {media: {} for media in OFFERED},
    },
    400: error_response("Not an absolute IRI that can be looked up (as HTML for a browser)", html=True),
    404: error_response("The store holds no triple about this IRI (as HTML for a browser)", html=True),
    406: error_response("None of text/html, text/turtle, application/ld+json, application/n-triples is acceptable"),
}


def entity_response(request: Request, store: Store, iri: str, fmt: str | None) -> Response:
    """The entity's page or triples, as the Accept header (or ``?format=``) asks."""
    media = FORMAT_PARAM[fmt] if fmt else negotiate(request.headers.get("accept"), OFFERED)
    if not entities.exists(store, iri):
        raise UnknownEntity(iri, f"no entity {iri}: the graph holds no triple about it")
    if media is None:
        supported = ", ".join(OFFERED)
        return JSONResponse({"detail": f"cannot answer in any type the request accepts; try {supported}"}, 406)
    headers = {"Vary": "Accept"}
    if media == "text/html":
        description = entities.describe(store, iri)
        _fill_labels(store, description)
        context = {"title": description.label, "entity": description, "page_url": page_url}
        if REFORM_CLASSES & {t.value for t in description.types}:
            context["record"] = reforms.reform_record(store, iri)
            return render(request, "reform.html", context, headers=headers, nav="reforms")
        return render(request, "entity.html", context, headers=headers)
    body = entities.triples(store, iri).serialize(RDF_MEDIA[media])
    return Response(body, media_type=media, headers=headers)


def _fill_labels(store: Store, description: entities.Description) -> None:
    """Give the linked resources that have no label of their own a human one (a status record reads "通过验收 ·
    2017-08-01"), as the projection labels them: read for these links only, so a page never waits for the whole
    projection."""
    links = [link.value for link in [*description.properties, *description.incoming]]
    unlabelled = [term for term in links if term.kind == "iri" and not (term.label_zh or term.label_en)]
    proj = LocalProjection(store)
    proj.describe(term.value for term in unlabelled)
    for term in unlabelled:
        data = proj.node_data(term.value)
        if data:
            term.label_zh, term.label_en = data.get("label_zh") or None, data.get("label_en") or None


@router.get(
    "/id/{path:path}",
    summary="Dereference an IRI reformkg minted (https://w3id.org/reformkg/id/…)",
    responses=RESPONSES,
    response_class=Response,
)
def minted_entity(path: str, request: Request, store: StoreDep, format: FormatParam = None) -> Response:
    """HTML with labels, properties, incoming links and source sentences; Turtle or JSON-LD by Accept.

    A path that cannot end an IRI (a control character, ``<``, ``>``, a bad percent-escape …): 400."""
    return entity_response(request, store, ID_BASE + path, format)


@router.get("/entity", summary="Describe any IRI in the graph", responses=RESPONSES, response_class=Response)
def any_entity(
    request: Request,
    store: StoreDep,
    iri: Annotated[str, Query(description="The IRI to describe", min_length=1)],
    format: FormatParam = None,
) -> Response:
    """Like ``/id/…``, for IRIs reformkg did not mint (ontology terms, vocabularies)."""
    return entity_response(request, store, iri, format)
