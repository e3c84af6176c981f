"""The guard reads SPARQL as tokens: it finds SERVICE and LOAD wherever the engine would, and nowhere else."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from reformkg.graph import guard
from reformkg.graph.errors import QuerySyntaxError, RefusedRequest

LIMITS = guard.Limits()
TRAP = "http://127.0.0.1:9/x"

FEDERATED = [
    f"SELECT * WHERE {{ SERVICE <{TRAP}> {{ ?s ?p ?o }} }}",
    f"select * where {{ service <{TRAP}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SeRvIcE SILENT <{TRAP}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE # a comment between\n <{TRAP}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ {{ OPTIONAL {{ {{ SERVICE <{TRAP}> {{ ?s ?p ?o }} }} }} }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{TRAP}> {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{TRAP}> {{ ?s ?p ?o }} }} }} }}",
    "PREFIX trap: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE trap:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    f"SELECT * WHERE {{ \\u0053ERVICE <{TRAP}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE\t<{TRAP}>{{?s ?p ?o}} }}",
    "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
]
HARMLESS = [
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    "SELECT * WHERE { ?s <http://example.org/LOAD> ?o }",
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:SERVICE ?service }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o = 'SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o }') }",
    'SELECT * WHERE { ?s ?p """SERVICE\nLOAD <http://127.0.0.1:9/x> { }""" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o }",
    "SELECT ?SERVICE ?load WHERE { ?SERVICE ?load _:SERVICE }",
    'SELECT * WHERE { ?s ?p "x"@service }',
]


@pytest.mark.parametrize("query", FEDERATED)
def test_service_is_refused_wherever_the_engine_would_see_it(query):
    with pytest.raises(RefusedRequest, match="REFORMKG_SERVICE_ALLOW"):
        guard.check(query, LIMITS)


@pytest.mark.parametrize("query", HARMLESS)
def test_the_word_in_an_iri_string_comment_name_or_variable_is_no_keyword(query):
    scan = guard.check(query, LIMITS)
    assert scan.form == "select"
    assert scan.services == [] and scan.loads == []
    ox.Store().query(query)  # and the engine agrees that it is a plain query


@pytest.mark.parametrize(
    "update",
    [
        f"LOAD <{TRAP}>",
        f"load silent <{TRAP}> into graph <urn:g>",
        f"INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ; LOAD <{TRAP}>",
        "PREFIX t: <http://127.0.0.1:9/> LOAD t:x",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{TRAP}> {{ ?s ?p ?o }} }}",
    ],
)
def test_load_and_service_in_updates_are_refused(update):
    with pytest.raises(RefusedRequest, match="REFORMKG_SERVICE_ALLOW"):
        guard.check(update, LIMITS, update=True)


def test_the_allow_list_takes_hosts_and_iri_prefixes():
    by_host = guard.Limits(service_allow=("data.example.org",))
    assert guard.check("SELECT * { SERVICE <https://data.example.org/sparql> {} }", by_host).services == [
        "https://data.example.org/sparql"
    ]
    with pytest.raises(RefusedRequest):
        guard.check("SELECT * { SERVICE <https://data.example.org.evil.net/sparql> {} }", by_host)
    by_prefix = guard.Limits(service_allow=("https://data.example.org/sparql",))
    guard.check("LOAD <https://data.example.org/sparql?query=x>", by_prefix, update=True)
    with pytest.raises(RefusedRequest):
        guard.check("LOAD <https://data.example.org/other>", by_prefix, update=True)
    with pytest.raises(RefusedRequest):  # a variable target can never be checked, so it is never allowed
        guard.check("SELECT * { SERVICE ?x {} }", by_host)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("SELECT * WHERE " + "{" * 5_000 + "}" * 5_000, "REFORMKG_QUERY_MAX_DEPTH"),
        ("SELECT * WHERE { FILTER(" + "(" * 100 + "1" + ")" * 100 + ") }", "REFORMKG_QUERY_MAX_DEPTH"),
        ("SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o } " * 2_000 + "}", "REFORMKG_QUERY_MAX_OPERATORS"),
        ("SELECT (" + "+".join(["1"] * 50_000) + " AS ?x) WHERE {}", "REFORMKG_QUERY_MAX_CHARS"),
        ("SELECT (" + "+".join(["1"] * 10_000) + " AS ?x) WHERE {}", "REFORMKG_QUERY_MAX_OPERATORS"),
        ("SELECT * WHERE { ?s " + "/".join(["<p:a>"] * 6_000) + " ?o }", "REFORMKG_QUERY_MAX_OPERATORS"),
    ],
)
def test_deep_or_long_texts_are_refused_before_the_engine(text, says):
    with pytest.raises(RefusedRequest, match=says):
        guard.check(text, LIMITS)


