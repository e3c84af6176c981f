"""Reviewing a draft fact by fact: what it proposes, the reviewer's decisions, and the draft with them applied.

``draft_facts`` lists what a ``draft.ttl`` proposes, each fact with the sentences it comes from and the span of each
that says it: the header fields (series, issue number, date, editing body), the items, their owners, the status
records, new entities (organisations, places, documents, reforms, a new series), measures and figures. Each fact
has an id, its subject's IRI after ``https://w3id.org/reformkg/id/`` (``observation/kunming-gaige-kuaibao-108-…``),
``issue/…`` for the header fields and ``…/owner/<slug>`` for an owner, so the same newsletter ingested again has the
same ids.

A decision accepts or rejects a fact, and may edit it: its Chinese label, its link (the existing entity it stands
for or points at) or its value (a figure's number, the issue's number or date, a status record's stage).
Decisions live in ``review.json`` beside ``draft.ttl`` (written atomically) and ``apply_review`` gives the draft
with them applied, which ``accept`` validates and loads, so the command line and the review page give one result:

- a link replaces what the fact points at; a new entity linked to an existing one is merged into it (every
  reference to it points at the existing one, and its own description is dropped: a draft adds nothing to an entity
  the graph already has);
- a label replaces the @zh label (and the romanisation; the resource is marked ``rko:labelByCurators``);
- a value replaces the number, date or stage;
- a rejected fact is dropped with every triple that points at it, and so is everything hanging only on it: the
  indicator of a rejected figure, a data set left without observations, the ownership records of a rejected owner
  or reform, the status records of a rejected reform.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from reformkg.graph import ID_BASE, queries
from reformkg.graph.errors import InputError, NotFound
from reformkg.graph.ingest.errors import IngestError
from reformkg.graph.ingest.names import local_name, ownership_iri, pinyin_label
from reformkg.graph.ingest.reforms import STAGE_CUES
from reformkg.graph.ingest.turtle import ELI, PROV, QB, RKO, SCHEMA, SDMX_DIMENSION, SKOS, number
from reformkg.graph.namespaces import PREFIXES
from reformkg.graph.store import Store

REVIEW_FILE = "review.json"
SDMX_MEASURE = rdflib.Namespace(PREFIXES["sdmx-measure"])
SDMX_ATTRIBUTE = rdflib.Namespace(PREFIXES["sdmx-attribute"])
#: A fact id: letters, digits and ``._~-`` in ``/``-separated parts, as the ids ``draft_facts`` gives.
FACT_ID = re.compile(r"^[a-z]+(?:/[A-Za-z0-9._~-]+){1,4}$")
DECISIONS = ("accept", "reject")
EDITS = ("label", "link", "value")
MAX_TEXT = 300
#: Kinds of resource that are part of another fact, not facts of their own: dropped once nothing points at them.
SUPPORTING = (PROV.Association, RKO.Indicator, QB.DataSet)
#: Kinds that are facts of their own kind (the rest described with a type is a new entity).
OWN_KINDS = {
    RKO.NewsletterIssue: "issue",
    RKO.NewsletterItem: "item",
    RKO.StatusRecord: "status",
    RKO.Measure: "measure",
    QB.Observation: "figure",
    RKO.SourceSentence: "sentence",
    PROV.Association: "part",
    RKO.Indicator: "part",
    QB.DataSet: "part",
}
#: Where a kind of fact is listed, and in which order within an item.
ORDER = ("header", "series", "item", "owner", "reform", "status", "org", "place", "document", "measure", "figure")
ENTITY_KINDS = ("series", "reform", "org", "place", "document")
HEADER_FIELDS = {
    "series": ("issue/series", SCHEMA.isPartOf),
    "number": ("issue/number", SCHEMA.issueNumber),
    "overall": ("issue/overall-number", RKO.overallIssueNumber),
    "date": ("issue/date", SCHEMA.datePublished),
    "publisher": ("issue/publisher", SCHEMA.publisher),
}


class ReviewError(IngestError):
    """A decision reformkg cannot take (an unknown fact, a value that is not a number, a link to nothing); it names
    the fact, and nothing was saved or loaded."""


@dataclass
class Evidence:
    """A sentence a fact comes from: its IRI, slug, quote and the spans of the quote that say the fact."""

    iri: str
    slug: str
    quote: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    def parts(self) -> list[tuple[str, bool]]:
        """The quote cut at its spans: (text, highlighted) in order."""
        out, position = [], 0
        for start, end in sorted(self.spans):
            if start < position:
                continue
            out += [(self.quote[position:start], False), (self.quote[start:end], True)]
            position = end
        return [p for p in [*out, (self.quote[position:], False)] if p[0]]


@dataclass
class Fact:
    """One thing the draft proposes: its id, kind, subject, label, value, link, sentences, and what may change."""

    id: str
    kind: str  # header, series, item, owner, reform, status, org, place, document, measure, figure
    subject: str
    label: str = ""  # its Chinese label (a figure's: its indicator's)
    value: str = ""  # a figure's number, the issue's number or date, a status record's stage
    link: str = ""  # the entity it points at or stands for (an owner, the series, a figure's area …)
    link_new: bool = False  # whether that entity is one the draft mints
    detail: str = ""  # a line for people: unit and value kind, a header field's name, the reform of a status …
    header_field: str = ""  # a header fact's field: series, number, overall, date, publisher
    item: int = 0  # the item it belongs to (0: the header)
    evidence: list[Evidence] = field(default_factory=list)
    editable: tuple[str, ...] = ()
    rejectable: bool = True


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on a fact: accept or reject, with edits (a label, a link target's IRI, a value)."""

    decision: str = "accept"
    label: str | None = None
    link: str | None = None
    value: str | None = None

    @property
    def edited(self) -> bool:
        return self.decision == "accept" and any(v is not None for v in (self.label, self.link, self.value))

    def as_dict(self) -> dict:
        return {k: v for k, v in (("decision", self.decision), *((e, getattr(self, e)) for e in EDITS)) if v}


