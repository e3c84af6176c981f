"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: queries, updates, content negotiation and clear 4xx errors.

Handlers read the request on the event loop and hand every store call to the thread pool (``run_in_threadpool``), so
a slow query never stalls the server. Users' queries run through the QueryExecutor, which stops them at the time limit.

What the protocol itself refuses (a repeated parameter, a method, a media type, a missing token) is an HTTPException
with its status. What the library refuses rises to the app's error handler (``reformkg.api.errors``): a query or
update that does not parse or that this server will not run is 400, and so is one the embedded engine runs and fails
on (CREATE of a graph that exists); a time-out or busy workers 503 with Retry-After, a failing remote endpoint or
federated query 502, any other store failure 503.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from reformkg.api.deps import require_update_token
from reformkg.api.errors import library_error
from reformkg.api.negotiation import negotiate, prefers_html
from reformkg.graph.errors import QuerySyntaxError, ReformkgError, RemoteError, RequestFailed, StoreError
from reformkg.graph.executor import QueryExecutor
from reformkg.graph.settings import Settings
from reformkg.graph.store import Store

router = APIRouter(tags=["sparql"])

#: What a SELECT or ASK answer can be sent as, in the server's order of preference.
RESULT_OFFERS = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
]
#: What a CONSTRUCT or DESCRIBE answer can be sent as.
GRAPH_OFFERS = [
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "xml"),
    ("application/trig", "trig"),
    ("application/n-quads", "nq"),
    ("application/x-turtle", "ttl"),
    ("text/plain", "nt"),
    ("application/json", "jsonld"),
    ("application/xml", "xml"),
]
SD = "http://www.w3.org/ns/sparql-service-description#"
FORM = "application/x-www-form-urlencoded"


@contextmanager
def _in_protocol_words(what: str, *, federated: bool = False, update: bool = False) -> Iterator[None]:
    """Let the library's errors rise, said for this request: which text does not parse, that a failed update changed
    nothing, and that a federated query that fails is a remote failure (502), whatever the engine made of it."""
    try:
        yield
    except QuerySyntaxError as error:
        raise QuerySyntaxError(f"the {what} does not parse: {error}") from None
    except StoreError as error:
        if type(error) not in (StoreError, RequestFailed):  # a kind of its own (time-out, refusal …) keeps its words
            raise
        outcome = "failed and changed nothing" if update else "failed"
        raise (RemoteError if federated else type(error))(f"the {what} {outcome}: {error}") from None


def _non_empty(values: list[str], name: str) -> list[str]:
    if any(not value for value in values):
        raise HTTPException(400, f"the {name} parameter is empty")
    return values


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise HTTPException(400, f"give the {name} parameter once, not {len(values)} times")
    return values[0] if values else None


@functools.lru_cache(maxsize=256)
def _choice(graph: bool, accept: str | None) -> tuple[str, str] | None:
    """``negotiate`` for a query's answer, remembered for Accept headers up to 512 characters: clients send the same
    few again and again."""
    return negotiate(accept, GRAPH_OFFERS if graph else RESULT_OFFERS)


def _negotiate_query(form: str | None, accept: str | None) -> tuple[dict[str, str], str]:
    """The formats to serialise in and the media type to answer with; 406 when the client accepts none."""
    graph = form in ("construct", "describe")
    offers = GRAPH_OFFERS if graph else RESULT_OFFERS
    choice = _choice(graph, accept) if accept is None or len(accept) <= 512 else negotiate(accept, offers)
    if choice is None:
        kinds = "RDF graphs" if graph else "SPARQL results"
        served = ", ".join(sorted({m for m, _ in offers}))
        raise HTTPException(406, f"cannot answer {kinds} as {accept!r}; acceptable: {served}")
    media, name = choice
    formats = {"results": name if not graph else "json", "graph": name if graph else "ttl"}
    return formats, media


#: Texts up to this length are checked by the guard on the event loop (a few hundred microseconds at most); longer ones
#: in a thread, so that a 100,000-character text never holds up other requests.
INLINE_CHECK_CHARS = 4_000