def test_the_form_is_read_after_the_prologue_and_comments():
    assert guard.check("# what\nPREFIX a: <b:c> BASE <http://x/> ASK {}", LIMITS).form == "ask"
    assert guard.check("  describe <http://x/>", LIMITS).form == "describe"
    assert guard.check("INSERT DATA { <a:b> <a:c> <a:d> }", LIMITS, update=True).form is None


def test_an_unclosed_string_is_a_syntax_error():
    with pytest.raises(QuerySyntaxError, match="not closed"):
        guard.check('SELECT * WHERE { ?s ?p "open }', LIMITS)


def test_load_operations_are_read_one_by_one():
    ops = guard.load_operations("PREFIX e: <http://e/> LOAD SILENT e:x INTO GRAPH <urn:g> ; LOAD <http://b/> ;")
    assert ops == [guard.LoadOperation("http://e/x", "urn:g", True), guard.LoadOperation("http://b/", None, False)]
    assert guard.load_operations("LOAD <http://a/> ; CLEAR ALL") is None


def test_a_remembered_scan_gives_the_same_verdict_every_time():
    """Scans of short texts are remembered; a text sent again is refused or admitted as the first time, whatever
    the limits of the call, and what a caller does with a scan does not reach the next caller."""
    for text in FEDERATED:
        for _ in range(3):
            with pytest.raises(RefusedRequest):
                guard.check(text, LIMITS)
    nested = "SELECT * WHERE { " + "{ " * 10 + "?s ?p ?o " + "} " * 10 + "}"
    assert guard.check(nested, LIMITS).depth == 11
    with pytest.raises(RefusedRequest, match="nest 11 deep"):
        guard.check(nested, guard.Limits(max_depth=5))
    assert guard.check(nested, LIMITS).depth == 11
    allowed = guard.Limits(service_allow=("127.0.0.1",))
    assert guard.check(FEDERATED[0], allowed).services == [TRAP]
    with pytest.raises(RefusedRequest):
        guard.check(FEDERATED[0], LIMITS)


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ("INSERT DATA { <urn:a> <urn:p> <urn:o> }", {"urn:a", "urn:p", "urn:o"}),
        (
            'PREFIX ex: <http://ex/> INSERT DATA { GRAPH <urn:g> { ex:a a ex:C ; ex:p "x"@en, 3, _:b } } ; '
            "DELETE DATA { ex:b ex:q <urn:c> }",
            {"urn:g", "http://ex/a", "http://ex/C", "http://ex/p", "http://ex/b", "http://ex/q", "urn:c"},
        ),
        ('INSERT DATA { <urn:a> <urn:p> "<urn:not-an-iri> DELETE WHERE" }', {"urn:a", "urn:p"}),
        ("INSERT DATA { <urn:a> <urn:p> \\u003Curn:escaped> }", None),  # escapes: see the test below
        ("DELETE WHERE { <urn:a> ?p ?o }", None),
        ("INSERT { <urn:a> <urn:p> ?o } WHERE { ?s ?p ?o }", None),
        ("DELETE { ?s ?p ?o } INSERT DATA { <urn:a> <urn:p> <urn:o> }", None),
        ("WITH <urn:g> DELETE DATA { <urn:a> <urn:p> <urn:o> }", None),
        ("CLEAR ALL", None),
        ("LOAD <http://example.org/x>", None),
        ("BASE <http://ex/> INSERT DATA { <a> <b> <c> }", None),
        ("INSERT DATA { <a> <urn:p> <urn:o> }", None),  # relative: what it names depends on a base
        ("INSERT DATA { unknown:a <urn:p> <urn:o> }", None),
        ('INSERT DATA { <urn:a> <urn:p> "unclosed }', None),
    ],
)
def test_a_data_update_says_every_iri_it_names_and_any_other_update_nothing(update, named):
    """What ``Store.touched_since`` relies on: every quad an INSERT DATA or DELETE DATA adds or removes has its terms
    among the IRIs it names; for any other update the set is unknown (None)."""
    touched = guard.touched_iris(update)
    assert (set(touched) if touched is not None else None) == named


