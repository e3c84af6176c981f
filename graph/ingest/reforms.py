"""What an item reports: which reforms, at what stage, and the measures it enumerates (一是…二是…).

Stage cues, strongest first; a title's cue wins over the lede's (ontology/MODEL.md, "Status over time").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reformkg.graph.figures import chinese_number
from reformkg.graph.ingest.known import KnownEntities
from reformkg.graph.ingest.layout import Item
from reformkg.graph.sources import Sentence

STAGE_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("ended", re.compile(r"(?:试点|改革)(?:工作)?(?:圆满|顺利|全面)?(?:结束|收官|终止)")),
    ("accepted", re.compile(r"通过.{0,30}?验收")),
    ("policy-issued", re.compile(r"印发|出台")),
    ("deepening", re.compile(r"深化")),
    ("pilot", re.compile(r"试点")),
]
NO_CUE_STAGE = "in-progress"
ACCEPTED_BY = re.compile(r"通过(.{2,30}?)验收")
ENUMERATED = re.compile(r"([一二三四五六七八九十])是")
LABEL_END = re.compile(r"[,，。；;:：]")
LOCAL_PREFIX = re.compile(r"^我(市|省|县|区)")


@dataclass(frozen=True)
class Stage:
    """The stage an item reports, the sentence that says so, and the cue (None when no cue was found)."""

    stage: str
    sentence: Sentence
    cue: str | None


@dataclass(frozen=True)
class Enumerated:
    """One of an item's enumerated measures: its ordinal (一是 → 1), label, sentence and the words 一是."""

    ordinal: int
    label: str
    sentence: Sentence
    cue: str


def item_stage(item: Item) -> Stage:
    """The stage an item reports, from cues in its title, else its first two body sentences."""
    for sentences in ([item.sentences[0]], item.body[:2]):
        for stage, cue in STAGE_CUES:
            for sentence in sentences:
                match = cue.search(sentence.text)
                if match:
                    return Stage(stage, sentence, match.group(0))
    return Stage(NO_CUE_STAGE, item.body[0] if item.body else item.sentences[0], None)


def accepted_by(stage: Stage) -> str | None:
    """Who accepted a reform, as the accepting sentence names it (通过<who>验收); None when it names no one."""
    if stage.stage != "accepted":
        return None
    match = ACCEPTED_BY.search(stage.sentence.text)
    return match.group(1) if match else None


def known_reforms(item: Item, known: KnownEntities) -> list[str]:
    """Known reforms an item reports: pilots whose place its title names, else a reform its title names."""
    title = item.title
    if "改革" in title or "试点" in title:
        pilots = [
            pilot
            for pilot, places in sorted(known.pilot_places.items())
            if any(any(name in title for name in known.labels.get(place, []) if len(name) >= 3) for place in places)
        ]
        if pilots:
            return pilots
    named = [
        k.iri
        for name, k in sorted(known.by_label.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        if k.kind == "reform" and len(name) >= 4 and name in title
    ]
    return list(dict.fromkeys(named))[:1]


def new_reform_name(item: Item) -> str:
    """The name of the reform an item reports when the graph has none: its title without 我市/我省 …"""
    return LOCAL_PREFIX.sub("", item.title)


def enumerated_measures(item: Item) -> Iterator[Enumerated]:
    """The first run of 一是, 二是 … in an item's body, in order; a numeral out of turn is skipped."""
    expected = 1
    for sentence in item.body:
        for match in ENUMERATED.finditer(sentence.text):
            ordinal = chinese_number(match.group(1))
            if ordinal != expected:
                continue
            label = LABEL_END.split(sentence.text[match.end() :])[0].strip()
            if not label:
                continue
            yield Enumerated(ordinal, label, sentence, match.group(0))
            expected += 1
