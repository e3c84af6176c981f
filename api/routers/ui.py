"""The query UI at ``/query``: YASGUI served from /static, with the named competency queries as example tabs.

Also what the other routers share: the autoescaping Jinja2 environment and ``render`` (a page in the reader's
language, with the site header), content negotiation, the error models their schemas document, and the pattern an
IRI given as a parameter must match.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pydantic import BaseModel, ConfigDict, Field

from reformkg.api import i18n, negotiation
from reformkg.graph import queries, views
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


def name_in(ref, lang: str) -> str:
    """A resource's name in a language, else in the other, else its page's last segment made readable."""
    if ref is None:
        return ""
    first, second = (ref.label_zh, ref.label_en) if lang == "zh" else (ref.label_en, ref.label_zh)
    return first or second or views.readable(ref.iri)


def _environment() -> Environment:
    # The page templates, then the library's (the graph views' markup, shared with ``views.render``).
    loader = ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(views.TEMPLATES)])
    env = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(page_url=page_url, short_name=short_name, name_in=name_in)
    env.filters["param"] = lambda value: quote(str(value), safe="")
    return env


templates = Jinja2Templates(env=_environment())

#: What a page's answer varies with: the format asked for, the language, and the language cookie.
VARY = "Accept, Accept-Language, Cookie"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    nav: str | None = None,
) -> HTMLResponse:
    """A page in the reader's language (``reformkg.api.i18n``), with the site header; ``nav`` marks the header's
    link to the page's section. An explicit ``?lang=`` is kept in a cookie for the next pages."""
    full = {"nav": nav, "q": None, **i18n.context(request), **context}
    response = templates.TemplateResponse(
        request, name, full, status_code=status_code, headers={**(headers or {}), "Vary": VARY}
    )
    i18n.remember(request, response)
    return response


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


SharedQuery = Annotated[str | None, Query(description="A SPARQL query to open in a new tab (shareable URL)")]


@router.get(
    "/query", response_class=HTMLResponse, summary="The query UI (YASGUI), with the competency questions as tabs"
)
def query_ui(request: Request, query: SharedQuery = None) -> HTMLResponse:
    """YASGUI over ``/sparql``; ``/query?query=…`` opens that query, so a query can be shared as a link."""
    t = i18n.translator(i18n.choose(request))
    context = {"examples": example_queries(), "shared_query": query, "title": t("query.title")}
    return render(request, "ui_index.html", context, nav="query")
