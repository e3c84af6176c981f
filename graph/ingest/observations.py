"""Figures in an item's sentences, as draft observations: value and unit by ``graph.figures``, plus the value kind.

Only figures written with digits are drafted (二十个方面 is read, but counted in the report as a figure in words).
The value kind comes from cues: A of 由A至B → baseline; a change (由A至B as a whole, 下降12%, 提高5个百分点) →
change; 计划/力争/目标/预计 anywhere in the sentence → planned; 给予/补助/补贴 … in the
figure's clause → policyParameter; else reported. 元 after 每月 is yuanPerMonth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reformkg.graph.figures import Figure, find_figures
from reformkg.graph.ingest.layout import Item
from reformkg.graph.sources import Sentence

PLANNED = re.compile(r"计划|力争|目标|预计")
POLICY_PARAMETER = re.compile(r"给予|补助|补贴|奖补|资助|奖励|扶持资金|不超过|最高|上限")
PER_MONTH = re.compile(r"每月")
CLAUSE_END = re.compile(r"[,，。；;]")
LABEL_START = re.compile(r"[,，。；;:：、]")
ENUMERATION_CUE = re.compile(r"^[一二三四五六七八九十]是")
CHANGE_START = re.compile(r"(?:由|从)(?=\s*[\d〇零一二两三四五六七八九十]|\s*$)")


@dataclass(frozen=True)
class FoundFigure:
    """A figure in a sentence: where it starts in the sentence, its unit in context, its value kind and cue."""

    sentence: Sentence
    figure: Figure
    local_start: int  # offset in the sentence
    unit: str
    value_kind: str  # reported, planned, policyParameter
    cue: str | None


def item_figures(item: Item) -> tuple[list[FoundFigure], int]:
    """The figures written with digits in an item's title and body, in order, and how many were written in words."""
    found, spelled = [], 0
    for sentence in item.text_sentences:
        for figure in find_figures(sentence.text):
            local = figure.start
            if not figure.in_digits:
                spelled += 1
                continue
            value_kind, cue = _value_kind(sentence.text, local, figure)
            found.append(FoundFigure(sentence, figure, local, _unit(sentence.text, local, figure), value_kind, cue))
    return found, spelled


def _unit(text: str, local: int, figure: Figure) -> str:
    """The figure's unit, with yuan after 每月 read as yuan per month."""
    if figure.unit == "yuan" and PER_MONTH.search(text[:local]):
        return "yuanPerMonth"
    return figure.unit


def _value_kind(text: str, local: int, figure: Figure) -> tuple[str, str | None]:
    """baseline (A of 由A至B), change, planned, policyParameter or reported, and the cue that decided it."""
    if figure.role == "before":
        return "baseline", "由…至"
    if figure.role == "change":
        return "change", figure.text
    if match := PLANNED.search(text):
        return "planned", match.group(0)
    clause = CLAUSE_END.split(text[:local])[-1]
    if match := POLICY_PARAMETER.search(clause + figure.text):
        return "policyParameter", match.group(0)
    return "reported", None


def context_label(sentence: Sentence, local_start: int) -> str:
    """The words before a figure, back to the previous punctuation: a draft indicator's name."""
    before = LABEL_START.split(sentence.text[:local_start])[-1]
    before = CHANGE_START.split(before)[0]  # 事项由386项精简至 → 事项: the figures of a change share its indicator
    before = ENUMERATION_CUE.sub("", before).strip()
    return before or sentence.text[max(0, local_start - 12) : local_start]
