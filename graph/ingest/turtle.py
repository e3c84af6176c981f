"""The draft as RDF: the issue, its items, reforms, statuses, new entities, measures, figures and sentences.

Each fact points at the sentence it comes from (``prov:wasDerivedFrom``); each subject is written under a comment
saying where in the newsletter it comes from and what to check. The triples are serialised by
``graph.ingest.serializer`` with the prefixes of ontology/MODEL.md and one for the issue's own items and sentences.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rdflib import XSD, Literal, Namespace, URIRef

from reformkg.graph.ingest.names import SERIES_SLUG, local_name, ownership_iri, part_of, pinyin_label
from reformkg.graph.ingest.observations import context_label
from reformkg.graph.ingest.serializer import ReviewDocument
from reformkg.graph.namespaces import PREFIXES as NAMESPACES

if TYPE_CHECKING:
    from reformkg.graph.ingest.draft import Draft, DraftFigure, DraftItem, NewEntity

#: MODEL.md's prefixes; a draft writes only those it uses (``note`` and ``kb107`` belong to the seed).
PREFIXES = {k: v for k, v in NAMESPACES.items() if k not in ("note", "kb107", "rdf", "owl")}
RKO = Namespace(NAMESPACES["rko"])
RDFS = Namespace(NAMESPACES["rdfs"])
SKOS = Namespace(NAMESPACES["skos"])
SCHEMA = Namespace(NAMESPACES["schema"])
PROV = Namespace(NAMESPACES["prov"])
QB = Namespace(NAMESPACES["qb"])
ELI = Namespace(NAMESPACES["eli"])
DCTERMS = Namespace(NAMESPACES["dcterms"])
OA = Namespace(NAMESPACES["oa"])
SDMX_MEASURE = Namespace(NAMESPACES["sdmx-measure"])
SDMX_ATTRIBUTE = Namespace(NAMESPACES["sdmx-attribute"])
SDMX_DIMENSION = Namespace(NAMESPACES["sdmx-dimension"])

SECTIONS = {
    "series": "The series (new: not in the curated data)",
    "issue": "The issue and its items",
    "reforms": "Reforms the items report (new ones only; known ones are linked from the items)",
    "status": "Status records: one per item and reform",
    "agencies": "Agencies and organisations not yet in the graph",
    "places": "Places and forest farms not yet in the graph",
    "documents": "Policy documents not yet in the graph",
    "measures": "Enumerated measures (一是…二是…)",
    "figures": "Figures as observations",
    "sentences": "Source sentences, with quotes and code-point offsets",
}
QUALIFIERS = {"atLeast", "atMost", "moreThan", "range"}


def iri(value: str) -> URIRef:
    """An IRI as an RDF term."""
    return URIRef(value)


def zh(text: str) -> Literal:
    """Chinese text, as the source writes it."""
    return Literal(text, lang="zh")


def en(text: str) -> Literal:
    """An English placeholder for a person to replace."""
    return Literal(text, lang="en")


def pinyin(name: str) -> Literal:
    """The tone-marked romanisation of a Chinese name, as a ``@zh-Latn-pinyin`` literal."""
    return Literal(pinyin_label(name), lang="zh-Latn-pinyin")


def number(value: Decimal, unit: str) -> Literal:
    """A figure's value: xsd:decimal for rates and fractions, xsd:integer for counts and yuan."""
    if unit in ("percent", "percentagePoint") or value != value.to_integral_value():
        text = format(value.normalize(), "f")
        return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)
    return Literal(int(value))


def period(value: str | None) -> URIRef | Literal:
    """A figure's period: a calendar year as xsd:gYear, an interval ("2016/2018", "2016/..") as the ISO 8601 string
    the shapes take, and rko:periodNotStated where the source gives none."""
    if value is None:
        return RKO.periodNotStated
    if "/" in value:
        return Literal(value)
    return Literal(value, datatype=XSD.gYear)


