"""Liveness: the server answers and the store answers."""

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from reformkg.api.deps import StoreDep
from reformkg.graph.errors import StoreError

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get(
    "/healthz",
    summary="Is the server and its store up?",
    responses={503: {"description": "the store does not answer"}},
)
def healthz(store: StoreDep):
    try:
        store.query("ASK {}")
    except StoreError as error:
        log.warning("health check: the store does not answer: %s", error)
        return JSONResponse({"status": "unavailable", "backend": store.backend}, status_code=503)
    return {"status": "ok", "backend": store.backend}
