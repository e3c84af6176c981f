"""reformkg's library: the store, loading, building, validation, queries and analytics. No HTTP here."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ID_BASE = "https://w3id.org/reformkg/id/"
GRAPH_BASE = "https://w3id.org/reformkg/graph/"
