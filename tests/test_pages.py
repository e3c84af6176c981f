"""The pages an analyst reads: the front page, a reform's page, the language choice, the site header everywhere, the
query UI's new place, and CLI tables that never cut a name. In-process (TestClient) over the seed graph."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from reformkg.api import cli_analytics, cli_common, i18n
from reformkg.api.app import create_app
from reformkg.graph.settings import Settings
from tests.conftest import Unclosable

ZH = {"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9"}
POVERTY = "https://w3id.org/reformkg/id/reform/kunming-precision-poverty-alleviation"
FOREST = "https://w3id.org/reformkg/id/reform/kunming-state-forest-farm-reform"
YUNNAN_GROUP = "https://w3id.org/reformkg/id/org/yunnan-state-forest-farm-reform-leading-group"
#: A slug as a reader would see it: lower-case words joined by hyphens, at least three of them.
SLUG = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+){2,}\b")


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def client(seed_store):
    return TestClient(create_app(Settings(store="memory"), seed_store))


def test_front_page_lists_the_reforms_chinese_first(client):
    page = client.get("/", headers=ZH)
    assert page.status_code == 200 and '<html lang="zh">' in page.text
    html = page.text
    cards = re.findall(r'<article class="reform-card" data-reform="([^"]+)"', html)
    assert len(cards) == 4 and POVERTY in cards and FOREST in cards
    text = visible(html)
    # names Chinese first, English beside; owners with roles; status and the date reported; figures; places; items
    assert "精准扶贫“五种新模式” Precision poverty alleviation: five new models" in text
    assert "昆明市扶贫开发办公室 Kunming Poverty Alleviation and Development Office 责任单位" in text
    assert "推进中 · 报道于 2017-08-01" in text
    assert "14.29亿元" in text and "全部数字 (113)" in text
    assert "禄劝彝族苗族自治县" in text
    assert "改革快报第6期(总第107期) · 2017-08-01: 我市探索精准扶贫“五种新模式”" in text
    # the forest-farm reform names no owner: said so, with the group that accepted its pilots
    forest = html[html.index(f'data-reform="{FOREST}"') :]
    forest = forest[: forest.index("</article>")]
    assert "data-no-owner" in forest and "原文未写明负责单位" in forest
    assert f'data-accountable="{YUNNAN_GROUP}"' in forest and "验收单位" in forest
    assert visible(forest).count("通过验收 · 报道于 2017-08-01") == 3
    # links to each reform's page, timeline and graph; search on top
    assert 'href="/id/reform/kunming-state-forest-farm-reform"' in forest
    assert 'href="/reforms/kunming-state-forest-farm-reform/timeline"' in forest
    assert "/graph/ego?iri=https%3A%2F%2Fw3id.org%2Freformkg%2Fid%2Freform%2Fkunming-state-forest-farm-reform" in forest
    assert html.index('class="search-box big"') < html.index('class="reform-card"')
    assert not SLUG.findall(text)


def test_front_page_in_english_and_as_json(client):
    page = client.get("/", headers=EN)
    assert '<html lang="en">' in page.text and "Owner not named in the source" in page.text
    assert "Accept-Language" in page.headers["vary"]
    cards = client.get("/api/reforms").json()
    forest = next(c for c in cards if c["reform"]["iri"] == FOREST)
    assert forest["owners"] == [] and forest["timeline"] == "/reforms/kunming-state-forest-farm-reform/timeline"
    assert [(a["agency"]["iri"], a["accepted"], len(a["pilots"])) for a in forest["accountable"]] == [
        (YUNNAN_GROUP, True, 3)
    ]
    assert [p["status"]["stage"]["label_zh"] for p in forest["pilots"]] == ["通过验收"] * 3


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.5", "en"),
        ("zh-TW", "zh"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr;q=0.9,zh;q=0.3,en;q=0.2", "zh"),
        ("", "en"),
    ],
)
def test_accept_language_chooses(header, lang):
    assert i18n.preferred(header) == lang


def test_the_switch_is_kept_for_the_next_pages(seed_store):
    client = TestClient(create_app(Settings(store="memory"), seed_store))
    first = client.get("/?lang=zh", headers={"Accept-Language": "en"})
    assert '<html lang="zh">' in first.text and first.cookies.get(i18n.COOKIE) == "zh"
    assert 'href="/?lang=en"' in first.text  # the switch back
    later = client.get("/graph/ownership", headers={"Accept-Language": "en"})
    assert '<html lang="zh">' in later.text and "谁负责哪项改革" in later.text
    assert "责任单位" in {e["label"] for e in graph_data(later.text)["edges"]}  # edge labels switch too
    english = client.get("/graph/ownership?lang=en")
    assert "Who owns which reform" in english.text
    assert "lead owner" in {e["label"] for e in graph_data(english.text)["edges"]}


def graph_data(html: str) -> dict:
    start = html.index('<script type="application/json" id="graph-data">') + len(
        '<script type="application/json" id="graph-data">'
    )
    return json.loads(html[start : html.index("</script>", start)])


PAGES = [
    "/",
    "/query",
    "/search?q=%E6%9E%97%E5%9C%BA",
    "/id/reform/kunming-precision-poverty-alleviation",
    "/id/org/kunming-poverty-alleviation-office",
    "/id/status/haikou-forest-farm-reform-pilot-accepted-107",
    "/reforms/haikou-forest-farm-reform-pilot/timeline",
    "/places/kunming/timeline",
    "/graph/ownership",
    "/graph/forest-farms",
    "/graph/overview",
    "/graph/ego?iri=haikou-forest-farm-reform-pilot&hops=2",
    "/analytics/agencies",
    "/docs",
    "/id/reform/no-such-reform",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_site_header_and_a_way_back(client, path):
    page = client.get(path, headers=ZH)
    assert page.headers["content-type"].startswith("text/html"), path
    header = page.text[page.text.index("data-site-header") :]
    header = header[: header.index("</header>")]
    for link in ("/", "/graph/ownership", "/graph/forest-farms", "/graph/overview", "/analytics/agencies", "/query"):
        assert f'href="{link}"' in header, (path, link)
    assert 'action="/search"' in header and "data-lang-switch" in header


def test_shared_queries_go_to_the_query_ui(client):
    moved = client.get("/?query=ASK%20%7B%7D&tabTitle=x", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/query?query=ASK+%7B%7D&tabTitle=x"
    assert "yasgui" in client.get("/query").text


def test_a_reform_page_reads_like_a_record(client):
    page = client.get("/id/reform/kunming-precision-poverty-alleviation", headers=ZH)
    html, text = page.text, visible(page.text)
    rows = re.findall(r'<tr data-observation="([^"]+)"', html)
    assert len(rows) == 113 == len(set(rows))
    # one figure: indicator in both languages, the value as written and normalised, period, place, sentence
    row = html[html.index('data-observation="https://w3id.org/reformkg/id/observation/poverty-villages-exited"') :]
    row = visible(row[row.index(">") + 1 : row.index("</tr>")])
    assert row.startswith("出列贫困村数 Poor villages exited from the poverty list 66个 66 个")
    assert "昆明市" in row and "第38句" in row
    # each sentence once, every figure's sentence among them
    anchors = re.findall(r'<figure class="source" id="([^"]+)"', html)
    assert anchors and len(anchors) == len(set(anchors))
    assert set(re.findall(r'class="cite" href="#([^"]+)"', html)) <= set(anchors)
    assert "昆明市扶贫开发办公室" in text and "责任单位" in text
    assert "状态记录" in text and "推进中" in text
    visible_part = text[: text.index("全部陈述（RDF）")]  # the collapsed RDF statements come last
    assert not SLUG.findall(visible_part)


def test_a_status_record_page_has_a_human_name(client):
    page = client.get("/id/reform/haikou-forest-farm-reform-pilot", headers=ZH)
    assert "通过验收" in page.text and "云南省国有林场改革工作领导小组" in page.text
    status = client.get("/id/reform/haikou-forest-farm-reform-pilot?format=html").text
    assert "haikou-forest-farm-reform-pilot-accepted-107</a>" not in status


def test_cli_tables_never_cut_chinese(seed_store, monkeypatch):
    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: Unclosable(seed_store))
    printed = io.StringIO()
    narrow = Console(file=printed, width=80, emoji=False, highlight=False, force_terminal=False)
    monkeypatch.setattr(cli_common, "out", narrow)
    result = CliRunner().invoke(cli_analytics.analytics_app, ["agencies"])
    assert result.exit_code == 0, result.output
    lines = printed.getvalue().splitlines()
    long_names = (
        "中共昆明市纪律检查委员会办公厅",
        "昆明市委、市政府成立的国有林场改革工作领导小组",
        "云南省国有林场改革工作领导小组",
    )
    for name in long_names:
        assert any(name in line for line in lines), name
    assert "…" not in printed.getvalue()
    # on an 80-column terminal a long name folds onto the next line instead of ending in "…"
    folded = io.StringIO()
    monkeypatch.setattr(cli_common, "out", Console(file=folded, width=80, force_terminal=True, color_system=None))
    CliRunner().invoke(cli_analytics.analytics_app, ["agencies"])
    assert "…" not in folded.getvalue()
    name = "昆明市委、市政府成立的国有林场改革工作领导小组"
    pieces = [re.sub(r"[│┃|\s]", "", line.split("│")[3]) for line in folded.getvalue().splitlines() if "│" in line]
    assert name in "".join(pieces)  # the 名称 column, read down: the whole name


def test_cli_trace_takes_a_label(seed_store, monkeypatch):
    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: Unclosable(seed_store))
    printed = io.StringIO()
    monkeypatch.setattr(cli_analytics, "out", Console(file=printed, width=10_000, emoji=False, highlight=False))
    result = CliRunner().invoke(cli_analytics.analytics_app, ["trace", "市政府"])
    assert result.exit_code == 0, result.output
    assert "Kunming Municipal People's Government → Kunming Poverty Alleviation and Development Office" in (
        printed.getvalue()
    )


def test_the_front_page_is_bounded(seed_store):
    from reformkg.graph.reforms import build_cards

    cards = build_cards(seed_store, limit=4, pilots=1)
    forest = next(c for c in cards if c.reform.iri == FOREST)
    assert len(forest.pilots) == 1 and forest.more_pilots == 2
    assert [c.reform.iri for c in build_cards(seed_store, limit=2)] == [c.reform.iri for c in cards[:2]]
