"""Reading a newsletter's layout: the header, the contents list, the items with their owners, and the footer.

Bulletins of many series share one shape, written in several ways:

- **Header**: the series name, the issue number (第N期, 第七期), the overall number (总第N期, optional), the date
  (2017年9月1日, 二〇一七年九月一日) and the editing body (中共…领导小组, …办公室编, …印发, 主办：…, optional), on one
  line or several, in any order.
- **Contents**: a list after 本期目录/本期要目/要目/目录, or (as in 改革快报) numbered lines that the items repeat. It
  is not an item.
- **Items**: headed by 一、…, 【…】, （一）… (in that order of preference) or, failing those, by the paragraphs the
  document sets as headings (Word heading styles or bold, HTML headings). A heading alone on its line is the title;
  a heading line that goes on after its first sentence (改革快报's ``一、<title>。<body>``) has that sentence as title.
- **Owners**: a last sentence that is only names in brackets ((市农业局、市财政局), （市水务局供稿）), or a line such as
  供稿：…, 来源：…, 报送单位：….
- **Footer**: distribution lines after the items (报：…, 送：…, 发：…, 抄送：…, 共印N份, 责任编辑：…).

Sentences: each header, contents and footer line is one; an item's lines are cut after 。！？ (``graph.sources``'
rule, so the seed's sentences and offsets are what ``graph.sources.segment`` gives). Offsets count code points in
the normalised text (``graph.ingest.formats``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from reformkg.graph.figures import chinese_number
from reformkg.graph.ingest.errors import IngestError
from reformkg.graph.ingest.formats import SourceText
from reformkg.graph.ingest.names import issue_slug_for
from reformkg.graph.sources import Sentence, sentence_spans

NUMERAL = r"[〇零一二两三四五六七八九十百]+"
DIGITS_OR_NUMERAL = rf"(?:\d+|{NUMERAL})"
ISSUE = re.compile(rf"(?<!总)第\s*({DIGITS_OR_NUMERAL})\s*期")
OVERALL = re.compile(rf"总\s*第\s*({DIGITS_OR_NUMERAL})\s*期")
YEAR_ISSUE = re.compile(rf"(\d{{4}})\s*年\s*(?=第\s*{DIGITS_OR_NUMERAL}\s*期)")
DATE = re.compile(r"(\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]+)\s*月\s*"
                  r"(\d{1,2}|[一二三四五六七八九十]+)\s*日")  # fmt: skip
PUBLISHER_MARK = re.compile(
    r"^(?:主办单位|主办|编印单位|编印|编发|编辑|主编单位)\s*[:：]\s*|\s*(?:编印|编发|印发|主办|编)$"
)
ORG_ENDING = re.compile(r"(?:领导小组|委员会|办公室|改革办|委办|政府|研究室|局|厅|委)$")
CONTENTS_MARK = re.compile(r"^\s*(?:本期目录|本期要目|本期导读|本期内容|要目|目录)\s*[:：]?\s*(?P<rest>.*)$")
DOT_LEADER = re.compile(r"[.．…·\s]*\d*\s*$")
LEVEL_1 = re.compile(r"^\s*([一二三四五六七八九十]+)、")
LEVEL_BRACKET = re.compile(r"^\s*【([^】]{2,80})】")
LEVEL_2 = re.compile(r"^\s*[（(]([一二三四五六七八九十]+)[）)]")
OWNERS_IN_BRACKETS = re.compile(r"^[(（]([^()（）]+)[)）]$")
OWNER_LINE = re.compile(
    r"^\s*(?:供稿单位|供稿|来源|信息来源|稿件来源|报送单位|报送|撰稿单位)\s*[:：]\s*(?P<names>.+?)\s*$"
)
OWNER_WORDS = re.compile(r"(?:供稿|提供|报送|撰稿)$")
OWNER_SEPARATOR = re.compile(r"[、,，;；/\s]+")
NOT_OWNERS = {"完", "待续", "未完待续", "续"}
#: Header words that are neither the series nor its editor.
NOT_SERIES = re.compile(r"^(?:内部资料|内部刊物|内部参阅|注意保存|请勿外传|机密|秘密|绝密|签发人.*|[★☆※]+)$")
FOOTER_LINE = re.compile(
    r"^\s*(?:报\s*[:：]|送\s*[:：]|发\s*[:：]|抄送\s*[:：]|抄报\s*[:：]|分送\s*[:：]|主送\s*[:：]|"
    r"责任编辑|编辑\s*[:：]|审核\s*[:：]|签发\s*[:：]|联系电话|电话\s*[:：]|[（(]?共印\s*\d+\s*份)"
)
ENDS_SENTENCE = re.compile(r"[。！？!?]")


@dataclass(frozen=True)
class Header:
    """Which issue of which periodical, who edited it and when: read from the lines before the contents or items."""

    periodical: str
    issue_number: str
    overall_number: int | None
    publisher: str | None
    date: dt.date
    year: int | None = None  # the year written with the issue number (2017年第3期), else the date's
    sentences: dict[str, Sentence] = field(default_factory=dict)  # periodical, issue, overall, date, publisher
    series_slug: str = ""  # set by the draft: the series' slug (names.series_slug)

    @property
    def label(self) -> str:
        """The issue as people cite it: 改革快报第6期(总第107期)."""
        overall = f"(总第{self.overall_number}期)" if self.overall_number is not None else ""
        year = f"{self.year}年" if self.year and self.overall_number is None else ""
        return f"{self.periodical}{year}第{self.issue_number}期{overall}"

    @property
    def slug(self) -> str:
        """The issue's slug: by its overall number (kunming-gaige-kuaibao-108), else by year and number."""
        return issue_slug_for(self.series_slug, self.overall_number, self.year or self.date.year, self.issue_number)


