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
- ``accept``: ``accept`` validates a draft with the project's SHACL shapes and loads it into
  ``https://w3id.org/reformkg/graph/issue/<slug>``; ``withdraw`` drops that graph again.
"""

from reformkg.graph.ingest.accept import AcceptReport, accept, find_draft, withdraw
from reformkg.graph.ingest.draft import (
    Draft,
    DraftFigure,
    DraftItem,
    DraftMeasure,
    DraftStatus,
    NewEntity,
    draft_newsletter,
)
from reformkg.graph.ingest.entities import Mention
from reformkg.graph.ingest.errors import AcceptError, IngestError
from reformkg.graph.ingest.files import ingest, read_newsletter
from reformkg.graph.ingest.formats import SourceText, read_source
from reformkg.graph.ingest.known import Known, KnownEntities, known_entities
from reformkg.graph.ingest.layout import Header, Item, Newsletter, decode_newsletter, parse_newsletter
from reformkg.graph.ingest.names import (
    ISSUE_GRAPH_BASE,
    SERIES_SLUG,
    SOURCE_BASE,
    agency_slug,
    issue_graph_iri,
    issue_iri,
    pinyin_label,
    pinyin_slug,
    place_slug,
    resolve_issue_graph,
)

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
