"""Figures as newsletters write them: digits and Chinese numerals (read by cn2an), multipliers, ranges, qualifiers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reformkg.graph.figures import chinese_number, find_figures, parse_figure


@pytest.mark.parametrize(
    ("text", "figure_text", "value", "unit"),
    [
        ("涉及二十个方面", "二十个方面", Decimal(20), "count"),
        ("帮扶十五户贫困户", "十五户", Decimal(15), "household"),
        ("培训三百人", "三百人", Decimal(300), "person"),
        ("每户补助3千元", "3千元", Decimal(3000), "yuan"),
        ("投入五千万元", "五千万元", Decimal(50_000_000), "yuan"),
        ("投入5千万元", "5千万元", Decimal(50_000_000), "yuan"),
        ("流转两千亩", "两千亩", Decimal(2000), "mu"),
        ("带动1.2万户", "1.2万户", Decimal(12_000), "household"),
        ("总投资95.37亿元", "95.37亿元", Decimal(9_537_000_000), "yuan"),
        ("奖励12.345678万元", "12.345678万元", Decimal("123456.78"), "yuan"),
        ("达标率为12.5%", "12.5%", Decimal("12.5"), "percent"),
        ("组建45名", "45名", Decimal(45), "person"),
    ],
)
def test_a_figure_is_read_whole_with_its_value_and_unit(text, figure_text, value, unit):
    [figure] = find_figures(text)
    assert (figure.text, figure.value, figure.unit) == (figure_text, value, unit)
    assert figure.upper is None and figure.qualifier is None


@pytest.mark.parametrize(
    ("text", "value", "upper", "qualifier"),
    [
        ("700至1000元", Decimal(700), Decimal(1000), "range"),
        ("3000元至5000元", Decimal(3000), Decimal(5000), "range"),
        ("三至五年", Decimal(3), Decimal(5), "range"),
        ("1万元至2万元", Decimal(10_000), Decimal(20_000), "range"),
        ("十余人", Decimal(10), None, "moreThan"),
        ("200户以上", Decimal(200), None, "atLeast"),
        ("500人以下", Decimal(500), None, "atMost"),
    ],
)
def test_ranges_and_qualifiers(text, value, upper, qualifier):
    figure = parse_figure(text)
    assert figure is not None and figure.text == text
    assert (figure.value, figure.upper, figure.qualifier) == (value, upper, qualifier)


def test_several_figures_in_a_sentence_in_order():
    figures = find_figures("全市共有二十个方面、十五户、三百人参与，投入五千万元和3千元")
    assert [(f.text, f.value) for f in figures] == [
        ("二十个方面", 20),
        ("十五户", 15),
        ("三百人", 300),
        ("五千万元", 50_000_000),
        ("3千元", 3000),
    ]


@pytest.mark.parametrize("text", ["2017年", "二〇一七年", "2016至2018年"])
def test_calendar_years_are_periods_not_figures(text):
    assert find_figures(text) == []
    assert parse_figure(text) is not None  # read, but as a year


@pytest.mark.parametrize("text", ["千万家庭", "上万人受益", "万元户", "进一步推进", "统一规划"])
def test_words_made_of_numeral_characters_are_not_figures(text):
    assert find_figures(text) == []


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("十", 10), ("十五", 15), ("二十", 20), ("三百", 300), ("两千", 2000), ("五千万", 50_000_000)],
)
def test_chinese_numerals(numeral, value):
    assert chinese_number(numeral) == value


def test_not_a_numeral_is_refused():
    with pytest.raises(ValueError):
        chinese_number("千万")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "市级行政审批事项由386项精简至214项",
            [
                ("由386项精简至214项", -172, "count", "change"),
                ("386项", 386, "count", "before"),
                ("214项", 214, "count", "after"),
            ],
        ),
        (
            "审批环节由12个压缩至5个",
            [("由12个压缩至5个", -7, "count", "change"), ("12个", 12, "count", "before"), ("5个", 5, "count", "after")],
        ),
        (
            "入驻企业从1200户增至3500户",
            [
                ("从1200户增至3500户", 2300, "household", "change"),
                ("1200户", 1200, "household", "before"),
                ("3500户", 3500, "household", "after"),
            ],
        ),
        (
            "网办率由85%提高到92.5%",
            [
                ("由85%提高到92.5%", Decimal("7.5"), "percentagePoint", "change"),
                ("85%", 85, "percent", "before"),
                ("92.5%", Decimal("92.5"), "percent", "after"),
            ],
        ),
        (
            "由386精简至214项",  # the unit written once, after the second figure
            [
                ("由386精简至214项", -172, "count", "change"),
                ("386", 386, "count", "before"),
                ("214项", 214, "count", "after"),
            ],
        ),
        ("达标率提高5个百分点", [("提高5个百分点", 5, "percentagePoint", "change")]),
        ("办事成本下降12%", [("下降12%", -12, "percent", "change")]),
        ("累计减少172项", [("减少172项", -172, "count", "change")]),
        ("人均收入增长12%", [("增长12%", 12, "percent", "change")]),
        ("达标率提高到85%", [("85%", 85, "percent", None)]),  # a level, not a change
        ("由2016年至2018年", []),  # years are periods
    ],
)
def test_changes_give_both_values_and_the_change(text, expected):
    found = [(f.text, f.value, f.unit, f.role) for f in find_figures(text)]
    assert found == [(t, Decimal(v), u, r) for t, v, u, r in expected]
    for figure in find_figures(text):
        assert text[figure.start : figure.start + len(figure.text)] == figure.text
