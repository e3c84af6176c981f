"""Reviewing drafts: the page per draft and the list, decisions saved with the draft and applied by accept (the page
and `reformkg accept` give isomorphic graphs), the update token, 400s naming the fact, path safety, and the Data Cube
dimensions of drafted figures checked at accept."""

from __future__ import annotations

import json
import shutil

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from reformkg.api import cli_common
from reformkg.api.app import create_app
from reformkg.api.cli_ingest import ingest_app
from reformkg.graph.ingest import AcceptError, accept, ingest
from reformkg.graph.ingest.acceptance import read_draft
from reformkg.graph.ingest.drafts import NoDraft, draft_folder
from reformkg.graph.ingest.review import Decision, ReviewError, apply_review, check_decisions, draft_facts
from reformkg.graph.settings import Settings
from tests.conftest import LiveServer, OfflinePage, Unclosable
from tests.test_ingest import GRAPH_108, NEWSLETTER, _graph_of, fresh_seed_store

TOKEN = "review-token-1"
SDMX = "http://purl.org/linked-data/sdmx/2009/dimension#"
RKO = "https://w3id.org/reformkg/ontology#"
QB_OBS = rdflib.URIRef("http://purl.org/linked-data/cube#Observation")
SECRET = "SECRET-OUTSIDE-THE-DRAFTS-DIR"


@pytest.fixture(scope="module")
def drafts(tmp_path_factory, seed_store):
    """A drafts folder holding the test newsletter's draft, and an outside folder a symlink points at."""
    root = tmp_path_factory.mktemp("review")
    folder = root / "drafts"
    ingest(NEWSLETTER, folder / "kb108", seed_store)
    outside = root / "outside"
    shutil.copytree(folder / "kb108", outside)
    (outside / "draft.ttl").write_text(f"# {SECRET}\n" + (outside / "draft.ttl").read_text("utf-8"), "utf-8")
    (folder / "escape").symlink_to(outside, target_is_directory=True)
    (folder / "linked-file").mkdir()
    (folder / "linked-file/draft.ttl").symlink_to(outside / "draft.ttl")
    return folder


@pytest.fixture(scope="module")
def client(drafts, seed_store):
    return TestClient(create_app(Settings(store="memory", drafts_dir=drafts, update_token=TOKEN), seed_store))


@pytest.fixture(scope="module")
def facts(drafts, seed_store):
    return draft_facts(read_draft(drafts / "kb108/draft.ttl"), seed_store)


def first(facts, kind, item=None):
    return next(f for f in facts if f.kind == kind and (item is None or f.item == item))


def test_the_facts_of_a_draft_with_their_sentences_and_spans(facts):
    kinds = {f.kind for f in facts}
    assert {"header", "item", "owner", "status", "figure", "org", "reform"} <= kinds
    header = {f.header_field: f for f in facts if f.kind == "header"}
    assert header["date"].value == "2017-09-01" and header["number"].value == "7"
    assert header["publisher"].link == "https://w3id.org/reformkg/id/org/kunming-reform-leading-group"
    for fact in facts:
        assert fact.evidence, fact.id
    figure = first(facts, "figure")
    (start, end), quote = figure.evidence[0].spans[0], figure.evidence[0].quote
    assert quote[start:end] == figure.detail.split(" · ")[0]  # the figure as written, highlighted in its sentence
    assert len({f.id for f in facts}) == len(facts)


def test_drafted_figures_carry_every_dimension(drafts):
    graph = read_draft(drafts / "kb108/draft.ttl")
    observations = list(graph.subjects(rdflib.RDF.type, QB_OBS))
    assert observations
    for o in observations:
        assert graph.value(o, rdflib.URIRef(SDMX + "refArea")) is not None, o
        assert graph.value(o, rdflib.URIRef(SDMX + "refPeriod")) is not None, o
        assert graph.value(o, rdflib.URIRef(RKO + "breakdown")) == rdflib.URIRef(RKO + "noBreakdown")
    # with no place in its sentence a figure is for the editing body's place, Kunming (市 … 中共昆明市委 …)
    areas = {str(graph.value(o, rdflib.URIRef(SDMX + "refArea"))) for o in observations}
    assert "https://w3id.org/reformkg/id/place/kunming" in areas


