"""The graph views: offline HTML, the right errors, the node cap, and data shown as text."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from reformkg.api.app import create_app
from reformkg.graph import views
from reformkg.graph.errors import UnknownEntity
from reformkg.graph.settings import Settings
from reformkg.graph.store import OxigraphStore
from tests.conftest import synthetic_farms

RKO = "https://w3id.org/reformkg/ontology#"
KUNMING = "https://w3id.org/reformkg/id/place/kunming"
VIEWS = ["/graph/overview", "/graph/ownership", "/graph/forest-farms", f"/graph/ego?iri={KUNMING}&hops=2"]
#: Anything the browser would fetch: src/href attributes, CSS url(...) and @import.
LOADS = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)([^"')\s>]+)""", re.IGNORECASE)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def served_here(target: str) -> bool:
    """Whether a page would fetch ``target`` from this server: a relative reference (no scheme, no host), or an
    http(s) URL on the loopback interface. Anything else (another host, a scheme-relative ``//host``, ``ftp:``,
    ``data:``) is not."""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc:
        return True
    return parts.scheme.lower() in ("http", "https") and parts.hostname in LOOPBACK


@pytest.fixture(scope="module")
def client(seed_store):
    return TestClient(create_app(Settings(store="memory"), seed_store))


@pytest.mark.parametrize("url", VIEWS)
def test_view_is_offline_html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'src="/static/vis-network/vis-network.min.js"' in html
    loads = LOADS.findall(html)
    assert loads, "the page should load vis-network"
    elsewhere = [target for target in loads if not served_here(target)]
    assert elsewhere == [], f"{url} loads from outside this server: {elsewhere}"
    assert "cdn" not in html.lower() and "bootstrap" not in html.lower()
    assert "innerHTML" not in html
    assert client.get("/static/vis-network/vis-network.min.js").status_code == 200


@pytest.mark.parametrize(
    ("target", "here"),
    [
        ("/static/vis-network/vis-network.min.js", True),
        ("vis.js", True),
        ("http://127.0.0.1:8000/static/x.js", True),
        ("https://localhost/x.css", True),
        ("https://cdn.example.org/vis.js", False),
        ("//cdn.example.org/vis.js", False),
        ("http://localhost.example.org/x.js", False),
        ("ftp://127.0.0.1/x.js", False),
        ("data:text/javascript,alert(1)", False),
    ],
)
def test_served_here_tells_local_from_remote(target, here):
    assert served_here(target) is here


def test_forest_farm_view_shows_the_farms_acceptance_and_next_steps(client):
    html = client.get("/graph/forest-farms").text
    for name in ("Haikou Forest Farm", "Xishan Forest Farm", "Lufengcun", "Provincial State Forest Farm Reform"):
        assert name in html
    for step in ("1-support-policies", "2-resource-protection", "3-diversified-operations", "4-deepen-reform"):
        assert f"kunming-forest-farm-reform-next-step-{step}" in html


def test_ego_errors(client):
    unknown = client.get("/graph/ego", params={"iri": "https://w3id.org/reformkg/id/place/atlantis"})
    assert unknown.status_code == 404 and "atlantis" in unknown.json()["detail"]
    for hops in (0, 4):
        assert client.get("/graph/ego", params={"iri": KUNMING, "hops": hops}).status_code == 422
    # a kind no view draws, or a predicate that is not an absolute IRI, is named in a 422 (it would match nothing)
    for name, value in (("kind", "places"), ("kind", "5"), ("predicate", "containedInPlace"), ("predicate", "5")):
        wrong = client.get("/graph/ego", params={"iri": KUNMING, name: ["place", value] if name == "kind" else value})
        assert wrong.status_code == 422 and [name] == [e["loc"][1] for e in wrong.json()["detail"]]
    fine = {"kind": ["place", "agency"], "predicate": "https://schema.org/containedInPlace"}
    assert client.get("/graph/ego", params={"iri": KUNMING, **fine}).status_code == 200


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
HAIKOU_SITE = "https://w3id.org/reformkg/id/place/haikou-forest-farm"
YUNNAN_GROUP = "https://w3id.org/reformkg/id/org/yunnan-state-forest-farm-reform-leading-group"
FOREST_REFORM = "https://w3id.org/reformkg/id/reform/kunming-state-forest-farm-reform"
ENTERPRISE = f"{RKO}Enterprise"


