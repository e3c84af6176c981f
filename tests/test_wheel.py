"""The wheel as a user installs it: built from this checkout, installed (not editable) into a fresh venv, and run from
an empty folder, where no folder of the repository can stand in for a missing part of the package."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, free_port, stop_process, wait_until_up

ROOT = Path(__file__).parent.parent
NEWSLETTER = FIXTURES / "newsletters/gaige-kuaibao-2017-07.txt"
pytestmark = pytest.mark.slow


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from the checkout (with the checkout's setuptools: no download)."""
    out = tmp_path_factory.mktemp("wheel")
    # Build from a copy of what the package is made of: setuptools keeps a build/ folder beside the sources, whose
    # stale files (a module since deleted) would otherwise end up in the wheel and litter the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("graph", "api", "ontology", "data"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    _run([*pip, "-w", str(out), str(source)])
    (found,) = out.glob("reformkg-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv holding the wheel. Its dependencies come from this venv's site-packages through a ``.pth`` line
    (they are already installed and checked by ``make install``); the editable install of the checkout does not
    come with them, because a ``.pth`` line adds a folder to ``sys.path`` without running the ``.pth`` files in it."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)])
    (purelib / "_reformkg_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    empty = tmp_path_factory.mktemp("empty")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFORMKG_", "PYTHON"))}
    env.update(REFORMKG_STORE=str(tmp_path_factory.mktemp("data") / "store"), REFORMKG_QUERY_WORKERS="1")
    return {"python": python, "reformkg": venv / "bin" / "reformkg", "purelib": purelib, "cwd": empty, "env": env}


def test_the_wheel_installs_one_top_level_name_and_every_part(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"reformkg"}
    for part in (
        "reformkg/api/routers/sparql.py",
        "reformkg/api/static/vis-network/vis-network.min.js",
        "reformkg/api/templates/entity.html",
        "reformkg/graph/queries/agency-reforms.rq",
        "reformkg/graph/templates/graph.html",
        "reformkg/ontology/shapes.ttl",
        "reformkg/ontology/reformkg.ttl",
        "reformkg/data/kunming-gaige-kuaibao-107/core.ttl",
        "reformkg/data/sources/gaige-kuaibao-107.txt",
    ):
        assert part in names, part
    assert not any(name.startswith(("tests/", "README", "pyproject", "benchmarks/")) for name in names)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    code = "import reformkg.graph, reformkg.api.routers.sparql as s; print(s.__file__)"
    where = _run([str(installed["python"]), "-c", code], cwd=installed["cwd"], env=installed["env"]).stdout.strip()
    assert Path(where).is_relative_to(installed["purelib"]), where
    for other in ("graph", "api"):
        result = subprocess.run(
            [str(installed["python"]), "-c", f"import {other}"], cwd=installed["cwd"], env=installed["env"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr, other


def test_validate_build_query_ingest_accept_and_serve_from_an_empty_folder(installed, tmp_path):
    cli, cwd, env = str(installed["reformkg"]), installed["cwd"], installed["env"]
    _run([cli, "validate"], cwd=cwd, env=env)
    _run([cli, "build"], cwd=cwd, env=env)
    graphs = _run(
        [cli, "query", "--format", "json", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"],
        cwd=cwd, env=env,
    ).stdout  # fmt: skip
    found = {row["g"]["value"] for row in json.loads(graphs)["results"]["bindings"]}
    assert "https://w3id.org/reformkg/graph/ontology/reformkg.ttl" in found
    assert "https://w3id.org/reformkg/graph/data/kunming-gaige-kuaibao-107/core.ttl" in found

    draft = tmp_path / "draft"
    _run([cli, "ingest", str(NEWSLETTER), "--out", str(draft)], cwd=cwd, env=env)
    _run([cli, "accept", str(draft)], cwd=cwd, env=env)
    trace = _run([cli, "analytics", "trace", "--help"], cwd=cwd, env=env).stdout
    assert "agency" in trace

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([cli, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=out, stderr=out)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_up(f"{base}/healthz", server, 60), log.read_text()[-2000:]
        pages = ("/", "/query", "/graph/overview", "/graph/ownership", "/static/vis-network/vis-network.min.js")
        pages += ("/docs",)
        for path in pages:
            assert httpx.get(base + path, timeout=60).status_code == 200, path
        answer = httpx.get(
            f"{base}/sparql", params={"query": "ASK { ?f a <https://w3id.org/reformkg/ontology#StateForestFarm> }"},
            headers={"Accept": "application/sparql-results+json"}, timeout=60,
        )  # fmt: skip
        assert answer.json()["boolean"] is True
    finally:
        stop_process(server, grace=20)
    assert sorted(p.name for p in cwd.iterdir()) == [], "the commands left files in the working folder"
