"""Ingest a newsletter in the seed's layout into draft RDF for review, then accept it as the issue's named graph.

``parse_newsletter`` reads the header, contents and items (with owners from the trailing parentheses);
``draft_newsletter`` links what the graph already knows (by its zh labels, altLabels and source labels), proposes
candidates for the rest (places and forest farms by jieba's part-of-speech tags and place suffixes, policy documents
in 《》, enumerated measures 一是…二是…, figures by ``graph.figures``) and writes readable Turtle in which every fact
points at its sentence. ``accept`` validates a draft with the project's SHACL shapes and loads it into
``https://w3id.org/reformkg/graph/issue/<slug>``; ``withdraw`` drops that graph again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from reformkg.graph import GRAPH_BASE, ID_BASE
from reformkg.graph import ontology_dir as shipped_ontology
from reformkg.graph.figures import Figure, find_figures
from reformkg.graph.namespaces import PREFIXES as NAMESPACES
from reformkg.graph.sources import ITEM_LINE, Sentence, chinese_numeral, segment
from reformkg.graph.store import Store, StoreError, check_input_file

log = logging.getLogger(__name__)

RKO = "https://w3id.org/reformkg/ontology#"
ISSUE_GRAPH_BASE = GRAPH_BASE + "issue/"
SERIES_SLUG = "kunming-gaige-kuaibao"
SOURCE_BASE = ID_BASE + "source/"

HEADER_TITLE = re.compile(r"^(?P<name>\S+?)第(?P<issue>\d+)期[(（]总第(?P<overall>\d+)期[)）]$")
HEADER_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
OWNERS = re.compile(r"^[(（]([^()（）]+)[)）]$")
DOCUMENT = re.compile(r"《([^《》]{2,60})》")
POLICY_DOCUMENT_ENDINGS = (
    "方案",
    "办法",
    "政策",
    "意见",
    "规定",
    "通知",
    "规划",
    "条例",
    "细则",
    "计划",
    "决定",
    "措施",
)
ORDINALS = "一二三四五六七八九十"
ENUMERATED = re.compile(r"([一二三四五六七八九十])是")
ACCEPTED_BY = re.compile(r"通过(.{2,30}?)验收")
AGENCY_MENTION = re.compile(
    r"(?:(?<![我本全各该])[省市县区](?!级)[\u4e00-\u9fff]{1,10}?(?:局|办|委|部|厅|委员会|办公室|领导小组|中心)"
    r"|[\u4e00-\u9fff]{2,16}?(?:有限公司|集团|合作社|商会))"
)
PLACE_SUFFIXES = {"市": "City", "县": "County", "区": "District", "镇": "Town", "乡": "Town", "村": "Village"}
#: Words ending like a place that name a kind of area, not a place (地区, 园区 …).
NOT_PLACE_ENDINGS = (
    "地区",
    "社区",
    "园区",
    "山区",
    "景区",
    "小区",
    "城区",
    "片区",
    "辖区",
    "示范县",
    "贫困县",
    "贫困村",
)
PLACE_SUFFIX_WORDS = {"市": "city", "县": "county", "区": "district", "镇": "town", "乡": "township", "村": "village"}
AGENCY_SUFFIX_WORDS = [
    ("领导小组", "leading-group"),
    ("委员会", "commission"),
    ("办公室", "office"),
    ("有限公司", "company"),
    ("管理局", "administration"),
    ("局", "bureau"),
    ("办", "office"),
    ("委", "commission"),
    ("部", "department"),
    ("厅", "department"),
    ("中心", "center"),
]

#: Stage cues, strongest first; a title's cue wins over the lede's (MODEL.md "Status over time").
STAGE_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("accepted", re.compile(r"通过.{0,30}?验收")),
    ("policy-issued", re.compile(r"印发|出台")),
    ("deepening", re.compile(r"深化")),
    ("pilot", re.compile(r"试点")),
]
PLANNED = re.compile(r"计划|力争|目标|预计")
POLICY_PARAMETER = re.compile(r"给予|补助|补贴|奖补|资助|奖励|扶持资金|不超过|最高|上限")
PER_MONTH = re.compile(r"每月")
QUALIFIERS = {"atLeast", "atMost", "moreThan", "range"}

ORG_CLASSES = {RKO + c for c in ("Agency", "LeadingGroup", "Enterprise", "StateForestFarm")}
PLACE_CLASSES = {RKO + c for c in ("Province", "City", "District", "County", "Town", "Village", "ForestFarmSite")}
REFORM_CLASSES = {RKO + "ReformInitiative", RKO + "ReformPilot"}
DOCUMENT_CLASSES = {RKO + "PolicyDocument"}

#: MODEL.md's prefixes; a draft writes only those it uses (``note`` and ``kb107`` belong to the seed).
PREFIXES = {k: v for k, v in NAMESPACES.items() if k not in ("note", "kb107", "rdf", "owl")}


class IngestError(ValueError):
    """A newsletter or draft reformkg cannot take; the message says why. Nothing was written."""


# ---------------------------------------------------------------------------------------------------------------
# Parsing the layout
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    periodical: str
    issue_number: str
    overall_number: int
    publisher: str
    date: dt.date

    @property
    def slug(self) -> str:
        return f"{SERIES_SLUG}-{self.overall_number}"


@dataclass
class Item:
    position: int
    title: str
    sentences: list[Sentence]
    owners: list[str] = field(default_factory=list)
    owner_sentence: Sentence | None = None

    @property
    def body(self) -> list[Sentence]:
        """The item's sentences after its title, without the trailing owners."""
        return [s for s in self.sentences[1:] if s is not self.owner_sentence]


@dataclass
class Newsletter:
    text: str
    header: Header
    contents: list[str]
    items: list[Item]
    sentences: list[Sentence]

    def sentence(self, slug: str) -> Sentence:
        return next(s for s in self.sentences if s.slug == slug)


def decode_newsletter(data: bytes, name: str = "input") -> str:
    """The text of a newsletter file: UTF-8 or an error that says so."""
    if not data.strip():
        raise IngestError(f"{name}: the file is empty")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise IngestError(
            f"{name}: not UTF-8 text (byte {error.start}: {data[error.start : error.start + 1]!r}); "
            "save the newsletter as UTF-8 and try again"
        ) from None