# --------------------------------------------------------------------------------------------------------------------
# What a draft proposes
# --------------------------------------------------------------------------------------------------------------------


def fact_id(iri: str) -> str:
    """A subject's fact id: its IRI after ``https://w3id.org/reformkg/id/``."""
    return iri.removeprefix(ID_BASE)


def _zh(graph: rdflib.Graph, subject, *predicates) -> str:
    for predicate in predicates or (RDFS.label,):
        for value in graph.objects(subject, predicate):
            if isinstance(value, Literal) and value.language == "zh":
                return str(value)
    return ""


def _item_of(sentence_iri: str) -> int:
    match = re.search(r"/item-(\d+)(?:-s\d+)?$", sentence_iri)
    return int(match.group(1)) if match else 0


def _find(quote: str, needle: str, nth: int = 0) -> tuple[int, int] | None:
    position = -1
    for _ in range(nth + 1):
        position = quote.find(needle, position + 1)
        if position < 0:
            return None
    return position, position + len(needle)


class _Reader:
    """Reads a draft graph into facts; ``names`` gives the Chinese names of the entities the draft links to."""

    def __init__(self, graph: rdflib.Graph, names: dict[str, list[str]]):
        self.graph = graph
        self.names = names
        self.described = {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}

    def names_of(self, iri) -> list[str]:
        """Every Chinese name of an entity: the draft's labels for one it mints, the graph's for one it links to."""
        node = URIRef(iri)
        found = [
            str(v)
            for p in (RDFS.label, RKO.sourceLabel, SKOS.altLabel, SKOS.prefLabel, ELI.title)
            for v in self.graph.objects(node, p)
            if isinstance(v, Literal) and v.language == "zh"
        ]
        return sorted(dict.fromkeys(found + self.names.get(str(iri), [])), key=lambda n: (-len(n), n))

    def label_of(self, iri) -> str:
        names = self.names_of(iri)
        return _zh(self.graph, URIRef(iri)) or (names[-1] if names else "")

    def evidence(self, subject, needles: list[str], nth: int = 0) -> list[Evidence]:
        """The sentences ``subject`` comes from, each with the first of ``needles`` it holds highlighted."""
        out = []
        for sentence in sorted(self.graph.objects(subject, PROV.wasDerivedFrom), key=str):
            out.append(self.sentence(sentence, needles, nth))
        return out

    def sentence(self, sentence, needles: list[str], nth: int = 0) -> Evidence:
        quote = str(self.graph.value(sentence, RKO.quote) or "")
        found = next((span for n in needles if n and (span := _find(quote, n, nth))), None)
        return Evidence(str(sentence), local_name(str(sentence)), quote, [found] if found else [])

    def facts(self) -> list[Fact]:
        issue = next(iter(self.graph.subjects(RDF.type, RKO.NewsletterIssue)))
        facts = self.header(issue)
        for subject in sorted(self.described, key=str):
            kinds = {OWN_KINDS.get(t) for t in self.graph.objects(subject, RDF.type)} - {None}
            if "item" in kinds:
                facts += self.item(subject)
            elif "status" in kinds:
                facts.append(self.status(subject))
            elif "measure" in kinds:
                facts.append(self.measure(subject))
            elif "figure" in kinds:
                facts.append(self.figure(subject))
            elif not kinds:
                facts.append(self.entity(subject))
        rank = {kind: n for n, kind in enumerate(ORDER)}
        return sorted(facts, key=lambda f: (f.item, rank[f.kind], f.evidence[0].slug if f.evidence else "", f.id))

    def header(self, issue) -> list[Fact]:
        header_sentences = sorted(self.graph.objects(issue, PROV.wasDerivedFrom), key=str)
        facts = []
        for name, (ident, predicate) in HEADER_FIELDS.items():
            value = self.graph.value(issue, predicate)
            if value is None:
                continue
            if isinstance(value, URIRef):
                needles = self.names_of(value)
                fact = Fact(ident, "header", str(issue), link=str(value), link_new=value in self.described)
                fact.label, fact.editable = self.label_of(value), ("link",)
            else:
                text = str(value)
                if name == "date":
                    day = date.fromisoformat(text)
                    needles = [f"{day.year}年{day.month}月{day.day}日"]
                else:
                    needles = [f"总第{text}期"] if name == "overall" else [f"第{text}期"]
                fact = Fact(ident, "header", str(issue), value=text, editable=("value",))
            fact.header_field, fact.rejectable = name, name == "publisher"
            evidence = [self.sentence(s, needles) for s in header_sentences]
            fact.evidence = [e for e in evidence if e.spans][:1] or evidence[:1]
            facts.append(fact)
        return facts

    def item(self, item) -> list[Fact]:
        position = int(self.graph.value(item, SCHEMA.position))
        title = _zh(self.graph, item, SCHEMA.headline)
        reforms = list(self.graph.objects(item, RKO.reports))
        sentences = sorted(self.graph.objects(item, PROV.wasDerivedFrom), key=str)
        fact = Fact(fact_id(str(item)), "item", str(item), label=title, item=position, editable=("label", "link"))
        fact.rejectable = False
        if reforms:
            fact.link, fact.link_new = str(reforms[0]), reforms[0] in self.described
        fact.evidence = [self.sentence(s, [title]) for s in sentences[:1]]
        facts = [fact]
        owner_sentences = sentences[1:]
        for owner in sorted(self.graph.objects(item, RKO.attributedTo), key=str):
            names = self.names_of(owner)
            facts.append(
                Fact(
                    f"{fact.id}/owner/{local_name(str(owner))}",
                    "owner",
                    str(item),
                    label=self.label_of(owner),
                    link=str(owner),
                    link_new=owner in self.described,
                    item=position,
                    evidence=[self.sentence(s, names) for s in owner_sentences[:1]],
                    editable=("link",),
                )
            )
        return facts

    def status(self, record) -> Fact:
        stage = str(self.graph.value(record, RKO.stage)).rsplit("#", 1)[-1].removeprefix("stage-")
        reform = self.graph.value(record, RKO.statusOf)
        needles = []
        for sentence in self.graph.objects(record, PROV.wasDerivedFrom):
            quote = str(self.graph.value(sentence, RKO.quote) or "")
            needles += [m.group(0) for name, cue in STAGE_CUES if name == stage if (m := cue.search(quote))]
        evidence = self.evidence(record, needles)
        return Fact(
            fact_id(str(record)),
            "status",
            str(record),
            label=self.label_of(reform) if reform is not None else "",
            value=stage,
            link=str(reform) if reform is not None else "",
            link_new=reform in self.described,
            item=_item_of(evidence[0].iri) if evidence else 0,
            evidence=evidence,
            editable=("value",),
        )

    def measure(self, measure) -> Fact:
        label = _zh(self.graph, measure)
        evidence = self.evidence(measure, [label])
        return Fact(
            fact_id(str(measure)),
            "measure",
            str(measure),
            label=label,
            detail=str(self.graph.value(measure, RKO.ordinal) or ""),
            item=_item_of(evidence[0].iri) if evidence else 0,
            evidence=evidence,
            editable=("label",),
        )

    def figure(self, observation) -> Fact:
        g = self.graph
        text = str(g.value(observation, RKO.originalText) or "")
        indicator = g.value(observation, RKO.indicator)
        area = g.value(observation, SDMX_DIMENSION.refArea)
        sentence = g.value(observation, PROV.wasDerivedFrom)
        # the n-th figure written the same way in its sentence: count the observations before it with that text
        same = sorted(
            o
            for o in g.subjects(PROV.wasDerivedFrom, sentence)
            if (o, RDF.type, QB.Observation) in g and str(g.value(o, RKO.originalText)) == text
        )
        nth = same.index(observation) if observation in same else 0
        evidence = self.evidence(observation, [text], nth)
        unit = local_name(str(g.value(observation, SDMX_ATTRIBUTE.unitMeasure) or "")).rsplit("#", 1)[-1]
        kind = str(g.value(observation, RKO.valueKind) or "").rsplit("#", 1)[-1]
        return Fact(
            fact_id(str(observation)),
            "figure",
            str(observation),
            label=_zh(g, indicator, SKOS.prefLabel) if indicator is not None else "",
            value=str(g.value(observation, SDMX_MEASURE.obsValue)),
            link=str(area) if area is not None else "",
            link_new=area in self.described,
            detail=f"{text} · {unit} · {kind}",
            item=_item_of(evidence[0].iri) if evidence else 0,
            evidence=evidence,
            editable=("label", "link", "value"),
        )

    def entity(self, subject) -> Fact:
        kind = fact_id(str(subject)).split("/", 1)[0]
        kind = {"source": "series"}.get(kind, kind)
        label = _zh(self.graph, subject)
        evidence = self.evidence(subject, self.names_of(subject))
        types = sorted(self.graph.namespace_manager.normalizeUri(t) for t in self.graph.objects(subject, RDF.type))
        return Fact(
            fact_id(str(subject)),
            kind if kind in ORDER else "org",
            str(subject),
            label=label,
            detail=", ".join(types),
            item=min((_item_of(e.iri) for e in evidence), default=0),
            evidence=evidence,
            editable=("label", "link"),
            rejectable=kind != "series",
        )