def _prepare_query(
    executor: QueryExecutor, sparql: str, scan, accept: str | None, graphs: list[str]
) -> tuple[dict[str, str], str]:
    """What a query's answer is serialised in and sent as (406 when the client accepts none of them); 400 for a
    dataset graph that is not an IRI."""
    formats, media = _negotiate_query(scan.form, accept)
    for graph in graphs:
        try:
            ox.NamedNode(graph)
        except ValueError as error:
            raise HTTPException(400, f"graph {graph!r} is not an absolute IRI: {error}") from None
    return formats, media


async def _answer_query(
    executor: QueryExecutor,
    sparql: str,
    scan,
    formats: dict[str, str],
    media: str,
    default_graphs: list[str],
    named_graphs: list[str],
) -> Response:
    with _in_protocol_words("query", federated=bool(scan.services) or executor.store.backend == "remote"):
        answer = await executor.query_async(
            sparql, formats, default_graphs=default_graphs or None, named_graphs=named_graphs or None, scan=scan
        )
    headers = {"Vary": "Accept"}
    if answer.limited:
        headers["X-Reformkg-Row-Limit"] = str(executor.row_limit)
    if media.startswith("text/") and "charset" not in media:
        media = f"{media}; charset=utf-8"
    return Response(answer.body, media_type=media, headers=headers)


async def _run_query(
    executor: QueryExecutor,
    sparql: str,
    accept: str | None,
    default_graphs: list[str],
    named_graphs: list[str],
) -> Response:
    with _in_protocol_words("query"):
        if len(sparql) <= INLINE_CHECK_CHARS:
            scan = executor.check(sparql)
        else:
            scan = await run_in_threadpool(executor.check, sparql)
    formats, media = _prepare_query(executor, sparql, scan, accept, default_graphs + named_graphs)
    return await _answer_query(executor, sparql, scan, formats, media, default_graphs, named_graphs)


#: A query string that is exactly ``query=…``, percent-encoded, in printable ASCII with no ``=``: its text is decoded
#: at C speed (``query_text``).
_PLAIN_QUERY = re.compile(rb"query=[^%=&\x00-\x20\x7f-\xff]*(?:%[0-9A-Fa-f]{2}[^%=&\x00-\x20\x7f-\xff]*)*")


def query_text(query_string: bytes) -> str | None:
    """The text of a query string that has one parameter, ``query``, as ``parse_qsl`` reads it; None for any other.

    ``parse_qsl`` decodes escapes in Python, a quarter of a millisecond for a point lookup with its PREFIX lines on
    an idle machine. A plain one (``_PLAIN_QUERY``) is decoded by the quoted-printable decoder instead, which reads
    ``=XX`` escapes in C: every ``%`` becomes ``=`` (the text has none of its own) and every ``+`` the escape of a
    space. A test compares the two readings on generated query strings."""
    if _PLAIN_QUERY.fullmatch(query_string) is not None:
        escaped = query_string[6:].replace(b"+", b"=20").replace(b"%", b"=")
        return binascii.a2b_qp(escaped).decode("utf-8", "replace")
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return pairs[0][1] if len(pairs) == 1 and pairs[0][0] == "query" else None


async def quick_answer(app, scope) -> Response | None:
    """The answer to ``GET /sparql?query=…`` with that one parameter, a short text the guard admits and a format
    the client accepts, made without Starlette's middleware, the router, the route's dependency machinery and the
    exception layers, which cost about as much as a light query itself (``ReformkgApp`` asks before any of them).
    It runs the route's own steps (``_prepare_query``, ``_answer_query``); what the library raises while the query
    runs is answered by the app's own handler. None for any other request, for any request these steps refuse before
    the query runs, and for any other failure: the app then answers it and says what is wrong, as for every request."""
    sparql = query_text(scope["query_string"])
    if sparql is None or not 0 < len(sparql) <= INLINE_CHECK_CHARS:
        return None
    executor: QueryExecutor = app.state.executor
    accept = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"accept"), None)
    try:
        scan = executor.check(sparql)
        formats, media = _prepare_query(executor, sparql, scan, accept, [])
    except (HTTPException, ReformkgError):
        return None
    try:
        return await _answer_query(executor, sparql, scan, formats, media, [], [])
    except ReformkgError as error:
        return await library_error(Request(scope), error)
    except Exception:
        return None


