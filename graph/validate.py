"""SHACL validation of the ontology and the curated data (and the Data Cube integrity constraints, see ``cube.py``),
with findings people can read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reformkg.graph.store import UTF8_BOM, check_file, rdf_format

SH = "http://www.w3.org/ns/shacl#"
SEVERITY = {f"{SH}Violation": "violation", f"{SH}Warning": "warning", f"{SH}Info": "info"}


@dataclass(frozen=True)
class Finding:
    """One SHACL result: which entity, which property, what is wrong, how badly."""

    severity: str
    focus: str
    label: str
    path: str | None
    message: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.label} <{self.focus}>{where}: {self.message}"


@dataclass
class ValidationReport:
    conforms: bool
    findings: list[Finding]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def _parse_all(files: list[Path]):
    import rdflib
    from rdflib.util import guess_format

    graph = rdflib.Graph()
    for path in files:
        check_file(path, rdf_format(path))  # names file:line:column on a syntax error; refuses unsafe RDF/XML
        fmt = "turtle" if path.suffix in (".ttl", ".turtle") else guess_format(str(path))
        data = path.read_bytes()
        if data.startswith(UTF8_BOM):  # rdflib's N-Triples parser stops at a byte order mark
            graph.parse(data=data[len(UTF8_BOM) :], format=fmt, publicID=path.resolve().as_uri())
        else:
            graph.parse(path, format=fmt)
    return graph


def label(graph, node) -> str:
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDFS, SKOS

    labels: dict[str, str] = {}
    for prop in (RDFS.label, SKOS.prefLabel):
        for value in graph.objects(node, prop):
            if isinstance(value, Literal):
                labels.setdefault(value.language or "", str(value))
    for lang in ("en", "zh", ""):
        if lang in labels:
            return labels[lang]
    return graph.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else str(node)


def validate_files(
    shapes: Path, ontology_files: list[Path], data_files: list[Path], *, cube: bool = False
) -> ValidationReport:
    """Validate data + ontology against the shapes (RDFS inference, so subclasses meet their parents' shapes); with
    ``cube``, also check the Data Cube integrity constraints IC-1 to IC-21 (see ``cube.py``) over both."""
    from pyshacl import validate
    from rdflib import URIRef
    from rdflib.namespace import RDF

    shapes_graph = _parse_all([shapes])
    ontology = _parse_all(ontology_files)
    data = _parse_all(data_files)
    _conforms, results, _text = validate(
        data, shacl_graph=shapes_graph, ont_graph=ontology, inference="rdfs", allow_warnings=True
    )
    sh = lambda name: URIRef(SH + name)  # noqa: E731
    findings = []
    for result in results.subjects(RDF.type, sh("ValidationResult")):
        focus = results.value(result, sh("focusNode"))
        path = results.value(result, sh("resultPath"))
        message = results.value(result, sh("resultMessage"))
        severity = SEVERITY.get(str(results.value(result, sh("resultSeverity"))), "violation")
        findings.append(
            Finding(
                severity=severity,
                focus=str(focus),
                label=label(data, focus),
                path=data.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else None,
                message=str(message) if message is not None else "fails its shape",
            )
        )
    if cube:
        from reformkg.graph.cube import check_cube

        findings += check_cube([ontology, data])
    findings.sort(key=lambda f: (f.severity != "violation", f.focus, f.path or ""))
    return ValidationReport(conforms=not any(f.severity == "violation" for f in findings), findings=findings)
