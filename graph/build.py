"""Build the graph: the ontology and the curated data, each file in its own named graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graph import GRAPH_BASE, PROJECT_ROOT
from graph.store import LOAD_FORMATS, LoadReport, Store
from graph.validate import ValidationReport, validate_files

SHAPES_FILE = "shapes.ttl"


@dataclass
class BuildReport:
    loaded: list[LoadReport] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    validation: ValidationReport | None = None


class BuildError(RuntimeError):
    """The build was refused; nothing was loaded."""

    def __init__(self, message: str, validation: ValidationReport | None = None):
        super().__init__(message)
        self.validation = validation


def validate_project(ontology_dir: Path, data_dir: Path) -> ValidationReport:
    """SHACL-validate the curated data and the ontology against ``ontology/shapes.ttl``."""
    files = source_files(ontology_dir, data_dir)
    shapes = ontology_dir / SHAPES_FILE
    if not shapes.is_file():
        raise BuildError(f"{shapes}: no shapes file")
    ontology = [f for f in files if f.parent == ontology_dir and f.name != SHAPES_FILE]
    data = [f for f in files if f not in ontology and f != shapes]
    return validate_files(shapes, ontology, data)


def source_files(ontology_dir: Path, data_dir: Path) -> list[Path]:
    """The RDF files a build loads: the ontology folder's, then the data folder's, in a stable order."""
    files: list[Path] = []
    for folder in (ontology_dir, data_dir):
        files += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lstrip(".") in LOAD_FORMATS)
    return files


def graph_iri(path: Path) -> str:
    """The named graph of a project file: stable, from its path in the project (``…/graph/data/x/core.ttl``)."""
    try:
        relative = path.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        relative = Path(path.parent.name) / path.name
    return GRAPH_BASE + relative.as_posix()


def build_project(store: Store, ontology_dir: Path, data_dir: Path) -> BuildReport:
    """Validate, then load the ontology and data; loads nothing when the data has SHACL violations."""
    validation = validate_project(ontology_dir, data_dir)
    if not validation.conforms:
        raise BuildError(f"{len(validation.violations)} SHACL violations: nothing loaded", validation)
    report = build(store, source_files(ontology_dir, data_dir))
    report.validation = validation
    return report


def build(store: Store, files: list[Path], *, on_file: Callable[[Path], None] | None = None) -> BuildReport:
    """Load each file into its graph (replacing it) and drop project graphs whose file is gone."""
    report = BuildReport()
    wanted = {graph_iri(f) for f in files}
    for path in files:
        if on_file:
            on_file(path)
        report.loaded.append(store.load_file(path, graph=graph_iri(path)))
    for graph in store.graphs():
        if graph.startswith(GRAPH_BASE) and graph not in wanted:
            store.drop_graph(graph)
            report.dropped.append(graph)
    return report
