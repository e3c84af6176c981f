"""The executor's event-loop path (``query_async``) on the worker processes, under uvloop as `reformkg serve` runs it:
answers of every size come through whole, the blocking path still works on the same workers afterwards, errors keep
their kind, and a query past its time is stopped."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import uvloop

from reformkg.graph.errors import QuerySyntaxError, QueryTimeout
from reformkg.graph.executor import QueryExecutor, _cost_key
from reformkg.graph.store import OxigraphStore
from tests.test_sparql_protocol import HEAVY

F = {"results": "json", "graph": "ttl"}
ROWS = 3000


@pytest.fixture(scope="module")
def executor(tmp_path_factory):
    store = OxigraphStore(tmp_path_factory.mktemp("async") / "store")
    # long literals, so that the answer is far larger than a socket buffer
    store.update(
        "INSERT DATA { "
        + " ".join(f'<http://example.org/s{i}> <http://example.org/p> "{"x" * 200}{i}" .' for i in range(ROWS))
        + " }"
    )
    executor = QueryExecutor(store, timeout=3, workers=1, row_limit=100_000)
    deadline = time.monotonic() + 60
    while executor.ready_workers() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    yield executor
    executor.close()
    store.close()


def on_uvloop(make_coroutine):
    """Run a coroutine on a uvloop of its own, in a thread of its own (another test may have left a loop running on
    this thread, e.g. Playwright's)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = uvloop.run(make_coroutine())
        except BaseException as error:  # handed to the test below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def run_async(executor: QueryExecutor, sparql: str):
    async def go():
        return await executor.query_async(sparql, F, scan=executor.check(sparql))

    return on_uvloop(go)


def test_large_answers_come_through_whole_and_the_blocking_path_works_after(executor):
    select = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }"
    for _ in range(3):  # every worker in turn, each then used again by the blocking path
        answer = run_async(executor, select)
        assert len(json.loads(answer.body)["results"]["bindings"]) == ROWS
        assert len(answer.body) > 600_000
    long_text = select + " # " + "y" * 90_000  # a request larger than a socket buffer, sent with a blocking write
    for _ in range(3):
        answer = executor.query(long_text, F)
        assert len(json.loads(answer.body)["results"]["bindings"]) == ROWS


def test_many_at_once_on_the_loop(executor):
    async def go():
        ask = "ASK { <http://example.org/s7> ?p ?o }"
        return await asyncio.gather(*(executor.query_async(ask, F, scan=executor.check(ask)) for _ in range(20)))

    answers = on_uvloop(go)
    assert [json.loads(a.body)["boolean"] for a in answers] == [True] * 20


def test_errors_keep_their_kind_and_a_long_query_is_stopped(executor):
    with pytest.raises(QuerySyntaxError):
        run_async(executor, "SELECT WHERE {")  # the guard's scan passes it; the engine refuses it
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_async(executor, HEAVY)
    assert time.monotonic() - started < 30
    assert json.loads(run_async(executor, "ASK {}").body)["boolean"] is True


def test_queued_queries_known_to_be_cheap_go_first(executor):
    """The pool's queue: a query whose text ran cheaply before is served before those that came earlier but are not
    known to be cheap. All workers are taken first, so every query queues; then one worker comes back."""
    pool = executor._pool
    cheap, costly = ("ASK { ?s ?p ?o }", F, None, None, 10), ("SELECT * { ?s ?p ?o }", F, None, None, 10)
    pool._record(cheap, 0.001, 0)
    pool._record(costly, 0.5, 0)
    assert (pool._priority(cheap), pool._priority(costly)) == (0, 1)
    held = [pool._take(time.monotonic() + 30) for _ in range(3)]  # every worker busy
    served: list[str] = []
    lock = threading.Lock()

    def wait(name: str, request: tuple) -> None:
        worker = pool._take(time.monotonic() + 30, pool._priority(request))
        with lock:
            served.append(name)
        pool._release(worker, True)

    threads = []
    deadline = time.monotonic() + 10
    for n, (name, request) in enumerate([("costly", costly)] * 3 + [("cheap", cheap)]):
        threads.append(threading.Thread(target=wait, args=(name, request)))
        threads[-1].start()
        while len(pool._waiting_readers) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    pool._release(held.pop(), True)  # one worker back: the cheap query, queued last, takes it
    while not served and time.monotonic() < deadline:
        time.sleep(0.01)
    for worker in held:
        pool._release(worker, True)
    for thread in threads:
        thread.join(10)
    assert served[0] == "cheap" and len(served) == 4


def test_a_query_known_to_be_light_is_answered_in_process_on_the_store_as_it_is_now(executor):
    """The first run of a text goes to a worker, which measures it; the next runs of a light text are answered by
    the main process, with the same answer. After a write the text goes to a worker again (its cost on the new data is
    not known), and the answer has the write in it."""
    ask = "SELECT ?o WHERE { <http://example.org/s11> <http://example.org/q> ?o }"
    first = run_async(executor, ask)
    assert json.loads(first.body)["results"]["bindings"] == []
    before = executor.inline_answers
    assert run_async(executor, ask).body == first.body
    assert executor.inline_answers == before + 1
    executor.update('INSERT DATA { <http://example.org/s11> <http://example.org/q> "new" }')
    after_write = run_async(executor, ask)
    assert executor.inline_answers == before + 1  # measured again on a worker, on the store with the write
    assert [b["o"]["value"] for b in json.loads(after_write.body)["results"]["bindings"]] == ["new"]
    assert run_async(executor, ask).body == after_write.body
    assert executor.inline_answers == before + 2