@pytest.mark.parametrize(
    ("update", "read"),
    [
        ("DELETE WHERE { <urn:a> ?p ?o }", ("SELECT * WHERE { <urn:a> ?p ?o }", None, {"urn:a"})),
        (
            "PREFIX ex: <http://ex/> WITH ex:g DELETE { ?s ex:p ?o } INSERT { ?o ex:q ?s } "
            'WHERE { ?s ex:p ?o FILTER(?o != "}") } ;',
            ('PREFIX ex: <http://ex/> SELECT *  WHERE { ?s ex:p ?o FILTER(?o != "}") }', "http://ex/g", None),
        ),
        (
            "INSERT { GRAPH ?g { ?s a <urn:C> } } USING <urn:u> USING NAMED <urn:n> WHERE { GRAPH ?g { ?s ?p ?o } }",
            ("SELECT * FROM <urn:u> FROM NAMED <urn:n> WHERE { GRAPH ?g { ?s ?p ?o } }", None, None),
        ),
        (
            "WITH <urn:g> INSERT { ?s a <urn:C> } USING <urn:u> WHERE { ?s ?p ?o }",  # USING wins over WITH
            ("SELECT * FROM <urn:u>", None, None),
        ),
        ("DROP SILENT GRAPH <urn:g>", (("urn:g",),)),
        ("CLEAR DEFAULT", ((None,),)),
        ("MOVE GRAPH <urn:a> TO DEFAULT", (("urn:a", None),)),
        ("copy <urn:a> to <urn:b>", (("urn:a", "urn:b"),)),
        ("CREATE GRAPH <urn:c>", ((),)),
        ("CLEAR ALL", None),
        ("DROP NAMED", None),
        ("INSERT DATA { <urn:a> <urn:p> <urn:o> }", None),  # touched_iris answers it from its text
        ("DELETE WHERE { ?s ?p ?o } ; INSERT DATA { <urn:a> <urn:p> <urn:o> }", None),  # two operations
        ("INSERT { ?x a <urn:C> } WHERE { BIND(IRI(CONCAT('urn:', STRUUID())) AS ?x) }", None),
        ("INSERT { ?x <urn:at> ?t } WHERE { ?x a <urn:C> BIND(NOW() AS ?t) }", None),
        ("INSERT { ?s a <urn:C> } WHERE { SERVICE <http://ex/sparql> { ?s ?p ?o } }", None),
        ("BASE <http://ex/> DELETE WHERE { <a> ?p ?o }", None),
        ("DELETE WHERE { <a> ?p ?o }", None),  # relative
        ("INSERT { ?s a <urn:C> } WHERE { ?s ?p ?o", None),  # not closed
        ("LOAD <http://ex/data.ttl>", None),
    ],
)
def test_an_update_with_a_where_says_what_to_read_before_it_runs(update, read):
    """What ``OxigraphStore.update`` reads, before an update of one operation with a WHERE (or a graph operation) runs,
    to know which IRIs it may touch: the WHERE as a SELECT on the update's dataset, or the graphs it changes."""
    found = guard.update_reads(update)
    if read is None:
        assert found is None
    elif isinstance(found, guard.GraphRead):
        assert found.graphs == read[0]
    else:
        select, default_graph, named = read
        assert isinstance(found, guard.WhereRead) and found.select.startswith(select)
        assert found.default_graph == default_graph
        assert named is None or set(found.named) == named
        ox.Store().query(found.select)  # a query the engine takes


