"""Newsletter ingest: header, items and owners exact, figures measured, entities linked, bad input refused, accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from benchmarks.ingest_measure import compare, curated_answers, draft_answers, expected_answers
from reformkg.api.cli_ingest import ingest_app
from reformkg.graph import queries
from reformkg.graph.errors import InputError
from reformkg.graph.ingest import AcceptError, IngestError, accept, ingest, issue_graph_iri, withdraw
from reformkg.graph.sources import segment, sentences_turtle
from reformkg.graph.store import OxigraphStore

ROOT = Path(__file__).parent.parent
SEED_TEXT = ROOT / "data/sources/gaige-kuaibao-107.txt"
NEWSLETTER = ROOT / "tests/fixtures/newsletters/gaige-kuaibao-2017-07.txt"
EXPECTED = json.loads(NEWSLETTER.with_suffix(".expected.json").read_text(encoding="utf-8"))
GRAPH_108 = "https://w3id.org/reformkg/graph/issue/kunming-gaige-kuaibao-108"
FARMS = [
    "https://w3id.org/reformkg/id/place/haikou-forest-farm",
    "https://w3id.org/reformkg/id/place/xishan-forest-farm",
    "https://w3id.org/reformkg/id/place/yiliang-lufengcun-forest-farm",
]


def fresh_seed_store() -> OxigraphStore:
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings

    settings = Settings()
    store = OxigraphStore()
    build(store, settings.ontology_dir, settings.data_dir)
    return store


@pytest.fixture(scope="module")
def seed_draft(seed_store, tmp_path_factory):
    return ingest(SEED_TEXT, tmp_path_factory.mktemp("seed") / "draft", seed_store)


@pytest.fixture(scope="module")
def test_draft(seed_store, tmp_path_factory):
    return ingest(NEWSLETTER, tmp_path_factory.mktemp("n108") / "draft", seed_store)


def by_category(scores):
    return {s.category: s for s in scores}


def test_seed_header_items_owners_exact_and_figures_measured(seed_draft):
    scores = by_category(compare(curated_answers(), draft_answers(seed_draft)))
    for category in ("header", "items", "owners"):
        assert (scores[category].precision, scores[category].recall) == (1.0, 1.0), category
    assert scores["figures"].precision >= 0.9
    assert scores["figures"].recall >= 0.9


def test_test_newsletter_against_its_expected_answers(test_draft):
    scores = by_category(compare(expected_answers(EXPECTED), draft_answers(test_draft, owners_by="name")))
    for category in ("header", "items", "owners"):
        assert (scores[category].precision, scores[category].recall) == (1.0, 1.0), category
    assert scores["figures"].precision >= 0.9 and scores["figures"].recall >= 0.9
    header = test_draft.newsletter.header
    assert header.date.isoformat() == "2017-09-01" and header.overall_number == 108
    stages = {s.item: s.stage for s in test_draft.statuses}
    assert stages == {i["position"]: i["stage"] for i in EXPECTED["items"]}


def test_known_entities_are_linked_not_duplicated(seed_draft, test_draft):
    linked = {m.name: m.iri for m in test_draft.mentions if m.linked}
    linked.update({name: iri for d in test_draft.items for name, iri, ok in d.owners if ok})
    linked[test_draft.newsletter.header.publisher] = "https://w3id.org/reformkg/id/org/kunming-reform-leading-group"
    for name, iri in EXPECTED["linked"].items():
        assert linked.get(name) == iri, name
    assert test_draft.items[3].reforms == [EXPECTED["items"][3]["reports"]]
    seed_linked = {m.iri for m in seed_draft.mentions if m.linked}
    assert set(FARMS) <= seed_linked
    for draft in (seed_draft, test_draft):
        minted = " ".join(name for kind, name in draft.minted.values() if kind in ("place", "org"))
        assert "林场" not in minted and "市科技局" not in minted and "市扶贫办" not in minted
        graph = rdflib.Graph().parse(data=draft.turtle, format="turtle")
        described = set(graph.subjects(rdflib.RDF.type, None))
        assert not described & {rdflib.URIRef(f) for f in FARMS}


def test_every_candidate_keeps_its_sentence_and_offsets(test_draft):
    text = test_draft.newsletter.text
    for mention in test_draft.mentions:
        assert text[mention.start : mention.start + len(mention.name)] == mention.name
    for figure in test_draft.figures:
        assert text[figure.start : figure.start + len(figure.figure.text)] == figure.figure.text
        assert figure.sentence.start <= figure.start < figure.sentence.end
    graph = rdflib.Graph().parse(data=test_draft.turtle, format="turtle")
    prov = rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    qb_obs = rdflib.URIRef("http://purl.org/linked-data/cube#Observation")
    assert all(graph.value(o, prov) is not None for o in graph.subjects(rdflib.RDF.type, qb_obs))


def test_draft_files_are_written(tmp_path):
    ingest(NEWSLETTER, tmp_path / "out")
    assert (tmp_path / "out/source.txt").read_bytes() == NEWSLETTER.read_bytes()
    assert "## Uncertain" in (tmp_path / "out/report.md").read_text(encoding="utf-8")
    rdflib.Graph().parse(tmp_path / "out/draft.ttl", format="turtle")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # read as GBK, so the header is found wanting a date
        ("改革快报第7期(总第108期)\n".encode("gbk") + "中共昆明市委".encode("gbk"), "no date.*found '改革快报"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 20, "not text in an encoding"),
        (b"", "empty"),
        (b"  \n\n", "empty"),
        ("一、我市推进改革。正文。(市科技局)\n".encode(), "no header"),
        ("改革快报第7期(总第108期)\n中共昆明市委\n九月\n".encode(), "no header"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(tmp_path, content, message):
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_cli_bad_input_gives_a_clear_error(tmp_path):
    source = tmp_path / "bad.txt"
    source.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8" * 30)
    result = CliRunner().invoke(ingest_app, ["ingest", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "not text in an encoding reformkg recognises" in result.output
    assert not (tmp_path / "out").exists()


def _graph_of(store, graph: str) -> rdflib.Graph:
    out = rdflib.Graph()
    sparql = queries.with_bindings("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph})
    for row in store.query(sparql).solutions():
        terms = []
        for term in (row["s"], row["p"], row["o"]):
            kind = type(term).__name__
            if kind == "NamedNode":
                terms.append(rdflib.URIRef(term.value))
            elif kind == "BlankNode":
                terms.append(rdflib.BNode(term.value))
            else:
                lang = term.language
                terms.append(rdflib.Literal(term.value, lang=lang, datatype=None if lang else term.datatype.value))
        out.add(tuple(terms))
    return out


def test_accept_loads_the_issue_graph_and_reingest_changes_nothing(tmp_path):
    store = fresh_seed_store()
    before = store.count()
    ingest(NEWSLETTER, tmp_path / "a", store)
    report = accept(tmp_path / "a", store)
    assert report.graph == GRAPH_108 == issue_graph_iri(108)
    assert report.triples == store.count(GRAPH_108) > 0
    assert all(f.severity != "violation" for f in report.findings)
    first, total = _graph_of(store, GRAPH_108), store.count()
    ingest(NEWSLETTER, tmp_path / "b", store)
    assert (tmp_path / "a/draft.ttl").read_text() == (tmp_path / "b/draft.ttl").read_text()
    again = accept(tmp_path / "b", store)
    assert again.replaced and store.count() == total
    assert isomorphic(first, _graph_of(store, GRAPH_108))
    graphs = set(store.graphs())
    assert withdraw(store, "108") == GRAPH_108
    assert store.count() == before and set(store.graphs()) == graphs - {GRAPH_108}
    store.close()


def test_accept_refuses_a_draft_with_violations(tmp_path):
    store = fresh_seed_store()
    ingest(NEWSLETTER, tmp_path / "d", store)
    draft = tmp_path / "d/draft.ttl"
    text = draft.read_text(encoding="utf-8")
    draft.write_text(text.replace('rko:originalText "45名"', 'rko:originalText "45名" ; rko:valueKind rko:nonsense'))
    with pytest.raises(AcceptError) as raised:
        accept(tmp_path / "d", store)
    assert any(f.severity == "violation" for f in raised.value.findings)
    assert store.count(GRAPH_108) == 0
    store.close()


def test_ingest_errors_are_input_errors():
    assert issubclass(IngestError, InputError) and issubclass(IngestError, ValueError)
    assert issubclass(AcceptError, IngestError)


def test_the_draft_is_the_same_bytes_every_run(tmp_path, seed_store):
    first = ingest(NEWSLETTER, tmp_path / "a", seed_store)
    second = ingest(NEWSLETTER, tmp_path / "b", seed_store)
    assert first.turtle == second.turtle and first.report == second.report
    assert (tmp_path / "a/draft.ttl").read_bytes() == (tmp_path / "b/draft.ttl").read_bytes()


def test_the_draft_reads_for_review(test_draft):
    """Prefixes, the issue's own prefix for its items and sentences, sections, and a comment above each subject."""
    text = test_draft.turtle
    assert "@prefix kb108: <https://w3id.org/reformkg/id/source/kunming-gaige-kuaibao-108/> ." in text
    assert "\nkb108:item-1 a rko:NewsletterItem ;" in text
    assert text.count("<https://w3id.org/reformkg/id/source/kunming-gaige-kuaibao-108/") == 1  # only the prefix
    for heading in ("# The issue and its items", "# Figures as observations", "# Source sentences"):
        assert heading in text
    lines = text.splitlines()
    subjects = [i for i, line in enumerate(lines) if line and not line.startswith((" ", "#", "@"))]
    assert subjects and all(lines[i - 1].startswith("# ") for i in subjects)
    observation = next(i for i in subjects if lines[i].startswith("ob:"))
    assert lines[observation - 1].startswith("# item 1, item-1-s")