def draft_turtle(draft: Draft) -> str:
    """The draft as Turtle for review."""
    header = draft.newsletter.header
    prefixes = dict(PREFIXES)
    kunming = header.series_slug in ("", SERIES_SLUG) and header.overall_number is not None
    prefixes[f"kb{header.overall_number}" if kunming else "issue"] = draft.issue_iri + "/"
    document = ReviewDocument(
        prefixes,
        SECTIONS,
        [
            f"reformkg draft: {header.label}, {header.date.isoformat()}, read from {draft.newsletter.source_format}. "
            "Drafted by `reformkg ingest` for review: see report.md.",
            f"Accepted, it is loaded into the named graph <{draft.graph_iri}>.",
            "Every @en and @zh-Latn-pinyin literal is a reformkg placeholder or romanisation, not the source's words.",
        ],
    )
    writer = _Writer(draft, document)
    if draft.describe_series:
        writer.series()
    writer.issue()
    for draft_item in draft.items:
        writer.item(draft_item)
    for entity in draft.new_entities:
        writer.new_entity(entity)
    writer.measures()
    writer.figures()
    writer.sentences()
    return document.serialize()


class _Writer:
    """Writes one draft's facts into a ReviewDocument, section by section."""

    def __init__(self, draft: Draft, document: ReviewDocument):
        self.draft = draft
        self.document = document
        self.date = Literal(draft.newsletter.header.date.isoformat(), datatype=XSD.date)

    def derived(self, sentence) -> URIRef:
        """The sentence a fact comes from, as the object of ``prov:wasDerivedFrom``."""
        return iri(self.draft.sentence_iri(sentence))

    def series(self) -> None:
        """A series the curated data does not have: its name and, where the header names one, its editing body."""
        header, draft = self.draft.newsletter.header, self.draft
        named_in = [header.sentences[k] for k in ("periodical", "publisher") if k in header.sentences]
        (
            self.document.describe(
                "series", draft.series, f"header: {header.periodical} (a series new to the graph)", SCHEMA.Periodical
            )
            .add(RDFS.label, zh(header.periodical))
            .add(SKOS.altLabel, pinyin(header.periodical))
            .add(SCHEMA.publisher, iri(draft.publisher) if draft.publisher else None)
            .add(PROV.wasDerivedFrom, *(self.derived(s) for s in dict.fromkeys(named_in)))
        )

    def issue(self) -> None:
        """The issue: its header fields, items and header sentences."""
        newsletter, draft = self.draft.newsletter, self.draft
        header = newsletter.header
        comment = f"header: {header.label}, {header.publisher or 'no editing body named'}, {header.date.isoformat()}"
        overall = header.overall_number
        (
            self.document.describe("issue", draft.issue_iri, comment, RKO.NewsletterIssue)
            .add(RDFS.label, zh(header.label))
            .add(SCHEMA.isPartOf, iri(draft.series))
            .add(SCHEMA.issueNumber, Literal(header.issue_number))
            .add(RKO.overallIssueNumber, Literal(overall) if overall is not None else None)
            .add(SCHEMA.datePublished, self.date)
            .add(SCHEMA.publisher, iri(draft.publisher) if draft.publisher else None)
            .add(SCHEMA.hasPart, *(iri(d.iri) for d in draft.items))
            .add(RKO.sourceFile, Literal(draft.source_file))
            .add(PROV.wasDerivedFrom, *(self.derived(s) for s in newsletter.sentences if s.section == "header"))
        )

    def item(self, draft_item: DraftItem) -> None:
        """An item, the new reform it reports (if any) with its owners, and its status records."""
        item = draft_item.item
        owned = item.owner_sentence
        comment = f"item {item.position}, s01 (contents-s{item.position:02d}): title"
        if owned is not None:
            comment += f"; {owned.slug}: {owned.text}"
        (
            self.document.describe("issue", draft_item.iri, comment, RKO.NewsletterItem)
            .add(SCHEMA.position, Literal(item.position))
            .add(SCHEMA.headline, zh(item.title))
            .add(RDFS.label, zh(item.title))
            .add(SCHEMA.isPartOf, iri(self.draft.issue_iri))
            .add(RKO.reports, *(iri(r) for r in draft_item.reforms))
            .add(RKO.attributedTo, *(iri(o[1]) for o in draft_item.owners))
            .add(PROV.wasDerivedFrom, self.derived(item.sentences[0]), self.derived(owned) if owned else None)
        )
        if draft_item.new_reform is not None:
            self.new_reform(draft_item)
        for status in (s for s in self.draft.statuses if s.item == item.position):
            cue = f"cue “{status.cue}” → {status.stage}" if status.cue else f"no stage cue → {status.stage}"
            (
                self.document.describe(
                    "status", status.iri, f"item {item.position}, {status.sentence.slug}: {cue}", RKO.StatusRecord
                )
                .add(RKO.statusOf, iri(status.reform))
                .add(RKO.stage, RKO[f"stage-{status.stage}"])
                .add(RKO.assessedBy, iri(status.assessed_by) if status.assessed_by else None)
                .add(RKO.reportedIn, iri(self.draft.issue_iri))
                .add(RKO.reportedOn, self.date)
                .add(PROV.wasDerivedFrom, self.derived(status.sentence))
            )

    def new_reform(self, draft_item: DraftItem) -> None:
        """A reform the graph does not have: its name, owners (qualified by role) and measures."""
        item, reform = draft_item.item, draft_item.reforms[0]
        description = (
            self.document.describe(
                "reforms",
                reform,
                f"item {item.position}, s01: {draft_item.new_reform} (new reform: check its name and translate)",
                RKO.ReformInitiative,
            )
            .add(RDFS.label, zh(draft_item.new_reform))
            .add(RKO.reportedIn, iri(draft_item.iri))
            .add(PROV.wasAssociatedWith, *(iri(o[1]) for o in draft_item.owners))
        )
        role = RKO.leadOwner if len(draft_item.owners) == 1 else RKO.coOwner
        for _name, owner, _linked in draft_item.owners:
            association = self.document.describe(
                "reforms",
                ownership_iri(owner, reform),
                f"item {item.position}, {item.owner_sentence.slug}: {item.owner_sentence.text}",
                PROV.Association,
            )
            association.add(PROV.agent, iri(owner)).add(PROV.hadRole, role)
            association.add(PROV.wasDerivedFrom, self.derived(item.owner_sentence))
            description.add(PROV.qualifiedAssociation, association)
        description.add(RKO.hasMeasure, *(iri(m.iri) for m in draft_item.measures))
        description.add(PROV.wasDerivedFrom, self.derived(item.sentences[0]))

    def new_entity(self, entity: NewEntity) -> None:
        """An organisation, place or policy document the graph does not have."""
        where = f"{'header' if entity.item is None else f'item {entity.item}'}, {entity.sentence.slug}"
        if entity.kind == "org":
            note = "the publisher; new" if entity.item is None else "named as an owner; new"
            description = (
                self.document.describe("agencies", entity.iri, f"{where}: {entity.name} ({note})", RKO[entity.rdf_type])
                .add(RDFS.label, zh(entity.name))
                .add(SKOS.altLabel, pinyin(entity.name) if entity.item is not None else None)
                .add(RKO.sourceLabel, zh(entity.name))
            )
        elif entity.kind == "place":
            comment = f"{where}: {entity.name} (new place: check)"
            description = (
                self.document.describe("places", entity.iri, comment, RKO[entity.rdf_type])
                .add(RDFS.label, zh(entity.name))
                .add(SKOS.altLabel, pinyin(entity.name))
            )
        else:
            comment = f"{where}: 《{entity.name}》 (new policy document)"
            description = (
                self.document.describe("documents", entity.iri, comment, RKO[entity.rdf_type])
                .add(ELI.title, zh(entity.name))
                .add(RDFS.label, zh(entity.name))
                .add(SKOS.altLabel, zh(f"《{entity.name}》"))
            )
        description.add(PROV.wasDerivedFrom, self.derived(entity.sentence))

    def measures(self) -> None:
        """The enumerated measures, each with its ordinal and a placeholder comment naming its reform."""
        for m in self.draft.measures:
            (
                self.document.describe(
                    "measures", m.iri, f"item {m.item}, {m.sentence.slug}: {m.cue} {m.label}", RKO.Measure
                )
                .add(RDFS.label, zh(m.label))
                .add(RKO.ordinal, Literal(m.ordinal))
                .add(RDFS.comment, en(f"A measure of {local_name(m.reform)}, as drafted from the text; review."))
                .add(PROV.wasDerivedFrom, self.derived(m.sentence))
            )

    def figures(self) -> None:
        """Per item with figures: its data set, then an indicator and an observation per figure."""
        for draft_item in self.draft.items:
            figures = [f for f in self.draft.figures if f.item == draft_item.item.position]
            if figures:
                self.dataset(draft_item)
            for figure in figures:
                self.observation(draft_item, figure)

    def dataset(self, draft_item: DraftItem) -> None:
        """The data set of an item's observations, labelled by the item's title and the issue."""
        item, newsletter = draft_item.item, self.draft.newsletter
        label = f"{item.title}相关数据({newsletter.header.label})"
        (
            self.document.describe(
                "figures",
                draft_item.dataset,
                f"item {item.position}: the figures of “{item.title}”",
                QB.DataSet,
            )
            .add(QB.structure, RKO.reformOutcomeStructure)
            .add(RDFS.label, zh(label))
            .add(DCTERMS.source, iri(draft_item.iri))
            .add(PROV.wasDerivedFrom, self.derived(item.sentences[0]))
        )

    def observation(self, draft_item: DraftItem, f: DraftFigure) -> None:
        """A figure's placeholder indicator (named by the words before it) and its observation."""
        slug = self.draft.newsletter.header.slug
        context = context_label(f.sentence, f.start - f.sentence.start)
        where = f"item {f.item}, {f.sentence.slug}"
        (
            self.document.describe(
                "figures", f.indicator, f"{where}: indicator of {f.figure.text}", RKO.Indicator, SKOS.Concept
            )
            .add(SKOS.inScheme, RKO.IndicatorScheme)
            .add(SKOS.prefLabel, zh(context))
            .add(SKOS.prefLabel, en(f"Indicator to review: {slug} {f.sentence.slug}, figure {f.number}"))
            .add(PROV.wasDerivedFrom, self.derived(f.sentence))
        )
        comment = f"{where}: {f.figure.text} ({context})" + (f"; “{f.cue}” → {f.value_kind}" if f.cue else "")
        (
            self.document.describe("figures", f.iri, comment, QB.Observation)
            .add(QB.dataSet, iri(draft_item.dataset))
            .add(RKO.indicator, iri(f.indicator))
            .add(SDMX_DIMENSION.refArea, iri(f.area) if f.area else None)
            .add(SDMX_DIMENSION.refPeriod, period(f.period))
            .add(RKO.breakdown, RKO.noBreakdown)
            .add(SDMX_MEASURE.obsValue, number(f.figure.value, f.unit))
            .add(SDMX_ATTRIBUTE.unitMeasure, RKO[f.unit])
            .add(RKO.valueKind, RKO[f.value_kind])
            .add(RKO.valueQualifier, RKO[f.figure.qualifier] if f.figure.qualifier in QUALIFIERS else None)
            .add(RKO.upperValue, number(f.figure.upper, f.unit) if f.figure.upper is not None else None)
            .add(RKO.originalText, Literal(f.figure.text))
            .add(RKO.outcomeOf, iri(draft_item.reforms[0]))
            .add(PROV.wasDerivedFrom, self.derived(f.sentence))
        )

    def sentences(self) -> None:
        """Every sentence, with its quote and its code-point offsets (a Web Annotation text position selector)."""
        for sentence in self.draft.newsletter.sentences:
            selector = (
                self.document.node(OA.TextPositionSelector)
                .add(OA.start, Literal(sentence.start))
                .add(OA.end, Literal(sentence.end))
            )
            iri_of_sentence = self.draft.sentence_iri(sentence)
            (
                self.document.describe("sentences", iri_of_sentence, sentence.slug, RKO.SourceSentence)
                .add(SCHEMA.isPartOf, iri(part_of(self.draft.issue_iri, sentence)))
                .add(RKO.sentenceNumber, Literal(sentence.number))
                .add(RKO.quote, zh(sentence.text))
                .add(OA.hasSelector, selector)
            )
