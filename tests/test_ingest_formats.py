"""Newsletters as people receive them: other series and layouts, any text encoding, Word, PDF and HTML.

Each test newsletter is read in every format it is committed in (.txt, and .docx and .pdf written from it by
tests/fixtures/make_fixtures.py) and measured against its expected answers; bad files are refused in one line that
names them, with nothing written.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import rdflib

from benchmarks.ingest_measure import compare, draft_answers, expected_answers, newsletter_files
from reformkg.graph.ingest import IngestError, accept, ingest, read_newsletter
from reformkg.graph.ingest.formats import join_lines, read_source
from reformkg.graph.timeline import diff_issues, reform_timeline

NEWSLETTERS = Path(__file__).parent / "fixtures/newsletters"
N108 = NEWSLETTERS / "gaige-kuaibao-2017-07.txt"
N109 = NEWSLETTERS / "gaige-kuaibao-2017-10.txt"
YILIANG = NEWSLETTERS / "yiliang-gaige-dongtai-2017-09.txt"
PILOT = "https://w3id.org/reformkg/id/reform/yiliang-lufengcun-forest-farm-reform-pilot"
CASES = newsletter_files()


@pytest.fixture(scope="module")
def drafts(seed_store, tmp_path_factory):
    """Every test newsletter in every format, drafted against the seed graph."""
    folder = tmp_path_factory.mktemp("drafts")
    return {newsletter.name: ingest(newsletter, folder / newsletter.name, seed_store) for _e, newsletter in CASES}


def test_there_are_three_new_layouts_each_as_text_word_and_pdf():
    stems = {newsletter.name.rsplit(".", 1)[0] for _e, newsletter in CASES}
    assert len(stems) >= 4
    for stem in stems:
        assert {p.suffix for p in NEWSLETTERS.glob(stem + ".*")} >= {".txt", ".docx", ".pdf", ".json"}


@pytest.mark.parametrize(("expected_file", "newsletter"), CASES, ids=[n.name for _e, n in CASES])
def test_every_header_field_item_and_owner_right_and_figures_measured(drafts, expected_file, newsletter):
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    draft = drafts[newsletter.name]
    scores = {s.category: s for s in compare(expected_answers(expected), draft_answers(draft, owners_by="name"))}
    for category in ("header", "items", "owners"):
        assert (scores[category].precision, scores[category].recall) == (1.0, 1.0), category
    assert scores["figures"].precision >= 0.95 and scores["figures"].recall >= 0.95
    assert draft.graph_iri == expected["graph"]
    assert {s.item: s.stage for s in draft.statuses} == {i["position"]: i["stage"] for i in expected["items"]}
    if "series" in expected:
        assert draft.series == expected["series"]


def test_the_formats_of_one_newsletter_give_the_same_draft(drafts):
    """The text of a .docx or .pdf is the .txt's (PDF lines re-joined), so sentences, offsets and facts agree."""
    for stem in {name.rsplit(".", 1)[0] for name in drafts}:
        text = drafts[stem + ".txt"]
        for suffix in (".docx", ".pdf"):
            other = drafts[stem + suffix]
            assert other.newsletter.text == text.newsletter.text, stem + suffix
            assert (
                other.turtle.replace(stem + suffix, stem + ".txt").replace(
                    other.newsletter.source_format, text.newsletter.source_format
                )
                == text.turtle
            )


def test_offsets_count_in_the_stored_normalised_text(drafts, tmp_path, seed_store):
    pdf = NEWSLETTERS / "yiliang-gaige-dongtai-2017-09.pdf"
    draft = ingest(pdf, tmp_path / "d", seed_store)
    stored = (tmp_path / "d/source.txt").read_text(encoding="utf-8")
    assert stored == draft.newsletter.text
    for sentence in draft.newsletter.sentences:
        assert stored[sentence.start : sentence.end] == sentence.text
    for figure in draft.figures:
        assert stored[figure.start : figure.start + len(figure.figure.text)] == figure.figure.text


def test_the_seed_layouts_386_to_214_gives_both_values_and_the_change(drafts):
    draft = drafts[N109.name]
    found = {(f.figure.text, str(f.figure.value), f.unit, f.value_kind) for f in draft.figures}
    assert {
        ("386项", "386", "count", "baseline"),
        ("214项", "214", "count", "reported"),
        ("由386项精简至214项", "-172", "count", "change"),
    } <= found


@pytest.fixture(scope="module")
def accepted(tmp_path_factory):
    """A fresh seed store with the Yiliang bulletin (a new series), issue 108 and issue 109 accepted, in turn."""
    from tests.test_ingest import fresh_seed_store

    store = fresh_seed_store()
    folder = tmp_path_factory.mktemp("accepted")
    found = {}
    for newsletter in (YILIANG, N108, N109):
        draft = ingest(newsletter, folder / newsletter.stem, store)
        found[newsletter.stem] = (draft, accept(folder / newsletter.stem, store))
    yield store, found
    store.close()