def test_every_fact_points_at_a_sentence_of_the_issue(test_draft):
    graph = rdflib.Graph().parse(data=test_draft.turtle, format="turtle")
    prov = rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    sentence_type = rdflib.URIRef("https://w3id.org/reformkg/ontology#SourceSentence")
    sentences = set(graph.subjects(rdflib.RDF.type, sentence_type))
    assert len(sentences) == len(test_draft.newsletter.sentences)
    for subject in set(graph.subjects(rdflib.RDF.type, None)):
        if isinstance(subject, rdflib.URIRef) and subject not in sentences:
            derived = set(graph.objects(subject, prov))
            assert derived and derived <= sentences, subject


def test_quotes_and_backslashes_survive_the_turtle(tmp_path):
    """The serialiser escapes literals: a sentence with " and \\ comes back from the draft and from sources as it is."""
    text = NEWSLETTER.read_text(encoding="utf-8")
    odd = 'He said "改革" \\ then left.'
    lines = text.split("\n")
    body = next(i for i, line in enumerate(lines) if line.startswith("一、") and "。" in line)
    lines[body] = lines[body] + odd
    source = tmp_path / "odd.txt"
    source.write_text("\n".join(lines), encoding="utf-8")
    draft = ingest(source, tmp_path / "out")
    graph = rdflib.Graph().parse(tmp_path / "out/draft.ttl", format="turtle")
    quote = rdflib.URIRef("https://w3id.org/reformkg/ontology#quote")
    quotes = {str(q) for q in graph.objects(None, quote)}
    assert {s.text for s in draft.newsletter.sentences} == quotes
    assert any('"改革" \\' in q for q in quotes)
    issue = "https://w3id.org/reformkg/id/source/kunming-gaige-kuaibao-108"
    sources = rdflib.Graph().parse(
        data=sentences_turtle(source.read_text(encoding="utf-8"), issue_iri=issue, source_file="odd.txt"),
        format="turtle",
    )
    assert {str(q) for q in sources.objects(None, quote)} == {s.text for s in segment(source.read_text("utf-8"))}


def test_the_ingest_queries_are_plumbing_not_examples():
    ingest_queries = [name for name in queries.names() if name.startswith("ingest-")]
    assert {"ingest-known-entities", "ingest-pilots", "ingest-types"} <= set(ingest_queries)
    assert not set(ingest_queries) & set(queries.examples())