def test_a_costly_query_is_never_answered_in_process(executor):
    select = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o"  # 3,000 rows: far past the bound
    before = executor.inline_answers
    for _ in range(3):
        assert len(json.loads(run_async(executor, select).body)["results"]["bindings"]) == ROWS
    assert executor.inline_answers == before


def test_an_inline_answer_is_dropped_when_a_write_ran_meanwhile(executor):
    pool = executor._pool
    request = ("ASK { ?s ?p ?o }", F, None, None, 10)
    pool._record(request, 0.0001, pool._epoch)
    turn = pool.inline_turn(request)
    assert turn is not None
    executor.update("INSERT DATA { <http://example.org/w> <http://example.org/p> <http://example.org/o> }")
    assert not pool.inline_still_valid(request, turn, 0.0001)
    assert pool.inline_turn(request) is None  # its cost was measured before the write


def _children() -> set[int]:
    """The child processes of this process, whichever of its threads started them (a thread may end meanwhile)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def test_a_worker_that_dies_mid_query_is_a_store_error_at_once_and_is_replaced(executor):
    """The loop's path notices the worker's end (its socket closes) without waiting for the time limit."""
    import os
    import signal

    from reformkg.graph.errors import StoreError

    pool = executor._pool
    before = {p.pid for p in pool.processes()}
    others = _children() - before  # processes of this test session that are not the pool's (other fixtures')
    outcome: dict = {}

    def kill_the_busy_worker() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            busy = sorted(_children() - {p.pid for p in pool.processes()} - others)
            if busy:
                outcome["killed"] = busy[0]
                os.kill(busy[0], signal.SIGKILL)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_the_busy_worker)
    killer.start()
    started = time.monotonic()
    with pytest.raises(StoreError, match="worker failed"):
        run_async(executor, HEAVY)
    assert time.monotonic() - started < executor.timeout
    killer.join()
    deadline = time.monotonic() + 60
    while executor.ready_workers() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcome["killed"] in before and outcome["killed"] not in {p.pid for p in pool.processes()}
    assert executor.ready_workers() == 3  # a fresh worker took its place
    assert json.loads(run_async(executor, "ASK {}").body)["boolean"] is True


def test_a_worker_reopens_its_view_when_the_store_files_change(tmp_path):
    """A write made past the executor (no epoch bump) reaches a worker once the writer's files change (a flush): the
    worker reopens its view when the store's folder changed, as after a compaction, rather than read an old one."""
    store = OxigraphStore(tmp_path / "store")
    executor = QueryExecutor(store, timeout=5, workers=1)
    try:
        ask = "ASK { <http://example.org/past> ?p ?o }"
        assert json.loads(executor.query(ask, F).body)["boolean"] is False  # on a worker (the blocking path)
        store.oxigraph.add(
            ox.Quad(ox.NamedNode("http://example.org/past"), ox.NamedNode("http://example.org/p"), ox.Literal("x"))
        )
        store.oxigraph.flush()
        answers = {json.loads(executor.query(ask, F).body)["boolean"] for _ in range(3)}  # every worker in turn
        assert answers == {True}
    finally:
        executor.close()
        store.close()


def test_json_written_for_a_cap_is_the_engines_own_byte_for_byte():
    """An answer is the same bytes whichever path wrote it: the engine's writer (an answer known to hold every row)
    or the capped writer (rows counted as they come)."""
    from reformkg.graph.executor import serialize_capped
    from reformkg.graph.store import QueryResult

    store = ox.Store()
    terms = [
        ox.NamedNode("http://example.org/a/b?c=d&e#f"),
        ox.Literal('quotes " \\ / new\nline\ttab \x01 \x7f é 中文 \u2028'),
        ox.Literal("改革", language="zh-Hans"),
        ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.BlankNode("b1"),
        ox.Literal("rtl", language="ar", direction=ox.BaseDirection.RTL),
        ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c")),
    ]
    for i, term in enumerate(terms):
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), term))
    query = 'SELECT ?s ?o ?unbound ?ü WHERE { ?s <urn:p> ?o OPTIONAL { ?s <urn:none> ?unbound } BIND("ü" AS ?ü) }'
    engine = serialize_capped(QueryResult(store.query(query)), F, 0)
    capped = serialize_capped(QueryResult(store.query(query)), F, 100)
    assert not capped.limited and len(json.loads(capped.body)["results"]["bindings"]) == len(terms)
    assert capped.body == engine.body


def test_an_answer_in_process_is_capped_unless_its_last_one_held_every_row(executor):
    """The main process writes an answer whole only when the same text's last answer, on the same data, held every
    row; one that was capped is capped again."""
    pool = executor._pool
    select = "SELECT ?s WHERE { ?s <http://example.org/p> ?o }"
    capped = (select, F, None, None, 10)  # 3,000 rows, 10 at most
    status, payload = pool.run(capped, 10, 10)
    assert status == "ok" and payload[3]  # the worker capped it
    pool._record(capped, 0.0001, pool._epoch, pool._costs[_cost_key(capped)][2])  # light; the cap as measured
    answer = executor._query_inline(capped)
    assert answer is not None and answer.limited
    assert len(json.loads(answer.body)["results"]["bindings"]) == 10
    whole = (select + " LIMIT 5", F, None, None, 10)
    assert pool.run(whole, 10, 10)[1][3] is False
    pool._record(whole, 0.0001, pool._epoch, pool._costs[_cost_key(whole)][2])
    answer = executor._query_inline(whole)
    assert answer is not None and not answer.limited
    assert len(json.loads(answer.body)["results"]["bindings"]) == 5
