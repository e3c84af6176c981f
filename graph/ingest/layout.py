"""Reading a newsletter in the seed's layout: the header, the contents list and the items with their owners.

The layout (of 改革快报, the Kunming reform bulletin)::

    改革快报第7期(总第108期)          ← periodical, issue number, overall number
    中共昆明市委全面深化改革领导小组    ← publisher
    2017年9月1日                      ← date
    一、…                             ← contents, one line per item
    一、<title>。<body …>             ← items, in order
    (市农业局、市财政局)               ← the item's owners, when its last sentence is only them in brackets

Sentences and their offsets come from ``graph.sources.segment``, which every curated fact points at too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from reformkg.graph.ingest.errors import IngestError
from reformkg.graph.ingest.names import issue_slug
from reformkg.graph.sources import ITEM_LINE, Sentence, chinese_numeral, segment

HEADER_TITLE = re.compile(r"^(?P<name>\S+?)第(?P<issue>\d+)期[(（]总第(?P<overall>\d+)期[)）]$")
HEADER_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
OWNERS = re.compile(r"^[(（]([^()（）]+)[)）]$")
OWNER_SEPARATOR = re.compile(r"[、,，]")


@dataclass(frozen=True)
class Header:
    """The first three lines: which issue of which periodical, who published it, and when."""

    periodical: str
    issue_number: str
    overall_number: int
    publisher: str
    date: dt.date

    @property
    def slug(self) -> str:
        """The issue's slug, by its overall number: ``kunming-gaige-kuaibao-108``."""
        return issue_slug(self.overall_number)


@dataclass
class Item:
    """One numbered item: its title (the first sentence), its sentences, and the owners named at its end."""

    position: int
    title: str
    sentences: list[Sentence]
    owners: list[str] = field(default_factory=list)
    owner_sentence: Sentence | None = None

    @property
    def body(self) -> list[Sentence]:
        """The item's sentences after its title, without the trailing owners."""
        return [s for s in self.sentences[1:] if s is not self.owner_sentence]

    @property
    def text_sentences(self) -> list[Sentence]:
        """The title and the body: every sentence but the owners."""
        return [s for s in self.sentences if s is not self.owner_sentence]


@dataclass
class Newsletter:
    """A parsed newsletter: its text, header, contents lines, items and every sentence."""

    text: str
    header: Header
    contents: list[str]
    items: list[Item]
    sentences: list[Sentence]

    def sentence(self, slug: str) -> Sentence:
        """The sentence with this slug (``header-s01``, ``item-2-s03`` …)."""
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
    header = parse_header(text.split("\n"), name)
    sentences = segment(text)
    contents = [ITEM_LINE.sub("", s.text).strip() for s in sentences if s.section == "contents"]
    items = parse_items(sentences, name)
    if not items:
        raise IngestError(f"{name}: no items: after the contents list, each item starts with its number (一、…)")
    return Newsletter(text, header, contents, items, sentences)


def parse_header(lines: list[str], name: str) -> Header:
    """The header from the first three lines, or IngestError saying which line is not what the layout wants."""
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
    return Header(title["name"], title["issue"], int(title["overall"]), lines[1].strip(), published)


def parse_items(sentences: list[Sentence], name: str) -> list[Item]:
    """The items, from the sentences ``segment`` put in ``item-N`` sections, in order."""
    by_section: dict[str, list[Sentence]] = {}
    for sentence in sentences:
        if sentence.section.startswith("item-"):
            by_section.setdefault(sentence.section, []).append(sentence)
    return [parse_item(int(section.removeprefix("item-")), found, name) for section, found in by_section.items()]


def parse_item(position: int, sentences: list[Sentence], name: str) -> Item:
    """One item: its title without the numeral, and its owners when its last sentence names them in brackets."""
    first = sentences[0].text
    numeral = ITEM_LINE.match(first)
    if numeral is not None and chinese_numeral(numeral.group(1)) != position:
        raise IngestError(f"{name}: item {position} starts with {numeral.group(0)!r}")
    item = Item(position, ITEM_LINE.sub("", first).rstrip("。").strip(), sentences)
    last = sentences[-1]
    owners = OWNERS.match(last.text) if len(sentences) > 1 else None
    if owners is not None:
        item.owners = [o.strip() for o in OWNER_SEPARATOR.split(owners.group(1)) if o.strip()]
        item.owner_sentence = last
    return item
