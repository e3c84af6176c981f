"""Property-based API testing: schemathesis drives every operation in the OpenAPI schema with generated input.

No 500 and no response that breaks the schema, on the seed graph. Bounded: a few examples per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from reformkg.api.app import create_app
from reformkg.graph.build import build
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore


def seeded_app():
    project = Settings()
    store = OxigraphStore()
    build(store, project.ontology_dir, project.data_dir)
    return create_app(Settings(store="memory", query_timeout=5, result_limit=200), store)


#: Bodies for the SPARQL media types, which schemathesis cannot make from a schema: real queries and updates, texts
#: the guard refuses, and arbitrary text.
QUERIES = [
    "ASK {}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    "CONSTRUCT WHERE { ?s a ?o } LIMIT 5",
    "DESCRIBE <https://w3id.org/reformkg/id/place/haikou-forest-farm>",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",
    "SELECT * WHERE " + "{" * 100 + "}" * 100,
]
UPDATES = ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "LOAD <http://127.0.0.1:9/x>", "CLEAR ALL"]


def sparql_bodies(texts: list[str]):
    return st.one_of(st.sampled_from(texts), st.text(max_size=300)).map(lambda text: text.encode("utf-8", "replace"))


schemathesis.openapi.media_type("application/sparql-query", sparql_bodies(QUERIES))
schemathesis.openapi.media_type("application/sparql-update", sparql_bodies(UPDATES))
schema = schemathesis.openapi.from_asgi("/openapi.json", seeded_app())


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.slow
def test_api_conforms_to_its_schema(case):
    # A schema cannot say which strings are SPARQL that parses or IRIs that exist, so a schema-valid request may
    # rightly get a 400 or 404: that one check is left out. Every other check stays: no 500, documented status
    # codes, content types and response schemas.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