def test_accept_refuses_a_draft_that_breaks_the_cube_naming_the_constraint(tmp_path):
    store = fresh_seed_store()
    ingest(NEWSLETTER, tmp_path / "d", store)
    draft = tmp_path / "d/draft.ttl"
    lines = draft.read_text(encoding="utf-8").splitlines(keepends=True)
    draft.write_text("".join(line for line in lines if "sdmx-dimension:refArea" not in line), encoding="utf-8")
    with pytest.raises(AcceptError, match="IC-11") as raised:
        accept(tmp_path / "d", store)
    assert any(f.message.startswith("IC-11 All dimensions required") for f in raised.value.findings)
    assert store.count(GRAPH_108) == 0
    store.close()


def test_decisions_drop_what_hangs_on_rejected_facts_and_edit_the_rest(drafts, facts, seed_store):
    graph = read_draft(drafts / "kb108/draft.ttl")
    figure = first(facts, "figure", 1)
    indicator = graph.value(rdflib.URIRef(figure.subject), rdflib.URIRef(RKO + "indicator"))
    edited = [f for f in facts if f.kind == "figure" and f.item == 1][1]
    reform = first(facts, "reform")
    owner = first(facts, "owner", 1)
    decisions = {
        figure.id: Decision("reject"),
        edited.id: Decision("accept", label="新指标", value="12.5"),
        reform.id: Decision("reject"),
        owner.id: Decision("accept", link="市扶贫办"),
    }
    checked = check_decisions(facts, decisions, seed_store)
    assert checked[owner.id].link == "https://w3id.org/reformkg/id/org/kunming-poverty-alleviation-office"
    out = apply_review(graph, facts, checked)
    assert (rdflib.URIRef(figure.subject), None, None) not in out and (indicator, None, None) not in out
    assert (None, None, rdflib.URIRef(reform.subject)) not in out  # its status records and ownership go with it
    owns = "-owns-" + reform.subject.rsplit("/", 1)[-1]
    assert any(owns in str(s) for s in graph.subjects()) and not any(owns in str(s) for s in out.subjects())
    value = out.value(
        rdflib.URIRef(edited.subject), rdflib.URIRef("http://purl.org/linked-data/sdmx/2009/measure#obsValue")
    )
    assert value == rdflib.Literal("12.5", datatype=rdflib.XSD.decimal)
    assert (None, rdflib.URIRef(RKO + "attributedTo"), rdflib.URIRef(checked[owner.id].link)) in out
    assert (rdflib.URIRef(owner.link), None, None) not in out  # the minted owner merged into the existing agency


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("decision.observation/no-such-fact", "reject", "no fact 'observation/no-such-fact'"),
        ("value.{figure}", "forty", "fact {figure}: 'forty' is not a number"),
        ("link.{figure}", "https://w3id.org/reformkg/id/place/atlantis", "fact {figure}: the link target"),
        ("decision.issue/date", "reject", "fact issue/date: a header cannot be rejected"),
        ("value.issue/date", "2017-13-01", "fact issue/date: '2017-13-01' is not a date"),
        ("bogus", "1", "the form field 'bogus'"),
    ],
)
def test_bad_decisions_are_400_naming_the_fact_and_nothing_is_saved(client, drafts, facts, field, value, message):
    figure = first(facts, "figure").id
    answer = client.post(
        "/drafts/kb108", data={field.format(figure=figure): value, "token": TOKEN}, follow_redirects=False
    )
    assert answer.status_code == 400, answer.text
    assert message.format(figure=figure) in answer.json()["detail"]
    assert not (drafts / "kb108/review.json").exists()


