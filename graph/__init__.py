"""reformkg's library: the store, loading, building, validation, queries and analytics. No HTTP here."""

from importlib.resources import files
from pathlib import Path

ID_BASE = "https://w3id.org/reformkg/id/"
GRAPH_BASE = "https://w3id.org/reformkg/graph/"


def ontology_dir() -> Path:
    """The shipped ontology folder (``reformkg.ttl``, ``shapes.ttl``), wherever the package is installed."""
    return Path(str(files("reformkg.ontology")))


def data_dir() -> Path:
    """The shipped curated-data folder (one sub-folder per newsletter, ``sources/`` for the source texts)."""
    return Path(str(files("reformkg.data")))
