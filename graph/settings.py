"""One settings object for the library, the CLI and the server; every field reads ``REFORMKG_<NAME>``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from reformkg.graph import data_dir, ontology_dir


def default_store() -> str:
    """The per-user store folder, the same from any working folder: ``$XDG_DATA_HOME/reformkg/store``, where
    XDG_DATA_HOME defaults to ``~/.local/share`` (a relative XDG_DATA_HOME is ignored, as the XDG spec says)."""
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else Path.home() / ".local" / "share"
    return str(base / "reformkg" / "store")


class Settings(BaseSettings):
    """reformkg settings. Each one is documented in the README's settings table (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="REFORMKG_", extra="ignore")

    store: str = Field(
        default_factory=default_store,
        description="Where the graph lives: a folder path (embedded on-disk Oxigraph; a relative path is relative to "
        "the working folder), `memory` (in-memory Oxigraph, gone on exit) or the `http(s)://` query URL of a SPARQL "
        "1.1 endpoint. Unset, the per-user folder `$XDG_DATA_HOME/reformkg/store` (`~/.local/share/reformkg/store`), "
        "so the command line reaches the same data from any folder.",
    )
    update_url: str | None = Field(
        None,
        description="With an `http(s)://` store: the SPARQL 1.1 Update URL. Without it the remote store is read-only.",
    )
    gsp_url: str | None = Field(
        None,
        description="With an `http(s)://` store: its SPARQL 1.1 Graph Store Protocol URL (Virtuoso's "
        "`/sparql-graph-crud`, Oxigraph's `/store`, Fuseki's `/data`). Loads go through it and keep blank nodes; "
        "without it they are SPARQL Update `INSERT DATA`, with blank nodes skolemised where the engine refuses them.",
    )
    load_chunk_triples: int = Field(
        20_000,
        gt=0,
        description="With an `http(s)://` store: about how many triples one load request sends (a request never "
        "splits the triples that share a blank node). Lower it for an engine that limits request sizes.",
    )
    http_timeout: float = Field(60.0, description="Seconds to wait for a remote SPARQL endpoint to answer.")
    host: str = Field("127.0.0.1", description="Address `reformkg serve` listens on.")
    port: int = Field(8000, description="Port `reformkg serve` listens on.")
    access_log: bool = Field(
        False,
        description="Log a line per request (uvicorn's access log). Off by default: at hundreds of requests a second "
        "the log costs a noticeable share of each short request; a proxy in front usually keeps one.",
    )
    warm_ranking: bool = Field(
        True,
        description="When the server starts on an on-disk store, make the agency ranking on a thread of low priority "
        "before anyone asks for it (from the typed part kept beside the store when there is one), so the first visitor "
        "to the ranking does not wait for its read from nothing (seconds on a large store).",
    )
    ontology_dir: Path = Field(
        default_factory=ontology_dir,
        description="Folder of the ontology and SHACL shapes that `reformkg build` loads. Unset, the ontology "
        "shipped in the package.",
    )
    data_dir: Path = Field(
        default_factory=data_dir,
        description="Folder of curated data that `reformkg build` loads. Unset, the seed data shipped in the package.",
    )
    query_timeout: float = Field(
        10.0, description="Seconds a SPARQL query sent to `/sparql` may run; past it the query is stopped (503)."
    )
    query_workers: int = Field(
        4,
        description="How many `/sparql` queries may run long (past a quarter second) at once; a further long one is "
        "stopped (503) so that short queries stay quick. On disk each query runs in a worker process that can be "
        "stopped, and two more workers are kept for short queries.",
    )
    result_limit: int = Field(
        10_000,
        description="Most solutions (SELECT) or triples (CONSTRUCT, DESCRIBE) one `/sparql` answer holds; the "
        "`X-Reformkg-Row-Limit` header says when more were left out. 0: no cap.",
    )
    query_max_chars: int = Field(
        100_000,
        description="Longest query `/sparql` runs, in characters (400 past it); updates are bounded by "
        "`REFORMKG_MAX_BODY_BYTES`.",
    )
    query_max_depth: int = Field(
        64, description="Deepest nesting of `{ }`, `( )` and `[ ]` a query or update sent to `/sparql` may have (400)."
    )
    query_max_operators: int = Field(
        5_000,
        description="Most operators and keywords (everything but names, values and `.`, `,`, `;`) a query or update "
        "sent to `/sparql` may have (400). Engines parse recursively: this and the nesting limit keep a short text "
        "from exhausting their stack.",
    )
    service_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (`example.org`) or IRI prefixes (`https://example.org/sparql`) that `SERVICE` in a query "
        "and `LOAD` in an update may reach, comma-separated; empty (the default), federation and LOAD are refused.",
    )
    max_body_bytes: int = Field(1_000_000, description="Largest request body `/sparql` accepts (413 past it).")
    update_token: str | None = Field(
        None,
        description="Bearer token that SPARQL updates to `/sparql` must carry; unset, updates are refused (403).",
    )
    drafts_dir: Path | None = Field(
        None,
        description="Folder whose sub-folders are drafts `reformkg ingest` wrote (`--out`): the server's review pages "
        "(`/drafts`) list them, show each fact beside its sentence and save the reviewer's decisions in each folder's "
        "`review.json`; accepting needs `REFORMKG_UPDATE_TOKEN`. Unset, the review pages are off.",
    )
    progress_bytes: int = Field(
        4_000_000, description="Files larger than this many bytes show a progress bar while they load."
    )
    max_ingest_bytes: int = Field(
        512 * 1024,
        description="Largest newsletter `reformkg ingest` reads, in bytes (default 512 KB; the seed issue is about "
        "23 KB, and drafting takes about 15 s per MB); a larger file is refused before it is read.",
    )

    @field_validator("store", mode="before")
    @classmethod
    def _unset_when_empty(cls, value):
        """``REFORMKG_STORE=`` (set but empty) means the default, as if it were unset."""
        return default_store() if isinstance(value, str) and not value.strip() else value

    @field_validator("drafts_dir", mode="before")
    @classmethod
    def _drafts_off_when_empty(cls, value):
        """``REFORMKG_DRAFTS_DIR=`` (set but empty) means off, as if it were unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("service_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