def test_a_new_series_is_its_own_and_the_draft_is_accepted(accepted):
    _store, found = accepted
    draft, report = found[YILIANG.stem]
    assert draft.series == "https://w3id.org/reformkg/id/source/yiliang-gaige-dongtai" and draft.describe_series
    graph = rdflib.Graph().parse(data=draft.turtle, format="turtle")
    schema = rdflib.Namespace("https://schema.org/")
    series = rdflib.URIRef(draft.series)
    assert (series, rdflib.RDF.type, schema.Periodical) in graph
    assert graph.value(rdflib.URIRef(draft.issue_iri), schema.isPartOf) == series
    assert report.graph == "https://w3id.org/reformkg/graph/issue/yiliang-gaige-dongtai-42"
    assert all(f.severity != "violation" for f in report.findings), [str(f) for f in report.findings]
    # issue 109 names no editing body: it is Kunming's series, with the series' publisher, not a new series
    draft_109, report_109 = found[N109.stem]
    assert not draft_109.describe_series and report_109.graph.endswith("/kunming-gaige-kuaibao-109")
    assert draft_109.publisher == "https://w3id.org/reformkg/id/org/kunming-reform-leading-group"


def test_diff_says_not_mentioned_and_ended_only_on_a_status_record(accepted):
    """Issue 109 reports the Lufengcun pilot ended (试点工作圆满收官) and leaves out the other reforms of 108."""
    store, _found = accepted
    diff = diff_issues(store, "108", "109")
    assert [(c.reform, c.before, c.after) for c in diff.ended] == [(PILOT, ["deepening"], ["ended"])]
    assert PILOT not in {r for r, _ in diff.not_mentioned}
    assert len(diff.not_mentioned) == 3  # the three reforms of 108 that 109 does not mention: not ended
    assert [e.stage for e in reform_timeline(store, PILOT).entries] == ["accepted", "deepening", "ended"]


# -- encodings and formats, read without drafting ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig", "utf-16-be"])
def test_text_in_any_common_encoding(tmp_path, encoding):
    text = N108.read_text(encoding="utf-8")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    source = tmp_path / "n.txt"
    source.write_bytes(data)
    newsletter = read_newsletter(source, max_bytes=1 << 20)
    assert newsletter.text == text
    assert newsletter.header.label == "改革快报第7期(总第108期)" and len(newsletter.items) == 4


def test_html_page_read_with_a_real_parser(tmp_path):
    lines = N108.read_text(encoding="utf-8").strip().split("\n")
    body = "".join(
        f"<h2>{line}</h2>" if i == 0 else f"<p>{line.replace('(', '<b>(</b>')}</p>" for i, line in enumerate(lines)
    )
    page = (
        '<!DOCTYPE html><html><head><meta charset="gb2312"><title>改革快报</title><style>p{}</style>'
        f"<script>var x = '<p>not text</p>';</script></head><body><nav>首页 | 返回</nav>{body}"
        "<footer><p>版权所有</p></footer></body></html>"
    )
    source = tmp_path / "n.html"
    source.write_bytes(page.encode("gbk"))
    newsletter = read_newsletter(source, max_bytes=1 << 20)
    assert newsletter.text.startswith("\n".join(lines[:3]))
    assert "not text" not in newsletter.text and "首页" not in newsletter.text
    assert [i.owners for i in newsletter.items][1] == ["市水务局"]
    assert newsletter.source_format == "HTML"


def test_kangxi_radicals_and_compatibility_ideographs_are_normalised():
    source = read_source("改革快报第1期\n市级⾏政审批事项由386项精简至214项，\uf900\n".encode(), "n.txt")
    assert "行政审批" in source.text and "豈" in source.text and "⾏" not in source.text
    assert "，" in source.text  # full-width punctuation stays as written


def test_pdf_lines_are_joined_into_paragraphs():
    lines = ["一、我市推进改革。今年以来，我市在寻甸县开展试点，试点涉及", "12个乡镇。", "(市农业局)", "二、下一项"]
    assert join_lines(lines) == [
        "一、我市推进改革。今年以来，我市在寻甸县开展试点，试点涉及12个乡镇。",
        "(市农业局)",
        "二、下一项",
    ]


def _pdf_without_text() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(NEWSLETTERS / "gaige-kuaibao-2017-07.pdf"))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip_without_word() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", _pdf_without_text, "the PDF has no text layer \\(2 pages of images, a scan\\?\\)"),
        ("locked.pdf", _encrypted_pdf, "the PDF is encrypted"),
        ("broken.pdf", lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "not a readable PDF"),
        ("sheet.xlsx", _zip_without_word, "a zip archive that is not a Word .docx"),
        ("old.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "an old Word .doc"),
        ("fake.docx", lambda: "改革快报第7期".encode(), "named DOCX, but its content is not one"),
        ("damaged.docx", lambda: b"PK\x03\x04" + b"\x00" * 300, "damaged zip archive"),
    ],
)
def test_bad_files_are_refused_in_one_line_naming_them(tmp_path, name, content, message):
    source = tmp_path / name
    source.write_bytes(content())
    with pytest.raises(IngestError, match=message) as raised:
        ingest(source, tmp_path / "out")
    assert str(raised.value).startswith(str(source)) and "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()


def test_a_word_file_may_be_larger_than_the_text_limit_but_its_text_may_not(tmp_path):
    docx = NEWSLETTERS / "gaige-kuaibao-2017-07.docx"
    size, text_bytes = docx.stat().st_size, len(N108.read_bytes())
    assert read_newsletter(docx, max_bytes=text_bytes + 10).header.overall_number == 108  # file > limit, text not
    assert size > text_bytes + 10
    with pytest.raises(IngestError, match=r"its text .* is larger than REFORMKG_MAX_INGEST_BYTES"):
        read_newsletter(docx, max_bytes=text_bytes // 2)
    with pytest.raises(IngestError, match="larger than 64 times REFORMKG_MAX_INGEST_BYTES"):
        read_newsletter(docx, max_bytes=size // 100)
