"""Liveness: the server answers and the store answers."""

from fastapi import APIRouter

from api.deps import StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Is the server and its store up?")
def healthz(store: StoreDep) -> dict:
    store.query("ASK {}")
    return {"status": "ok", "backend": store.backend}
