"""Figures in an item's sentences, as draft observations: value and unit by ``graph.figures``, plus the value kind.

Only figures written with digits are drafted (二十个方面 is read, but counted in the report as a figure in words).
The value kind comes from cues: A of 由A至B → baseline; a change (由A至B as a whole, 下降12%, 提高5个百分点) →
change; 计划/力争/目标/预计 anywhere in the sentence → planned; 给予/补助/补贴 … in the
figure's clause → policyParameter; else reported. 元 after 每月 is yuanPerMonth.

The period (``sdmx-dimension:refPeriod``) is read only where the figure's clause names a calendar year in digits
between the previous figure and this one: 2016年 → ``"2016"^^xsd:gYear``, 2016—2018年 → ``"2016/2018"``, 2016年以来
→ ``"2016/.."``; anywhere else the source gives no period and the draft says so (``rko:periodNotStated``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reformkg.graph.figures import Figure, find_figures, is_calendar_year
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
    period: str | None = None  # "2016", "2016/2018" or "2016/..": a calendar year the clause names; None: not stated


def item_figures(item: Item) -> tuple[list[FoundFigure], int]:
    """The figures written with digits in an item's title and body, in order, and how many were written in words."""
    found, spelled = [], 0
    for sentence in item.text_sentences:
        previous_end = 0
        for figure in find_figures(sentence.text):
            local = figure.start
            if not figure.in_digits:
                spelled += 1
                continue
            value_kind, cue = _value_kind(sentence.text, local, figure)
            unit = _unit(sentence.text, local, figure)
            period = figure_period(sentence.text, local, previous_end)
            found.append(FoundFigure(sentence, figure, local, unit, value_kind, cue, period))
            if figure.role != "change":  # a change spans its figures: the second's period is read after the first
                previous_end = max(previous_end, local + len(figure.text))
    return found, spelled


def figure_period(text: str, local: int, previous_end: int = 0) -> str | None:
    """The period a figure's clause names in digits before it and after the previous figure (the last calendar year
    there: 2016年 → "2016", 2016—2018年 → "2016/2018", 2016年以来 → "2016/.."); None when it names none."""
    clause_start = len(text[:local]) - len(CLAUSE_END.split(text[:local])[-1])
    start = max(clause_start, min(previous_end, local))
    segment = text[start:local]
    years = [f for f in find_figures(segment, keep_years=True) if is_calendar_year(f) and f.in_digits]
    if not years:
        return None
    year = years[-1]
    if year.upper is not None:
        return f"{year.value}/{year.upper}"
    if segment[year.start + len(year.text) :].startswith("以来"):
        return f"{year.value}/.."
    return str(year.value)


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