@dataclass
class Item:
    """One item: its title, its sentences, and the owners it names."""

    position: int
    title: str
    sentences: list[Sentence]
    owners: list[str] = field(default_factory=list)
    owner_sentence: Sentence | None = None

    @property
    def body(self) -> list[Sentence]:
        """The item's sentences after its title, without the owners."""
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
    source_format: str = "text (UTF-8)"
    notes: list[str] = field(default_factory=list)  # what the reading was unsure of, for the report

    def sentence(self, slug: str) -> Sentence:
        """The sentence with this slug (``header-s01``, ``item-2-s03`` …)."""
        return next(s for s in self.sentences if s.slug == slug)


@dataclass
class _Line:
    number: int  # 0-based line number in the text
    start: int  # offset of the line's first character
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def lead(self) -> int:
        return len(self.text) - len(self.text.lstrip())


def decode_newsletter(data: bytes, name: str = "input") -> str:
    """The normalised text of a newsletter file's bytes (any format ``graph.ingest.formats`` reads)."""
    from reformkg.graph.ingest.formats import read_source

    return read_source(data, name).text


def parse_newsletter(text: str | SourceText, name: str = "input") -> Newsletter:
    """Header, contents and items of a newsletter; IngestError when there is no header or no item."""
    source = text if isinstance(text, SourceText) else SourceText(text, "text (UTF-8)")
    text = source.text
    if not text.strip():
        raise IngestError(f"{name}: the file is empty")
    lines, offset = [], 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            lines.append(_Line(number, offset, line))
        offset += len(line) + 1
    if not lines:
        raise IngestError(f"{name}: the file is empty")
    reader = _Reader(text, lines, source.headings, name)
    return reader.read(text, source.format)


def _title_key(text: str) -> str:
    """A heading or contents line reduced for comparison: no numbering, brackets, dot leaders, page numbers, 。"""
    text = LEVEL_1.sub("", LEVEL_2.sub("", text.strip()))
    text = text.replace("【", "").replace("】", "")
    text = DOT_LEADER.sub("", text) if re.search(r"[.．…·]{2,}\s*\d*\s*$", text) else text
    return re.sub(r"\s+", "", text).rstrip("。")


def _number(text: str) -> int:
    """A number written with digits or Chinese numerals (107, 七, 一百零七)."""
    return int(text) if text.isdigit() else chinese_number(text)


def _year(text: str) -> int:
    if text.isdigit():
        return int(text)
    return int("".join(str("〇一二三四五六七八九".index(c)) if c != "零" else "0" for c in text))


