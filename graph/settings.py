"""One settings object for the library, the CLI and the server; every field reads ``REFORMKG_<NAME>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph import PROJECT_ROOT


class Settings(BaseSettings):
    """reformkg settings. Each one is documented in the README's settings table (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="REFORMKG_", extra="ignore")

    store: str = Field(
        "var/store",
        description="Where the graph lives: a folder path (embedded on-disk Oxigraph), `memory` (in-memory "
        "Oxigraph, gone on exit) or the `http(s)://` query URL of a SPARQL 1.1 endpoint.",
    )
    update_url: str | None = Field(
        None,
        description="With an `http(s)://` store: the SPARQL 1.1 Update URL. Without it the remote store is read-only.",
    )
    http_timeout: float = Field(60.0, description="Seconds to wait for a remote SPARQL endpoint to answer.")
    host: str = Field("127.0.0.1", description="Address `reformkg serve` listens on.")
    port: int = Field(8000, description="Port `reformkg serve` listens on.")
    ontology_dir: Path = Field(
        PROJECT_ROOT / "ontology", description="Folder of the ontology and SHACL shapes that `reformkg build` loads."
    )
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Folder of curated data that `reformkg build` loads.")
    query_timeout: float = Field(
        10.0, description="Seconds a SPARQL query sent to `/sparql` may run; past it the query is stopped (503)."
    )
    query_workers: int = Field(
        4, description="Worker processes that run `/sparql` queries against an on-disk store (each can be stopped)."
    )
    result_limit: int = Field(
        10_000, description="Most solutions `/sparql` returns for a SELECT or CONSTRUCT without its own LIMIT."
    )
    max_body_bytes: int = Field(1_000_000, description="Largest request body `/sparql` accepts (413 past it).")
    update_token: str | None = Field(
        None,
        description="Bearer token that SPARQL updates to `/sparql` must carry; unset, updates are refused (403).",
    )
    progress_bytes: int = Field(
        4_000_000, description="Files larger than this many bytes show a progress bar while they load."
    )