def parse_newsletter(text: str, name: str = "input") -> Newsletter:
    """Header, contents and items of a newsletter in the seed's layout; IngestError when the layout is not there."""
    if not text.strip():
        raise IngestError(f"{name}: the file is empty")
    lines = text.split("\n")
    first = lines[0].strip()
    title = HEADER_TITLE.match(first)
    if title is None:
        raise IngestError(
            f"{name}: no header: the first line must name the issue like 改革快报第6期(总第107期), found {first[:40]!r}"
        )
    if len(lines) < 3 or not lines[1].strip():
        raise IngestError(f"{name}: no header: the second line must name the publisher")
    date = HEADER_DATE.match(lines[2].strip())
    if date is None:
        raise IngestError(f"{name}: no header: the third line must be the date like 2017年8月1日, found {lines[2]!r}")
    try:
        published = dt.date(*(int(g) for g in date.groups()))
    except ValueError as error:
        raise IngestError(f"{name}: the date {lines[2].strip()!r} is not a calendar date: {error}") from None
    header = Header(title["name"], title["issue"], int(title["overall"]), lines[1].strip(), published)
    sentences = segment(text)
    contents = [ITEM_LINE.sub("", s.text).strip() for s in sentences if s.section == "contents"]
    items: list[Item] = []
    by_section: dict[str, list[Sentence]] = {}
    for sentence in sentences:
        if sentence.section.startswith("item-"):
            by_section.setdefault(sentence.section, []).append(sentence)
    for section, item_sentences in by_section.items():
        position = int(section.removeprefix("item-"))
        first_sentence = item_sentences[0].text
        numeral = ITEM_LINE.match(first_sentence)
        if numeral is not None and chinese_numeral(numeral.group(1)) != position:
            raise IngestError(f"{name}: item {position} starts with {numeral.group(0)!r}")
        item_title = ITEM_LINE.sub("", first_sentence).rstrip("。").strip()
        item = Item(position, item_title, item_sentences)
        last = item_sentences[-1]
        owners = OWNERS.match(last.text) if len(item_sentences) > 1 else None
        if owners is not None:
            item.owners = [o.strip() for o in re.split(r"[、,，]", owners.group(1)) if o.strip()]
            item.owner_sentence = last
        items.append(item)
    if not items:
        raise IngestError(f"{name}: no items: after the contents list, each item starts with its number (一、…)")
    return Newsletter(text, header, contents, items, sentences)


# ---------------------------------------------------------------------------------------------------------------
# What the graph already knows
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    iri: str
    kind: str  # org, place, reform, document
    types: frozenset[str]


@dataclass
class KnownEntities:
    """Entities in the graph by their zh names (labels, altLabels, source labels), and reform pilots by place."""

    by_label: dict[str, Known] = field(default_factory=dict)
    pilot_places: dict[str, list[str]] = field(default_factory=dict)  # pilot IRI → its places
    parents: dict[str, str] = field(default_factory=dict)  # pilot IRI → the reform it is part of
    labels: dict[str, list[str]] = field(default_factory=dict)  # IRI → its zh names

    def find(self, name: str, kind: str | None = None) -> Known | None:
        known = self.by_label.get(name)
        return known if known is not None and (kind is None or known.kind == kind) else None


KNOWN_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rko: <https://w3id.org/reformkg/ontology#>
SELECT DISTINCT ?e ?type ?label WHERE {
  GRAPH ?g { ?e rdfs:label|skos:altLabel|rko:sourceLabel ?label }
  ?e a ?type .
  FILTER(STRSTARTS(STR(?e), "%(base)s") && langMatches(lang(?label), "zh") && !langMatches(lang(?label), "zh-Latn"))
  FILTER(?g != <%(exclude)s>)
}
"""
PILOT_QUERY = """
PREFIX rko: <https://w3id.org/reformkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?pilot ?place ?parent WHERE {
  GRAPH ?g { ?pilot a rko:ReformPilot ; dcterms:spatial ?place . OPTIONAL { ?pilot dcterms:isPartOf ?parent } }
  FILTER(?g != <%(exclude)s>)
}
"""


def known_entities(store: Store | None, *, exclude_graph: str = "urn:reformkg:none") -> KnownEntities:
    """What the graph knows, outside ``exclude_graph`` (the issue's own graph, so re-ingesting it is stable)."""
    known = KnownEntities()
    if store is None:
        return known
    types: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for row in store.query(KNOWN_QUERY % {"base": ID_BASE, "exclude": exclude_graph}).rows():
        types.setdefault(row["e"], set()).add(row["type"])
        names.setdefault(row["e"], set()).add(row["label"])
    ambiguous: set[str] = set()
    for iri in sorted(types):
        kind = _kind(types[iri])
        if kind is None:
            continue
        known.labels[iri] = sorted(names[iri], key=lambda n: (-len(n), n))
        for name in sorted(names[iri]):
            if len(name) < 2:  # one-character source labels (省) are too ambiguous to link by
                continue
            current = known.by_label.get(name)
            # a forest farm is a site and an institution of one name: a mention links the site (the place)
            if current is None or KIND_PRIORITY[kind] < KIND_PRIORITY[current.kind]:
                known.by_label[name] = Known(iri, kind, frozenset(types[iri]))
            elif KIND_PRIORITY[kind] == KIND_PRIORITY[current.kind] and current.iri != iri:
                ambiguous.add(name)  # 《办法》 names three documents: link none of them
    for name in ambiguous:
        known.by_label.pop(name, None)
    for row in store.query(PILOT_QUERY % {"exclude": exclude_graph}).rows():
        known.pilot_places.setdefault(row["pilot"], []).append(row["place"])
        if row["parent"]:
            known.parents[row["pilot"]] = row["parent"]
    return known


KIND_PRIORITY = {"reform": 0, "document": 1, "place": 2, "org": 3}


def _kind(types: set[str]) -> str | None:
    if types & REFORM_CLASSES:
        return "reform"
    if types & ORG_CLASSES:
        return "org"
    if types & PLACE_CLASSES:
        return "place"
    if types & DOCUMENT_CLASSES:
        return "document"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Slugs and names
# ---------------------------------------------------------------------------------------------------------------


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def pinyin_slug(name: str) -> str:
    """An ASCII slug from a Chinese name: pinyin without tones, one hyphen between jieba's words."""
    from pypinyin import lazy_pinyin

    words = [w for w in _jieba().cut(name) if w.strip()]
    parts = ["".join(lazy_pinyin(w)) for w in words]
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)
    return re.sub(r"-{2,}", "-", slug).strip("-")[:80].rstrip("-") or "x"


