"""The query UI at ``/``: YASGUI served from /static, with the named competency queries as example tabs.

Also what the other routers share: the autoescaping Jinja2 environment, content negotiation, the error models their
schemas document, and the pattern an IRI given as a parameter must match.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel, ConfigDict, Field

from reformkg.api import negotiation
from reformkg.graph import queries
from reformkg.graph.entities import ID_BASE
from reformkg.graph.namespaces import PREFIXES as NAMESPACES

router = APIRouter(tags=["ui"])

#: An absolute IRI that can go between ``<>`` in SPARQL: a scheme, a colon, then none of the characters an IRIREF
#: forbids (``<>"{}|^`\`` and U+0000 to the space). Parameters declare it, so FastAPI answers 422 for anything else.
IRI_PATTERN = r'^[A-Za-z][A-Za-z0-9+.-]*:[^<>"{}|^`\\\x00-\x20]*$'


class Message(BaseModel):
    """An error, in words."""

    detail: str = Field(description="What went wrong")


class FieldError(BaseModel):
    """One parameter that failed validation (FastAPI's own shape)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="Where: the parameter's location and name")
    msg: str
    type: str


class ValidationFailure(BaseModel):
    """A 422: FastAPI's list of failed parameters, or a sentence when the handler itself refuses the value."""

    detail: str | list[FieldError]


def error_response(description: str, *, html: bool = False) -> dict[str, Any]:
    """An entry of a route's ``responses=``: a JSON ``{"detail": …}`` (and an HTML page for browsers if ``html``).

    The schema is written inline under ``application/json``, so it stays right on routes whose response class is
    not JSON (FastAPI files a ``model`` under the route's own media type, which for an HTML route is text/html).
    """
    content: dict[str, Any] = {"application/json": {"schema": Message.model_json_schema()}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Short names for IRIs on pages, longest namespace first so ``kb107:`` wins over ``src:``.
PREFIXES = sorted(NAMESPACES.items(), key=lambda item: -len(item[1]))


def page_url(iri: str) -> str:
    """Where an IRI's page is: ``/id/…`` for the IRIs reformkg mints, ``/entity?iri=…`` for any other."""
    if iri.startswith(ID_BASE):
        return "/id/" + quote(iri[len(ID_BASE) :], safe="/-._~")
    return "/entity?iri=" + quote(iri, safe="")


def short_name(iri: str) -> str:
    """``rko:ReformInitiative`` for the IRI, or the IRI itself when no known prefix fits."""
    for prefix, namespace in PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(page_url=page_url, short_name=short_name)
    env.filters["param"] = lambda value: quote(str(value), safe="")
    return env


templates = Jinja2Templates(env=_environment())


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the Accept header likes best (ties go to the earlier offer); None if none will do."""
    choice = negotiation.negotiate(accept, [(media, media) for media in offered])
    return choice[0] if choice else None


def example_queries() -> list[dict[str, str]]:
    """The named competency queries as example tabs: name, title (the first comment line), tab name and SPARQL."""
    examples = []
    for name in queries.examples():
        title = queries.title(name)
        tab = re.split(r"[,:;.(]", title, maxsplit=1)[0].strip() or name
        examples.append({"name": name, "title": title, "tab": tab, "query": queries.text(name)})
    return examples


@router.get("/", response_class=HTMLResponse, summary="The query UI (YASGUI), with the competency questions as tabs")
def query_ui(
    request: Request,
    query: Annotated[str | None, Query(description="A SPARQL query to open in a new tab (shareable URL)")] = None,
) -> HTMLResponse:
    """YASGUI over ``/sparql``; ``/?query=…`` opens that query, so a query can be shared as a link."""
    return templates.TemplateResponse(
        request, "ui_index.html", {"examples": example_queries(), "shared_query": query, "title": "Query"}
    )
