"""The CLI through typer's CliRunner, on a store folder of its own."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rdflib
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from reformkg.api.cli import app
from tests.conftest import FIXTURES

FARMS = FIXTURES / "farms.ttl"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORMKG_STORE", str(tmp_path / "store"))
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return run


def test_load_query_and_export(cli, tmp_path):
    loaded = cli("load", str(FARMS))
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 8 triples" in loaded.output
    assert FARMS.resolve().as_uri() in loaded.output

    as_csv = cli("query", "SELECT ?f WHERE { ?f a <http://example.org/ForestFarm> } ORDER BY ?f", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["f"],
        ["http://example.org/haikou"],
        ["http://example.org/xishan"],
    ]

    as_json = cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "json")
    assert json.loads(as_json.stdout)["results"]["bindings"][0]["n"]["value"] == "8"

    table = cli("query", "SELECT ?f WHERE { ?f a <http://example.org/ForestFarm> }")
    assert "http://example.org/haikou" in table.stdout

    out = tmp_path / "all.trig"
    exported = cli("export", "--format", "trig", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    dataset = rdflib.Dataset().parse(out, format="trig")
    assert isomorphic(dataset.graph(rdflib.URIRef(FARMS.resolve().as_uri())), rdflib.Graph().parse(FARMS))


def test_reload_says_replaced(cli):
    cli("load", str(FARMS))
    again = cli("load", str(FARMS), "--graph", "http://example.org/g")
    assert again.exit_code == 0
    again = cli("load", str(FARMS), "--graph", "http://example.org/g")
    assert "replaced 8 triples" in again.output


def test_bad_file_names_file_line_and_column_and_changes_nothing(cli, tmp_path):
    cli("load", str(FARMS), "--graph", "http://example.org/g")
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n')
    result = cli("load", str(bad), "--graph", "http://example.org/g")
    assert result.exit_code == 1
    assert f"{bad}:3:11:" in result.output
    count = cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
    assert count.stdout.splitlines()[1] == "8"


def test_bad_query_is_reported(cli):
    cli("load", str(FARMS))
    result = cli("query", "SELEKT nothing")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: query does not parse")
    assert len(result.stderr.splitlines()) == 1


def test_a_read_on_a_missing_store_says_how_to_make_one_and_creates_nothing(cli, tmp_path):
    result = cli("query", "ASK {}")
    assert result.exit_code == 1
    store = tmp_path / "store"
    assert result.stderr == f"error: no store at {store} (REFORMKG_STORE); build one with: reformkg build\n"
    assert not (tmp_path / "store").exists()


def test_load_refuses_a_directory_or_device_before_creating_a_store(cli, tmp_path):
    for path, message in [(tmp_path, "is a directory, not a file"), ("/dev/zero", "not a regular file")]:
        result = cli("load", str(path))
        assert result.exit_code == 1
        assert result.stderr == f"error: {path}: {message}\n"
    assert not (tmp_path / "store").exists()


def test_ingest_refuses_a_newsletter_past_the_size_limit(cli, tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(2_200_000)  # sparse: the size is all that is read
    result = cli("ingest", str(big), "--out", str(tmp_path / "draft"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {big}: 2.1 MB is larger than REFORMKG_MAX_INGEST_BYTES (512 KB); a newsletter is rarely over 100 KB\n"
    )
    monkeypatch.setenv("REFORMKG_MAX_INGEST_BYTES", "1000")
    seed = FIXTURES / "newsletters" / "gaige-kuaibao-2017-07.txt"
    result = cli("ingest", str(seed), "--out", str(tmp_path / "draft"))
    assert result.exit_code == 1
    assert ": 2 KB is larger than REFORMKG_MAX_INGEST_BYTES (1,000 bytes);" in result.stderr
    assert not (tmp_path / "draft").exists()


def test_graph_option_takes_one_file(cli):
    result = cli("load", str(FARMS), str(FARMS), "--graph", "http://example.org/g")
    assert result.exit_code == 2


def test_an_empty_store_setting_means_the_default(monkeypatch, tmp_path):
    from reformkg.graph.settings import Settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("REFORMKG_STORE", "")
    assert Settings().store == str(tmp_path / "data" / "reformkg" / "store")


def test_export_format_choices_are_the_stores_formats():
    from reformkg.api.cli import ExportFormat
    from reformkg.graph.store import EXPORT_FORMATS

    assert [f.value for f in ExportFormat] == list(EXPORT_FORMATS)


def test_help_imports_neither_the_store_nor_settings_nor_rich():
    """`reformkg --help` stays quick: it must not import the heavy parts (timed in benchmarks/bench.py)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from reformkg.api.cli import main\n"
        "sys.argv = ['reformkg', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('pyoxigraph', 'rdflib', 'pydantic', 'pydantic_settings', 'rich', 'networkx', 'fastapi')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "Usage: reformkg" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_load_with_a_progress_bar(cli, monkeypatch):
    monkeypatch.setenv("REFORMKG_PROGRESS_BYTES", "0")  # every file gets the progress bar
    loaded = cli("load", str(FARMS))
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 8 triples" in loaded.output