def _run_update(
    executor: QueryExecutor,
    settings: Settings,
    update: str,
    authorization: str | None,
    using_graphs: list[str],
) -> Response:
    require_update_token(settings, authorization)
    with _in_protocol_words("update", update=True):
        if using_graphs:
            if "USING" in executor.check(update, update=True).keywords:
                raise HTTPException(400, "using-graph-uri and using-named-graph-uri cannot go with a USING clause")
            raise HTTPException(400, "using-graph-uri and using-named-graph-uri are not supported: write USING clauses")
        executor.update(update)
    return Response(status_code=204)


def service_description(request: Request, store: Store, settings: Settings, accept: str | None) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, as Turtle or RDF/XML."""
    choice = negotiate(
        accept, [("text/turtle", "ttl"), ("application/rdf+xml", "xml"), ("application/n-triples", "nt")]
    )
    if choice is None:
        raise HTTPException(406, "the service description is served as text/turtle or application/rdf+xml")
    endpoint = ox.NamedNode(str(request.url.replace(query="")))
    service = ox.BlankNode()
    dataset = ox.BlankNode()
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), endpoint),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
    ]
    if settings.update_token:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for media in sorted({m for m, _ in RESULT_OFFERS[:4] + GRAPH_OFFERS[:6]}):
        triples.append(ox.Triple(service, sd("resultFormat"), ox.Literal(media)))
    for graph in store.graphs():
        named = ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, sd("name"), ox.NamedNode(graph)),
        ]
    media, name = choice
    body = ox.serialize(
        triples, format={"ttl": ox.RdfFormat.TURTLE, "xml": ox.RdfFormat.RDF_XML}.get(name, ox.RdfFormat.N_TRIPLES)
    )
    return Response(body, media_type=media, headers={"Vary": "Accept"})


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query by GET",
    response_class=Response,
    openapi_extra={
        "parameters": [
            {
                "name": "query",
                "in": "query",
                "required": False,
                "description": "A SPARQL 1.1 query (exactly once)",
                "schema": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
            {
                "name": "default-graph-uri",
                "in": "query",
                "required": False,
                "description": "IRI of a graph for the default graph",
                "schema": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
            {
                "name": "named-graph-uri",
                "in": "query",
                "required": False,
                "description": "IRI of a graph the query may name",
                "schema": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        ]
    },
    responses={
        200: {"description": "SELECT/ASK as SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT/DESCRIBE as RDF"},
        400: {"description": "a bad request: a query that does not parse, a repeated parameter"},
        406: {"description": "no acceptable format for this kind of answer"},
        502: {"description": "the remote store, or a SERVICE of a federated query, failed"},
        503: {"description": "the query ran past the time limit, the workers are busy, or the store failed"},
    },
)
async def sparql_get(request: Request) -> Response:
    """Answer ``?query=``; without a query, the service description (or the query UI for a browser)."""
    # The parameters are read here rather than declared (they are documented in openapi_extra): FastAPI's dependency
    # and validation machinery cost about as much as the rest of a short query's path.
    params = request.query_params
    app = request.app
    if params.getlist("update"):
        raise HTTPException(400, "updates must be sent by POST, not GET")
    text = _one(_non_empty(params.getlist("query"), "query"), "query")
    default_graphs = _non_empty(params.getlist("default-graph-uri"), "default-graph-uri")
    named_graphs = _non_empty(params.getlist("named-graph-uri"), "named-graph-uri")
    accept = request.headers.get("accept")
    if text is None and (default_graphs or named_graphs):
        raise HTTPException(400, "default-graph-uri and named-graph-uri go with a query; no query was given")
    if text is None:
        if prefers_html(accept):
            return RedirectResponse("/query", status_code=303)
        return await run_in_threadpool(service_description, request, app.state.store, app.state.settings, accept)
    return await _run_query(app.state.executor, text, accept, default_graphs, named_graphs)


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query or update by POST",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {"query": {"type": "string"}, "update": {"type": "string"}},
                    }
                },
                "application/sparql-query": {"schema": {"type": "string"}},
                "application/sparql-update": {"schema": {"type": "string"}},
            }
        }
    },
    responses={
        204: {"description": "the update was applied"},
        400: {"description": "a bad request: no or repeated query/update, a body that is not UTF-8, a syntax error"},
        401: {"description": "an update without the right bearer token"},
        403: {"description": "updates are disabled"},
        406: {"description": "no acceptable format for this kind of answer"},
        413: {"description": "the request body is too large"},
        415: {"description": "a Content-Type the protocol does not define"},
        502: {"description": "the remote store, or a SERVICE of a federated query, failed"},
        503: {"description": "the query ran past the time limit, the workers are busy, or the store failed"},
    },
)
async def sparql_post(request: Request) -> Response:
    """Run a query (form ``query=`` or ``application/sparql-query``) or an update (form ``update=`` or
    ``application/sparql-update``)."""
    executor: QueryExecutor = request.app.state.executor
    settings: Settings = request.app.state.settings
    headers = request.headers
    accept, authorization, content_type = (
        headers.get("accept"),
        headers.get("authorization"),
        headers.get("content-type"),
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise HTTPException(413, f"the request body is larger than {settings.max_body_bytes} bytes")
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise HTTPException(413, f"the request body is larger than {settings.max_body_bytes} bytes")
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = next(
        (
            p.split("=", 1)[1].strip().strip('"').lower()
            for p in parameters.split(";")
            if p.strip().lower().startswith("charset=")
        ),
        "utf-8",
    )
    if not media:
        raise HTTPException(
            400,
            "a POST needs a Content-Type: application/x-www-form-urlencoded, "
            "application/sparql-query or application/sparql-update",
        )
    if charset not in ("utf-8", "utf8"):
        raise HTTPException(415, f"the body must be UTF-8, not {charset}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPException(400, f"the body is not UTF-8 (byte {error.start})") from None
    url_params = request.query_params
    if media == FORM:
        try:
            fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        except UnicodeDecodeError:
            raise HTTPException(400, "the form body is not UTF-8 once percent-decoded") from None
        except ValueError as error:
            raise HTTPException(400, f"the form body does not parse: {error}") from None
        queries, updates = fields.get("query", []), fields.get("update", [])
        get = fields.get
    elif media == "application/sparql-query":
        queries, updates, get = [text], [], lambda name, default=None: url_params.getlist(name) or default
    elif media == "application/sparql-update":
        queries, updates, get = [], [text], lambda name, default=None: url_params.getlist(name) or default
    else:
        raise HTTPException(
            415,
            f"unsupported Content-Type {media!r}; use {FORM}, application/sparql-query or application/sparql-update",
        )
    if queries and updates:
        raise HTTPException(400, "give a query or an update, not both")
    if not queries and not updates:
        raise HTTPException(400, "no query or update in the request")
    if updates:
        update = _one(updates, "update")
        using = (get("using-graph-uri") or []) + (get("using-named-graph-uri") or [])
        return await run_in_threadpool(_run_update, executor, settings, update, authorization, using)
    query = _one(queries, "query")
    default_graphs = _non_empty(get("default-graph-uri") or [], "default-graph-uri")
    named_graphs = _non_empty(get("named-graph-uri") or [], "named-graph-uri")
    return await _run_query(executor, query, accept, default_graphs, named_graphs)


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False)
def sparql_wrong_method(request: Request) -> Response:
    """The protocol defines GET and POST only; say so, with the Allow header listing both."""
    message = f"{request.method} is not part of the SPARQL protocol: use GET or POST"
    raise HTTPException(405, message, {"Allow": "GET, POST"})