class _Reader:
    """One pass over a newsletter's non-blank lines: header, contents, items, footer, then the sentences."""

    def __init__(self, text: str, lines: list[_Line], headings: frozenset[int], name: str):
        self.text = text
        self.lines = lines
        self.headings = headings
        self.name = name
        self.notes: list[str] = []

    def read(self, text: str, source_format: str) -> Newsletter:
        level = self.item_level()
        floor = self.header_floor()
        heads = [i for i, line in enumerate(self.lines) if i > floor and self.is_heading(line, level)]
        contents_mark = next(
            (i for i, line in enumerate(self.lines[:40]) if CONTENTS_MARK.match(line.text) and len(line.stripped) < 40),
            None,
        )
        header_end, contents, first_item = self.split_front(heads, contents_mark)
        if first_item is None:
            self.header(self.lines[: max(header_end, 6)])  # a missing header is the first thing to say
            raise IngestError(
                f"{self.name}: no items: after the header, each item starts with a heading such as 一、…, 【…】 or "
                "（一）…"
            )
        footer_start = self.footer_start(first_item)
        item_heads = [i for i in heads if first_item <= i < footer_start]
        header = self.header(self.lines[:header_end])
        sentences: list[Sentence] = []
        sentences += self.line_sentences("header", self.lines[:header_end])
        sentences += self.line_sentences("contents", [self.lines[i] for i in contents])
        items = []
        bounds = [*item_heads, footer_start]
        for position, (begin, end) in enumerate(itertools.pairwise(bounds), start=1):
            item = self.item(position, self.lines[begin:end], level)
            sentences += item.sentences
            items.append(item)
        sentences += self.line_sentences("footer", self.lines[footer_start:])
        header = self.header_sentences(header, sentences)
        titles = [_title_key(self.lines[i].text) for i in contents]
        contents_titles = [t for t in titles if not CONTENTS_MARK.match(t) or CONTENTS_MARK.match(t)["rest"]]
        contents_text = [CONTENTS_MARK.sub(r"\g<rest>", t) if CONTENTS_MARK.match(t) else t for t in contents_titles]
        newsletter = Newsletter(text, header, [t for t in contents_text if t], items, sentences, source_format)
        newsletter.notes = self.notes
        return newsletter

    # -- structure ----------------------------------------------------------------------------------------------

    def item_level(self) -> str:
        """Which kind of heading starts an item: 一、, 【】, （一）, or the document's own headings."""
        for level, pattern in (("numbered", LEVEL_1), ("bracketed", LEVEL_BRACKET), ("sub-numbered", LEVEL_2)):
            if any(pattern.match(line.text) for line in self.lines[1:]):
                return level
        if self.headings:
            return "document"
        return "numbered"

    def header_floor(self) -> int:
        """The last of the first lines that holds a header field (issue, overall number, date, editing body): no
        item starts before it."""
        floor = -1
        for i, line in enumerate(self.lines[:12]):
            text = line.stripped
            if self.is_header_field(text) or (PUBLISHER_MARK.search(text) and len(text) <= 60):
                floor = i
            elif LEVEL_1.match(text) or CONTENTS_MARK.match(text) or ENDS_SENTENCE.search(text):
                break
        return floor

    def is_heading(self, line: _Line, level: str) -> bool:
        text = line.text
        if level == "numbered":
            return LEVEL_1.match(text) is not None
        if level == "bracketed":
            return LEVEL_BRACKET.match(text) is not None
        if level == "sub-numbered":
            return LEVEL_2.match(text) is not None
        return line.number in self.headings and not self.is_header_field(line.stripped)

    def is_header_field(self, text: str) -> bool:
        return len(text) <= 60 and bool(ISSUE.search(text) or OVERALL.search(text) or DATE.search(text))

    def split_front(self, heads: list[int], mark: int | None) -> tuple[int, list[int], int | None]:
        """Where the header ends, which lines are the contents list, and where the first item starts."""
        if mark is not None:
            rest = CONTENTS_MARK.match(self.lines[mark].text)["rest"]
            contents = [mark]
            keys: list[str] = [_title_key(rest)] if rest.strip() else []
            i = mark + 1
            while i < len(self.lines):
                line = self.lines[i]
                key = _title_key(line.text)
                repeats = bool(keys) and (key == keys[0] or (len(key) > 4 and keys[0].startswith(key)))
                if repeats or ENDS_SENTENCE.search(line.stripped[:-1]) or len(line.stripped) > 80:
                    break
                contents.append(i)
                keys.append(key)
                i += 1
            following = [h for h in heads if h >= i]
            return mark, contents, (following[0] if following else (i if i < len(self.lines) else None))
        if not heads:
            return 0, [], None
        # numbered lines that the items repeat (改革快报): the first run of headings with nothing between them,
        # each without a sentence end, whose titles come again
        first = heads[0]
        run = [first]
        for h in heads[1:]:
            if h == run[-1] + 1 and not ENDS_SENTENCE.search(self.lines[h].stripped.rstrip("。")):
                run.append(h)
            else:
                break
        later = {_title_key(self.first_sentence(self.lines[h].text)) for h in heads if h > run[-1]}
        if len(run) >= 2 and not ENDS_SENTENCE.search(self.lines[first].stripped.rstrip("。")):
            repeated = sum(_title_key(self.lines[h].text) in later for h in run)
            if repeated >= max(1, len(run) // 2):
                rest = [h for h in heads if h > run[-1]]
                return first, run, (rest[0] if rest else None)
        return first, [], first

    def first_sentence(self, text: str) -> str:
        match = ENDS_SENTENCE.search(text)
        return text[: match.start()] if match else text

    def footer_start(self, first_item: int) -> int:
        """The first line of the closing distribution block (报：…, 送：…), or the end."""
        end = len(self.lines)
        i = end
        while i > first_item + 1 and FOOTER_LINE.match(self.lines[i - 1].text):
            i -= 1
        return i

    # -- header -------------------------------------------------------------------------------------------------

    def header(self, lines: list[_Line]) -> Header:
        """The header fields from the header lines, or IngestError naming what is missing."""
        texts = [line.stripped for line in lines]
        joined = "\n".join(texts)
        first = texts[0][:40] if texts else ""
        issue = ISSUE.search(joined)
        if issue is None:
            raise IngestError(
                f"{self.name}: no header: the first lines must name the series and the issue like "
                f"改革快报第6期(总第107期) or 改革动态 / 第6期, found {first!r}"
            )
        date = DATE.search(joined)
        if date is None:
            raise IngestError(f"{self.name}: no header: no date like 2017年8月1日 in the first lines, found {first!r}")
        try:
            published = dt.date(_year(date.group(1)), _number(date.group(2)), _number(date.group(3)))
        except ValueError as error:
            raise IngestError(f"{self.name}: the date {date.group(0)!r} is not a calendar date: {error}") from None
        overall = OVERALL.search(joined)
        year = YEAR_ISSUE.search(joined)
        periodical, publisher = self.series_and_publisher(texts)
        if not periodical:
            raise IngestError(f"{self.name}: no header: no series name (改革快报, 改革动态 …) before {issue.group(0)}")
        return Header(
            periodical,
            str(_number(issue.group(1))),
            _number(overall.group(1)) if overall else None,
            publisher,
            published,
            int(year.group(1)) if year else None,
        )

    def series_and_publisher(self, texts: list[str]) -> tuple[str, str | None]:
        """The series name (what is left of the first line that has words once numbers and dates are taken out) and
        the editing body (a line marked …编 / 主办： or ending like an office)."""
        periodical, publisher = "", None
        for text in texts:
            rest = DATE.sub(" ", OVERALL.sub(" ", ISSUE.sub(" ", YEAR_ISSUE.sub(" ", text))))
            rest = re.sub(r"[()（）\[\]【】]", " ", rest)
            parts = [p for p in re.split(r"\s{1,}|　", rest) if p.strip()]
            for part in parts:
                marked = PUBLISHER_MARK.search(part)
                cleaned = PUBLISHER_MARK.sub("", part).strip()
                if not cleaned:
                    continue
                if publisher is None and (marked or (ORG_ENDING.search(cleaned) and len(cleaned) >= 5)):
                    publisher = cleaned
                elif (
                    not periodical
                    and len(cleaned) <= 16
                    and not ORG_ENDING.search(cleaned)
                    and not (NOT_SERIES.match(cleaned))
                ):
                    periodical = cleaned
        return periodical, publisher

    def header_sentences(self, header: Header, sentences: list[Sentence]) -> Header:
        """The header with the sentence each field comes from."""
        found: dict[str, Sentence] = {}
        for s in (s for s in sentences if s.section == "header"):
            checks = {
                "periodical": header.periodical in s.text,
                "issue": ISSUE.search(s.text) is not None,
                "overall": OVERALL.search(s.text) is not None,
                "date": DATE.search(s.text) is not None,
                "publisher": bool(header.publisher) and header.publisher in s.text,
            }
            for key, ok in checks.items():
                if ok and key not in found:
                    found[key] = s
        return Header(
            header.periodical,
            header.issue_number,
            header.overall_number,
            header.publisher,
            header.date,
            header.year,
            found,
        )

    # -- items --------------------------------------------------------------------------------------------------

    def item(self, position: int, lines: list[_Line], level: str) -> Item:
        """One item from its lines: title, sentences (cut after 。！？), and owners."""
        head = lines[0]
        sentences: list[Sentence] = []
        owner_sentence, owners = None, []
        counter = 0

        def add(start: int, end: int) -> Sentence:
            nonlocal counter
            counter += 1
            sentence = Sentence(f"item-{position}", counter, start, end, self.text_at(start, end))
            sentences.append(sentence)
            return sentence

        bracket = LEVEL_BRACKET.match(head.text) if level == "bracketed" else None
        for line in lines:
            owner_line = OWNER_LINE.match(line.text)
            if owner_line and line is not head:
                owner_sentence = add(line.start + line.lead, line.start + line.lead + len(line.stripped))
                owners = self.split_owners(owner_line["names"])
                continue
            if line is head and (level == "document" or not ENDS_SENTENCE.search(line.stripped[:-1])):
                add(line.start + line.lead, line.start + line.lead + len(line.stripped))  # a heading on its own line
                continue
            for start, end in sentence_spans(line.text, line.start):
                add(start, end)
        first = sentences[0].text
        if bracket is not None:
            title = bracket.group(1).strip()
        else:
            title = LEVEL_2.sub("", LEVEL_1.sub("", first)).strip().rstrip("。").strip()
        numeral = LEVEL_1.match(first) or LEVEL_2.match(first)
        if numeral is not None and _number(numeral.group(1)) != position:
            self.notes.append(f"item {position} is numbered {numeral.group(0).strip()!r}")
        item = Item(position, title, sentences)
        if owner_sentence is None and len(sentences) > 1:
            last = sentences[-1]
            bracketed = OWNERS_IN_BRACKETS.match(last.text)
            if bracketed is not None:
                inner = OWNER_LINE.match(bracketed.group(1))
                names = self.split_owners(inner["names"] if inner else bracketed.group(1))
                if names:
                    owner_sentence, owners = last, names
        item.owners, item.owner_sentence = owners, owner_sentence
        return item

    def split_owners(self, text: str) -> list[str]:
        """Owner names from 市农业局、市财政局 / 市水务局供稿, without 供稿 and the like."""
        names = [OWNER_WORDS.sub("", n).strip() for n in OWNER_SEPARATOR.split(text.strip())]
        return [
            n
            for n in names
            if len(n) >= 2 and n not in NOT_OWNERS and re.search(r"[\u4e00-\u9fff]", n) and not re.search(r"\d", n)
        ]

    # -- sentences ----------------------------------------------------------------------------------------------

    def text_at(self, start: int, end: int) -> str:
        return self.text[start:end]

    def line_sentences(self, section: str, lines: list[_Line]) -> list[Sentence]:
        out = []
        for number, line in enumerate(lines, start=1):
            start = line.start + line.lead
            out.append(Sentence(section, number, start, start + len(line.stripped), line.stripped))
        return out
