"""The ingest's errors: a newsletter or draft reformkg cannot take, and a draft the shapes refuse."""

from __future__ import annotations

from reformkg.graph.errors import InputError


class IngestError(InputError):
    """A newsletter or draft reformkg cannot take; the message says why. Nothing was written."""


class AcceptError(IngestError):
    """A draft with SHACL violations; ``findings`` says which. Nothing was loaded."""

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = findings
