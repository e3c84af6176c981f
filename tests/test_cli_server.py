"""The command line beside a running server, as separate processes: reads work on a snapshot, writes say who holds
the store, nothing ends in a traceback, and a read never creates a store."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from reformkg.api.cli import app
from reformkg.graph.store import OWNER
from tests.conftest import FIXTURES, free_port, stop_process, wait_until_up

FARMS = FIXTURES / "farms.ttl"
NEWSLETTER = FIXTURES / "newsletters/gaige-kuaibao-2017-07.txt"
SELECT_FARMS = "SELECT ?f WHERE { ?f a <http://example.org/ForestFarm> } ORDER BY ?f"
_SCRIPT = Path(sys.executable).parent / "reformkg"
REFORMKG = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "reformkg.api.cli"]
HOLD = "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"


def cli_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFORMKG_")}
    env.update(values)
    env["REFORMKG_QUERY_WORKERS"] = "1"
    return env


def run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*REFORMKG, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def one_error_line(result) -> str:
    """The single ``error:`` line a failed command printed; no traceback, nothing else on standard error."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


class CliServer:
    """``reformkg serve`` as a process on a free loopback port; stopped with SIGTERM like a service manager does."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*REFORMKG, "serve", "--port", str(self.port)], cwd=cwd, env=env, stdout=log, stderr=log
            )
        self.pid = self.process.pid
        if not wait_until_up(f"{self.url}/healthz", self.process, 60):
            self.stop()
            pytest.fail(f"reformkg serve did not start: {self.log.read_text()[-1000:]}")

    def stop(self) -> int | None:
        return stop_process(self.process, grace=20)


@pytest.fixture
def folders(tmp_path):
    """A store loaded with farms.ttl, the folder the server runs in, and another folder for the other commands."""
    store, home, elsewhere = tmp_path / "store", tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = cli_env(REFORMKG_STORE=str(store))
    loaded = run(["load", str(FARMS)], cwd=home, env=env)
    assert loaded.returncode == 0, loaded.stderr
    return store, home, elsewhere, env


@pytest.mark.slow
def test_reads_work_beside_the_server_and_writes_name_the_process_holding_the_store(folders, tmp_path):
    store, home, elsewhere, env = folders
    extra = tmp_path / "extra.ttl"
    extra.write_text("<http://example.org/lufengcun> a <http://example.org/ForestFarm> .\n")
    server = CliServer(home, env)
    try:
        owner = json.loads((store / OWNER).read_text())
        assert owner["pid"] == server.pid and owner["command"] == "reformkg serve" and owner["url"] == server.url

        answer = run(["query", SELECT_FARMS, "--format", "csv"], cwd=elsewhere, env=env)
        assert answer.returncode == 0, answer.stderr
        assert list(csv.reader(io.StringIO(answer.stdout))) == [
            ["f"],
            ["http://example.org/haikou"],
            ["http://example.org/xishan"],
        ]
        exported = run(["export", "--format", "nt"], cwd=elsewhere, env=env)
        assert exported.returncode == 0, exported.stderr
        assert len(exported.stdout.splitlines()) == 8

        for args in (["load", str(extra)], ["serve", "--port", str(free_port())]):
            line = one_error_line(run(args, cwd=elsewhere, env=env))
            assert f"the store {store} is in use by reformkg serve (pid {server.pid}, {server.url})" in line, line
            assert "REFORMKG_UPDATE_TOKEN" in line
        # the refused commands left the server alone
        assert httpx.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
    finally:
        server.stop()
    assert not (store / OWNER).exists(), "the server removes its owner file when it stops"

    loaded = run(["load", str(extra)], cwd=elsewhere, env=env)
    assert loaded.returncode == 0, loaded.stderr
    answer = run(["query", SELECT_FARMS, "--format", "csv"], cwd=elsewhere, env=env)
    assert "http://example.org/lufengcun" in answer.stdout


@pytest.mark.slow
def test_a_read_in_an_empty_folder_finds_no_store_and_creates_nothing(tmp_path):
    data_home, folder = tmp_path / "xdg", tmp_path / "empty"
    data_home.mkdir()
    folder.mkdir()
    env = cli_env(XDG_DATA_HOME=str(data_home))
    expected = f"error: no store at {data_home / 'reformkg' / 'store'} (REFORMKG_STORE); build one with: reformkg build"
    for args in (
        ["query", "ASK {}"],
        ["export", "--format", "nt"],
        ["ingest", str(NEWSLETTER), "--out", str(folder / "draft")],
        ["serve", "--port", str(free_port())],
    ):
        assert one_error_line(run(args, cwd=folder, env=env)) == expected, args
    assert list(data_home.iterdir()) == []
    assert list(folder.iterdir()) == []


@pytest.mark.slow
def test_a_bug_free_failure_never_prints_a_traceback(folders, tmp_path):
    _store, _home, elsewhere, env = folders
    cases = [
        (["load", str(tmp_path)], f"{tmp_path}: is a directory, not a file"),
        (["load", "/dev/zero"], "/dev/zero: not a regular file"),
        (["query", "SELEKT *"], "query does not parse"),
        (["export", "--format", "nt", "-o", str(tmp_path / "no" / "such" / "x.nt")], "no such file or directory"),
        (["timeline", "no-such-reform"], "no entity named 'no-such-reform'"),
        (["diff", "107", "999"], "no newsletter issue"),
        (["withdraw", "999"], "no issue graph"),
        (["analytics", "trace", "http://example.org/nobody"], "http://example.org/nobody"),
        (["accept", str(tmp_path / "no-draft")], "no draft.ttl"),
        (["sources", str(tmp_path / "none.txt"), "--issue-iri", "http://x/i", "-o", str(tmp_path / "s")], "no such"),
    ]
    for args, message in cases:
        line = one_error_line(run(args, cwd=elsewhere, env=env))
        assert message in line, (args, line)
    bad_port = one_error_line(run(["query", "ASK {}"], cwd=elsewhere, env={**env, "REFORMKG_PORT": "eighty"}))
    assert bad_port.startswith("error: REFORMKG_PORT:")


# -- in process: the same rules, where a subprocess is not needed ---------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORMKG_STORE", str(tmp_path / "store"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def foreign_holder(tmp_path):
    """A plain pyoxigraph process holding the store folder's lock: no owner file says who it is."""
    store = tmp_path / "store"
    (store / "oxigraph").parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store / "oxigraph")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout.readline().strip() == b"ready"
        yield store
    finally:
        process.stdin.close()
        process.wait(20)


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(done.stdout)


