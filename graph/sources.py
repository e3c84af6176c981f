"""Source documents: segment a newsletter into addressable sentences with character offsets.

Sentence IRIs and offsets are what every curated fact points at, so the segmentation is
deterministic: a line is a unit, and an item line is cut after 。！？ (with any closing
quote or bracket that follows).  Offsets count Unicode code points from the start of the
file, as W3C Web Annotation ``oa:TextPositionSelector`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ITEM_LINE = re.compile(r"^([一二三四五六七八九十]+)、")
SENTENCE_END = re.compile(r"[。！？!?][”’」』）)]*")
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Sentence:
    """One addressable span of a source text."""

    section: str  # "header", "contents" or "item-N"
    number: int  # 1-based within its section
    start: int  # code-point offset, inclusive
    end: int  # code-point offset, exclusive
    text: str

    @property
    def slug(self) -> str:
        return f"{self.section}-s{self.number:02d}"


def chinese_numeral(text: str) -> int:
    """Value of a numeral from 一 to 九十九 as used in item numbers."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (NUMERALS.index(units) + 1 if units else 0)
    return NUMERALS.index(text) + 1


def _spans(line: str, offset: int) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for match in SENTENCE_END.finditer(line):
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(line)))
    out = []
    for a, b in spans:
        piece = line[a:b]
        stripped = piece.strip()
        if not stripped:
            continue
        lead = len(piece) - len(piece.lstrip())
        out.append((offset + a + lead, offset + a + lead + len(stripped)))
    return out


def segment(text: str) -> list[Sentence]:
    """Split a newsletter in the seed's layout into header, contents and item sentences.

    The first line that starts with a numeral followed by 、 and repeats an earlier
    contents line's number starts the items; lines before the first numbered line are
    the header.
    """
    sentences: list[Sentence] = []
    counters: dict[str, int] = {}
    seen_contents: set[int] = set()
    offset = 0
    for line in text.split("\n"):
        match = ITEM_LINE.match(line)
        if match is None:
            section = "header" if not seen_contents else None
        else:
            number = chinese_numeral(match.group(1))
            if number in seen_contents and (len(line) > 80 or "。" in line):
                section = f"item-{number}"
            else:
                seen_contents.add(number)
                section = "contents"
        if section is None:
            section = f"item-{max(seen_contents)}"
        for start, end in _spans(line, offset) if section.startswith("item") else [(offset, offset + len(line))]:
            if end <= start:
                continue
            counters[section] = counters.get(section, 0) + 1
            sentences.append(Sentence(section, counters[section], start, end, text[start:end]))
        offset += len(line) + 1
    return sentences
