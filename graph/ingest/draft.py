"""Drafting: what a parsed newsletter says, linked to what the graph knows, with new entities minted once.

``draft_newsletter`` fills a ``Draft``: the issue and its items, the reforms each reports (known ones linked, new
ones minted), owners, status records, mentions of known entities, new places and documents, enumerated measures and
figures, each with the sentence it comes from; then the Turtle (``graph.ingest.turtle``) and the report
(``graph.ingest.report``) are written from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reformkg.graph.figures import Figure
from reformkg.graph.ingest import names
from reformkg.graph.ingest.entities import (
    Mention,
    Spans,
    documents,
    is_policy_document,
    known_names,
    organisation_candidates,
    place_candidates,
    place_class,
)
from reformkg.graph.ingest.known import KnownEntities
from reformkg.graph.ingest.layout import Item, Newsletter
from reformkg.graph.ingest.observations import item_figures
from reformkg.graph.ingest.reforms import (
    accepted_by,
    enumerated_measures,
    item_stage,
    known_reforms,
    new_reform_name,
)
from reformkg.graph.ingest.report import draft_report
from reformkg.graph.ingest.turtle import draft_turtle
from reformkg.graph.sources import Sentence


@dataclass
class DraftFigure:
    """A figure drafted as an observation: its IRI, item, sentence, where it starts in the text, unit and kind."""

    iri: str
    item: int
    sentence: Sentence
    figure: Figure
    start: int
    unit: str
    value_kind: str
    cue: str | None
    number: int  # the figure's number within its item, in its observation's and indicator's IRIs
    indicator: str  # the placeholder indicator the observation measures
    area: str | None = None  # the place it is for: one its sentence names, else the issue's; None: none given
    period: str | None = None  # the calendar year(s) its clause names ("2016", "2016/2018", "2016/.."); None: none


@dataclass
class DraftStatus:
    """A status record: a reform at a stage, as an item reports it, with the cue and who accepted it."""

    iri: str
    reform: str
    item: int
    stage: str
    sentence: Sentence
    cue: str | None
    assessed_by: str | None


@dataclass
class DraftMeasure:
    """An enumerated measure (一是…) of an item's first reform."""

    iri: str
    item: int
    ordinal: int
    label: str
    sentence: Sentence
    cue: str
    reform: str


@dataclass
class NewEntity:
    """An organisation, place or policy document the graph does not have, minted from the sentence that names it."""

    kind: str  # org, place, document
    iri: str
    name: str
    sentence: Sentence
    item: int | None  # None for the publisher, named in the header
    rdf_type: str  # the rko class's local name: Agency, Town, ForestFarmSite, PolicyDocument …


@dataclass
class DraftItem:
    """An item as drafted: its IRI, the reforms it reports, its owners and, for a new reform, its name."""

    item: Item
    iri: str
    reforms: list[str]
    reform_linked: bool
    owners: list[tuple[str, str, bool]]  # (source form, IRI, linked)
    dataset: str  # the data set of the item's observations
    new_reform: str | None = None  # the new reform's name when the graph has none for this item
    measures: list[DraftMeasure] = field(default_factory=list)