@pytest.mark.parametrize("command", ["load", "build", "withdraw", "accept"])
def test_every_write_command_refuses_a_held_store_in_one_line(cli, foreign_holder, tmp_path, command):
    (foreign_holder / OWNER).write_text(json.dumps({"pid": _dead_pid(), "command": "reformkg load"}))  # stale
    draft = tmp_path / "draft"
    draft.mkdir()
    (draft / "draft.ttl").write_text("")
    args = {"load": [str(FARMS)], "build": [], "withdraw": ["108"], "accept": [str(draft)]}[command]
    result = cli(command, *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: the store {foreign_holder} is in use by another process; stop it first (if it is reformkg serve, "
        "send updates to its /sparql endpoint with REFORMKG_UPDATE_TOKEN)"
    ]


def test_a_read_works_while_another_process_holds_the_store(cli, tmp_path):
    assert cli("load", str(FARMS)).exit_code == 0
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "store" / "oxigraph")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout.readline().strip() == b"ready"
        result = cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["n", "8"]
    finally:
        process.stdin.close()
        process.wait(20)


def test_the_default_store_is_per_user_and_a_relative_one_is_per_folder(tmp_path, monkeypatch):
    data_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.delenv("REFORMKG_STORE", raising=False)
    runner = CliRunner()
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    assert runner.invoke(app, ["load", str(FARMS)]).exit_code == 0
    assert (data_home / "reformkg" / "store" / "oxigraph").is_dir()
    monkeypatch.chdir(second)
    counted = runner.invoke(app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv"])
    assert counted.stdout.splitlines() == ["n", "8"]

    monkeypatch.setenv("REFORMKG_STORE", "var/store")
    missing = runner.invoke(app, ["query", "ASK {}"])
    assert missing.exit_code == 1
    assert f"no store at {second / 'var' / 'store'} " in missing.stderr
    assert list(second.iterdir()) == []
    assert runner.invoke(app, ["load", str(FARMS)]).exit_code == 0
    assert (second / "var" / "store" / "oxigraph").is_dir()


def test_serve_on_a_taken_port_says_so_in_one_line(cli):
    assert cli("load", str(FARMS)).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot listen on 127.0.0.1:{port}: "), result.stderr


@pytest.mark.slow
def test_a_served_ranking_is_kept_beside_the_store_when_the_server_stops(tmp_path):
    """``reformkg serve`` stopped by SIGTERM closes its store: the ranking's typed part is written beside it with the
    state it leaves, and the next process starts from it."""
    from benchmarks.bench import generate
    from reformkg.graph.store import STATE_FILE, TYPED_PART_FILE

    data, store = tmp_path / "farms.nt", tmp_path / "store"
    generate(data, 30)
    env = cli_env(REFORMKG_STORE=str(store))
    loaded = run(["load", str(data)], cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    server = CliServer(tmp_path, env)
    try:
        served = httpx.get(f"{server.url}/analytics/agencies", params={"format": "json"}, timeout=60)
        assert served.status_code == 200, served.text
    finally:
        assert server.stop() is not None
    state = json.loads((store / STATE_FILE).read_text())["state"]
    with (store / TYPED_PART_FILE).open("rb") as kept:
        assert json.loads(kept.readline())["state"] == state
    check = (
        "import sys; from reformkg.graph.store import OxigraphStore; from reformkg.graph import analytics\n"
        "store = OxigraphStore(sys.argv[1], read_only=True)\n"
        "kept = analytics.saved_typed(store)\n"
        "print(kept is not None, [row['iri'] for row in analytics.rank_agencies(store)['agencies']])\n"
    )
    out = subprocess.run([sys.executable, "-c", check, str(store)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1) == ["True", f"{[row['iri'] for row in served.json()['agencies']]}\n"]
