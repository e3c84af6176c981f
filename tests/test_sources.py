"""Source sentences: deterministic segmentation, exact quotes and offsets, and the committed Turtle up to date."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import rdflib

from reformkg.graph.sources import chinese_numeral, segment, sentences_turtle

ROOT = Path(__file__).parent.parent
SOURCE = ROOT / "data/sources/gaige-kuaibao-107.txt"
SENTENCES = ROOT / "data/kunming-gaige-kuaibao-107/sources.ttl"
ISSUE = "https://w3id.org/reformkg/id/source/kunming-gaige-kuaibao-107"
#: SHA-256 of the newsletter as it was received, taken when it was curated: every offset and quote depends on it.
SOURCE_SHA256 = "7d68ecacba39f7eaa1a2df73074d74845336e46e45a3bd60d48ac35765ef6a8a"


def test_source_is_the_newsletter_as_received():
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == SOURCE_SHA256


@pytest.mark.parametrize(
    ("text", "value"), [("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("三十五", 35)]
)
def test_chinese_numerals(text, value):
    assert chinese_numeral(text) == value


def test_segmentation_of_the_seed():
    text = SOURCE.read_text(encoding="utf-8")
    sentences = segment(text)
    sections = {s.section for s in sentences}
    assert sections == {"header", "contents", "item-1", "item-2", "item-3", "item-4"}
    assert [s.text for s in sentences if s.section == "header"] == [
        "改革快报第6期(总第107期)",
        "中共昆明市委全面深化改革领导小组",
        "2017年8月1日",
    ]
    assert len([s for s in sentences if s.section == "contents"]) == 4
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    owners = [s.text for s in sentences if s.section.startswith("item") and s.text.startswith("(")]
    assert owners == ["(市扶贫办)", "(市纪委办公厅、市委组织部)", "(市科技局)"]


def test_committed_sentences_are_what_the_generator_writes():
    text = SOURCE.read_text(encoding="utf-8")
    expected = sentences_turtle(text, issue_iri=ISSUE, source_file="data/sources/gaige-kuaibao-107.txt")
    assert SENTENCES.read_text(encoding="utf-8") == expected, "run `reformkg sources` again"


def test_every_quote_matches_its_offsets():
    text = SOURCE.read_text(encoding="utf-8")
    graph = rdflib.Graph().parse(SENTENCES)
    rko = rdflib.Namespace("https://w3id.org/reformkg/ontology#")
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    checked = 0
    for sentence in graph.subjects(rdflib.RDF.type, rko.SourceSentence):
        quote = str(graph.value(sentence, rko.quote))
        selector = graph.value(sentence, oa.hasSelector)
        start, end = int(graph.value(selector, oa.start)), int(graph.value(selector, oa.end))
        assert text[start:end] == quote, sentence
        checked += 1
    assert checked == len(segment(text))