@dataclass
class Draft:
    """A drafted issue: the Turtle, the report, and what went into them (for tests and measurement)."""

    newsletter: Newsletter
    issue_iri: str
    graph_iri: str
    source_file: str = ""  # the newsletter's file name, recorded as rko:sourceFile
    turtle: str = ""
    report: str = ""
    publisher: str = ""  # the publisher's IRI, linked or minted; empty when the header names none
    area: str = ""  # the issue's place (the most local one its editing body names), linked or minted; empty: none
    series: str = ""  # the series' IRI
    describe_series: bool = False  # whether the draft describes the series (one the curated data does not have)
    items: list[DraftItem] = field(default_factory=list)
    figures: list[DraftFigure] = field(default_factory=list)
    statuses: list[DraftStatus] = field(default_factory=list)
    measures: list[DraftMeasure] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    new_entities: list[NewEntity] = field(default_factory=list)
    minted: dict[str, tuple[str, str]] = field(default_factory=dict)  # IRI → (kind, zh name)
    uncertain: list[str] = field(default_factory=list)
    not_drafted: list[str] = field(default_factory=list)

    def mint(self, kind: str, iri: str, name: str) -> str:
        """Record a new entity's IRI (the first name given for it stays); the IRI back."""
        self.minted.setdefault(iri, (kind, name))
        return iri

    def add_entity(self, entity: NewEntity) -> None:
        """Mint a new organisation, place or document, once per IRI."""
        if entity.iri not in self.minted:
            self.new_entities.append(entity)
        self.mint(entity.kind, entity.iri, entity.name)

    @property
    def issue_token(self) -> str:
        """What names this issue in the IRIs of its status records: the overall number in 改革快报 (107, 108), the
        issue's slug in any other series."""
        header = self.newsletter.header
        if header.series_slug in ("", names.SERIES_SLUG) and header.overall_number is not None:
            return str(header.overall_number)
        return header.slug

    def sentence_iri(self, sentence: Sentence) -> str:
        """The IRI of one of the issue's sentences."""
        return names.sentence_iri(self.issue_iri, sentence)

    def item_iri(self, position: int) -> str:
        """The IRI of one of the issue's items."""
        return names.item_iri(self.issue_iri, position)


def draft_newsletter(newsletter: Newsletter, known: KnownEntities, *, source_file: str) -> Draft:
    """The draft RDF and report for a parsed newsletter, linked to what ``known`` holds."""
    header = newsletter.header
    slug = header.slug
    draft = Draft(newsletter, names.SOURCE_BASE + slug, names.ISSUE_GRAPH_BASE + slug, source_file=source_file)
    draft.series = names.series_iri(header.series_slug or names.SERIES_SLUG)
    draft.describe_series = draft.series not in known.curated_series
    draft.uncertain += newsletter.notes
    if draft.describe_series:
        draft.uncertain.append(
            f"series {header.periodical} <{draft.series}> is not in the curated data: drafted as a new series"
        )
    _draft_publisher(draft, known)
    _draft_area(draft, known)
    _check_contents(draft)
    for item in newsletter.items:
        _draft_item(draft, item, known)
    for item in newsletter.items:
        _draft_mentions(draft, item, known)
    for draft_item in draft.items:
        _draft_measures(draft, draft_item)
    for draft_item in draft.items:
        _draft_figures(draft, draft_item.item)
    draft.turtle = draft_turtle(draft)
    draft.report = draft_report(draft)
    return draft


def _draft_publisher(draft: Draft, known: KnownEntities) -> None:
    """Link the publisher the header names, or mint it."""
    header = draft.newsletter.header
    if header.publisher is None:
        return
    publisher = known.find(header.publisher, "org")
    if publisher is not None:
        draft.publisher = publisher.iri
        return
    sentence = header.sentences.get("publisher")
    if sentence is None:
        draft.uncertain.append(f"publisher {header.publisher} is neither in the graph nor in this issue's header")
        return
    draft.publisher = names.org_iri(header.publisher)
    draft.add_entity(NewEntity("org", draft.publisher, header.publisher, sentence, None, "Agency"))
    draft.uncertain.append(f"publisher {header.publisher} is not in the graph: minted <{draft.publisher}>")


def _draft_area(draft: Draft, known: KnownEntities) -> None:
    """The issue's place: the most local place its editing body names (中共昆明市委… → 昆明市), linked or minted from
    the header; the area of every figure whose sentence names no place. None where the header names no editing body
    or no place in it: nothing is invented."""
    header = draft.newsletter.header
    places = names.publisher_places(header.publisher)
    if not places:
        return
    name = places[-1]
    found = known.find(name, "place")
    if found is not None:
        draft.area = found.iri
        return
    sentence = header.sentences.get("publisher")
    if sentence is None:
        return
    draft.area = names.place_iri(name)
    draft.add_entity(NewEntity("place", draft.area, name, sentence, None, place_class(name)))
    draft.uncertain.append(f"the editing body's place {name} is not in the graph: minted <{draft.area}>")


