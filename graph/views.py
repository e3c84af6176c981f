"""Interactive graph views: pyvis networks rendered with reformkg's own template, fully offline.

pyvis's own template links Bootstrap from a CDN and writes node titles into ``innerHTML``; ours loads vis-network
from ``/static/vis-network/``, embeds the data as JSON (Jinja's ``tojson`` escapes ``<``, ``>`` and ``&``), and gives
vis-network plain-string titles, which it renders with ``innerText``. Labels are drawn on the canvas, so text from the
data never becomes markup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reformkg.graph import ownership
from reformkg.graph.errors import InputError, UnknownEntity
from reformkg.graph.projection import Projection, entity_url, local_name, project
from reformkg.graph.store import Store

TEMPLATES = Path(__file__).resolve().parent / "templates"
EGO_CAP = 150
OVERVIEW_CAP = 1500
RKO = "https://w3id.org/reformkg/ontology#"

#: kind -> (colour, vis-network shape, legend label)
KIND_STYLES: dict[str, tuple[str, str, str]] = {
    "agency": ("#d62728", "diamond", "Agency 机构"),
    "organisation": ("#ff9896", "diamond", "Organisation 组织"),
    "reform": ("#1f77b4", "star", "Reform 改革"),
    "measure": ("#2ca02c", "triangle", "Measure 举措"),
    "place": ("#8c564b", "square", "Place 地点"),
    "observation": ("#9467bd", "dot", "Observation 数据"),
    "status": ("#e377c2", "triangleDown", "Status 状态"),
    "document": ("#bcbd22", "box", "Policy document 政策文件"),
    "indicator": ("#c5b0d5", "dot", "Indicator 指标"),
    "source": ("#7f7f7f", "ellipse", "Source 来源"),
    "ownership": ("#ffbb78", "hexagon", "Ownership 归属"),
    "note": ("#dbdb8d", "box", "Data-quality note 数据说明"),
    "dataset": ("#17becf", "database", "Data set 数据集"),
    "concept": ("#aec7e8", "dot", "Concept 概念"),
    "other": ("#c7c7c7", "dot", "Other 其他"),
    "more": ("#ffffff", "box", "More, not shown 更多"),
}


@dataclass
class ViewData:
    """The nodes and edges of a view, ready for the template."""

    title: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


# -- building a view's nodes and edges -------------------------------------------------------------------------------
def _node(proj: Projection, iri: str, *, centre: bool = False) -> dict[str, Any]:
    data = proj.graph.nodes[iri]
    kind = data.get("kind", "other")
    label_en, label_zh = proj.label(iri, "en"), proj.label(iri, "zh")
    cls = data.get("cls") or ""
    return {
        "id": iri,
        "label": label_en,
        "label_en": label_en,
        "label_zh": label_zh,
        "kind": kind,
        "title": f"{label_zh}\n{label_en}\n{local_name(cls) if cls else kind}\n{iri}",
        "url": entity_url(iri),
        "centre": centre,
    }


def _edge(proj: Projection, s: str, o: str) -> dict[str, Any]:
    data = proj.graph.edges[s, o]
    return {"from": s, "to": o, "label": data["label"], "title": f"{data['label']}\n{data['predicate']}"}


def ego_data(
    store: Store,
    iri: str,
    *,
    hops: int = 1,
    kinds: list[str] | None = None,
    predicates: list[str] | None = None,
    cap: int = EGO_CAP,
) -> ViewData:
    """The neighbourhood of an entity up to ``hops`` links away (either direction), at most ``cap`` entities.

    Neighbours beyond the cap are counted, not drawn: one "+N more" node per predicate (and direction) says how many.
    ``kinds`` keeps only neighbours of those kinds; ``predicates`` keeps only links with those predicates.
    """
    proj = project(store)
    graph = proj.graph
    if iri not in graph:
        raise UnknownEntity(iri)
    if not 1 <= hops <= 3:
        raise InputError("hops must be between 1 and 3")
    kind_filter = set(kinds or ())
    predicate_filter = set(predicates or ())
    shown: dict[str, int] = {iri: 0}
    edges: set[tuple[str, str]] = set()
    overflow: dict[tuple[str, str], set[str]] = defaultdict(set)
    overflow_anchor: dict[tuple[str, str], str] = {}
    frontier = [iri]
    for depth in range(1, hops + 1):
        next_frontier: list[str] = []
        for node in frontier:
            groups: dict[tuple[str, str], list[str]] = defaultdict(list)
            for other, data in graph.succ[node].items():
                groups[(data["predicate"], "out")].append(other)
            for other, data in graph.pred[node].items():
                groups[(data["predicate"], "in")].append(other)
            for key in sorted(groups):
                predicate, direction = key
                if predicate_filter and predicate not in predicate_filter:
                    continue
                for other in sorted(groups[key]):
                    if kind_filter and graph.nodes[other]["kind"] not in kind_filter:
                        continue
                    pair = (node, other) if direction == "out" else (other, node)
                    if other in shown:
                        edges.add(pair)
                    elif len(shown) < cap:
                        shown[other] = depth
                        edges.add(pair)
                        next_frontier.append(other)
                    else:
                        overflow[key].add(other)
                        overflow_anchor.setdefault(key, node)
        frontier = next_frontier
    view = ViewData(title=f"{proj.label(iri)} — {hops} hop{'s' if hops > 1 else ''}")
    view.nodes = [_node(proj, n, centre=n == iri) for n in shown]
    view.edges = [_edge(proj, s, o) for s, o in sorted(edges)]
    for (predicate, direction), others in sorted(overflow.items()):
        more_id = f"more:{direction}:{predicate}"
        label = f"+{len(others)} more: {proj.predicate_label(predicate)}"
        view.nodes.append(
            {
                "id": more_id,
                "label": label,
                "label_en": label,
                "label_zh": f"+{len(others)} 更多：{proj.predicate_label(predicate)}",
                "kind": "more",
                "title": f"{len(others)} more entities linked by {predicate}, not drawn (at most {cap} are)",
                "url": None,
                "centre": False,
            }
        )
        anchor = overflow_anchor[(predicate, direction)]
        pair = (anchor, more_id) if direction == "out" else (more_id, anchor)
        view.edges.append({"from": pair[0], "to": pair[1], "label": proj.predicate_label(predicate), "title": ""})
    if overflow:
        hidden = len(set().union(*overflow.values()))
        view.note = f"{len(shown)} entities shown; {hidden} more not drawn"
    return view


def _induced(proj: Projection, nodes: list[str] | set[str], title: str, note: str = "") -> ViewData:
    keep = set(nodes)
    view = ViewData(title=title, note=note)
    view.nodes = [_node(proj, n) for n in sorted(keep)]
    sub = proj.graph.subgraph(keep)
    view.edges = [_edge(proj, s, o) for s, o in sorted(sub.edges())]
    return view


def overview_data(store: Store, *, cap: int = OVERVIEW_CAP) -> ViewData:
    """The whole graph; above ``cap`` entities, the ``cap`` best connected ones."""
    proj = project(store)
    graph = proj.graph
    if graph.number_of_nodes() <= cap:
        return _induced(proj, set(graph.nodes), "reformkg — the whole graph")
    ranked = sorted(graph.degree, key=lambda item: (-item[1], item[0]))[:cap]
    note = f"the {cap:,} best connected of {graph.number_of_nodes():,} entities"
    return _induced(proj, {n for n, _ in ranked}, "reformkg — the whole graph", note)


def ownership_data(store: Store) -> ViewData:
    """Agencies -> the reforms they own (with role) -> the reforms' measures, with the organisation tree above the
    owners (``ownership.owners`` and ``ownership.OrganisationTree``)."""
    proj = project(store)
    view = ViewData(title="Who owns which reform 改革归属")
    nodes: set[str] = set()
    edges: list[dict[str, Any]] = []
    for reform, owners in ownership.owners(store).items():
        if reform not in proj.graph:
            continue
        nodes.add(reform)
        for owner in owners:
            if owner.agent not in proj.graph:
                continue
            nodes.add(owner.agent)
            role = owner.role
            role_label = proj.label(role) if role and role in proj.graph else (local_name(role) if role else "owns")
            edges.append({"from": owner.agent, "to": reform, "label": role_label, "title": f"owns ({role_label})"})
    tree = ownership.OrganisationTree.of(store)
    sub_organisation_of = proj.predicate_label(ownership.ORG_SUB)
    todo = sorted(n for n in nodes if proj.graph.nodes[n]["kind"] in ("agency", "organisation"))
    while todo:
        child = todo.pop()
        for parent in tree.parents.get(child, ()):
            if parent in proj.graph:
                edges.append(
                    {"from": child, "to": parent, "label": sub_organisation_of, "title": "sub-organisation of"}
                )
                if parent not in nodes:
                    nodes.add(parent)
                    todo.append(parent)
    for reform in [n for n in nodes if proj.graph.nodes[n]["kind"] == "reform"]:
        for measure, data in proj.graph.succ[reform].items():
            if data["predicate"] == f"{RKO}hasMeasure":
                nodes.add(measure)
                edges.append(_edge(proj, reform, measure))
    view.nodes = [_node(proj, n) for n in sorted(nodes)]
    view.edges = edges
    return view


def forest_farms_data(store: Store) -> ViewData:
    """The forest farms (sites and institutions), their pilots, acceptance, the assessing group and next steps."""
    proj = project(store)
    graph, und = proj.graph, proj.undirected
    nodes: set[str] = set()

    def kind(n: str) -> str:
        return graph.nodes[n]["kind"]

    sites = [n for n, cls in graph.nodes(data="cls") if cls == f"{RKO}ForestFarmSite"]
    pilots: set[str] = set()
    for site in sites:
        nodes.add(site)
        for other in und[site]:
            if kind(other) == "organisation":
                nodes.add(other)
            elif kind(other) == "reform":
                pilots.add(other)
    parents: set[str] = set()
    for pilot in pilots:
        nodes.add(pilot)
        for other in und[pilot]:
            if kind(other) == "status":
                nodes.add(other)
                for detail in und[other]:
                    if kind(detail) in ("agency", "concept"):
                        nodes.add(detail)
            elif kind(other) == "reform":
                parents.add(other)
    for reform in parents:
        nodes.add(reform)
        for other, data in graph.succ[reform].items():
            if data["predicate"] == f"{RKO}hasMeasure" and graph.nodes[other]["cls"] == f"{RKO}NextStep":
                nodes.add(other)
    return _induced(proj, nodes, "State forest farms 国有林场改革")


# -- rendering -------------------------------------------------------------------------------------------------------
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


_env = None


def render(view: ViewData, *, lang: str = "en") -> str:
    """The view as a standalone HTML page (a pyvis network in reformkg's template)."""
    from pyvis.network import Network

    global _env
    if _env is None:
        _env = _environment()
    net = Network(directed=True)
    for node in view.nodes:
        colour, shape, _ = KIND_STYLES.get(node["kind"], KIND_STYLES["other"])
        label = node["label_zh"] if lang == "zh" else node["label_en"]
        extra = {k: v for k, v in node.items() if k not in ("id", "label")}
        size = 28 if node.get("centre") else 16
        net.add_node(node["id"], label=label, shape=shape, color=colour, size=size, **extra)
    for edge in view.edges:
        net.add_edge(edge["from"], edge["to"], label=edge["label"], title=edge["title"], arrows="to")
    nodes, edges = net.nodes, net.edges
    big = len(nodes) > 200
    options = {
        "physics": {
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -4000, "springLength": 120, "avoidOverlap": 0.2},
            "stabilization": {"enabled": True, "iterations": 300 if big else 500, "updateInterval": 50},
        },
        "layout": {"improvedLayout": not big, "randomSeed": 7},
        "interaction": {"hover": True, "tooltipDelay": 150},
        "edges": {"font": {"size": 9, "align": "middle"}, "color": {"color": "#999999"}, "smooth": False},
        "nodes": {"font": {"size": 12}},
    }
    kinds_used = sorted({n["kind"] for n in nodes}, key=list(KIND_STYLES).index)
    legend = [(k, *KIND_STYLES[k]) for k in kinds_used]
    return _env.get_template("graph.html").render(
        title=view.title,
        note=view.note,
        nodes=nodes,
        edges=edges,
        options=options,
        legend=legend,
        lang=lang,
        counts={"nodes": len(nodes), "edges": len(edges)},
    )