def linked_names(store: Store | None, graph: rdflib.Graph) -> dict[str, list[str]]:
    """The Chinese names, from the store, of the entities the draft points at but does not describe."""
    described = set(graph.subjects(RDF.type, None))
    linked = sorted(
        {str(o) for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(ID_BASE) and o not in described}
    )
    names: dict[str, list[str]] = {}
    if store is not None and linked:
        for row in queries.run(store, "ingest-names", entity=linked).rows():
            names.setdefault(row["entity"], []).append(row["name"])
    return names


def draft_facts(graph: rdflib.Graph, store: Store | None = None) -> list[Fact]:
    """What a draft proposes, fact by fact (see the module's description)."""
    return _Reader(graph, linked_names(store, graph)).facts()


# --------------------------------------------------------------------------------------------------------------------
# Decisions: checked, saved, read
# --------------------------------------------------------------------------------------------------------------------


def draft_digest(draft_file: Path) -> str:
    return hashlib.sha256(Path(draft_file).read_bytes()).hexdigest()


def read_review(draft_dir: Path) -> dict[str, Decision]:
    """The decisions saved with a draft (none when it has no review.json); IngestError naming the file when it is
    not one reformkg wrote."""
    path = Path(draft_dir) / REVIEW_FILE
    if not path.exists():
        return {}
    if path.is_symlink() or not path.is_file():
        raise IngestError(f"{path}: not a regular file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        decisions = {str(k): Decision(**v) for k, v in data["decisions"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IngestError(f"{path}: not a review reformkg wrote ({type(error).__name__}: {error})") from None
    for ident, decision in decisions.items():
        if decision.decision not in DECISIONS:
            raise IngestError(f"{path}: fact {ident}: decision {decision.decision!r} is neither accept nor reject")
    return decisions


def save_review(draft_dir: Path, decisions: dict[str, Decision]) -> Path:
    """Write the decisions to review.json beside draft.ttl, atomically (a temporary file, then renamed)."""
    draft_dir = Path(draft_dir)
    path = draft_dir / REVIEW_FILE
    data = {
        "draft": draft_digest(draft_dir / "draft.ttl"),
        "decisions": {k: decisions[k].as_dict() for k in sorted(decisions)},
    }
    handle, temporary = tempfile.mkstemp(prefix=".review-", suffix=".json", dir=draft_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise IngestError(f"{path}: cannot write the review: {error.strerror or error}") from None
    return path


def _exists(store: Store, iri: str) -> bool:
    from reformkg.graph.entities import exists

    return exists(store, iri)


def check_decisions(facts: list[Fact], decisions: dict[str, Decision], store: Store) -> dict[str, Decision]:
    """The decisions checked against the facts, with links resolved to IRIs (an IRI, a slug or a label, as
    ``reformkg.graph.resolve`` reads them); ReviewError naming the fact for an unknown fact, a rejection of a fact
    that must stay, a value that does not fit or a link to an entity the graph does not have."""
    from reformkg.graph.resolve import resolve

    by_id = {f.id: f for f in facts}
    checked = {}
    for ident, decision in decisions.items():
        fact = by_id.get(ident)
        if fact is None:
            raise ReviewError(f"no fact {ident!r} in this draft")
        if decision.decision not in DECISIONS:
            raise ReviewError(f"fact {ident}: the decision is accept or reject, not {decision.decision!r}")
        if decision.decision == "reject":
            if not fact.rejectable:
                raise ReviewError(f"fact {ident}: a {fact.kind} cannot be rejected; edit it instead")
            checked[ident] = Decision("reject")
            continue
        for edit in EDITS:
            given = getattr(decision, edit)
            if given is not None and edit not in fact.editable:
                raise ReviewError(f"fact {ident}: its {edit} cannot be edited (a {fact.kind})")
            if given is not None and (not given.strip() or len(given) > MAX_TEXT or "\n" in given or "\r" in given):
                raise ReviewError(f"fact {ident}: the {edit} must be one line of 1 to {MAX_TEXT} characters")
        label, link, value = (getattr(decision, e) and getattr(decision, e).strip() for e in EDITS)
        if value is not None:
            value = _check_value(fact, value, store)
        if link is not None:
            try:
                link = resolve(store, link)
            except (NotFound, InputError) as error:
                message = f"fact {ident}: the link target {link!r} is not an entity in the graph ({error})"
                raise ReviewError(message) from None
        checked[ident] = Decision("accept", label, link, value)
    return checked


def _check_value(fact: Fact, value: str, store: Store) -> str:
    if fact.kind == "figure":
        try:
            number_value = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ReviewError(f"fact {fact.id}: {value!r} is not a number") from None
        if not number_value.is_finite():
            raise ReviewError(f"fact {fact.id}: {value!r} is not a number")
        return format(number_value.normalize(), "f")
    if fact.header_field == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ReviewError(f"fact {fact.id}: {value!r} is not a date (YYYY-MM-DD)") from None
    if fact.header_field == "overall":
        if not value.isdigit():
            raise ReviewError(f"fact {fact.id}: {value!r} is not a whole number")
        return str(int(value))
    if fact.kind == "status":
        stage = value.removeprefix("stage-")
        if not re.fullmatch(r"[a-z-]+", stage) or not _exists(store, str(RKO[f"stage-{stage}"])):
            raise ReviewError(f"fact {fact.id}: {value!r} is not a stage (launched, pilot, accepted …)")
        return stage
    return value


# --------------------------------------------------------------------------------------------------------------------
# The draft with the decisions applied
# --------------------------------------------------------------------------------------------------------------------


def _replace_object(graph: rdflib.Graph, old: URIRef, new: URIRef, subjects=None) -> None:
    for s, p, _o in list(graph.triples((None, None, old))):
        if subjects is None or s in subjects:
            graph.remove((s, p, old))
            graph.add((s, p, new))


def _drop(graph: rdflib.Graph, subject: URIRef) -> None:
    for _s, _p, o in list(graph.triples((subject, None, None))):
        if isinstance(o, rdflib.BNode):
            graph.remove((o, None, None))
    graph.remove((subject, None, None))
    graph.remove((None, None, subject))


def _merge(graph: rdflib.Graph, old: URIRef, new: URIRef) -> None:
    """A new entity is an existing one: references to it point at that one, its own description goes."""
    _replace_object(graph, old, new)
    for _s, _p, o in list(graph.triples((old, None, None))):
        if isinstance(o, rdflib.BNode):
            graph.remove((o, None, None))
    graph.remove((old, None, None))


def _relabel(graph: rdflib.Graph, subject: URIRef, predicates, label: str) -> None:
    for predicate in predicates:
        for value in list(graph.objects(subject, predicate)):
            if isinstance(value, Literal) and value.language == "zh":
                graph.remove((subject, predicate, value))
                graph.add((subject, predicate, Literal(label, lang="zh")))
    for value in list(graph.objects(subject, SKOS.altLabel)):
        if isinstance(value, Literal) and value.language == "zh-Latn-pinyin":
            graph.remove((subject, SKOS.altLabel, value))
            graph.add((subject, SKOS.altLabel, Literal(pinyin_label(label), lang="zh-Latn-pinyin")))
    graph.set((subject, RKO.labelByCurators, Literal(True)))


def _set_link(graph: rdflib.Graph, fact: Fact, target: URIRef) -> None:
    old = URIRef(fact.link) if fact.link else None
    subject = URIRef(fact.subject)
    if fact.kind == "figure":
        graph.remove((subject, SDMX_DIMENSION.refArea, None))
        graph.add((subject, SDMX_DIMENSION.refArea, target))
    elif old is not None and fact.link_new:
        _merge(graph, old, target)  # the draft minted it: the reviewer says it is an entity the graph has
    elif fact.kind == "owner" and old is not None:
        reforms = set(graph.objects(subject, RKO.reports))
        associations = {a for r in reforms for a in graph.objects(r, PROV.qualifiedAssociation)}
        _replace_object(graph, old, target, {subject, *reforms, *associations})
        for association in associations:
            if (association, PROV.agent, target) in graph:
                reform = next(graph.subjects(PROV.qualifiedAssociation, association))
                _rename(graph, association, URIRef(ownership_iri(str(target), str(reform))))
    elif fact.kind == "item" and old is not None:
        # the item reports another reform: so do the status records and figures drawn from its sentences
        prefix = fact.subject + "-s"
        derived = {s for s, o in graph.subject_objects(PROV.wasDerivedFrom) if str(o).startswith(prefix)}
        _replace_object(graph, old, target, {subject, *derived})
    elif fact.kind == "header" and old is not None:
        graph.remove((subject, HEADER_FIELDS[fact.header_field][1], old))
        graph.add((subject, HEADER_FIELDS[fact.header_field][1], target))
    elif fact.kind == "item":
        graph.add((subject, RKO.reports, target))
    elif fact.kind in ENTITY_KINDS:
        _merge(graph, subject, target)


def _rename(graph: rdflib.Graph, old: URIRef, new: URIRef) -> None:
    if old == new:
        return
    for _s, p, o in list(graph.triples((old, None, None))):
        graph.remove((old, p, o))
        graph.add((new, p, o))
    _replace_object(graph, old, new)


def _set_label(graph: rdflib.Graph, fact: Fact, label: str) -> None:
    subject = URIRef(fact.subject)
    if fact.kind == "figure":
        indicator = graph.value(subject, RKO.indicator)
        if indicator is not None:
            _relabel(graph, indicator, [SKOS.prefLabel], label)
    elif fact.kind == "item":
        _relabel(graph, subject, [SCHEMA.headline, RDFS.label], label)
    elif (subject, None, None) in graph:
        _relabel(graph, subject, [RDFS.label, ELI.title], label)


def _set_value(graph: rdflib.Graph, fact: Fact, value: str) -> None:
    subject = URIRef(fact.subject)
    if fact.kind == "figure":
        unit = local_name(str(graph.value(subject, SDMX_ATTRIBUTE.unitMeasure))).rsplit("#", 1)[-1]
        graph.set((subject, SDMX_MEASURE.obsValue, number(Decimal(value), unit)))
    elif fact.kind == "status":
        graph.set((subject, RKO.stage, RKO[f"stage-{value}"]))
    elif fact.header_field == "date":
        old = graph.value(subject, SCHEMA.datePublished)
        new = Literal(value, datatype=XSD.date)
        graph.set((subject, SCHEMA.datePublished, new))
        for record in list(graph.subjects(RKO.reportedOn, old)):
            graph.set((record, RKO.reportedOn, new))
    elif fact.header_field == "overall":
        graph.set((subject, RKO.overallIssueNumber, Literal(int(value))))
    elif fact.header_field == "number":
        graph.set((subject, SCHEMA.issueNumber, Literal(value)))


def _reject(graph: rdflib.Graph, fact: Fact) -> None:
    subject = URIRef(fact.subject)
    if fact.kind == "owner":
        owner = URIRef(fact.link)
        graph.remove((subject, RKO.attributedTo, owner))
        for reform in graph.objects(subject, RKO.reports):
            graph.remove((reform, PROV.wasAssociatedWith, owner))
            for association in list(graph.objects(reform, PROV.qualifiedAssociation)):
                if (association, PROV.agent, owner) in graph:
                    _drop(graph, association)
    elif fact.kind == "header":
        graph.remove((subject, HEADER_FIELDS[fact.header_field][1], URIRef(fact.link) if fact.link else None))
    else:
        _drop(graph, subject)


def _hanging(graph: rdflib.Graph) -> set:
    """What hangs only on dropped facts: supporting resources nothing points at any more, ownership records without
    an agent or a reform, status records whose reform is gone."""
    out = set()
    for kind in SUPPORTING:
        for subject in graph.subjects(RDF.type, kind):
            if (None, None, subject) not in graph:
                out.add(subject)
    for association in graph.subjects(RDF.type, PROV.Association):
        if graph.value(association, PROV.agent) is None:
            out.add(association)
    for record in graph.subjects(RDF.type, RKO.StatusRecord):
        if graph.value(record, RKO.statusOf) is None:
            out.add(record)
    return out


def apply_review(graph: rdflib.Graph, facts: list[Fact], decisions: dict[str, Decision]) -> rdflib.Graph:
    """The draft with checked decisions applied (see the module's description); ``graph`` is left as it is."""
    out = rdflib.Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True, replace=True)
    for triple in graph:
        out.add(triple)
    by_id = {f.id: f for f in facts}
    chosen = [(by_id[i], d) for i, d in sorted(decisions.items()) if i in by_id]
    for fact, decision in chosen:
        if decision.decision == "accept" and decision.link is not None:
            _set_link(out, fact, URIRef(decision.link))
    for fact, decision in chosen:
        if decision.decision == "accept" and decision.label is not None:
            _set_label(out, fact, decision.label)
        if decision.decision == "accept" and decision.value is not None:
            _set_value(out, fact, decision.value)
    for fact, decision in chosen:
        if decision.decision == "reject":
            _reject(out, fact)
    while hanging := _hanging(out):
        for subject in hanging:
            _drop(out, subject)
    return out


def review_counts(facts: list[Fact], decisions: dict[str, Decision]) -> dict[str, int]:
    """How many facts there are, how many are decided, rejected and edited."""
    ids = {f.id for f in facts}
    decided = [d for i, d in decisions.items() if i in ids]
    return {
        "facts": len(facts),
        "decided": len(decided),
        "rejected": sum(d.decision == "reject" for d in decided),
        "edited": sum(d.edited for d in decided),
    }


__all__ = [
    "REVIEW_FILE",
    "Decision",
    "Evidence",
    "Fact",
    "ReviewError",
    "apply_review",
    "check_decisions",
    "draft_facts",
    "read_review",
    "review_counts",
    "save_review",
]