def _check_contents(draft: Draft) -> None:
    """Note when the contents list does not name the items as they are."""
    contents, items = draft.newsletter.contents, draft.newsletter.items
    if not contents:
        return  # many bulletins have no contents list
    if len(contents) != len(items) or any(c != i.title for c, i in zip(contents, items, strict=False)):
        draft.uncertain.append(f"the contents list ({len(contents)} lines) and the items ({len(items)}) differ")


def _draft_item(draft: Draft, item: Item, known: KnownEntities) -> None:
    """An item: its owners, the reforms it reports (a new one when the graph has none) and their status records."""
    owners = [_draft_owner(draft, item, name, known) for name in item.owners]
    reforms = known_reforms(item, known)
    dataset = names.dataset_iri(draft.newsletter.header.slug, item.position)
    draft_item = DraftItem(item, draft.item_iri(item.position), reforms, bool(reforms), owners, dataset)
    if not reforms:
        name = new_reform_name(item)
        draft_item.new_reform = name
        draft_item.reforms = [draft.mint("reform", names.reform_iri(name), name)]
        if not owners:
            draft.uncertain.append(f"item {item.position} names no owner: none recorded (the shapes will warn)")
        draft.uncertain.append(
            f"item {item.position}: new reform <{draft_item.reforms[0]}> “{name}”; is it one the graph already has?"
        )
    draft.items.append(draft_item)
    _draft_statuses(draft, draft_item, known)


def _draft_owner(draft: Draft, item: Item, name: str, known: KnownEntities) -> tuple[str, str, bool]:
    """An owner the item names: (name, IRI, linked); an owner the graph does not know is minted."""
    found = known.find(name, "org")
    if found is not None:
        return name, found.iri, True
    iri = names.org_iri(name)
    draft.add_entity(NewEntity("org", iri, name, item.owner_sentence, item.position, "Agency"))
    return name, iri, False


def _draft_statuses(draft: Draft, draft_item: DraftItem, known: KnownEntities) -> None:
    """One status record per reform the item reports, at the stage its cues say."""
    item = draft_item.item
    stage = item_stage(item)
    by = accepted_by(stage)
    assessor = known.find(by, "org") if by else None
    if by and assessor is None:
        draft.uncertain.append(f"item {item.position}: accepted by {by}, which the graph does not know")
    for reform in draft_item.reforms:
        iri = names.status_iri(reform, stage.stage, draft.issue_token)
        assessed_by = assessor.iri if assessor else None
        draft.statuses.append(
            DraftStatus(iri, reform, item.position, stage.stage, stage.sentence, stage.cue, assessed_by)
        )
        if stage.cue is None or stage.stage != "accepted":
            draft.uncertain.append(
                f"item {item.position}: stage of <{reform}> read as {stage.stage}"
                + (f" from “{stage.cue}” in {stage.sentence.slug}" if stage.cue else " (no cue)")
            )


def _draft_mentions(draft: Draft, item: Item, known: KnownEntities) -> None:
    """Entities in an item's sentences: documents in 《》, names the graph knows, places, organisation candidates."""
    for sentence in item.text_sentences:
        spans = Spans()
        _draft_documents(draft, item, sentence, known, spans)
        for name, start in known_names(sentence, known, spans):
            k = known.by_label[name]
            draft.mentions.append(Mention(name, k.iri, k.kind, sentence, start, True))
        _draft_places(draft, item, sentence, known, spans)
        for name in organisation_candidates(sentence, spans):
            draft.not_drafted.append(f"organisation? {name} (item {item.position}, {sentence.slug})")


def _draft_documents(draft: Draft, item: Item, sentence: Sentence, known: KnownEntities, spans: Spans) -> None:
    """Titles in 《》: known documents linked, new policy documents minted, other titles listed as not drafted."""
    for title, start in documents(sentence):
        if spans.overlaps(start, len(title)):
            continue
        found = known.find(title, "document") or known.find(f"《{title}》", "document")
        if found is not None:
            spans.claim(start, len(title))
            draft.mentions.append(Mention(title, found.iri, "document", sentence, start, True))
            continue
        if not is_policy_document(title):
            draft.not_drafted.append(
                f"《{title}》 (item {item.position}, {sentence.slug}): not read as a new policy document"
            )
            continue
        iri = names.document_iri(title)
        spans.claim(start, len(title))
        draft.mentions.append(Mention(title, iri, "document", sentence, start, False))
        draft.add_entity(NewEntity("document", iri, title, sentence, item.position, "PolicyDocument"))


