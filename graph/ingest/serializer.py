"""Readable Turtle for people to review: rdflib's Turtle serialiser, with subjects in sections under comments.

A ``ReviewDocument`` collects triples subject by subject, each subject in a section and with comments for the
reviewer. ``serialize`` writes the prefixes the triples use, then each section under a heading, each subject under
its comments, with its predicates and objects in the order they were added (a blank node only one subject points
at is written inline, ``[ … ]``). Every term is written by rdflib's serialiser, which escapes literals and shortens
IRIs with the bound prefixes; the comments are the only text written here, one line each.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import rdflib
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import BNode, Literal, URIRef

Object = URIRef | BNode | Literal
RULE = "#" * 100


class Description:
    """One subject of a ``ReviewDocument``: ``add`` appends its properties."""

    def __init__(self, document: ReviewDocument, subject: URIRef | BNode):
        self.document = document
        self.subject = subject

    def add(self, predicate: URIRef, *objects: Object | None) -> Description:
        """Add ``predicate`` with each object that is not None; the description back, to chain."""
        self.document.add(self.subject, predicate, *objects)
        return self


class ReviewDocument:
    """Triples grouped by subject, in sections, with comments; written as Turtle by ``serialize``."""

    def __init__(self, prefixes: Mapping[str, str], sections: Mapping[str, str], header: list[str]):
        self.prefixes = dict(prefixes)
        self.headings = dict(sections)  # section key → heading, in the order the sections are written
        self.header = header
        self.sections: dict[str, list[URIRef]] = {key: [] for key in sections}
        self.properties: dict[URIRef | BNode, dict[URIRef, list[Object]]] = {}
        self.comments: dict[URIRef, list[str]] = {}

    def describe(self, section: str, subject: str, comment: str, *types: URIRef) -> Description:
        """Start (or continue) the description of ``subject`` in ``section``, under ``comment``, with its types."""
        node = URIRef(subject)
        if node not in self.comments:
            self.sections[section].append(node)
            self.comments[node] = []
            self.properties.setdefault(node, {})
        self.comments[node].append(comment)
        return Description(self, node).add(rdflib.RDF.type, *types)

    def node(self, *types: URIRef) -> Description:
        """A blank node with its types: give it as the object of one triple and it is written inline."""
        node = BNode()
        self.properties[node] = {}
        return Description(self, node).add(rdflib.RDF.type, *types)

    def add(self, subject: URIRef | BNode, predicate: URIRef, *objects: Object | Description | None) -> None:
        """Add ``predicate`` with each object that is not None (a Description stands for its subject)."""
        values = self.properties[subject].setdefault(predicate, [])
        for value in objects:
            if isinstance(value, Description):
                value = value.subject
            if value is not None and value not in values:
                values.append(value)
        if not values:
            del self.properties[subject][predicate]

    def graph(self) -> rdflib.Graph:
        """The triples as an rdflib graph, with the document's prefixes bound."""
        graph = rdflib.Graph(bind_namespaces="none")
        for prefix, namespace in self.prefixes.items():
            graph.bind(prefix, namespace, override=True, replace=True)
        for subject, properties in self.properties.items():
            for predicate, objects in properties.items():
                for value in objects:
                    graph.add((subject, predicate, value))
        return graph

    def order(self) -> list[URIRef]:
        """Every described subject, section by section."""
        return [subject for subjects in self.sections.values() for subject in subjects]

    def heading(self, subject: URIRef) -> str | None:
        """The heading to write before ``subject``: its section's, when it is the section's first subject."""
        for key, subjects in self.sections.items():
            if subjects and subjects[0] == subject:
                return self.headings[key]
        return None

    def serialize(self) -> str:
        """The document as Turtle: header comments, prefixes, then the sections."""
        stream = io.BytesIO()
        _ReviewSerializer(self).serialize(stream, encoding="utf-8")
        return stream.getvalue().decode("utf-8")


def _comment_line(text: str) -> str:
    """A Turtle comment line: a comment ends at the end of its line, so line breaks in ``text`` become spaces."""
    return "# " + " ".join(text.splitlines())


class _ReviewSerializer(TurtleSerializer):
    """rdflib's Turtle serialiser, with the document's order of subjects and properties, headings and comments."""

    def __init__(self, document: ReviewDocument):
        super().__init__(document.graph())
        self.document = document

    def orderSubjects(self) -> list:
        """The document's subjects, section by section; any other named subject after them (there are none)."""
        ordered = self.document.order()
        rest = sorted(s for s in self._subjects if isinstance(s, URIRef) and s not in set(ordered))
        return ordered + rest

    def startDocument(self) -> None:
        """The header comments, then the prefixes."""
        for line in self.document.header:
            self.write(_comment_line(line) + "\n")
        self.write("\n")
        super().startDocument()

    def statement(self, subject) -> bool:
        """A subject's description, after its section's heading (for the first) and its comments."""
        heading = self.document.heading(subject) if isinstance(subject, URIRef) else None
        if heading:
            self.write(f"\n{RULE}\n{_comment_line(heading)}\n{RULE}\n")
        for comment in self.document.comments.get(subject, []):
            self.write("\n" + _comment_line(comment))
        return super().statement(subject)

    def buildPredicateHash(self, subject) -> dict:
        """A subject's predicates and objects in the order they were added."""
        properties = self.document.properties.get(subject)
        if properties is None:
            return super().buildPredicateHash(subject)
        return {predicate: list(objects) for predicate, objects in properties.items()}

    def sortProperties(self, properties) -> list:
        """The predicates as they come: the order the draft added them in (rdf:type first)."""
        return list(properties)