def per_link_counts(view) -> dict[tuple[str, str], int]:
    """How many neighbours each node shows per edge label and direction (the "+N more" nodes not counted)."""
    counts: dict[tuple[str, str], int] = {}
    for e in view.edges:
        if not str(e["to"]).startswith(("more:", "figures:")):
            counts[(e["from"], "out " + e["title"])] = counts.get((e["from"], "out " + e["title"]), 0) + 1
        if not str(e["from"]).startswith(("more:", "figures:")):
            counts[(e["to"], "in " + e["title"])] = counts.get((e["to"], "in " + e["title"]), 0) + 1
    return counts


@pytest.mark.parametrize(
    ("iri", "switches"),
    [
        (f"{RKO}IndicatorScheme", {"observations": True}),
        (KUNMING, {"observations": True, "provenance": True}),
        (KUNMING, {}),
    ],
)
def test_ego_is_capped_per_link_type_and_in_all(seed_store, iri, switches):
    view = views.ego_data(seed_store, iri, hops=2, **switches)
    more = [n for n in view.nodes if n["kind"] == "more"]
    assert len(view.nodes) <= views.EGO_CAP
    assert more and all(re.match(r"\+\d+ more", n["label_en"]) for n in more)
    # the centre's links of one type are cut at PER_LINK, the rest counted in a "+N more" node
    at_centre = {key: n for key, n in per_link_counts(view).items() if key[0] == iri}
    assert at_centre and max(at_centre.values()) <= views.PER_LINK
    html = views.render(view)
    assert " more: " in html


def test_ego_does_not_flood_through_a_hub(seed_store):
    # Haikou forest farm, two hops: Kunming (a place with hundreds of links) is drawn but not expanded
    view = views.ego_data(seed_store, HAIKOU_SITE, hops=2)
    ids = {n["id"] for n in view.nodes}
    kinds = [n["kind"] for n in view.nodes]
    assert KUNMING in ids and len(view.nodes) < 20
    assert "observation" not in kinds and "source" not in kinds and "note" not in kinds
    assert YUNNAN_GROUP in ids  # the body that accepted the pilot comes with the status record
    labels = {n["label_zh"] for n in view.nodes}
    assert "通过验收 · 2017-08-01" in labels
    assert not [n["label_en"] for n in view.nodes if SLUG.fullmatch(n["label_en"])]
    on = views.ego_data(seed_store, HAIKOU_SITE, hops=2, provenance=True)
    assert "source" in {n["kind"] for n in on.nodes} and len(on.nodes) <= views.EGO_CAP


def test_figures_are_summarised_unless_asked_for(seed_store):
    poverty = "https://w3id.org/reformkg/id/reform/kunming-precision-poverty-alleviation"
    view = views.ego_data(seed_store, poverty, hops=1)
    summary = [n for n in view.nodes if n["kind"] == "figures"]
    assert [n["label_en"] for n in summary] == ["113 figures"]
    assert summary[0]["url"].endswith("#figures")
    assert not [n for n in view.nodes if n["kind"] == "observation"]
    one_by_one = views.ego_data(seed_store, poverty, hops=1, observations=True)
    assert [n for n in one_by_one.nodes if n["kind"] == "observation"]


