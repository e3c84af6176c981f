"""Search entities by label (Chinese, English, pinyin with or without tones, variant spellings): JSON or HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from reformkg.api.deps import StoreDep
from reformkg.api.routers.ui import ValidationFailure, negotiate, page_url, render
from reformkg.graph.search import EmptyQuery, Hit, search

router = APIRouter(tags=["search"])

EMPTY = "q must contain at least one letter, digit or character to search for"


class SearchHit(BaseModel):
    """One entity that matches, with the label it matched by."""

    iri: str
    label_zh: str | None = Field(description="The entity's Chinese label")
    label_en: str | None = Field(description="The entity's English label")
    type: str | None = Field(description="The entity's class")
    type_label: str | None = Field(description="The class's English label")
    type_label_zh: str | None = Field(description="The class's Chinese label (the English one when it has none)")
    kind: str = Field(description="`entity` (minted by reformkg) or `concept` (SKOS concepts and ontology terms)")
    page: str = Field(description="The entity's page on this server")
    matched: str = Field(description="The label the query matched")
    score: float = Field(description="Higher is better: exact > prefix > substring, entities before concepts")


class SearchResults(BaseModel):
    query: str
    results: list[SearchHit]


class Suggestion(BaseModel):
    label: str = Field(description="What to show: the zh label, then the en one")
    iri: str
    page: str
    type_label: str | None
    type_label_zh: str | None


def _hit(hit: Hit) -> SearchHit:
    return SearchHit(page=page_url(hit.iri), **hit.__dict__)


def _search(store, q: str, limit: int) -> list[Hit]:
    """The hits, or a 422 for a q with nothing to search for. EmptyQuery is an InputError, which the app's handler
    would answer 400; here it is a parameter that fails validation, so it gets FastAPI's 422 like the others."""
    try:
        return search(store, q, limit)
    except EmptyQuery:
        raise HTTPException(422, EMPTY) from None


Q = Annotated[str | None, Query(description="What to look for: 禄丰村, Lufengcun, Lùfēngcūn, lu feng cun …")]

#: A 422 is FastAPI's list of failed parameters, or the sentence above when q holds nothing to search for.
REFUSED = {
    "model": ValidationFailure,
    "description": "q is missing, or holds nothing to search for (only spaces or punctuation)",
}


@router.get(
    "/search",
    summary="Find entities by label in Chinese, English or pinyin",
    response_model=SearchResults,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        422: {**REFUSED, "content": {"text/html": {"schema": {"type": "string"}}}},
    },
)
def search_entities(
    request: Request,
    store: StoreDep,
    q: Q = None,
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many results")] = 20,
) -> SearchResults | Response:
    """JSON by default; an HTML page when the request prefers text/html (a browser)."""
    html = negotiate(request.headers.get("accept"), ["application/json", "text/html"]) == "text/html"
    if html:
        context = {"title": "Search", "q": q, "results": [], "message": None}
        status = 200
        if q is not None:
            try:
                context["results"] = [_hit(h) for h in search(store, q, limit)]
            except EmptyQuery:
                context["message"], status = EMPTY, 422
        return render(request, "search.html", context, status_code=status)
    if q is None:
        raise HTTPException(422, EMPTY)
    return SearchResults(query=q, results=[_hit(h) for h in _search(store, q, limit)])


@router.get(
    "/search/suggest",
    summary="Autocomplete: a few entities whose labels match",
    response_model=list[Suggestion],
    responses={422: REFUSED},
)
def suggest(
    store: StoreDep,
    q: Annotated[str, Query(min_length=1, description="What has been typed so far")],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[Suggestion]:
    return [
        Suggestion(
            label=" · ".join(x for x in (h.label_zh, h.label_en) if x) or h.matched,
            iri=h.iri,
            page=page_url(h.iri),
            type_label=h.type_label,
            type_label_zh=h.type_label_zh,
        )
        for h in _search(store, q, limit)
    ]
