"""Ingest a newsletter into draft RDF for review, then accept it as the issue's named graph.

The pipeline, one module per concern:

- ``formats``: a file (text in any common encoding, Word .docx, PDF with a text layer, HTML) as normalised text.
- ``layout``: read the header, contents, items (with their owners) and footer of the text, in the layouts of
  several series; sentences are cut as ``graph.sources`` cuts them.
- ``known``: what the graph already has (entities by their Chinese names, pilots by place), from the store.
- ``entities``: names in the sentences: known ones, and candidates (places and forest farms by jieba's
  part-of-speech tags and place suffixes, policy documents in 《》, organisations by office suffixes).
- ``reforms``: which reforms an item reports, at what stage, and its enumerated measures (一是…二是…).
- ``observations``: figures (by ``graph.figures``) with their value kinds.
- ``names``: every IRI the draft mints and the slugs and romanisations it gives.
- ``draft``: ``draft_newsletter`` puts these together into a ``Draft``, linked to the graph where it can be.
- ``turtle`` and ``serializer``: the draft as RDF, written by rdflib's Turtle serialiser for review, each fact
  pointing at its sentence; ``report``: report.md.
- ``files``: ``read_newsletter`` and ``ingest``, which writes the draft folder.
- ``acceptance``: ``accept`` validates a draft with the project's SHACL shapes and loads it into
  ``https://w3id.org/reformkg/graph/issue/<slug>``; ``withdraw`` drops that graph again.
"""

from importlib import import_module

#: Where each name of the package lives: the modules load when a name is first used, so that importing one light
#: part (``names`` for the issue IRIs the timelines need) does not load jieba, rdflib and the document readers.
_EXPORTS = {
    "AcceptReport": "acceptance",
    "accept": "acceptance",
    "find_draft": "acceptance",
    "withdraw": "acceptance",
    "Draft": "draft",
    "DraftFigure": "draft",
    "DraftItem": "draft",
    "DraftMeasure": "draft",
    "DraftStatus": "draft",
    "NewEntity": "draft",
    "draft_newsletter": "draft",
    "Mention": "entities",
    "AcceptError": "errors",
    "IngestError": "errors",
    "ingest": "files",
    "read_newsletter": "files",
    "SourceText": "formats",
    "read_source": "formats",
    "Known": "known",
    "KnownEntities": "known",
    "known_entities": "known",
    "Header": "layout",
    "Item": "layout",
    "Newsletter": "layout",
    "decode_newsletter": "layout",
    "parse_newsletter": "layout",
    "ISSUE_GRAPH_BASE": "names",
    "SERIES_SLUG": "names",
    "SOURCE_BASE": "names",
    "agency_slug": "names",
    "issue_graph_iri": "names",
    "issue_iri": "names",
    "pinyin_label": "names",
    "pinyin_slug": "names",
    "place_slug": "names",
    "resolve_issue_graph": "names",
}

__all__ = [
    "ISSUE_GRAPH_BASE",
    "SERIES_SLUG",
    "SOURCE_BASE",
    "AcceptError",
    "AcceptReport",
    "Draft",
    "DraftFigure",
    "DraftItem",
    "DraftMeasure",
    "DraftStatus",
    "Header",
    "IngestError",
    "Item",
    "Known",
    "KnownEntities",
    "Mention",
    "NewEntity",
    "Newsletter",
    "SourceText",
    "accept",
    "agency_slug",
    "decode_newsletter",
    "draft_newsletter",
    "find_draft",
    "ingest",
    "issue_graph_iri",
    "issue_iri",
    "known_entities",
    "parse_newsletter",
    "pinyin_label",
    "pinyin_slug",
    "place_slug",
    "read_newsletter",
    "read_source",
    "resolve_issue_graph",
    "withdraw",
]


def __getattr__(name: str):
    """Load the module that holds ``name`` on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)  # no export shares a module's name
    globals()[name] = value
    return value
