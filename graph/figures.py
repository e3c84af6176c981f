"""Figures as Chinese newsletters write them, normalised: 95.37亿元 → 9,537,000,000 yuan, 二十个方面 → 20.

The curated data and the newsletter ingest share these rules, and a test holds every curated observation to them.
Chinese numerals (二十, 三百, 五千万, 两千) are read by the ``cn2an`` library; digits stay exact as ``Decimal`` and
are scaled by the multiplier after them (3千 → 3,000, 1.2万 → 12,000). cn2an's own mixed mode is not used for
digits because it rounds decimals (12.345678万 → 123456).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import cn2an

RKO = "https://w3id.org/reformkg/ontology#"

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
UNIT_BY_WORD = dict(UNITS)

#: A number: digits (3, 95.37) or a Chinese numeral that starts with a digit word (二十, 十五, 三百, 五千万, 二〇一七).
#: A numeral may not start with 百/千/万/亿, so 千万家庭 and 上万人 are words, not figures.
DIGITS = r"\d+(?:\.\d+)?"
NUMBER = rf"({DIGITS}|[〇零一二两三四五六七八九十][〇零一二两三四五六七八九十百千万亿]*)"
#: Words that scale the digits before them: 3千, 1.2万, 5千万, 95.37亿.
MULTIPLIER = r"(百万|千万|[十百千万亿])?"
RANGE = r"(?:至|—|-|～|~)"
UNIT_WORDS = "|".join(re.escape(word) for word, _ in UNITS)
FIGURE = re.compile(
    NUMBER
    + rf"(?:{RANGE}{NUMBER})?"  # 700至1000元
    + rf"\s*{MULTIPLIER}(余)?\s*"
    + rf"({UNIT_WORDS})"
    + rf"(?:{RANGE}({DIGITS}){MULTIPLIER}(?:{UNIT_WORDS}))?"  # 3000元至5000元
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


def chinese_number(numeral: str) -> int:
    """The value of a Chinese numeral (十五 → 15, 两千 → 2000, 二〇一七 → 2017); ValueError when it is not one."""
    return int(cn2an.cn2an(numeral, "normal"))


def number(text: str) -> Decimal:
    """Digits as an exact Decimal, or a Chinese numeral's value; ValueError when ``text`` is neither."""
    if text[:1].isdigit():
        return Decimal(text)
    return Decimal(chinese_number(text))


def scale(multiplier: str | None) -> Decimal:
    """What a multiplier word after digits multiplies by (千 → 1,000, 千万 → 10,000,000); 1 without one."""
    return Decimal(chinese_number("一" + multiplier)) if multiplier else Decimal(1)


def _figure(match: re.Match[str]) -> Figure | None:
    """The figure a FIGURE match spells; None when a numeral in it is not one (千万 alone, 一一)."""
    low, high, multiplier, more, unit_word, high_after_unit, high_multiplier, after = match.groups()
    try:
        value = number(low) * scale(multiplier)
        if high_after_unit:
            upper = number(high_after_unit) * scale(high_multiplier)
        else:
            upper = number(high) * scale(multiplier) if high else None
    except ValueError:
        return None
    qualifier = "range" if upper is not None else "moreThan" if more else QUALIFIER_AFTER.get(after or "")
    unit = UNIT_BY_WORD[unit_word]
    return Figure(match.group(0), _tidy(value), unit, _tidy(upper) if upper is not None else None, qualifier)


def parse_figure(text: str) -> Figure | None:
    """The first figure in ``text``, normalised; None when there is none."""
    figures = find_figures(text, keep_years=True)
    return figures[0] if figures else None


def _tidy(value: Decimal) -> Decimal:
    return value.normalize() if value % 1 else value.quantize(Decimal(1))


def is_calendar_year(figure: Figure) -> bool:
    """2016年 is a date, not a quantity of years."""
    years = [figure.value] + ([figure.upper] if figure.upper is not None else [])
    return figure.unit == "year" and figure.qualifier in (None, "range") and all(1900 <= y <= 2100 for y in years)


def find_figures(text: str, *, keep_years: bool = False) -> list[Figure]:
    """Every figure in a sentence, in order; calendar years are periods, not figures, unless ``keep_years``."""
    found, position = [], 0
    while (match := FIGURE.search(text, position)) is not None:
        figure = _figure(match)
        if figure is not None and (keep_years or not is_calendar_year(figure)):
            found.append(figure)
        position = match.end() if figure is not None else match.start() + 1
    return found
