"""The library's errors: each says in one line what went wrong; the web layer maps each kind to one HTTP status.

Three kinds, and the status ``reformkg.api.errors`` gives each (the most specific class wins)::

    ReformkgError
    ├── InputError (400)        what the caller gave is wrong: an IRI, a file, a query text, a draft
    ├── NotFound (404)          what the caller named is not in the graph
    │   ├── UnknownEntity
    │   └── NoPath
    └── StoreError (503)        the store cannot do what was asked
        ├── QuerySyntaxError (400)   a SPARQL text that does not parse
        ├── RefusedRequest (400)     a query or update this server will not run
        ├── RequestFailed (400)      the engine ran the text and it failed (CREATE of a graph that exists …)
        ├── QueryTimeout (503, Retry-After)
        ├── ExecutorBusy (503, Retry-After)
        └── RemoteError (502)        a remote endpoint failed

Other modules subclass these for their own cases (``entities.InvalidIri``, ``search.EmptyQuery``,
``store.RdfSyntaxError``, ``rdfxml.UnsafeXmlError``, ``build.BuildError`` are InputErrors; ``store.StoreMissing`` and
``store.StoreLocked`` are StoreErrors). Messages are safe to show to whoever made the request: they never quote what
a remote service sent back.
"""

from __future__ import annotations


class ReformkgError(Exception):
    """Every error the library raises on purpose: one line, safe to show to whoever made the request."""


class InputError(ReformkgError, ValueError):
    """What the caller gave is wrong (a file, a query, an IRI, a draft); nothing was changed. HTTP 400."""


class NotFound(ReformkgError, LookupError):
    """What the caller named is not in the graph. HTTP 404."""


class UnknownEntity(NotFound):
    """An IRI the graph holds nothing about, or nothing of the kind asked for (no reform, no place, no issue).

    ``iri`` is what was asked for; the message says what was looked for, e.g. ``no reform <…> in the graph``.
    """

    def __init__(self, iri: str, message: str | None = None):
        super().__init__(message or f"no entity {iri} in the graph")
        self.iri = iri


class NoPath(NotFound):
    """Two entities the graph does not connect."""


class StoreError(ReformkgError, RuntimeError):
    """The store cannot do what was asked; the message says why. HTTP 503 unless a subclass says otherwise."""


class QuerySyntaxError(StoreError):
    """A SPARQL query or update that does not parse. HTTP 400."""


class RefusedRequest(StoreError):
    """A query or update this server will not run: too long, too deeply nested, or reaching another host. HTTP 400."""


class RequestFailed(StoreError):
    """The embedded engine ran a query or update as written and it failed (CREATE GRAPH of a graph that exists, DROP
    of one that does not, …); nothing was changed. HTTP 400: sending the same text again fails again."""


class QueryTimeout(StoreError):
    """The query ran past its time and was stopped. HTTP 503 with Retry-After."""


class ExecutorBusy(StoreError):
    """No query worker became free in time; the client may try again. HTTP 503 with Retry-After."""


class RemoteError(StoreError):
    """A remote SPARQL endpoint failed; the message names the endpoint and the status, never what it sent back.

    HTTP 502: the failure is the upstream server's, not this one's."""
