"""Build the graph: the ontology and the curated data, each file in its own named graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reformkg.graph import GRAPH_BASE
from reformkg.graph.errors import InputError
from reformkg.graph.store import LOAD_FORMATS, LoadReport, Store
from reformkg.graph.validate import ValidationReport, validate_files

SHAPES_FILE = "shapes.ttl"


@dataclass
class BuildReport:
    loaded: list[LoadReport] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    validation: ValidationReport | None = None


class BuildError(InputError):
    """The build was refused (the data does not validate, a file is missing); nothing was loaded."""

    def __init__(self, message: str, validation: ValidationReport | None = None):
        super().__init__(message)
        self.validation = validation


def validate_project(ontology_dir: Path, data_dir: Path) -> ValidationReport:
    """SHACL-validate the curated data and the ontology against ``ontology/shapes.ttl``, and check the Data Cube
    integrity constraints (IC-1 to IC-21) over both."""
    files = source_files(ontology_dir, data_dir)
    shapes = ontology_dir / SHAPES_FILE
    if not shapes.is_file():
        raise BuildError(f"{shapes}: no shapes file")
    ontology = [f for f in files if f.parent == ontology_dir and f.name != SHAPES_FILE]
    data = [f for f in files if f not in ontology and f != shapes]
    return validate_files(shapes, ontology, data, cube=True)


def source_files(ontology_dir: Path, data_dir: Path) -> list[Path]:
    """The RDF files a build loads: the ontology folder's, then the data folder's, in a stable order."""
    return [path for path, _ in _sources(ontology_dir, data_dir)]


def _sources(ontology_dir: Path, data_dir: Path) -> list[tuple[Path, str]]:
    """Each RDF file a build loads with its named graph."""
    found: list[tuple[Path, str]] = []
    for folder, kind in ((ontology_dir, "ontology"), (data_dir, "data")):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lstrip(".") in LOAD_FORMATS)
        found += [(p, graph_iri(p.relative_to(folder), kind)) for p in files]
    return found


def graph_iri(relative: Path, kind: str) -> str:
    """The named graph of a project file: its path inside the ontology or data folder, so the IRI is the same
    however and wherever the package is installed (``…/graph/data/kunming-gaige-kuaibao-107/core.ttl``)."""
    return f"{GRAPH_BASE}{kind}/{relative.as_posix()}"


def build_project(store: Store, ontology_dir: Path, data_dir: Path) -> BuildReport:
    """Validate, then load the ontology and data; loads nothing when the data has SHACL or Data Cube violations."""
    validation = validate_project(ontology_dir, data_dir)
    if not validation.conforms:
        raise BuildError(f"{len(validation.violations)} violations (SHACL or Data Cube): nothing loaded", validation)
    report = build(store, ontology_dir, data_dir)
    report.validation = validation
    return report


def build(
    store: Store, ontology_dir: Path, data_dir: Path, *, on_file: Callable[[Path], None] | None = None
) -> BuildReport:
    """Load each file into its named graph (see ``graph_iri``), replacing it, without validating; then drop the
    project graphs whose file is gone. Issue graphs from ``reformkg accept`` are not project graphs and stay.
    """
    report = BuildReport()
    sources = _sources(ontology_dir, data_dir)
    wanted = {graph for _, graph in sources}
    for path, graph in sources:
        if on_file:
            on_file(path)
        report.loaded.append(store.load_file(path, graph=graph))
    for graph in store.graphs():
        if graph.startswith((GRAPH_BASE + "ontology/", GRAPH_BASE + "data/")) and graph not in wanted:
            store.drop_graph(graph)
            report.dropped.append(graph)
    return report
