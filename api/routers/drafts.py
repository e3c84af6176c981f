"""Reviewing drafts in the browser: ``/drafts`` lists the drafts under ``REFORMKG_DRAFTS_DIR``, ``/drafts/{name}``
shows each fact a draft proposes beside its sentence, and a POST there saves the reviewer's decisions with the
draft (``review.json``) and, asked to, accepts the issue as ``reformkg accept`` does.

A draft is named by its folder's name under the drafts directory (``reformkg.graph.ingest.drafts``): no path a
request sends is read. Saving and accepting need the update token, as SPARQL updates do (in the Authorization
header, or in the form's token field, since a plain HTML form cannot send a header). The page works without
JavaScript: one form, a radio group and three fields per fact.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Header, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reformkg.api import i18n
from reformkg.api.deps import ExecutorDep, SettingsDep, StoreDep, require_update_token
from reformkg.api.routers.ui import error_response, render
from reformkg.graph.errors import NotFound
from reformkg.graph.ingest import acceptance, drafts, review
from reformkg.graph.ingest.names import resolve_issue_graph

router = APIRouter(tags=["review"])
FORM = "application/x-www-form-urlencoded"
STAGES = ("launched", "policy-issued", "pilot", "in-progress", "accepted", "deepening", "ended")
DraftName = Annotated[str, Path(description="The draft's folder name under REFORMKG_DRAFTS_DIR", max_length=100)]


class ReviewOff(NotFound):
    """The server has no drafts directory."""


def _drafts_dir(settings):
    if settings.drafts_dir is None:
        raise ReviewOff("the review pages are off: set REFORMKG_DRAFTS_DIR to a folder of drafts")
    return settings.drafts_dir


@router.get(
    "/drafts",
    response_class=HTMLResponse,
    summary="The drafts waiting for review, with how far each has come",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def drafts_list(request: Request, store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    """Each draft folder under REFORMKG_DRAFTS_DIR: not reviewed, reviewed n of m, or accepted."""
    t = i18n.translator(i18n.choose(request))
    if settings.drafts_dir is None:
        return render(request, "drafts.html", {"title": t("review.drafts"), "off": True}, nav="drafts")
    found = drafts.list_drafts(settings.drafts_dir, store)
    return render(request, "drafts.html", {"title": t("review.drafts"), "drafts": found}, nav="drafts")


def _page(request: Request, store, settings, name: str, status_code: int = 200, **extra) -> HTMLResponse:
    folder = drafts.draft_folder(_drafts_dir(settings), name)
    graph = acceptance.read_draft(folder / "draft.ttl")
    issue = acceptance.draft_issue(graph, folder / "draft.ttl")
    facts = review.draft_facts(graph, store)
    decisions = review.read_review(folder)
    counts = review.review_counts(facts, decisions)
    target = resolve_issue_graph(issue)
    title = _issue_label(graph, issue) or name
    context: dict[str, Any] = {
        "title": title,
        "name": name,
        "issue": issue,
        "facts": facts,
        "decisions": decisions,
        "counts": counts,
        "graph_iri": target,
        "accepted_triples": store.count(target),
        "stages": STAGES,
        **extra,
    }
    return render(request, "draft_review.html", context, status_code=status_code, nav="drafts")


def _issue_label(graph, issue: str) -> str:
    from rdflib import RDFS, URIRef

    return next((str(v) for v in graph.objects(URIRef(issue), RDFS.label)), "")


@router.get(
    "/drafts/{name}",
    response_class=HTMLResponse,
    summary="A draft's facts beside their sentences, with the reviewer's decisions",
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        404: error_response("No such draft, or the review pages are off", html=True),
    },
)
def draft_page(name: DraftName, request: Request, store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    """The review page: header fields, items, owners, status records, new entities, measures and figures, each with
    its sentence and the span that says it, and the form that saves decisions and accepts the issue."""
    return _page(request, store, settings, name, done=request.query_params.get("done"))


def _decisions(fields: dict[str, list[str]], facts: list[review.Fact], saved: dict) -> dict[str, review.Decision]:
    """The decisions a form sends, over those saved: per fact ``decision.<id>`` (accept, reject, or empty for not
    yet), ``label.<id>``, ``link.<id>``, ``value.<id>``; a field that repeats the proposal is no edit."""
    by_id = {f.id: f for f in facts}
    sent: dict[str, dict[str, str]] = {}
    for key, values in fields.items():
        kind, dot, ident = key.partition(".")
        if kind in ("action", "token") and not dot:
            continue
        if kind not in ("decision", *review.EDITS) or not dot:
            raise review.ReviewError(f"the form field {key[:80]!r} is not one the review page sends")
        if ident not in by_id:
            raise review.ReviewError(f"no fact {ident[:120]!r} in this draft")
        if len(values) > 1:
            raise review.ReviewError(f"fact {ident}: {kind} given {len(values)} times")
        sent.setdefault(ident, {})[kind] = values[0]
    decisions = dict(saved)
    for ident, given in sent.items():
        fact = by_id[ident]
        choice = given.get("decision", "").strip()
        if choice not in ("", *review.DECISIONS):
            raise review.ReviewError(f"fact {ident}: the decision is accept or reject, not {choice[:40]!r}")
        proposed = {"label": fact.label, "value": fact.value, "link": ""}
        edits = {
            e: given[e].strip()
            for e in review.EDITS
            if e in given and given[e].strip() and given[e].strip() != proposed[e] and given[e].strip() != fact.link
        }
        if choice == "reject":
            decisions[ident] = review.Decision("reject")
        elif choice == "accept" or edits:
            decisions[ident] = review.Decision("accept", **edits)
        else:
            decisions.pop(ident, None)
    return decisions


@router.post(
    "/drafts/{name}",
    response_class=HTMLResponse,
    summary="Save a draft's review decisions, and accept its issue",
    openapi_extra={
        "requestBody": {
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "action": {"type": "string", "enum": ["save", "accept"]},
                            "token": {"type": "string"},
                        },
                        "additionalProperties": {"type": "string"},
                    }
                }
            }
        }
    },
    responses={
        303: {"description": "saved (and accepted): back to the draft's page"},
        400: error_response("An unknown fact, a value that is not a number, a link to nothing …", html=True),
        401: error_response("The update token is missing or wrong"),
        403: error_response("Writes are off: no REFORMKG_UPDATE_TOKEN"),
        404: error_response("No such draft, or the review pages are off", html=True),
        413: error_response("The form is too large"),
        415: error_response("Not a form"),
        503: error_response("The store is busy"),
    },
)
async def draft_review(
    name: DraftName,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    executor: ExecutorDep,
    authorization: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    """Check the decisions (400 naming the fact, nothing saved), save them in the draft's review.json, and with
    ``action=accept`` accept the issue as ``reformkg accept`` does (400 naming the constraint, nothing loaded)."""
    folder = drafts.draft_folder(_drafts_dir(settings), name)
    if (content_type or "").split(";")[0].strip().lower() != FORM:
        raise HTTPException(415, f"send the review as {FORM}")
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise HTTPException(413, f"the request body is larger than {settings.max_body_bytes} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the form body is not UTF-8 form data") from None
    tokens = fields.get("token") or [None]
    require_update_token(settings, authorization, tokens[0])
    action = (fields.get("action") or ["save"])[0]
    if action not in ("save", "accept"):
        raise HTTPException(400, f"action is save or accept, not {action[:40]!r}")
    return await run_in_threadpool(_save_and_accept, folder, fields, store, executor, action, name)


def _save_and_accept(folder, fields, store, executor, action: str, name: str) -> Response:
    graph = acceptance.read_draft(folder / "draft.ttl")
    facts = review.draft_facts(graph, store)
    decisions = _decisions(fields, facts, review.read_review(folder))
    checked = review.check_decisions(facts, decisions, store)
    review.save_review(folder, checked)
    if action == "accept":
        acceptance.accept(folder, store, write=executor.write)
    return RedirectResponse(f"/drafts/{quote(name)}?done={'accepted' if action == 'accept' else 'saved'}", 303)


@router.api_route("/drafts/{name}", methods=["PUT", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False)
def draft_wrong_method(name: str, request: Request) -> Response:
    """A draft's page is read by GET and reviewed by POST; say so, with the Allow header listing both."""
    message = f"{request.method} is not how a draft is reviewed: use GET or POST"
    raise HTTPException(405, message, {"Allow": "GET, POST"})