def _draft_places(draft: Draft, item: Item, sentence: Sentence, known: KnownEntities, spans: Spans) -> None:
    """Place and forest-farm candidates the graph does not know, minted once each."""
    local = frozenset(names.publisher_places(draft.newsletter.header.publisher))
    for name, start in place_candidates(sentence, local):
        if spans.overlaps(start, len(name)) or known.find(name):
            continue
        spans.claim(start, len(name))
        iri = names.place_iri(name)
        draft.mentions.append(Mention(name, iri, "place", sentence, start, False))
        draft.add_entity(NewEntity("place", iri, name, sentence, item.position, place_class(name)))


def _figure_area(draft: Draft, f, found: list, places: list[Mention]) -> str | None:
    """The place a figure is for: with 分别 and as many places before the figures as figures, the place in the same
    position (东川区、禄劝县、寻甸县…分别增长10.5%、10.7%、10.6%); else the last place its sentence names before it;
    else the issue's place; None when there is none."""
    before = [m for m in places if m.start + len(m.name) <= f.sentence.start + f.local_start]
    if "分别" in f.sentence.text:
        # one figure per place: a change 由A至B counts once, its two figures go with it
        same = [g for g in found if g.sentence == f.sentence and g.figure.role not in ("before", "after")]
        first = min((g.local_start for g in same), default=0)
        listed = [m for m in places if m.start - f.sentence.start < first]
        whole = next((g for g in same if g.local_start <= f.local_start < g.local_start + len(g.figure.text)), None)
        if whole is not None and len(listed) == len(same) > 1:
            return listed[same.index(whole)].iri
    if before:
        return before[-1].iri
    return draft.area or None


def _draft_measures(draft: Draft, draft_item: DraftItem) -> None:
    """The item's enumerated measures, as measures of its first reform."""
    item = draft_item.item
    reform = draft_item.reforms[0]
    for found in enumerated_measures(item):
        iri = names.measure_iri(draft.newsletter.header.slug, item.position, found.ordinal)
        draft.mint("measure", iri, found.label)
        measure = DraftMeasure(iri, item.position, found.ordinal, found.label, found.sentence, found.cue, reform)
        draft_item.measures.append(measure)
        draft.measures.append(measure)
    if draft_item.measures and draft_item.reform_linked:
        draft.uncertain.append(
            f"item {item.position}: {len(draft_item.measures)} measures drafted; link them to <{reform}> "
            "with rko:hasMeasure when reviewed (a draft adds nothing to a reform the graph already has)"
        )


def _draft_figures(draft: Draft, item: Item) -> None:
    """The item's figures written with digits, as observations numbered across the item."""
    found, spelled = item_figures(item)
    slug = draft.newsletter.header.slug
    places: dict[int, list[Mention]] = {}  # by sentence start: the places each sentence names, in order
    for m in draft.mentions:
        if m.kind == "place":
            places.setdefault(m.sentence.start, []).append(m)
    for number, f in enumerate(found, start=1):
        draft.figures.append(
            DraftFigure(
                names.observation_iri(slug, f.sentence, number),
                item.position,
                f.sentence,
                f.figure,
                f.sentence.start + f.local_start,
                f.unit,
                f.value_kind,
                f.cue,
                number,
                names.indicator_iri(slug, f.sentence, number),
                _figure_area(draft, f, found, sorted(places.get(f.sentence.start, []), key=lambda m: m.start)),
                f.period,
            )
        )
        if draft.figures[-1].area is None:
            draft.uncertain.append(
                f"item {item.position}, {f.sentence.slug}: {f.figure.text} names no place and the issue gives none: "
                "set sdmx-dimension:refArea (Data Cube IC-11 refuses an observation without one)"
            )
    if spelled:
        draft.uncertain.append(f"item {item.position}: {spelled} figures written in words were not recorded")