def pinyin_label(name: str) -> str:
    """The romanisation with tone marks, one capitalised word per jieba word (Hǎikǒu Línchǎng)."""
    from pypinyin import Style, pinyin

    words = [w for w in _jieba().cut(name) if w.strip()]
    return " ".join("".join(p[0] for p in pinyin(w, style=Style.TONE)).capitalize() for w in words)


def place_slug(name: str) -> str:
    if name.endswith("林场"):
        return pinyin_slug(name.removesuffix("林场")) + "-forest-farm"
    suffix = name[-1]
    if suffix in PLACE_SUFFIX_WORDS and len(name) > 2:
        return pinyin_slug(name[:-1]) + "-" + PLACE_SUFFIX_WORDS[suffix]
    return pinyin_slug(name)


def agency_slug(name: str) -> str:
    for word, english in AGENCY_SUFFIX_WORDS:
        if name.endswith(word) and len(name) > len(word):
            return pinyin_slug(name.removesuffix(word)) + "-" + english
    return pinyin_slug(name)


# ---------------------------------------------------------------------------------------------------------------
# Turtle
# ---------------------------------------------------------------------------------------------------------------


def lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^{datatype}'
    return f'"{escaped}"'


def number(value: Decimal, unit: str) -> str:
    """A Turtle number: xsd:decimal for rates and fractions, xsd:integer for counts and yuan."""
    if unit == "percent" or value != value.to_integral_value():
        text = format(value.normalize(), "f")
        return text if "." in text else text + ".0"
    return str(int(value))


def curie(iri: str) -> str:
    for prefix, base in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(base):
            local = iri[len(base) :]
            if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return f"<{iri}>"


@dataclass
class Block:
    comment: str
    subject: str
    types: list[str]
    props: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, predicate: str, *objects: str) -> Block:
        values = [o for o in objects if o]
        if values:
            self.props.append((predicate, values))
        return self

    def turtle(self) -> str:
        lines = [f"# {self.comment}", f"{curie(self.subject)} a {' , '.join(self.types)}"]
        for predicate, objects in self.props:
            lines[-1] += " ;"
            lines.append(f"    {predicate} {' , '.join(objects)}")
        lines[-1] += " ."
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Drafting
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Mention:
    name: str
    iri: str
    kind: str
    sentence: Sentence
    start: int  # offset in the source text
    linked: bool


@dataclass
class DraftFigure:
    iri: str
    item: int
    sentence: Sentence
    figure: Figure
    start: int
    unit: str
    value_kind: str
    cue: str | None


@dataclass
class DraftStatus:
    iri: str
    reform: str
    item: int
    stage: str
    sentence: Sentence
    cue: str | None
    assessed_by: str | None


@dataclass
class DraftItem:
    item: Item
    iri: str
    reforms: list[str]
    reform_linked: bool
    owners: list[tuple[str, str, bool]]  # (source form, IRI, linked)


@dataclass
class Draft:
    """A drafted issue: the Turtle, the report, and what went into them (for tests and measurement)."""

    newsletter: Newsletter
    issue_iri: str
    graph_iri: str
    turtle: str = ""
    report: str = ""
    items: list[DraftItem] = field(default_factory=list)
    figures: list[DraftFigure] = field(default_factory=list)
    statuses: list[DraftStatus] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    minted: dict[str, tuple[str, str]] = field(default_factory=dict)  # IRI → (kind, zh name)
    uncertain: list[str] = field(default_factory=list)
    not_drafted: list[str] = field(default_factory=list)


def issue_graph_iri(overall_number: int | str) -> str:
    return f"{ISSUE_GRAPH_BASE}{SERIES_SLUG}-{overall_number}"


def issue_iri(overall_number: int | str) -> str:
    return f"{SOURCE_BASE}{SERIES_SLUG}-{overall_number}"


def _scan_known(text: str, offset: int, known: KnownEntities, taken: list[tuple[int, int]]) -> list[tuple[str, int]]:
    """Known names in a sentence, longest first and not overlapping: (name, absolute start)."""
    found = []
    for name in sorted(known.by_label, key=lambda n: (-len(n), n)):
        for match in re.finditer(re.escape(name), text):
            a, b = offset + match.start(), offset + match.end()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append((name, a))
    return found


def _place_candidates(sentence: Sentence) -> list[tuple[str, int]]:
    """Places and forest farms jieba tags (ns, or a name followed by 县/区/镇/乡/村/林场)."""
    import jieba.posseg as pseg

    _jieba()
    tokens, position = [], 0
    for pair in pseg.cut(sentence.text):
        tokens.append((pair.word, pair.flag, position))
        position += len(pair.word)
    found = []
    for i, (word, flag, start) in enumerate(tokens):
        if word.endswith("林场") or (word in PLACE_SUFFIXES and i > 0):
            j, has_name = i, word != "林场" and len(word) > 2 and flag.startswith("ns")
            while j > 0 and i - j < 4:
                prev_word, prev_flag, _ = tokens[j - 1]
                short_name = prev_flag == "nr" and len(prev_word) == 2  # 晋宁 + 区; not 建立健全 + 县
                if (
                    prev_flag == "ns"
                    or short_name
                    or (word not in PLACE_SUFFIXES and prev_flag in ("nr", "nz", "b", "zg"))
                ):
                    has_name = has_name or prev_flag in ("ns", "nr", "nz")
                    j -= 1
                    if word in PLACE_SUFFIXES:
                        break  # 禄劝 + 县: one name before a bare suffix
                else:
                    break
            if has_name and j < i:
                begin = tokens[j][2]
                found.append((sentence.text[begin : start + len(word)], sentence.start + begin))
        elif flag == "ns" and len(word) >= 3 and word[-1] in PLACE_SUFFIXES:
            found.append((word, sentence.start + start))
    return [(name, start) for name, start in found if not name.endswith(NOT_PLACE_ENDINGS)]