@pytest.mark.parametrize(
    "update",
    [
        # the engine reads \u escapes only inside IRIs and strings: here a string that ends early to the scanner
        'INSERT DATA { <urn:s> <urn:p> "a\\u0022" . <urn:s2> <urn:p> <urn:o2> . '
        '<urn:s> <urn:p> "\\u0022\\u0022\\u0022" }',
        'DELETE { ?s <urn:owner> ?a } WHERE { ?s <urn:path> "C:\\u005Cnew" ; <urn:owner> ?a }',
        "DELETE { ?s ?p ?o } WHERE { { SELECT ?s WHERE { ?s a <urn:C> } LIMIT 3 } ?s ?p ?o }",  # which three?
        "INSERT { ?s <urn:one> ?o } WHERE { { SELECT ?s (SAMPLE(?x) AS ?o) WHERE { ?s <urn:p> ?x } GROUP BY ?s } }",
    ],
)
def test_an_update_whose_reading_may_differ_from_the_engines_says_nothing(update):
    """Updates with \\u escapes (the scanner would read them where the engine does not), and a WHERE that may choose
    other rows on another run (LIMIT, OFFSET, SAMPLE, GROUP_CONCAT): what they touch is not known (read whole)."""
    assert guard.touched_iris(update) is None
    assert guard.update_reads(update) is None


def _corpus() -> list[str]:
    """Query texts of every kind the project has (its named queries, the benchmarks' shapes, this file's cases), and
    variations of them made to sit on the quick scan's edges."""
    from pathlib import Path

    from benchmarks.bench import queries

    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text() for p in sorted((root / "graph" / "queries").glob("*.rq"))]
    texts += list(queries(5_000).values()) + FEDERATED + HARMLESS
    prologue = "PREFIX ex: <http://example.org/#x>\n# a comment: SELECT\nBASE <http://x/>\n"
    bodies = [
        "SELECT * WHERE { ?s ?p ?o }",
        "ASK { ex:a ?p ?o }",
        "CONSTRUCT WHERE { ?s a ex:C }",
        "DESCRIBE ex:a",
        "SELECT(COUNT(*) AS ?n) { ?s ?p ?o }",
        "SELECT:x ?s {}",
        "SELECT.x: ?s {}",
        "selectx ?s {}",
        "INSERT DATA { ex:a ex:b ex:c }",
        "SELECT * { " + "{ " * 70 + "} " * 70 + "}",
        "SELECT * { ?s ?p ?o } " + "OPTIONAL " * 6_000,
        "SELECT * { ?s ?p ?o FILTER(?o < 3) }",
    ]
    for body in bodies:
        texts += [body, prologue + body, "PREFIX : <http://e/>" + body, "PREFIX e:<http://e/>" + body]
        texts += ["PREFIX e: <http://e/ x> " + body, "PREFIXe: <http://e/> " + body, "# " + body]
    return texts


def test_a_query_read_without_tokens_gets_the_whole_scans_verdict():
    """The quick scan admits a text only where the whole scan admits it too, with the same form; its depth and
    operators bound the whole scan's. Texts that need tokens are left to the whole scan."""
    quick_read = 0
    for text in _corpus():
        quick = guard._quick_scan(text)
        if quick is None:
            continue
        quick_read += 1
        whole = guard._scan(text)
        assert (quick.form, quick.services, quick.loads, quick.extensions) == (whole.form, [], [], []), text
        assert whole.services == whole.loads == whole.extensions == [], text
        assert whole.depth <= quick.depth and whole.operators <= quick.operators, text
        for limits in (
            LIMITS,
            guard.Limits(max_depth=whole.depth),
            guard.Limits(max_depth=max(whole.depth - 1, 0)),
            guard.Limits(max_operators=whole.operators),
            guard.Limits(max_operators=whole.operators - 1),
        ):
            admitted = whole.depth <= limits.max_depth and whole.operators <= limits.max_operators
            try:
                verdict = guard.check(text, limits).form
            except RefusedRequest:
                verdict = "refused"
            assert verdict == (whole.form if admitted else "refused"), (text, limits)
    assert quick_read >= 40  # the named queries, the benchmark shapes and most variations are read quickly
    assert guard._quick_scan("SELECT * { SERVICE <http://127.0.0.1:9/x> {} }") is None
    assert guard._quick_scan('SELECT * { ?s ?p "open }') is None
    with pytest.raises(RefusedRequest, match="nest 71 deep"):  # past the bound, the whole scan decides
        guard.check("SELECT * { " + "{ " * 70 + "} " * 70 + "}", LIMITS)
