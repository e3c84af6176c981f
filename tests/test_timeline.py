"""Reforms over time: accepting issue 108 on top of the seed moves the Lufengcun pilot; diff, JSON and HTML views."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reformkg.graph.build import build
from reformkg.graph.ingest import accept, ingest
from reformkg.graph.settings import Settings
from reformkg.graph.timeline import UnknownEntity, diff_issues, place_timeline, reform_timeline

NEWSLETTER = Path(__file__).parent / "fixtures/newsletters/gaige-kuaibao-2017-07.txt"
PILOT = "https://w3id.org/reformkg/id/reform/yiliang-lufengcun-forest-farm-reform-pilot"
backends = pytest.mark.parametrize("store", ["memory", "remote"], indirect=True)


@pytest.fixture
def moved(store, tmp_path):
    """The seed plus issue 108, accepted."""
    settings = Settings()
    build(store, settings.ontology_dir, settings.data_dir)
    ingest(NEWSLETTER, tmp_path / "draft", store)
    accept(tmp_path / "draft", store)
    return store


@backends
def test_the_pilot_timeline_has_two_records_in_date_order(moved):
    timeline = reform_timeline(moved, PILOT)
    assert [(e.reported_on, e.stage) for e in timeline.entries] == [
        ("2017-08-01", "accepted"),
        ("2017-09-01", "deepening"),
    ]
    assert timeline.current.issue.endswith("kunming-gaige-kuaibao-108")
    first, second = timeline.entries
    assert first.assessor.endswith("yunnan-state-forest-farm-reform-leading-group")
    assert any("验收" in e.quote for e in first.sentences)
    assert any("深化国有林场改革" in e.quote for e in second.sentences)
    assert all(e.start is not None and e.end > e.start for e in first.sentences + second.sentences)
    place = place_timeline(moved, "https://w3id.org/reformkg/id/place/yiliang-county")
    assert [r["reform"] for r in place["reforms"]] == [PILOT]


@backends
def test_diff_reports_the_stage_change(moved):
    diff = diff_issues(moved, "107", "108")
    assert [(c.reform, c.before, c.after) for c in diff.stage_changes] == [(PILOT, ["accepted"], ["deepening"])]
    assert len(diff.added) == 3
    assert PILOT not in {r for r, _ in diff.not_mentioned}
    # the six reforms issue 108 does not mention are that, not ended: no status record says they ended
    assert len(diff.not_mentioned) == 6 and diff.ended == []
    assert ("8000", "mu", "0.8万亩") in {f[1:] for f in diff.figures_added}
    with pytest.raises(UnknownEntity):
        diff_issues(moved, "107", "999")


@backends
def test_cli_diff_and_timeline(moved, monkeypatch):
    import reformkg.api.cli_common as cli_common
    import reformkg.api.cli_ingest as cli

    monkeypatch.setattr(cli_common, "open_configured_store", lambda *_a, **_k: _Unclosed(moved))
    runner = CliRunner()
    result = runner.invoke(cli.ingest_app, ["diff", "107", "108"])
    assert result.exit_code == 0, result.output
    assert "stage changed" in result.output and "accepted → deepening" in result.output
    assert result.output.count("not mentioned in issue 108") == 7  # six reforms and the summary line
    assert "no longer reported" not in result.output and "ended: " not in result.output
    result = runner.invoke(cli.ingest_app, ["timeline", "yiliang-lufengcun-forest-farm-reform-pilot"])
    assert result.exit_code == 0, result.output
    assert "2017-08-01" in result.output and "2017-09-01" in result.output


class _Unclosed:
    """The test's store, which the command must not close."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def close(self):
        pass


@backends
def test_timeline_endpoints(moved):
    from reformkg.api.app import create_app

    app = create_app(Settings(store="memory"), moved)
    client = TestClient(app, headers={"Accept": "application/json"})
    answer = client.get("/reforms/yiliang-lufengcun-forest-farm-reform-pilot/timeline")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    data = answer.json()
    assert [e["stage"] for e in data["entries"]] == ["accepted", "deepening"]
    assert data["current"]["reported_on"] == "2017-09-01"
    page = client.get("/reforms/yiliang-lufengcun-forest-farm-reform-pilot/timeline", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "2017-09-01" in page.text and "深化国有林场改革" in page.text
    places = client.get("/places/yiliang-lufengcun-forest-farm/timeline")
    assert places.status_code == 200 and places.json()["reforms"][0]["reform"] == PILOT
    assert client.get("/reforms/no-such-reform/timeline").status_code == 404
    assert client.get("/reforms/%25/timeline").status_code == 404  # not an IRI: no reform, not a query error
    missing = client.get("/places/nowhere/timeline", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "no place" in missing.text
    assert "/reforms/{reform_id}/timeline" in client.get("/openapi.json").json()["paths"]