def _stage(item: Item) -> tuple[str, Sentence, str | None]:
    """The stage an item reports, from cues in its title, else its first two body sentences."""
    for sentences in ([item.sentences[0]], item.body[:2]):
        for stage, cue in STAGE_CUES:
            for sentence in sentences:
                match = cue.search(sentence.text)
                if match:
                    return stage, sentence, match.group(0)
    return "in-progress", (item.body[0] if item.body else item.sentences[0]), None


def _reforms_for(item: Item, known: KnownEntities) -> list[str]:
    """Known reforms an item reports: pilots whose place its title names, else reforms its title names."""
    title = item.title
    if "改革" in title or "试点" in title:
        pilots = []
        for pilot, places in sorted(known.pilot_places.items()):
            if any(any(name in title for name in known.labels.get(place, []) if len(name) >= 3) for place in places):
                pilots.append(pilot)
        if pilots:
            return pilots
    named = [
        k.iri
        for name, k in sorted(known.by_label.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        if k.kind == "reform" and len(name) >= 4 and name in title
    ]
    return list(dict.fromkeys(named))[:1]


def _context_label(sentence: Sentence, local_start: int) -> str:
    """The words before a figure, back to the previous punctuation: a draft indicator name."""
    before = re.split(r"[,，。；;:：、]", sentence.text[:local_start])[-1]
    before = re.sub(r"^[一二三四五六七八九十]是", "", before).strip()
    return before or sentence.text[max(0, local_start - 12) : local_start]


def draft_newsletter(newsletter: Newsletter, known: KnownEntities, *, source_file: str) -> Draft:
    """The draft RDF and report for a parsed newsletter, linked to what ``known`` holds."""
    header = newsletter.header
    n = header.overall_number
    issue = issue_iri(n)
    draft = Draft(newsletter, issue, issue_graph_iri(n))
    sentence_iri = lambda s: f"{issue}/{s.slug}"  # noqa: E731
    item_iri = lambda p: f"{issue}/item-{p}"  # noqa: E731
    blocks: dict[str, list[Block]] = {
        "issue": [],
        "reforms": [],
        "status": [],
        "agencies": [],
        "places": [],
        "documents": [],
        "measures": [],
        "figures": [],
        "sentences": [],
    }
    date = lit(header.date.isoformat(), datatype="xsd:date")

    def mint(kind: str, iri: str, name: str) -> str:
        draft.minted.setdefault(iri, (kind, name))
        return iri

    # the periodical and publisher ---------------------------------------------------------------------------
    publisher = known.find(header.publisher, "org")
    publisher_iri = publisher.iri if publisher else ID_BASE + "org/" + agency_slug(header.publisher)
    if publisher is None:
        mint("org", publisher_iri, header.publisher)
        blocks["agencies"].append(
            Block(f"header, s02: {header.publisher} (the publisher; new)", publisher_iri, ["rko:Agency"])
            .add("rdfs:label", lit(header.publisher, "zh"))
            .add("rko:sourceLabel", lit(header.publisher, "zh"))
            .add("prov:wasDerivedFrom", curie(sentence_iri(newsletter.sentence("header-s02"))))
        )
        draft.uncertain.append(f"publisher {header.publisher} is not in the graph: minted <{publisher_iri}>")
    series = SOURCE_BASE + SERIES_SLUG
    items_parts = [curie(item_iri(i.position)) for i in newsletter.items]
    header_sentences = [curie(sentence_iri(s)) for s in newsletter.sentences if s.section == "header"]
    blocks["issue"].append(
        Block(
            f"header: {newsletter.sentence('header-s01').text}, {header.publisher}, "
            f"{newsletter.sentence('header-s03').text}",
            issue,
            ["rko:NewsletterIssue"],
        )
        .add("rdfs:label", lit(newsletter.sentence("header-s01").text, "zh"))
        .add("schema:isPartOf", curie(series))
        .add("schema:issueNumber", lit(header.issue_number))
        .add("rko:overallIssueNumber", str(header.overall_number))
        .add("schema:datePublished", date)
        .add("schema:publisher", curie(publisher_iri))
        .add("schema:hasPart", *items_parts)
        .add("rko:sourceFile", lit(source_file))
        .add("prov:wasDerivedFrom", *header_sentences)
    )
    if len(newsletter.contents) != len(newsletter.items) or any(
        c != i.title for c, i in zip(newsletter.contents, newsletter.items, strict=False)
    ):
        draft.uncertain.append(
            f"the contents list ({len(newsletter.contents)} lines) and the items ({len(newsletter.items)}) differ"
        )

    # items, reforms, owners, status --------------------------------------------------------------------------
    for item in newsletter.items:
        position = item.position
        owners: list[tuple[str, str, bool]] = []
        for name in item.owners:
            found = known.find(name, "org")
            if found:
                owners.append((name, found.iri, True))
                continue
            iri = ID_BASE + "org/" + agency_slug(name)
            if iri not in draft.minted:
                blocks["agencies"].append(
                    Block(
                        f"item {position}, {item.owner_sentence.slug}: {name} (named as an owner; new)",
                        iri,
                        ["rko:Agency"],
                    )
                    .add("rdfs:label", lit(name, "zh"))
                    .add("skos:altLabel", lit(pinyin_label(name), "zh-Latn-pinyin"))
                    .add("rko:sourceLabel", lit(name, "zh"))
                    .add("prov:wasDerivedFrom", curie(sentence_iri(item.owner_sentence)))
                )
            mint("org", iri, name)
            owners.append((name, iri, False))
        reforms = _reforms_for(item, known)
        linked = bool(reforms)
        if not reforms:
            name = re.sub(r"^我(市|省|县|区)", "", item.title)
            iri = ID_BASE + "reform/" + pinyin_slug(name)
            reforms = [mint("reform", iri, name)]
            block = (
                Block(
                    f"item {position}, s01: {name} (new reform: check its name and translate)",
                    iri,
                    ["rko:ReformInitiative"],
                )
                .add("rdfs:label", lit(name, "zh"))
                .add("rko:reportedIn", curie(item_iri(position)))
            )
            if owners:
                block.add("prov:wasAssociatedWith", *(curie(o[1]) for o in owners))
                role = "rko:leadOwner" if len(owners) == 1 else "rko:coOwner"
                associations = []
                for _name, owner, _linked in owners:
                    assoc = f"{ID_BASE}ownership/{owner.rsplit('/', 1)[-1]}-owns-{iri.rsplit('/', 1)[-1]}"
                    associations.append(curie(assoc))
                    blocks["reforms"].append(
                        Block(
                            f"item {position}, {item.owner_sentence.slug}: {item.owner_sentence.text}",
                            assoc,
                            ["prov:Association"],
                        )
                        .add("prov:agent", curie(owner))
                        .add("prov:hadRole", role)
                        .add("prov:wasDerivedFrom", curie(sentence_iri(item.owner_sentence)))
                    )
                block.add("prov:qualifiedAssociation", *associations)
            else:
                draft.uncertain.append(f"item {position} names no owner: none recorded (the shapes will warn)")
            block.add("prov:wasDerivedFrom", curie(sentence_iri(item.sentences[0])))
            blocks["reforms"].insert(0, block)
            draft.uncertain.append(f"item {position}: new reform <{iri}> “{name}”; is it one the graph already has?")
        draft.items.append(DraftItem(item, item_iri(position), reforms, linked, owners))
        derived = [item.sentences[0]] + ([item.owner_sentence] if item.owner_sentence else [])
        blocks["issue"].append(
            Block(
                f"item {position}, s01 (contents-s{position:02d}): title"
                + (f"; {item.owner_sentence.slug}: {item.owner_sentence.text}" if item.owner_sentence else ""),
                item_iri(position),
                ["rko:NewsletterItem"],
            )
            .add("schema:position", str(position))
            .add("schema:headline", lit(item.title, "zh"))
            .add("rdfs:label", lit(item.title, "zh"))
            .add("schema:isPartOf", curie(issue))
            .add("rko:reports", *(curie(r) for r in reforms))
            .add("rko:attributedTo", *(curie(o[1]) for o in owners))
            .add("prov:wasDerivedFrom", *(curie(sentence_iri(s)) for s in derived))
        )
        stage, cue_sentence, cue = _stage(item)
        assessor = None
        if stage == "accepted":
            by = ACCEPTED_BY.search(cue_sentence.text)
            found = known.find(by.group(1), "org") if by else None
            assessor = found.iri if found else None
            if by and not found:
                draft.uncertain.append(f"item {position}: accepted by {by.group(1)}, which the graph does not know")
        for reform in reforms:
            record = f"{ID_BASE}status/{reform.rsplit('/', 1)[-1]}-{stage}-{n}"
            draft.statuses.append(DraftStatus(record, reform, position, stage, cue_sentence, cue, assessor))
            blocks["status"].append(
                Block(
                    f"item {position}, {cue_sentence.slug}: "
                    + (f"cue “{cue}” → {stage}" if cue else f"no stage cue → {stage}"),
                    record,
                    ["rko:StatusRecord"],
                )
                .add("rko:statusOf", curie(reform))
                .add("rko:stage", f"rko:stage-{stage}")
                .add("rko:assessedBy", curie(assessor) if assessor else "")
                .add("rko:reportedIn", curie(issue))
                .add("rko:reportedOn", date)
                .add("prov:wasDerivedFrom", curie(sentence_iri(cue_sentence)))
            )
            if cue is None or stage != "accepted":
                draft.uncertain.append(
                    f"item {position}: stage of <{reform}> read as {stage}"
                    + (f" from “{cue}” in {cue_sentence.slug}" if cue else " (no cue)")
                )

    # entities in the text: known ones linked, candidates drafted or listed --------------------------------------
    places_drafted: set[str] = set()
    for item in newsletter.items:
        for sentence in item.sentences:
            if sentence is item.owner_sentence:
                continue
            # Spans already claimed by a mention. Sentences never overlap, so this is the sentence's own list: one
            # for the whole item made every check scan all the item's earlier mentions (quadratic in its length).
            taken: list[tuple[int, int]] = []
            for match in DOCUMENT.finditer(sentence.text):
                title = match.group(1)
                a = sentence.start + match.start(1)
                if any(a < y and x < a + len(title) for x, y in taken):
                    continue
                found = known.find(title, "document") or known.find(f"《{title}》", "document")
                if found is not None:
                    taken.append((a, a + len(title)))
                    draft.mentions.append(Mention(title, found.iri, "document", sentence, a, True))
                    continue
                if not title.endswith(POLICY_DOCUMENT_ENDINGS) or len(title) <= 4:
                    draft.not_drafted.append(
                        f"《{title}》 (item {item.position}, {sentence.slug}): not read as a new policy document"
                    )
                    continue
                iri = ID_BASE + "document/" + pinyin_slug(title)
                taken.append((a, a + len(title)))
                draft.mentions.append(Mention(title, iri, "document", sentence, a, False))
                if iri in draft.minted:
                    continue
                mint("document", iri, title)
                blocks["documents"].append(
                    Block(
                        f"item {item.position}, {sentence.slug}: 《{title}》 (new policy document)",
                        iri,
                        ["rko:PolicyDocument"],
                    )
                    .add("eli:title", lit(title, "zh"))
                    .add("rdfs:label", lit(title, "zh"))
                    .add("skos:altLabel", lit(f"《{title}》", "zh"))
                    .add("prov:wasDerivedFrom", curie(sentence_iri(sentence)))
                )
            for name, start in _scan_known(sentence.text, sentence.start, known, taken):
                k = known.by_label[name]
                draft.mentions.append(Mention(name, k.iri, k.kind, sentence, start, True))
            for name, start in _place_candidates(sentence):
                if any(start < y and x < start + len(name) for x, y in taken) or known.find(name):
                    continue
                taken.append((start, start + len(name)))
                farm = name.endswith("林场")
                iri = ID_BASE + "place/" + place_slug(name)
                draft.mentions.append(Mention(name, iri, "place", sentence, start, False))
                if iri in places_drafted:
                    continue
                places_drafted.add(iri)
                mint("place", iri, name)
                kind = "rko:ForestFarmSite" if farm else f"rko:{PLACE_SUFFIXES.get(name[-1], 'AdministrativeArea')}"
                blocks["places"].append(
                    Block(f"item {item.position}, {sentence.slug}: {name} (new place: check)", iri, [kind])
                    .add("rdfs:label", lit(name, "zh"))
                    .add("skos:altLabel", lit(pinyin_label(name), "zh-Latn-pinyin"))
                    .add("prov:wasDerivedFrom", curie(sentence_iri(sentence)))
                )
            for match in AGENCY_MENTION.finditer(sentence.text):
                a = sentence.start + match.start()
                if any(a < y and x < a + len(match.group(0)) for x, y in taken):
                    continue
                draft.not_drafted.append(f"organisation? {match.group(0)} (item {item.position}, {sentence.slug})")
    # measures: the first run of 一是…二是… in an item --------------------------------------------------------------
    for draft_item in draft.items:
        item = draft_item.item
        expected, measures = 1, []
        for sentence in item.body:
            for match in ENUMERATED.finditer(sentence.text):
                ordinal = ORDINALS.index(match.group(1)) + 1
                if ordinal != expected:
                    continue
                rest = sentence.text[match.end() :]
                label = re.split(r"[,，。；;:：]", rest)[0].strip()
                if not label:
                    continue
                reform_slug = draft_item.reforms[0].rsplit("/", 1)[-1]
                iri = f"{ID_BASE}measure/{header.slug}-item-{item.position}-{ordinal}"
                measures.append(iri)
                mint("measure", iri, label)
                blocks["measures"].append(
                    Block(f"item {item.position}, {sentence.slug}: {match.group(0)} {label}", iri, ["rko:Measure"])
                    .add("rdfs:label", lit(label, "zh"))
                    .add("rko:ordinal", str(ordinal))
                    .add("rdfs:comment", lit(f"A measure of {reform_slug}, as drafted from the text; review.", "en"))
                    .add("prov:wasDerivedFrom", curie(sentence_iri(sentence)))
                )
                expected += 1
        if measures and not draft_item.reform_linked:
            for block in blocks["reforms"]:
                if block.subject == draft_item.reforms[0]:
                    block.props.insert(-1, ("rko:hasMeasure", [curie(m) for m in measures]))
        elif measures:
            draft.uncertain.append(
                f"item {item.position}: {len(measures)} measures drafted; link them to <{draft_item.reforms[0]}> "
                "with rko:hasMeasure when reviewed (a draft adds nothing to a reform the graph already has)"
            )

    # figures ---------------------------------------------------------------------------------------------------
    for draft_item in draft.items:
        item = draft_item.item
        dataset = f"{ID_BASE}dataset/{header.slug}-item-{item.position}"
        figures_here = []
        spelled = 0
        for sentence in (s for s in item.sentences if s is not item.owner_sentence):
            position = 0
            for figure in find_figures(sentence.text):
                local = sentence.text.find(figure.text, position)
                position = local + len(figure.text)
                if not re.match(r"\d", figure.text):
                    spelled += 1
                    continue
                unit = figure.unit
                if unit == "yuan" and PER_MONTH.search(sentence.text[:local]):
                    unit = "yuanPerMonth"
                clause = re.split(r"[,，。；;]", sentence.text[:local])[-1]
                kind, cue = "reported", None
                if m := PLANNED.search(sentence.text):
                    kind, cue = "planned", m.group(0)
                elif m := POLICY_PARAMETER.search(clause + figure.text):
                    kind, cue = "policyParameter", m.group(0)
                iri = f"{ID_BASE}observation/{header.slug}-{sentence.slug}-{len(figures_here) + 1}"
                figures_here.append(iri)
                draft.figures.append(
                    DraftFigure(iri, item.position, sentence, figure, sentence.start + local, unit, kind, cue)
                )
        if spelled:
            draft.uncertain.append(f"item {item.position}: {spelled} figures written in words were not recorded")
        if not figures_here:
            continue
        blocks["figures"].append(
            Block(f"item {item.position}: the figures of “{item.title}”", dataset, ["qb:DataSet"])
            .add("qb:structure", "rko:reformOutcomeStructure")
            .add("rdfs:label", lit(f"{item.title}相关数据({newsletter.sentence('header-s01').text})", "zh"))
            .add("dcterms:source", curie(item_iri(item.position)))
            .add("prov:wasDerivedFrom", curie(sentence_iri(item.sentences[0])))
        )
        for f in (f for f in draft.figures if f.item == item.position):
            number_in_sentence = f.iri.rsplit("-", 1)[-1]
            indicator = f"{ID_BASE}indicator/{header.slug}-{f.sentence.slug}-{number_in_sentence}"
            context = _context_label(f.sentence, f.start - f.sentence.start)
            blocks["figures"].append(
                Block(
                    f"item {item.position}, {f.sentence.slug}: indicator of {f.figure.text}",
                    indicator,
                    [
                        "rko:Indicator",
                        "skos:Concept",
                    ],
                )
                .add("skos:inScheme", "rko:IndicatorScheme")
                .add("skos:prefLabel", lit(context, "zh"))
                .add(
                    "skos:prefLabel",
                    lit(f"Indicator to review: {header.slug} {f.sentence.slug}, figure {number_in_sentence}", "en"),
                )
                .add("prov:wasDerivedFrom", curie(sentence_iri(f.sentence)))
            )
            block = (
                Block(
                    f"item {item.position}, {f.sentence.slug}: {f.figure.text} ({context})"
                    + (f"; “{f.cue}” → {f.value_kind}" if f.cue else ""),
                    f.iri,
                    ["qb:Observation"],
                )
                .add("qb:dataSet", curie(dataset))
                .add("rko:indicator", curie(indicator))
                .add("sdmx-measure:obsValue", number(f.figure.value, f.unit))
                .add("sdmx-attribute:unitMeasure", f"rko:{f.unit}")
                .add("rko:valueKind", f"rko:{f.value_kind}")
            )
            if f.figure.qualifier in QUALIFIERS:
                block.add("rko:valueQualifier", f"rko:{f.figure.qualifier}")
            if f.figure.upper is not None:
                block.add("rko:upperValue", number(f.figure.upper, f.unit))
            block.add("rko:originalText", lit(f.figure.text))
            block.add("rko:outcomeOf", curie(draft_item.reforms[0]))
            block.add("prov:wasDerivedFrom", curie(sentence_iri(f.sentence)))
            blocks["figures"].append(block)

    # sentences -------------------------------------------------------------------------------------------------
    for sentence in newsletter.sentences:
        part_of = issue if sentence.section in ("header", "contents") else f"{issue}/{sentence.section}"
        block = (
            Block(f"{sentence.slug}", sentence_iri(sentence), ["rko:SourceSentence"])
            .add("schema:isPartOf", curie(part_of))
            .add("rko:sentenceNumber", str(sentence.number))
            .add("rko:quote", lit(sentence.text, "zh"))
            .add(
                "oa:hasSelector",
                f"[ a oa:TextPositionSelector ;\n        oa:start {sentence.start} ; oa:end {sentence.end} ]",
            )
        )
        blocks["sentences"].append(block)

    draft.turtle = _turtle(draft, blocks)
    draft.report = _report(draft)
    return draft


SECTION_TITLES = {
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


def _turtle(draft: Draft, blocks: dict[str, list[Block]]) -> str:
    header = draft.newsletter.header
    lines = [
        f"# reformkg draft: {header.periodical}第{header.issue_number}期(总第{header.overall_number}期), "
        f"{header.date.isoformat()}. Drafted by `reformkg ingest` for review: see report.md.",
        f"# Accepted, it is loaded into the named graph <{draft.graph_iri}>.",
        "# Every @en and @zh-Latn-pinyin literal is a reformkg placeholder or romanisation, not the source's words.",
        "",
    ]
    issue_prefix = f"kb{header.overall_number}"
    prefixes = dict(PREFIXES)
    lines += [f"@prefix {p}: <{iri}> ." for p, iri in prefixes.items()]
    lines.append(f"@prefix {issue_prefix}: <{draft.issue_iri}/> .")
    lines.append("")
    body = []
    for section, section_blocks in blocks.items():
        if not section_blocks:
            continue
        body.append("#" * 100)
        body.append(f"# {SECTION_TITLES[section]}")
        body.append("#" * 100)
        body.append("")
        for block in section_blocks:
            body.append(block.turtle())
            body.append("")
    text = "\n".join(lines + body)
    # the issue's own items and sentences read best with the issue prefix
    return re.sub(re.escape(f"<{draft.issue_iri}/") + r"([A-Za-z0-9-]+)>", rf"{issue_prefix}:\1", text)


def _report(draft: Draft) -> str:
    header = draft.newsletter.header
    out = [
        f"# Draft of {header.periodical}第{header.issue_number}期(总第{header.overall_number}期)",
        "",
        f"- issue number: {header.issue_number}; overall number: {header.overall_number}",
        f"- publisher: {header.publisher}",
        f"- date: {header.date.isoformat()}",
        f"- issue: <{draft.issue_iri}>; accepted into <{draft.graph_iri}>",
        "",
        "## Counts",
        "",
        f"- sentences: {len(draft.newsletter.sentences)}",
        f"- items: {len(draft.items)}",
        f"- owners: {sum(len(i.owners) for i in draft.items)} "
        f"({sum(1 for i in draft.items for o in i.owners if o[2])} linked)",
        f"- status records: {len(draft.statuses)}",
        f"- figures: {len(draft.figures)}",
        f"- linked mentions: {sum(1 for m in draft.mentions if m.linked)}",
        f"- new entities drafted: {len(draft.minted)}",
        "",
        "## Items",
        "",
        "| # | title | owners | reports | stage |",
        "|---|---|---|---|---|",
    ]
    for d in draft.items:
        owners = "、".join(f"{name}{'' if linked else ' (new)'}" for name, _iri, linked in d.owners) or "none named"
        reports = ", ".join(f"`{r.rsplit('/', 1)[-1]}`" for r in d.reforms) + ("" if d.reform_linked else " (new)")
        stages = ", ".join(sorted({s.stage for s in draft.statuses if s.item == d.item.position}))
        out.append(f"| {d.item.position} | {d.item.title} | {owners} | {reports} | {stages} |")
    out += ["", "## Linked to the graph", ""]
    seen = set()
    for m in draft.mentions:
        if m.linked and (m.name, m.iri) not in seen:
            seen.add((m.name, m.iri))
            out.append(f"- {m.name} → <{m.iri}> ({m.sentence.slug})")
    out += ["", "## New entities to review", ""]
    for iri, (kind, name) in sorted(draft.minted.items()):
        out.append(f"- {kind}: {name} → <{iri}>")
    out += ["", "## Candidates not drafted", ""]
    out += [f"- {line}" for line in dict.fromkeys(draft.not_drafted)] or ["- none"]
    out += ["", "## Uncertain: check before accepting", ""]
    out += [f"- {line}" for line in draft.uncertain] or ["- nothing"]
    out += [
        "",
        "Figures: values normalised by `graph.figures`; value kinds from cues (计划 → planned, 给予/补助 … → "
        "policyParameter, else reported); indicators are placeholders named by the words before each figure; no "
        "reporting periods are read. Dates, numbers and owners are only those the text gives.",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# The commands' library side
# ---------------------------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n:,} bytes"


def read_newsletter(path: Path, *, max_bytes: int | None = None) -> tuple[bytes, Newsletter]:
    """A newsletter file's bytes and its parsed layout, or IngestError saying why not.

    A file over ``max_bytes`` (default: the ``REFORMKG_MAX_INGEST_BYTES`` setting) is refused before it is read:
    drafting time grows with the text (about 15 s per MB), and a newsletter is tens of KB.
    """
    path = Path(path)
    try:
        size = check_input_file(path).st_size
    except StoreError as error:
        raise IngestError(str(error)) from None
    if max_bytes is None:
        from reformkg.graph.settings import Settings

        max_bytes = Settings().max_ingest_bytes
    if size > max_bytes:
        shown, limit = _size(size), _size(max_bytes)
        if shown == limit:
            shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        raise IngestError(
            f"{path}: {shown} is larger than REFORMKG_MAX_INGEST_BYTES ({limit}); a newsletter is rarely over 100 KB"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: {error.strerror or error}") from None
    text = decode_newsletter(data, str(path))
    return data, parse_newsletter(text, str(path))


def ingest(path: Path, out_dir: Path, store: Store | None = None, *, max_bytes: int | None = None) -> Draft:
    """Read a newsletter and write ``draft.ttl``, ``report.md`` and ``source.txt`` into ``out_dir``.

    Bad input (see ``read_newsletter``) raises IngestError before anything is written; the three files appear
    together or not at all.
    """
    path = Path(path)
    data, newsletter = read_newsletter(path, max_bytes=max_bytes)
    known = known_entities(store, exclude_graph=issue_graph_iri(newsletter.header.overall_number))
    draft = draft_newsletter(newsletter, known, source_file=path.name)
    out_dir = Path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out_dir.parent))
    except OSError as error:
        raise IngestError(f"{out_dir}: cannot write there: {error.strerror or error}") from None
    try:
        (staging / "draft.ttl").write_text(draft.turtle, encoding="utf-8")
        (staging / "report.md").write_text(draft.report, encoding="utf-8")
        (staging / "source.txt").write_bytes(data)
        out_dir.mkdir(exist_ok=True)
        for name in ("draft.ttl", "report.md", "source.txt"):
            (staging / name).replace(out_dir / name)
    except OSError as error:
        raise IngestError(f"{out_dir}: cannot write the draft: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return draft


@dataclass
class AcceptReport:
    graph: str
    issue: str
    triples: int
    findings: list = field(default_factory=list)
    replaced: bool = False


def _draft_issue(draft_file: Path) -> tuple[str, int]:
    import rdflib

    graph = rdflib.Graph()
    try:
        graph.parse(draft_file, format="turtle")
    except Exception as error:  # rdflib raises several kinds for bad Turtle
        raise IngestError(f"{draft_file}: not valid Turtle: {error}") from None
    issues = list(
        graph.subjects(rdflib.RDF.type, rdflib.URIRef(RKO + "NewsletterIssue")),
    )
    if len(issues) != 1:
        raise IngestError(f"{draft_file}: a draft describes exactly one rko:NewsletterIssue, found {len(issues)}")
    overall = graph.value(issues[0], rdflib.URIRef(RKO + "overallIssueNumber"))
    if overall is None:
        raise IngestError(f"{draft_file}: the issue has no rko:overallIssueNumber")
    return str(issues[0]), int(overall)


def _context_file(store: Store, draft_file: Path, folder: Path) -> tuple[Path, set[str]]:
    """The types of entities the draft points at but does not describe, from the store, for SHACL's class checks."""
    import rdflib

    graph = rdflib.Graph()
    graph.parse(draft_file, format="turtle")
    described = set(graph.subjects(rdflib.RDF.type, None))
    referenced = {
        o for o in graph.objects() if isinstance(o, rdflib.URIRef) and str(o).startswith(ID_BASE) and o not in described
    }
    context = rdflib.Graph()
    for chunk in _chunks(sorted(referenced), 200):
        values = " ".join(f"<{iri}>" for iri in chunk)
        result = store.query(f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}")
        for row in result.rows():
            context.add((rdflib.URIRef(row["s"]), rdflib.RDF.type, rdflib.URIRef(row["t"])))
    path = folder / "context.ttl"
    context.serialize(path, format="turtle")
    return path, {str(s) for s in context.subjects()}


def _chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def find_draft(draft_dir: Path) -> Path:
    """The ``draft.ttl`` in a folder ``reformkg ingest`` wrote, or IngestError."""
    draft_file = Path(draft_dir) / "draft.ttl"
    if not draft_file.is_file():
        raise IngestError(f"{draft_dir}: no draft.ttl (run `reformkg ingest PATH --out {draft_dir}` first)")
    return draft_file


def accept(draft_dir: Path, store: Store, ontology_dir: Path | None = None) -> AcceptReport:
    """Validate a reviewed draft with the project's shapes and load it as its issue's named graph.

    Violations raise AcceptError with the findings and load nothing; warnings are returned. Findings about the
    entities the draft only points at (already in the graph) are not the draft's and are left out.
    """
    from reformkg.graph.validate import validate_files

    draft_file = find_draft(draft_dir)
    issue, overall = _draft_issue(draft_file)
    ontology_dir = ontology_dir or shipped_ontology()
    with tempfile.TemporaryDirectory() as folder:
        context, context_iris = _context_file(store, draft_file, Path(folder))
        report = validate_files(ontology_dir / "shapes.ttl", [ontology_dir / "reformkg.ttl"], [draft_file, context])
    findings = [f for f in report.findings if f.focus not in context_iris]
    violations = [f for f in findings if f.severity == "violation"]
    if violations:
        raise AcceptError(f"{len(violations)} SHACL violations in {draft_file}: nothing loaded", findings)
    graph = issue_graph_iri(overall)
    existed = store.count(graph) > 0
    loaded = store.load_file(draft_file, graph=graph, fmt="ttl")
    return AcceptReport(graph, issue, loaded.triples, findings, existed)


class AcceptError(IngestError):
    """A draft with SHACL violations; ``findings`` says which. Nothing was loaded."""

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = findings


def withdraw(store: Store, issue: str) -> str:
    """Drop an issue's named graph (by overall number, slug or graph IRI); the other graphs stay as they are."""
    graph = resolve_issue_graph(issue)
    if store.count(graph) == 0:
        raise IngestError(f"no issue graph <{graph}> in the store")
    store.drop_graph(graph)
    return graph


def resolve_issue_graph(issue: str) -> str:
    issue = str(issue).strip()
    if issue.startswith(ISSUE_GRAPH_BASE):
        return issue
    if issue.startswith(SOURCE_BASE):
        return ISSUE_GRAPH_BASE + issue.removeprefix(SOURCE_BASE)
    if issue.isdigit():
        return issue_graph_iri(issue)
    return ISSUE_GRAPH_BASE + issue
