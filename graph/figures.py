"""Figures as Chinese newsletters write them, normalised: 95.37亿元 → 9,537,000,000 yuan.

The curated data and the newsletter ingest share these rules, and a test holds every curated observation to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

RKO = "https://w3id.org/reformkg/ontology#"

MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
CHINESE_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

#: Unit words, longest first, and the unit concept each one means.
UNITS: list[tuple[str, str]] = [
    ("元/月", "yuanPerMonth"),
    ("美元", "usd"),
    ("人次", "personTime"),
    ("元", "yuan"),
    ("%", "percent"),
    ("亩", "mu"),
    ("户", "household"),
    ("人", "person"),
    ("名", "person"),
    ("年", "year"),
    ("个方面", "count"),
    ("个", "count"),
    ("家", "count"),
    ("支", "count"),
    ("件", "count"),
    ("条", "count"),
]

NUMBER = r"(\d+(?:\.\d+)?|[一两二三四五六七八九十])"
RANGE = r"(?:至|—|-|～|~)"
UNIT_WORDS = "|".join(re.escape(word) for word, _ in UNITS)
FIGURE = re.compile(
    NUMBER
    + r"(?:"
    + RANGE
    + NUMBER
    + r")?"  # 700至1000元
    + r"\s*([万亿])?(余)?\s*"
    + r"("
    + UNIT_WORDS
    + r")"
    + r"(?:"
    + RANGE
    + r"(\d+(?:\.\d+)?)([万亿])?(?:"
    + UNIT_WORDS
    + r"))?"  # 3000元至5000元
    + r"(以上|以下|内)?"
)
QUALIFIER_AFTER = {"以上": "atLeast", "以下": "atMost", "内": "atMost"}


@dataclass(frozen=True)
class Figure:
    """A normalised figure: value (and upper bound of a range) in the unit, with how exact it is."""

    text: str
    value: Decimal
    unit: str
    upper: Decimal | None = None
    qualifier: str | None = None  # atLeast, atMost, moreThan, range; None when exact

    @property
    def unit_iri(self) -> str:
        return RKO + self.unit


def _number(text: str) -> Decimal:
    return Decimal(CHINESE_DIGITS[text]) if text in CHINESE_DIGITS else Decimal(text)


def parse_figure(text: str) -> Figure | None:
    """The first figure in ``text``, normalised; None when there is none."""
    match = FIGURE.search(text)
    if match is None:
        return None
    low, high, multiplier, more, unit_word, high_after_unit, high_multiplier, after = match.groups()
    scale = MULTIPLIERS.get(multiplier or "", Decimal(1))
    unit = dict(UNITS)[unit_word]
    value = _number(low) * scale
    if high_after_unit:
        upper = _number(high_after_unit) * MULTIPLIERS.get(high_multiplier or "", Decimal(1))
    else:
        upper = _number(high) * scale if high else None
    qualifier = "range" if upper is not None else "moreThan" if more else QUALIFIER_AFTER.get(after or "")
    return Figure(match.group(0), _tidy(value), unit, _tidy(upper) if upper is not None else None, qualifier)


def _tidy(value: Decimal) -> Decimal:
    return value.normalize() if value % 1 else value.quantize(Decimal(1))


def is_calendar_year(figure: Figure) -> bool:
    """2016年 is a date, not a quantity of years."""
    years = [figure.value] + ([figure.upper] if figure.upper is not None else [])
    return figure.unit == "year" and figure.qualifier in (None, "range") and all(1900 <= y <= 2100 for y in years)


def find_figures(text: str) -> list[Figure]:
    """Every figure in a sentence, in order; calendar years are periods, not figures."""
    found, position = [], 0
    while (match := FIGURE.search(text, position)) is not None:
        figure = parse_figure(match.group(0))
        if figure is not None and not is_calendar_year(figure):
            found.append(figure)
        position = match.end()
    return found
