"""The prefixes of ontology/MODEL.md, shared by every piece of code that writes or shortens IRIs."""

from reformkg.graph import ID_BASE

RKO = "https://w3id.org/reformkg/ontology#"

#: Prefix -> namespace, as MODEL.md declares them (plus rdf, owl and xsd).
PREFIXES: dict[str, str] = {
    "rko": RKO,
    "reform": ID_BASE + "reform/",
    "ag": ID_BASE + "org/",
    "pl": ID_BASE + "place/",
    "ms": ID_BASE + "measure/",
    "ob": ID_BASE + "observation/",
    "ind": ID_BASE + "indicator/",
    "ds": ID_BASE + "dataset/",
    "doc": ID_BASE + "document/",
    "own": ID_BASE + "ownership/",
    "st": ID_BASE + "status/",
    "note": ID_BASE + "note/",
    "src": ID_BASE + "source/",
    "kb107": ID_BASE + "source/kunming-gaige-kuaibao-107/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "dcterms": "http://purl.org/dc/terms/",
    "oa": "http://www.w3.org/ns/oa#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
