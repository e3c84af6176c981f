"""Finding entities in an item's sentences: names the graph knows, and candidates for what it does not.

Each finder returns names with their absolute offsets in the newsletter text, so every mention keeps its sentence
and span. Candidates: policy documents in 《》 whose title ends like one (方案, 办法 …); places and forest farms by
jieba's part-of-speech tags and place suffixes; organisations by office suffixes (局, 办, 委员会 …), which are only
listed in the report, never drafted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reformkg.graph.ingest.known import KnownEntities
from reformkg.graph.ingest.names import jieba
from reformkg.graph.sources import Sentence

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
AGENCY_MENTION = re.compile(
    r"(?:(?<![我本全各该])[省市县区](?!级)[\u4e00-\u9fff]{1,10}?(?:局|办|委|部|厅|委员会|办公室|领导小组|中心)"
    r"|[\u4e00-\u9fff]{2,16}?(?:有限公司|集团|合作社|商会))"
)
#: Place suffixes and the ontology class of a place that ends with each.
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


@dataclass
class Mention:
    """A name in a sentence and the entity it stands for: linked (the graph has it) or new (the draft mints it)."""

    name: str
    iri: str
    kind: str
    sentence: Sentence
    start: int  # offset in the source text
    linked: bool


class Spans:
    """The spans of one sentence already claimed by a mention, so a later finder does not claim them again.

    Sentences never overlap, so each sentence has its own: one for a whole item made every check scan all the
    item's earlier mentions (quadratic in its length).
    """

    def __init__(self) -> None:
        self.taken: list[tuple[int, int]] = []

    def overlaps(self, start: int, length: int) -> bool:
        """Whether the span from ``start`` overlaps one already claimed."""
        end = start + length
        return any(start < y and x < end for x, y in self.taken)

    def claim(self, start: int, length: int) -> None:
        """Claim the span from ``start`` for a mention."""
        self.taken.append((start, start + length))


def documents(sentence: Sentence) -> Iterator[tuple[str, int]]:
    """Titles in 《》 and the offsets where they start (after the 《)."""
    for match in DOCUMENT.finditer(sentence.text):
        yield match.group(1), sentence.start + match.start(1)


def is_policy_document(title: str) -> bool:
    """A title that reads like a new policy document: longer than four characters and ending like 方案, 办法 …"""
    return title.endswith(POLICY_DOCUMENT_ENDINGS) and len(title) > 4


def known_names(sentence: Sentence, known: KnownEntities, spans: Spans) -> list[tuple[str, int]]:
    """Names the graph knows in a sentence, longest first and not overlapping: (name, absolute start).

    Each name found claims its span in ``spans``.
    """
    found = []
    for name in known.names_longest_first():
        for match in re.finditer(re.escape(name), sentence.text):
            start = sentence.start + match.start()
            if spans.overlaps(start, len(name)):
                continue
            spans.claim(start, len(name))
            found.append((name, start))
    return found


def place_candidates(sentence: Sentence, local_places: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """Places and forest farms jieba tags (ns, or a name followed by 县/区/镇/乡/村/林场), and the places the issue's
    editing body names (官渡区 of 中共昆明市官渡区委…, which jieba tags as a plain noun): (name, absolute start)."""
    import jieba.posseg as pseg

    jieba()
    tokens, position = [], 0
    for pair in pseg.cut(sentence.text):
        tokens.append((pair.word, pair.flag, position))
        position += len(pair.word)
    found = []
    for i, (word, flag, start) in enumerate(tokens):
        if word.endswith("林场") or (word in PLACE_SUFFIXES and i > 0):
            begin = _name_before_suffix(tokens, i)
            if begin is not None:
                found.append((sentence.text[begin : start + len(word)], sentence.start + begin))
        elif (flag == "ns" and len(word) >= 3 and word[-1] in PLACE_SUFFIXES) or word in local_places:
            found.append((word, sentence.start + start))
    return [(name, start) for name, start in found if not name.endswith(NOT_PLACE_ENDINGS)]


def _name_before_suffix(tokens: list[tuple[str, str, int]], i: int) -> int | None:
    """Where the name that token ``i`` (林场, or a bare suffix like 县) ends starts, or None when there is no name.

    Up to four tokens back: place names (ns), two-character personal-name tags (晋宁 + 区; not 建立健全 + 县), and for
    forest farms other proper-noun tags. A bare suffix takes one name only (禄劝 + 县).
    """
    word, flag, _start = tokens[i]
    j, has_name = i, word != "林场" and len(word) > 2 and flag.startswith("ns")
    while j > 0 and i - j < 4:
        prev_word, prev_flag, _ = tokens[j - 1]
        short_name = prev_flag == "nr" and len(prev_word) == 2
        if not (
            prev_flag == "ns" or short_name or (word not in PLACE_SUFFIXES and prev_flag in ("nr", "nz", "b", "zg"))
        ):
            break
        has_name = has_name or prev_flag in ("ns", "nr", "nz")
        j -= 1
        if word in PLACE_SUFFIXES:
            break
    return tokens[j][2] if has_name and j < i else None


def place_class(name: str) -> str:
    """The ontology class (local name) of a new place: ForestFarmSite, City, County … by its suffix."""
    if name.endswith("林场"):
        return "ForestFarmSite"
    return PLACE_SUFFIXES.get(name[-1], "AdministrativeArea")


def organisation_candidates(sentence: Sentence, spans: Spans) -> list[str]:
    """Words that look like an organisation's name (市…局, …有限公司) where no mention was found."""
    return [
        match.group(0)
        for match in AGENCY_MENTION.finditer(sentence.text)
        if not spans.overlaps(sentence.start + match.start(), len(match.group(0)))
    ]
