"""Figures as Chinese newsletters write them, normalised: 95.37亿元 → 9,537,000,000 yuan, 二十个方面 → 20.

Changes give both values and the change: 由386项精简至214项 is 386 (before), 214 (after) and −172 (the change, in
the same unit; a change between two percentages is in percentage points); 提高5个百分点 is +5 percentage points;
下降12% (and 增长, 减少 … followed at once by a figure) is a change of −12 (+N) in its unit. 提高到85% is a level,
not a change.

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
    ("个百分点", "percentagePoint"),
    ("百分点", "percentagePoint"),
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
    ("项", "count"),
    ("所", "count"),
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
#: Verbs of change: those that lower a figure, and those that raise it.
FALLS = "精简|压缩|减少|下降|降低|缩减|缩短|削减|整合|合并|减|降"
RISES = "提高|提升|增加|增长|上升|扩大|增|升|提|达"
#: 由A<verb>至B, 从A<verb>到B: A may leave out its unit (由386精简至214项).
CHANGE_FROM = re.compile(
    rf"(?:由|从)\s*(?P<number>{DIGITS}|[〇零一二两三四五六七八九十][〇零一二两三四五六七八九十百千万亿]*)\s*"
    rf"(?P<multiplier>百万|千万|[十百千万亿])?(?P<unit>{UNIT_WORDS})?\s*"
    rf"(?P<verb>{FALLS}|{RISES})?(?:了)?\s*(?:至|到|为)\s*"
)
#: 下降12%, 提高5个百分点, 减少172项: a verb of change followed at once by the figure (not 提高到85%, a level).
CHANGE_BY = re.compile(rf"(?P<verb>{FALLS}|{RISES})了?\s*(?=\d|[一二两三四五六七八九十])")


@dataclass(frozen=True)
class Figure:
    """A normalised figure: value (and upper bound of a range) in the unit, with how exact it is."""

    text: str
    value: Decimal
    unit: str
    upper: Decimal | None = None
    qualifier: str | None = None  # atLeast, atMost, moreThan, range; None when exact
    start: int = 0  # where the figure's text starts in the text it was found in
    role: str | None = None  # before, after (of 由A至B), change; None for a figure on its own

    @property
    def in_digits(self) -> bool:
        """Whether the figure's number is written with digits (3.2万亩, 下降12%), not in words (二十个)."""
        first = re.search(r"[\d〇零一二两三四五六七八九十]", self.text)
        return first is not None and first.group(0).isdigit()

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
    upper = _tidy(upper) if upper is not None else None
    return Figure(match.group(0), _tidy(value), unit, upper, qualifier, start=match.start())


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
    """Every figure in a sentence, in order, changes with their roles (see the module's doc); calendar years are
    periods, not figures, unless ``keep_years``."""
    found, position = [], 0
    while (match := FIGURE.search(text, position)) is not None:
        figure = _figure(match)
        if figure is not None and (keep_years or not is_calendar_year(figure)):
            found.append(figure)
        position = match.end() if figure is not None else match.start() + 1
    found = _changes_from(text, found)
    found = _changes_by(text, found)
    return sorted(found, key=lambda f: (f.start, f.role != "change"))


def _signed(verb: str | None, value: Decimal) -> Decimal:
    return -value if verb and re.fullmatch(FALLS, verb) else value


def _changes_from(text: str, found: list[Figure]) -> list[Figure]:
    """由A至B: A as the figure before, B after, and B − A as the change (percentage points between percentages)."""
    by_start = {f.start: f for f in found}
    out = list(found)
    for match in CHANGE_FROM.finditer(text):
        after = by_start.get(match.end())
        if after is None or after.qualifier == "range" or is_calendar_year(after):
            continue
        unit_word = match["unit"]
        if unit_word is not None and UNIT_BY_WORD[unit_word] != after.unit:
            continue
        try:
            value = _tidy(number(match["number"]) * scale(match["multiplier"]))
        except ValueError:
            continue
        before_start = match.start("number")
        before_text = text[before_start : max(match.end("number"), match.end("multiplier"), match.end("unit"))]
        before = by_start.get(before_start) or Figure(before_text, value, after.unit, start=before_start)
        if is_calendar_year(before):
            continue
        out = [f for f in out if f.start not in (before.start, after.start)]
        change_unit = "percentagePoint" if after.unit == "percent" else after.unit
        out += [
            Figure(before.text, before.value, before.unit, before.upper, before.qualifier, before.start, "before"),
            Figure(after.text, after.value, after.unit, after.upper, after.qualifier, after.start, "after"),
            Figure(
                text[match.start() : after.start + len(after.text)],
                _tidy(after.value - before.value),
                change_unit,
                start=match.start(),
                role="change",
            ),
        ]
    return out


def _changes_by(text: str, found: list[Figure]) -> list[Figure]:
    """A verb of change followed at once by a figure: the figure is the change, negative when it falls."""
    by_start = {f.start: f for f in found if f.role is None}
    out = list(found)
    for match in CHANGE_BY.finditer(text):
        figure = by_start.get(match.end())
        if figure is None or figure.qualifier == "range" or match["verb"] == "达":
            continue
        out.remove(figure)
        out.append(
            Figure(
                text[match.start() : figure.start + len(figure.text)],
                _tidy(_signed(match["verb"], figure.value)),
                figure.unit,
                None,
                figure.qualifier,
                match.start(),
                "change",
            )
        )
    return out
