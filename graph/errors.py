"""The library's errors: each says in one line what went wrong; the web layer maps each kind to one HTTP status."""

from __future__ import annotations


class ReformkgError(Exception):
    """Every error the library raises on purpose: one line, safe to show to whoever made the request."""


class InputError(ReformkgError, ValueError):
    """What the caller gave is wrong (a file, a query, an IRI, a draft); nothing was changed. HTTP 400."""


class NotFound(ReformkgError, LookupError):
    """What the caller named is not in the graph. HTTP 404."""


class StoreError(ReformkgError, RuntimeError):
    """The store cannot do what was asked; the message says why."""


class QuerySyntaxError(StoreError):
    """A SPARQL query or update that does not parse."""


class RefusedRequest(StoreError):
    """A query or update this server will not run: too long, too deeply nested, or reaching another host."""


class QueryTimeout(StoreError):
    """The query ran past its time and was stopped."""


class ExecutorBusy(StoreError):
    """No query worker became free in time; the client may try again."""


class RemoteError(StoreError):
    """A remote SPARQL endpoint failed; the message names the endpoint and the status, never what it sent back."""