def test_writes_need_the_update_token(drafts, seed_store, client, facts):
    figure = first(facts, "figure").id
    form = {f"decision.{figure}": "reject"}
    off = TestClient(create_app(Settings(store="memory", drafts_dir=drafts), seed_store))
    assert off.post("/drafts/kb108", data={**form, "token": TOKEN}).status_code == 403
    assert client.post("/drafts/kb108", data=form).status_code == 401
    assert client.post("/drafts/kb108", data={**form, "token": "wrong"}).status_code == 401
    wrong_header = client.post("/drafts/kb108", data=form, headers={"Authorization": "Bearer nope"})
    assert wrong_header.status_code == 401
    assert not (drafts / "kb108/review.json").exists()
    saved = client.post(
        "/drafts/kb108", data=form, headers={"Authorization": f"Bearer {TOKEN}"}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/drafts/kb108?done=saved"
    review = json.loads((drafts / "kb108/review.json").read_text(encoding="utf-8"))
    assert review["decisions"] == {figure: {"decision": "reject"}}
    listing = client.get("/drafts", headers={"Accept-Language": "en"}).text
    assert 'data-status="reviewed"' in listing and "reviewed 1 of" in listing
    (drafts / "kb108/review.json").unlink()


@pytest.mark.parametrize(
    "path",
    [
        "/drafts/%2e%2e",  # a literal /drafts/.. is resolved by the client before it is sent; the library test has it
        "/drafts/..%2Foutside",
        "/drafts/kb108%2F..%2F..%2Foutside",
        "/drafts/%2Fetc%2Fpasswd",
        "/drafts//etc/passwd",
        "/drafts/escape",
        "/drafts/linked-file",
        "/drafts/.hidden",
    ],
)
def test_drafts_are_named_by_folder_only(client, path):
    for method in ("get", "post"):
        answer = getattr(client, method)(path, **({"data": {"token": TOKEN}} if method == "post" else {}))
        assert answer.status_code in (400, 404), (method, path, answer.status_code)
        assert SECRET not in answer.text


def test_draft_folder_refuses_what_is_not_a_folder_inside(drafts):
    for name in ("..", "/etc", "a/b", "escape", "linked-file", "", "x" * 101, "kb108/../escape"):
        with pytest.raises(NoDraft):
            draft_folder(drafts, name)
    assert draft_folder(drafts, "kb108") == (drafts / "kb108").resolve()


def test_the_review_pages_are_off_without_a_drafts_folder(seed_store):
    off = TestClient(create_app(Settings(store="memory", update_token=TOKEN), seed_store))
    listing = off.get("/drafts", headers={"Accept-Language": "zh-CN"})
    assert listing.status_code == 200 and "REFORMKG_DRAFTS_DIR" in listing.text and "data-review-off" in listing.text
    assert off.get("/drafts/kb108").status_code == 404
    assert off.post("/drafts/kb108", data={"token": TOKEN}).status_code == 404


def test_the_page_speaks_the_browsers_language(client):
    zh = client.get("/drafts/kb108", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    en = client.get("/drafts/kb108", headers={"Accept-Language": "en-GB"}).text
    assert "data-site-header" in zh and "保存并接受整期入库" in zh and "<mark>" in zh
    assert "Save and accept the issue" in en


def test_review_error_is_an_input_error():
    from reformkg.graph.errors import InputError

    assert issubclass(ReviewError, InputError)


@pytest.mark.slow
def test_reject_edit_and_accept_in_the_browser_as_the_cli_does(browser, tmp_path, monkeypatch):
    store = fresh_seed_store()
    ingest(NEWSLETTER, tmp_path / "drafts/kb108", store)
    facts = draft_facts(read_draft(tmp_path / "drafts/kb108/draft.ttl"), store)
    rejected, edited = [f for f in facts if f.kind == "figure" and f.item == 2][:2]
    server = LiveServer(create_app(Settings(store="memory", drafts_dir=tmp_path / "drafts", update_token=TOKEN), store))
    offline = OfflinePage(browser, extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        page = offline.page
        page.goto(server.url + "/drafts")
        page.locator("a[href='/drafts/kb108']").click()
        page.wait_for_url("**/drafts/kb108")
        assert page.locator(f"[data-fact='{rejected.id}'] mark").first.inner_text() == rejected.detail.split(" · ")[0]
        page.locator(f"input[name='decision.{rejected.id}'][value='reject']").check()
        page.locator(f"input[name='value.{edited.id}']").fill("23")
        page.locator(f"input[name='label.{edited.id}']").fill("具体措施条数")
        page.locator("input[name='token']").fill(TOKEN)
        page.locator("button[value='accept']").click()
        page.wait_for_url("**/drafts/kb108?done=accepted")
        assert page.locator("[data-done='accepted']").is_visible()
        assert page.locator(f"[data-fact='{rejected.id}']").get_attribute("class").endswith("rejected")
        offline.assert_clean()
    finally:
        offline.close()
        server.stop()
    from_page = _graph_of(store, GRAPH_108)
    assert (rdflib.URIRef(rejected.subject), None, None) not in from_page
    assert (rdflib.URIRef(edited.subject), None, rdflib.Literal(23)) in from_page
    store.close()

    # the same folder, review.json and all, accepted by the command line into another store
    cli_dir = tmp_path / "cli/kb108"
    shutil.copytree(tmp_path / "drafts/kb108", cli_dir)
    other = fresh_seed_store()
    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: Unclosable(other))
    result = CliRunner().invoke(ingest_app, ["accept", str(cli_dir)])
    assert result.exit_code == 0, result.output
    assert "1 rejected, 1 edited" in result.output
    assert isomorphic(from_page, _graph_of(other, GRAPH_108))
    other.close()