def test_ownership_view_draws_owners_only_with_roles(seed_store):
    from reformkg.graph.projection import project

    graph = project(seed_store).graph
    view = views.ownership_data(seed_store)
    owns = [e for e in view.edges if e.get("kind") == "owns"]
    owners = {e["from"] for e in owns}
    assert owners == {
        "https://w3id.org/reformkg/id/org/kunming-poverty-alleviation-office",
        "https://w3id.org/reformkg/id/org/kunming-discipline-inspection-commission-general-office",
        "https://w3id.org/reformkg/id/org/kunming-organization-department",
        "https://w3id.org/reformkg/id/org/kunming-science-technology-bureau",
    }
    assert {e["label_en"] for e in owns} == {"lead owner", "co-owner"}
    drawn = {n["id"] for n in view.nodes}
    assert not [n for n in drawn if n in graph and graph.nodes[n]["cls"] == ENTERPRISE]  # companies are no owners
    # the forest-farm reform names no owner: said so, with the group that accepted its three pilots
    unnamed = [e for e in view.edges if e.get("kind") == "unnamed"]
    assert [e["to"] for e in unnamed] == [FOREST_REFORM]
    accepted = [e for e in view.edges if e.get("kind") == "accepted"]
    assert {e["from"] for e in accepted} == {YUNNAN_GROUP} and len(accepted) == 3
    assert not [n for n in view.nodes if SLUG.fullmatch(n["label_en"])]
    # participants only when asked, and then as participants
    with_participants = views.ownership_data(seed_store, participants=True)
    takes_part = [e for e in with_participants.edges if e.get("kind") == "participant"]
    assert "https://w3id.org/reformkg/id/org/jd-com" in {e["from"] for e in takes_part}
    assert {e["from"] for e in with_participants.edges if e.get("kind") == "owns"} == owners


@pytest.fixture(scope="module")
def farms_store(tmp_path_factory):
    """A synthetic national graph of 300 forest farms (300 reforms, county bureaus owning most of them)."""
    store = synthetic_farms(tmp_path_factory, 300)
    yield store
    store.close()


