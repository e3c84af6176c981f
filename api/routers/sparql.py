"""The SPARQL endpoint. Handlers are plain ``def``: FastAPI runs them in its thread pool, off the event loop."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from api.deps import StoreDep
from graph.store import QuerySyntaxError, StoreError

router = APIRouter(tags=["sparql"])

MEDIA = {"json": "application/sparql-results+json", "ttl": "text/turtle"}


@router.get("/sparql", summary="Run a SPARQL 1.1 query (GET ?query=)")
def sparql_get(store: StoreDep, query: Annotated[str, Query(description="A SPARQL 1.1 query")]) -> Response:
    """Answer SELECT and ASK as SPARQL JSON, CONSTRUCT and DESCRIBE as Turtle."""
    try:
        result = store.query(query)
        fmt = "ttl" if result.kind == "graph" else "json"
        return Response(result.serialize(fmt), media_type=MEDIA[fmt])
    except QuerySyntaxError as error:
        raise HTTPException(400, f"query does not parse: {error}") from None
    except StoreError as error:
        raise HTTPException(502 if store.backend == "remote" else 400, str(error)) from None
