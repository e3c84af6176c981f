"""Shared dependencies as typed aliases."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from reformkg.graph.executor import QueryExecutor
from reformkg.graph.settings import Settings
from reformkg.graph.store import Store


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_executor(request: Request) -> QueryExecutor:
    return request.app.state.executor


StoreDep = Annotated[Store, Depends(get_store)]
ExecutorDep = Annotated[QueryExecutor, Depends(get_executor)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_update_token(settings: Settings, authorization: str | None, token: str | None = None) -> None:
    """Writes need the update token: ``Authorization: Bearer <token>``, or (from a page's form) the token itself.
    403 when the server has none configured (writes are off), 401 when it is missing or wrong."""
    if not settings.update_token:
        raise HTTPException(403, "updates are disabled on this server (set REFORMKG_UPDATE_TOKEN to allow them)")
    scheme, _, sent = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), settings.update_token.encode()):
        return
    if token is not None and hmac.compare_digest(token.strip().encode(), settings.update_token.encode()):
        return
    raise HTTPException(401, "an update needs 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"})