def test_ownership_view_draws_at_most_its_cap_the_owners_with_most_reforms_first(farms_store):
    """Over the cap, the owners with the most reforms come first, each with its share of them and one "+N" node for
    the rest, which opens the view kept to that owner."""
    from reformkg.graph import ownership

    owners = ownership.owners(farms_store)
    mine: dict[str, set[str]] = {}
    for reform, named in owners.items():
        for owner in named:
            mine.setdefault(owner.agent, set()).add(reform)
    view = views.ownership_data(farms_store, cap=25)
    reforms = {n["id"] for n in view.nodes if n["kind"] == "reform"}
    assert len(reforms) == 25 and len(owners) == 300
    assert (view.note_zh, view.note_en) == (
        "共 300 项改革，显示负责改革最多的单位的 25 项；点选一个单位，只看它负责的改革",
        "25 of 300 reforms, those of the owners with the most reforms first; select an agency to see only its reforms",
    )
    ranked = sorted(mine, key=lambda a: (-len(mine[a]), a))
    drawn = sorted({e["from"] for e in view.edges if e.get("kind") == "owns"}, key=ranked.index)
    assert drawn == ranked[: len(drawn)] and len(drawn) > 2  # those that own the most
    assert {e["to"] for e in view.edges if e.get("kind") == "owns"} == reforms
    each = max(views.OWNED_SHOWN, 25 // len(mine))
    more = {n["id"]: n for n in view.nodes if n["kind"] == "more"}
    for agent in drawn:
        shown = mine[agent] & reforms
        assert len(shown) == min(each, len(mine[agent])) or agent == drawn[-1]  # (the last fills what is left)
        left = len(mine[agent]) - len(shown)
        node = more.get(f"more:{agent}")
        assert (node["count"] if node else 0) == left
        if node:
            assert node["url"] == "/graph/ownership?agency=" + quote(agent, safe="")
            assert node["label_zh"] == f"另有 {left} 项改革未画出"
    whole = views.ownership_data(farms_store, cap=300)
    assert len([n for n in whole.nodes if n["kind"] == "reform"]) == 300 and not whole.note_en
    assert not [n for n in whole.nodes if n["kind"] == "more"]


def test_ownership_view_kept_to_one_agency_draws_the_reforms_it_owns(farms_store, seed_store):
    from reformkg.graph import ownership

    department = "https://w3id.org/reformkg/id/org/province-03-forestry-department"
    owned = {found.reform for found in ownership.reforms_of(farms_store, department)}
    view = views.ownership_data(farms_store, agency=department)
    assert {n["id"] for n in view.nodes if n["kind"] == "reform"} == owned and len(owned) > 1
    assert view.title_en == "Who owns which reform: Province 03 forestry department and the bodies under it"
    assert department in {n["id"] for n in view.nodes}  # the tree above the owners reaches it
    assert not view.note_en
    poverty_office = "https://w3id.org/reformkg/id/org/kunming-poverty-alleviation-office"
    seed_view = views.ownership_data(seed_store, agency=poverty_office)
    assert {e["from"] for e in seed_view.edges if e.get("kind") == "owns"} == {poverty_office}
    assert seed_view.title_zh.startswith("谁负责哪项改革：") and seed_view.title_zh.endswith("及其下属单位")
    with pytest.raises(UnknownEntity):
        views.ownership_data(seed_store, agency="https://w3id.org/reformkg/id/org/no-such-office")


def test_the_ownership_page_takes_an_agency_by_name_and_offers_the_filter_on_its_agencies(client):
    page = client.get("/graph/ownership", params={"agency": "kunming-poverty-alleviation-office"})
    assert page.status_code == 200 and "details-focus" in page.text
    assert (
        "Who owns which reform: Kunming Poverty Alleviation and Development Office and the bodies under it" in page.text
    )
    missing = client.get("/graph/ownership", params={"agency": "no-such-office"})
    assert missing.status_code == 404


def test_the_overview_is_drawn_once_per_projection_and_each_caller_gets_a_copy(tmp_path_factory):
    store = synthetic_farms(tmp_path_factory, 20)
    first = views.overview_data(store)
    again = views.overview_data(store)
    assert (again.nodes, again.edges, again.note_en) == (first.nodes, first.edges, first.note_en)
    first.nodes.clear()
    assert views.overview_data(store).nodes == again.nodes and again.nodes
    agency = "https://w3id.org/reformkg/id/org/a-new-bureau"
    store.update(
        f"INSERT DATA {{ <{agency}> a <https://w3id.org/reformkg/ontology#Agency> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "A new bureau"@en ; '
        "<http://www.w3.org/ns/org#subOrganizationOf> <https://w3id.org/reformkg/id/org/province-00-government> }"
    )
    assert agency in {n["id"] for n in views.overview_data(store).nodes}  # the next projection's overview
    store.close()


def test_after_a_rebuild_the_web_gets_the_previous_overview_at_once_while_the_new_one_is_drawn(
    tmp_path_factory, monkeypatch
):
    """The overview takes seconds to draw from a national projection (8 to 9 s at 50,000 farms). Once the projection is
    rebuilt after a write, the first request on the web gets the previous state's overview at once, marked stale and
    rebuilding, while the new one is drawn on a thread of its own; the library (and the next request once drawn) gets
    the new one."""
    import threading
    import time

    from reformkg.graph import projection

    store = synthetic_farms(tmp_path_factory, 20)
    before = store.generation
    with projection.stale_allowed():
        first = views.overview_data(store)
    assert "as of generation" not in first.note_en
    agency = "https://w3id.org/reformkg/id/org/another-bureau"
    store.update(
        f"INSERT DATA {{ <{agency}> a <https://w3id.org/reformkg/ontology#Agency> ; "
        "<http://www.w3.org/ns/org#subOrganizationOf> <https://w3id.org/reformkg/id/org/province-00-government> }"
    )
    projection.project(store)  # the new projection, built
    release, started = threading.Event(), threading.Event()
    draw = views._overview

    def held(*args):
        started.set()
        assert release.wait(30)
        return draw(*args)

    monkeypatch.setattr(views, "_overview", held)
    with projection.stale_allowed():
        stale = views.overview_data(store)  # (held, were it drawn here: this returns at once)
        assert started.wait(10)  # drawn on the builder's thread
        assert (stale.nodes, stale.edges) == (first.nodes, first.edges)
        assert f"as of generation {before}, rebuilding" in stale.note_en
        assert f"截至第 {before} 代数据，正在重建" in stale.note_zh
        release.set()
        deadline = time.monotonic() + 30
        while projection.building(store, f"overview:{views.OVERVIEW_CAP}:False:False") and time.monotonic() < deadline:
            time.sleep(0.01)
        fresh = views.overview_data(store)  # the one drawn on the builder's thread
    assert "as of generation" not in fresh.note_en and agency in {n["id"] for n in fresh.nodes}
    assert views.overview_data(store).nodes == fresh.nodes  # the library: the same, drawn once
    store.close()


def test_what_the_overview_s_builder_keeps_does_not_hold_the_store(seed_store):
    """The overview's builder is kept per store, in a map whose keys are weak: the function it keeps to draw the
    overview again must not hold the store (through its closure, at any depth), or the store could never be freed."""
    from reformkg.graph import projection

    with projection.stale_allowed():
        assert views.overview_data(seed_store).nodes
    builder = projection._builder(seed_store, f"overview:{views.OVERVIEW_CAP}:False:False")
    reached, todo = [], [builder.make]
    while todo:
        function = todo.pop()
        for cell in function.__closure__ or ():
            value = cell.cell_contents
            reached.append(value)
            if callable(value) and hasattr(value, "__closure__"):
                todo.append(value)
    assert reached and not any(value is seed_store for value in reached)


def test_a_long_name_is_cut_at_a_word_on_the_canvas_of_the_ownership_view_and_whole_in_its_tooltip(seed_store):
    context = views.page_context(views.ownership_data(seed_store), lang="en")
    name = "Demonstration building of Kunming as a national small and micro enterprise entrepreneurship and innovation"
    node = next(n for n in context["nodes"] if n["name"].startswith(name))
    assert node["label"].endswith("…") and node["name"].startswith(node["label"][:-1])
    assert node["name"][len(node["label"]) - 1] == " "  # cut at a word's end
    assert node["name"] in node["title"]
    short = next(n for n in context["nodes"] if n["name"] == "CPC Kunming Municipal Committee")
    assert short["label"] == short["name"]


def test_overview_is_capped_and_grouped(seed_store):
    view = views.overview_data(seed_store)
    assert len(view.nodes) <= views.OVERVIEW_CAP
    grouped = [n for n in view.nodes if n.get("group_of")]
    assert {n["group_of"] for n in grouped} >= {FOREST_REFORM}
    small = views.overview_data(seed_store, cap=40)
    assert len(small.nodes) <= 40 + 4  # and one "N figures" node per reform at most when there is room


def test_ego_filters(seed_store):
    view = views.ego_data(seed_store, KUNMING, hops=1, kinds=["place"])
    assert {n["kind"] for n in view.nodes} == {"place"}
    sub = "https://schema.org/containedInPlace"
    view = views.ego_data(seed_store, KUNMING, hops=1, predicates=[sub])
    assert len(view.nodes) > 1 and all(e["title"].endswith(sub) for e in view.edges)


def test_labels_are_text_not_markup():
    store = OxigraphStore()
    store.update(
        "INSERT DATA { <https://w3id.org/reformkg/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"<script>alert(1)</script>"@en ; <urn:p> <https://w3id.org/reformkg/id/y> . '
        "<https://w3id.org/reformkg/id/y> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"<img src=x onerror=alert(2)>"@zh }'
    )
    client = TestClient(create_app(Settings(store="memory"), store))
    html = client.get("/graph/ego", params={"iri": "https://w3id.org/reformkg/id/x"}).text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


def test_ego_nodes_link_to_entity_pages(seed_store):
    view = views.ego_data(seed_store, KUNMING)
    urls = {n["id"]: n["url"] for n in view.nodes}
    assert urls[KUNMING] == "/id/place/kunming"


def test_ego_names_its_centre_by_iri_slug_or_label_and_its_404_documented_as_json(client):
    assert client.get("/graph/ego", params={"iri": ""}).status_code == 422
    for name in ("kunming", "pl:kunming", "Kunming", KUNMING):
        answer = client.get("/graph/ego", params={"iri": name})
        assert answer.status_code == 200 and "/id/place/kunming" in answer.text, name
    assert client.get("/graph/ego", params={"iri": "http://x/a b"}).status_code == 404
    ambiguous = client.get("/graph/ego", params={"iri": "昆明"})
    assert ambiguous.status_code == 400 and "several" in ambiguous.json()["detail"]
    responses = client.get("/openapi.json").json()["paths"]["/graph/ego"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"text/html"}
    assert set(responses["404"]["content"]) == {"application/json"}  # not filed under the page's text/html
