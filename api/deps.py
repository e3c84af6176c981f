"""Shared dependencies as typed aliases."""

from typing import Annotated

from fastapi import Depends, Request

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
