"""The executor's event-loop path (``query_async``) on the worker processes, under uvloop as `reformkg serve` runs it:
answers of every size come through whole, the blocking path still works on the same workers afterwards, errors keep
their kind, and a query past its time is stopped."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import uvloop

from reformkg.graph.errors import QuerySyntaxError, QueryTimeout
from reformkg.graph.executor import QueryExecutor
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
