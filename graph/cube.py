"""The integrity constraints of the W3C RDF Data Cube Vocabulary (IC-1 to IC-21), as findings like SHACL's.

The recommendation defines a well-formed cube by 21 SPARQL checks over a *normalised* cube. Here the checks are the
recommendation's queries turned from ``ASK`` into ``SELECT`` (so each violation names the resource at fault), kept in
``queries/cube-ic-NN.rq``; the normalisation is ``queries/cube-normalise.ru``. In short they check:

- IC-1, IC-2: each observation is in exactly one data set; each data set has exactly one structure definition;
- IC-3 to IC-6: each structure definition has a measure; each dimension has a range (and a code list when its range
  is skos:Concept); only attributes may be optional;
- IC-7 to IC-10, IC-18: slices and slice keys agree with the structure and their data set;
- IC-11 to IC-13: each observation has a value for every dimension, no two observations of a data set have the same
  value for every dimension (the dimensions are a key), and required attributes are present;
- IC-14 to IC-17: each observation has its measure (one per observation when a measure dimension is used);
- IC-19 to IC-21: a coded dimension's values come from its code list (or are reachable in its hierarchy).

Everything runs in an in-memory Oxigraph store filled with the ontology and the data; nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reformkg.graph.validate import Finding, label

FOLDER = Path(__file__).parent / "queries"
CONSTRAINTS = range(1, 22)
NAMES = {
    1: "Unique DataSet",
    2: "Unique DSD",
    3: "DSD includes measure",
    4: "Dimensions have range",
    5: "Concept dimensions have code lists",
    6: "Only attributes may be optional",
    7: "Slice Keys must be declared",
    8: "Slice Keys consistent with DSD",
    9: "Unique slice structure",
    10: "Slice dimensions complete",
    11: "All dimensions required",
    12: "No duplicate observations",
    13: "Required attributes",
    14: "All measures present",
    15: "Measure dimension consistent",
    16: "Single measure on measure dimension observation",
    17: "All measures present in measures dimension cube",
    18: "Consistent data set links",
    19: "Codes from code list",
    20: "Codes from hierarchy",
    21: "Codes from hierarchy (inverse)",
}
#: IC-20 and IC-21 are templates over the parent-child property of each hierarchical code list: these find it.
_PARENT_CHILD = {
    20: """PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT DISTINCT ?p WHERE { ?hierarchy a qb:HierarchicalCodeList ; qb:parentChildProperty ?p . FILTER (isIRI(?p)) }""",
    21: """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?p WHERE {
  ?hierarchy a qb:HierarchicalCodeList ; qb:parentChildProperty ?pcp .
  FILTER (isBlank(?pcp)) ?pcp owl:inverseOf ?p . FILTER (isIRI(?p))
}""",
}


def constraint_query(number: int) -> str:
    """The SELECT form of IC-``number``; its ``?focus`` is the resource at fault."""
    return (FOLDER / f"cube-ic-{number:02d}.rq").read_text(encoding="utf-8")


def normalise_update() -> str:
    """The SPARQL Update that normalises a cube (type closure, then values pushed down to observations)."""
    return (FOLDER / "cube-normalise.ru").read_text(encoding="utf-8")


def check_cube(graphs: Iterable) -> list[Finding]:
    """Normalise the union of ``graphs`` (rdflib graphs: the ontology and the data) and run IC-1 to IC-21 over it;
    one violation finding per resource at fault, with the constraint's number in the message."""
    import pyoxigraph as ox
    import rdflib

    graphs = list(graphs)
    store = ox.Store()
    for graph in graphs:
        store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    store.update(normalise_update())
    names = rdflib.Graph()  # for labels and prefixed names in the findings
    for graph in graphs:
        names += graph
        for prefix, namespace in graph.namespaces():
            names.bind(prefix, namespace, override=False)
    findings: list[Finding] = []
    for number in CONSTRAINTS:
        for sparql in _instances(store, number):
            for row in store.query(sparql):
                if number == 12 and _term(row, "focus") > _term(row, "other"):
                    continue  # IC-12 finds each duplicate pair twice, (a, b) and (b, a): report it once
                findings.append(_finding(names, number, row))
    return findings


def _instances(store, number: int) -> list[str]:
    text = constraint_query(number)
    if number not in _PARENT_CHILD:
        return [text]
    properties = [row["p"].value for row in store.query(_PARENT_CHILD[number])]
    return [text.replace("<$p>", f"<{iri}>") for iri in properties]


def _finding(graph, number: int, row) -> Finding:
    from rdflib import URIRef

    focus = _term(row, "focus")
    prop = _term(row, "property")
    other = _term(row, "other")
    value = _term(row, "value")
    dataset = _term(row, "dataset")
    message = f"IC-{number} {NAMES[number]}"
    if number == 12 and other is not None:
        message += (
            f": same value for every dimension as <{other}> in the same data set; the structure's key does not tell "
            "them apart"
        )
    elif number == 19 and value is not None:
        message += f": {value} is not a concept of the dimension's code list"
    elif number in (20, 21) and value is not None:
        message += f": {value} is not reachable from a root of the dimension's hierarchy"
    elif number == 18 and dataset is not None:
        message += f": in a slice of <{dataset}> but not in that data set"
    node = URIRef(focus) if focus and not focus.startswith("_:") else None
    return Finding(
        severity="violation",
        focus=focus or "",
        label=label(graph, node) if node is not None else (focus or ""),
        path=graph.namespace_manager.normalizeUri(URIRef(prop)) if prop else None,
        message=message,
    )


def _term(row, name: str) -> str | None:
    import pyoxigraph as ox

    try:
        term = row[name]
    except (KeyError, IndexError):
        return None
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value
