"""Interactive graph views, each designed for one question: pyvis networks drawn by vis-network, fully offline.

- ``ownership_data``: who owns which reform. Owners only (lead owner or co-owner, the role on the edge, from the
  ownership tracer), the organisation tree above them, pilots under their reform; a reform whose source names no
  owner gets an "owner not named in the source" node and the bodies that accepted or assessed it or its pilots.
  Organisations that only take part in a measure are not owners; ``participants=True`` draws them as participants.
- ``forest_farms_data``: what happened at the forest farms: sites, institutions, pilots, their acceptance (status
  records that read "通过验收 · 2017-08-01"), the provincial group that accepted them, and the next steps.
- ``ego_data``: what is around one entity, up to three links away, at most ``EGO_CAP`` nodes. Each link type of each
  node shows at most ``PER_LINK`` neighbours, the best connected first, and one "+N more" node for the rest; a hub (a
  place or data set with hundreds of links) is drawn but not expanded, so nothing floods through it.
- ``overview_data``: the whole picture: the ``OVERVIEW_CAP`` best connected entities, grouped by the reform they are
  nearest to (each group starts around its reform).

Provenance (sentences, items, data sets, notes) and statistical observations are off by default and can be switched
on; when observations are off, each node they hang from gets one "N figures" node instead. Ownership records
(``prov:Association``) are drawn as their meaning: an edge from the owner to the reform with the role on it. Every
node has a human label (``projection.display_labels`` for what has none of its own); the canvas shows it shortened,
the tooltip and the details panel whole. Labels, edge labels and legends come in Chinese and English.

Rendering: ``page_context`` is what a page template needs (the nodes and edges held as a pyvis network, in
vis-network's own form); ``render`` writes a standalone page (``graph.html``), and
the web layer puts the same markup (``graph_body.html``) under its site header. vis-network comes from
``/static/vis-network/``, the data is embedded as JSON (Jinja's ``tojson`` escapes ``<``, ``>`` and ``&``), titles
are plain strings (vis-network shows them with ``innerText``) and the details panel is built with ``textContent``:
text from the data never becomes markup.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reformkg.graph import ownership
from reformkg.graph.errors import InputError, UnknownEntity
from reformkg.graph.projection import (
    LocalProjection,
    Projection,
    building,
    current,
    drawn,
    entity_url,
    humanise,
    local_name,
    project,
    stale_for,
    stale_note,
)
from reformkg.graph.store import Store

TEMPLATES = Path(__file__).resolve().parent / "templates"
EGO_CAP = 80
PER_LINK = 8
HUB_DEGREE = 25
OVERVIEW_CAP = 300
#: At most this many reforms in the ownership view (their pilots come with them): in its columns, 150 were drawn too
#: small to read once the view was fitted to the window, and at national scale there are tens of thousands.
OWNERSHIP_CAP = 60
#: When the reforms do not all fit, each owner drawn shows at least this many of its reforms (more when few owners
#: share the cap) and one "+N" node for the rest, which opens the view kept to that owner.
OWNED_SHOWN = 8
RKO = "https://w3id.org/reformkg/ontology#"
PROV = "http://www.w3.org/ns/prov#"
ASSOCIATED = PROV + "wasAssociatedWith"
PARTICIPANT = RKO + "participant"  # an organisation taking part in a measure: never an owner
#: Canvas labels are cut to this many columns (a Chinese character counts two); status records never are.
SHORT = 30
#: Font size on the canvas by kind (others: 14).
FONT_SIZES = {"reform": 22, "agency": 17, "place": 16, "status": 15, "unnamed": 16}

#: Kinds of provenance, drawn only when asked for.
PROVENANCE_KINDS = frozenset({"source", "dataset", "note"})
#: Kinds that describe figures: one node each only when asked for, else one "N figures" node.
FIGURE_KINDS = frozenset({"observation", "indicator"})
#: Kinds never drawn as nodes: ownership records become owner -> reform edges; vocabulary concepts are in the labels.
NEVER_KINDS = frozenset({"ownership", "concept", "other"})

#: kind -> (colour, vis-network shape, 中文, English)
KIND_STYLES: dict[str, tuple[str, str, str, str]] = {
    "agency": ("#d62728", "diamond", "机构", "Agency"),
    "organisation": ("#ff9896", "diamond", "组织", "Organisation"),
    "reform": ("#1f77b4", "star", "改革", "Reform"),
    "measure": ("#2ca02c", "triangle", "举措", "Measure"),
    "place": ("#8c564b", "square", "地点", "Place"),
    "status": ("#e377c2", "triangleDown", "状态", "Status"),
    "document": ("#bcbd22", "box", "政策文件", "Policy document"),
    "figures": ("#9467bd", "ellipse", "数字（汇总）", "Figures (summary)"),
    "observation": ("#9467bd", "dot", "数字", "Figure"),
    "indicator": ("#c5b0d5", "dot", "指标", "Indicator"),
    "unnamed": ("#ffffff", "box", "原文未写明负责单位", "Owner not named in the source"),
    "source": ("#7f7f7f", "dot", "来源", "Source"),
    "note": ("#dbdb8d", "dot", "数据说明", "Data-quality note"),
    "dataset": ("#17becf", "dot", "数据集", "Data set"),
    "ownership": ("#ffbb78", "hexagon", "归属", "Ownership"),
    "concept": ("#aec7e8", "dot", "概念", "Concept"),
    "other": ("#c7c7c7", "dot", "其他", "Other"),
    "more": ("#ffffff", "box", "更多（未画出）", "More, not drawn"),
}

#: Edge labels by predicate, (中文, English): reformkg's own wording and translation.
EDGE_WORDS: dict[str, tuple[str, str]] = {
    RKO + "outcomeOf": ("成果属于", "outcome of"),
    "http://purl.org/linked-data/sdmx/2009/dimension#refArea": ("统计地区", "measured in"),
    RKO + "hasMeasure": ("举措", "measure"),
    RKO + "measure": ("所属举措", "under measure"),
    "http://purl.org/dc/terms/spatial": ("实施地点", "applies in"),
    "https://schema.org/containedInPlace": ("位于", "lies in"),
    RKO + "reportedIn": ("报道于", "reported in"),
    ASSOCIATED: ("参与", "takes part"),
    "http://www.w3.org/ns/org#subOrganizationOf": ("隶属", "part of"),
    RKO + "stage": ("阶段", "stage"),
    RKO + "statusOf": ("状态", "status of"),
    RKO + "hasPolicyDocument": ("政策文件", "policy document"),
    "https://schema.org/legislationJurisdiction": ("适用地区", "jurisdiction"),
    RKO + "reports": ("报道", "reports"),
    RKO + "attributedTo": ("署名单位", "attributed to"),
    "https://schema.org/hasPart": ("包含", "has part"),
    "http://purl.org/dc/terms/hasPart": ("包含", "has part"),
    "https://schema.org/isPartOf": ("属于", "part of"),
    "http://purl.org/dc/terms/isPartOf": ("属于", "part of"),
    "http://www.w3.org/ns/org#hasSite": ("场址", "has site"),
    "http://www.w3.org/ns/org#siteOf": ("场址属于", "site of"),
    RKO + "assessedBy": ("评定单位", "assessed by"),
    RKO + "ledBy": ("牵头", "led by"),
    "https://schema.org/publisher": ("编发", "publisher"),
    PROV + "wasDerivedFrom": ("出处", "source"),
    RKO + "about": ("说明对象", "about"),
    "http://purl.org/linked-data/cube#dataSet": ("数据集", "data set"),
    RKO + "indicator": ("指标", "indicator"),
    "http://purl.org/dc/terms/source": ("来源", "source"),
}
#: Edges the views draw themselves.
OWNS = ("负责", "owns")
ACCEPTED = ("验收", "accepted")
ASSESSED = ("评定", "assessed")
FIGURES = ("数字", "figures")
NOT_NAMED = ("原文未写明负责单位", "owner not named in the source")
PARTICIPATES = ("参与举措", "takes part in a measure of")


@dataclass
class Switch:
    """A way to show more: a query parameter and whether it is on."""

    name: str
    label_zh: str
    label_en: str
    on: bool


@dataclass
class ViewData:
    """The nodes and edges of a view, ready for a template."""

    title_zh: str
    title_en: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""
    switches: list[Switch] = field(default_factory=list)
    hierarchical: bool = False
    font_scale: float = 1.0  # the overview draws many nodes small: its names are drawn larger
    #: A link in the details of a selected node of these kinds to this view kept to it: (query parameter, kinds,
    #: the link's words in Chinese, in English); the parameter takes the node's IRI.
    focus: tuple[str, tuple[str, ...], str, str] | None = None
    #: A page that lists all of what the view could not draw whole: (its URL, the link's words in Chinese, in English).
    whole_list: tuple[str, str, str] | None = None

    @property
    def title(self) -> str:
        return f"{self.title_zh} · {self.title_en}"


def readable(iri: str) -> str:
    """The last resort for a name: the IRI's last segment as words."""
    return humanise(local_name(iri))


def _width(ch: str) -> int:
    return 2 if ord(ch) >= 0x2E80 else 1


def shorten(label: str, limit: int = 30) -> str:
    """A label cut to about ``limit`` columns (a Chinese character counts two), with "…" when cut."""
    if sum(map(_width, label)) <= limit:
        return label
    used, kept = 0, []
    for ch in label:
        used += _width(ch)
        if used > limit - 1:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + "…"


def edge_words(proj: Projection, predicate: str) -> tuple[str, str]:
    """An edge label in Chinese and English."""
    if predicate in EDGE_WORDS:
        return EDGE_WORDS[predicate]
    en = proj.predicate_label(predicate)
    return en, en


# -- nodes and edges ---------------------------------------------------------------------------------------------------
def _node(proj: Projection, iri: str, *, centre: bool = False, group: str | None = None) -> dict[str, Any]:
    data = proj.graph.nodes[iri]
    kind = data.get("kind", "other")
    zh = data.get("label_zh") or data.get("label_en") or readable(iri)
    en = data.get("label_en") or data.get("label_zh") or readable(iri)
    node = {"id": iri, "label_zh": zh, "label_en": en, "kind": kind, "url": entity_url(iri), "centre": centre}
    if group:
        node["group_of"] = group
    return node


def _synthetic(node_id: str, kind: str, zh: str, en: str, *, url: str | None = None, **extra) -> dict[str, Any]:
    return {"id": node_id, "label_zh": zh, "label_en": en, "kind": kind, "url": url, "centre": False, **extra}


def _edge(s: str, o: str, words: tuple[str, str], predicate: str = "", **extra) -> dict[str, Any]:
    zh, en = words
    title = f"{zh} · {en}" + (f"\n{predicate}" if predicate else "")
    return {"from": s, "to": o, "label_zh": zh, "label_en": en, "title": title, **extra}


def _graph_edge(proj: Projection, s: str, o: str) -> dict[str, Any]:
    predicate = proj.graph.edges[s, o]["predicate"]
    return _edge(s, o, edge_words(proj, predicate), predicate)


def _roles(store: Store, proj: Projection, reforms: list[str] | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """(owner, reform) -> the role's words, from the ownership tracer. On the whole projection, for every reform and
    kept with it (one query per state of the store, not one per view); on part of it, for ``reforms`` only."""
    if isinstance(proj, LocalProjection):
        return _role_words(proj, ownership.owners(store, reforms)) if reforms else {}
    return proj.derive("roles", lambda: _role_words(proj, _owners(store, proj)))


def _owners(store: Store, proj: Projection) -> dict[str, list[ownership.Owner]]:
    """Every reform's owners (``ownership.owners``), read once per projection (seconds at national scale) for the
    views drawn from it (``ownership.owners_kept``)."""
    return ownership.owners_kept(store, proj)


def _role_words(
    proj: Projection, owners: dict[str, list[ownership.Owner]], reforms: Iterable[str] | None = None
) -> dict[tuple[str, str], tuple[str, str]]:
    """(owner, reform) -> the role's words, for the reforms of ``owners`` (those of ``reforms`` only, when given)."""
    roles = {}
    for reform in owners if reforms is None else reforms:
        for owner in owners.get(reform, ()):
            if owner.role and proj.knows(owner.role):
                words = (proj.label(owner.role, "zh"), proj.label(owner.role, "en"))
            else:
                words = OWNS
            roles[(owner.agent, reform)] = words
    return roles


def _note_stale(view: ViewData, proj: Projection, store: Store) -> ViewData:
    """Say on the view when it was drawn from an earlier state of the store (the projection is being rebuilt)."""
    return _noted(view, proj.stale_for(store))


def _noted(view: ViewData, stale: dict | None) -> ViewData:
    """Say on the view what ``stale`` says (``projection.stale_for``): the earlier state it was drawn from."""
    if stale:
        view.note_zh = "；".join(filter(None, [view.note_zh, stale_note(stale, "zh")]))
        view.note_en = "; ".join(filter(None, [view.note_en, stale_note(stale, "en")]))
    return view


def _hidden(kind: str, provenance: bool, observations: bool) -> bool:
    if kind in NEVER_KINDS:
        return True
    if kind in PROVENANCE_KINDS:
        return not provenance
    if kind in FIGURE_KINDS:
        return not observations
    return False


def _figure_summaries(proj: Projection, drawn: list[str], centre: str | None = None) -> tuple[list[dict], list[dict]]:
    """One "N figures" node per drawn reform that observations hang from, and for the centre of an ego view (when
    figures are not drawn one by one)."""
    nodes, edges = [], []
    graph = proj.graph
    proj.expand(n for n in drawn if n == centre or graph.nodes[n].get("kind") == "reform")
    for iri in drawn:
        if iri != centre and graph.nodes[iri].get("kind") != "reform":
            continue
        count = sum(1 for other in proj.undirected[iri] if graph.nodes[other].get("kind") == "observation")
        if not count or graph.nodes[iri].get("kind") in FIGURE_KINDS:
            continue
        summary = f"figures:{iri}"
        url = entity_url(iri) + ("#figures" if graph.nodes[iri].get("kind") == "reform" else "")
        nodes.append(_synthetic(summary, "figures", f"{count} 个数字", f"{count} figures", url=url, count=count))
        edges.append(_edge(iri, summary, FIGURES))
    return nodes, edges


def _rank_key(proj: Projection):
    """Best connected first, then by Chinese label, then by IRI (so ties never depend on the order edges were read)."""
    degree = proj.degree

    def key(iri: str) -> tuple[int, str, str]:
        return (-degree(iri), proj.label(iri, "zh"), iri)

    return key


# -- ego ---------------------------------------------------------------------------------------------------------------
def ego_data(
    store: Store,
    iri: str,
    *,
    hops: int = 1,
    kinds: list[str] | None = None,
    predicates: list[str] | None = None,
    provenance: bool = False,
    observations: bool = False,
    cap: int = EGO_CAP,
    per_link: int = PER_LINK,
    projection: Projection | None = None,
) -> ViewData:
    """The neighbourhood of an entity up to ``hops`` links away (either direction), at most ``cap`` nodes in all.

    Per node and link type (predicate and direction) at most ``per_link`` neighbours are drawn, best connected first;
    the rest are one "+N more" node. Nodes with more than ``HUB_DEGREE`` links are not expanded (but the centre is).
    ``kinds`` keeps only neighbours of those kinds; ``predicates`` only links with those predicates.

    Drawn from the whole projection when it is built for the store as it is now; else the neighbourhood is read by
    SPARQL, a few queries bound to the IRIs of each ring (``LocalProjection``): the view never waits for the whole
    projection, and is the same either way. ``projection`` picks one.
    """
    proj = projection if projection is not None else (current(store) or LocalProjection(store))
    graph = proj.graph
    proj.expand([iri])
    if iri not in graph:
        raise UnknownEntity(iri)
    if not 1 <= hops <= 3:
        raise InputError("hops must be between 1 and 3")
    kind_filter = set(kinds or ())
    predicate_filter = set(predicates or ())
    rank = _rank_key(proj)

    def visible(m: str) -> bool:
        kind = graph.nodes[m]["kind"]
        return (not _hidden(kind, provenance, observations) or m == iri) and (not kind_filter or kind in kind_filter)

    shown: dict[str, int] = {iri: 0}
    edges: dict[tuple[str, str], dict] = {}
    more: list[dict] = []
    more_edges: list[dict] = []
    unexpanded: set[str] = set()

    def room() -> int:
        return cap - len(shown) - len(more)

    frontier = [iri]
    for depth in range(1, hops + 1):
        expanding = [n for n in frontier if n == iri or proj.degree(n) <= HUB_DEGREE]
        proj.expand(expanding)
        proj.describe(m for n in expanding for m in (*graph.succ[n], *graph.pred[n]) if visible(m))
        next_frontier: list[str] = []
        for node in frontier:
            if node != iri and proj.degree(node) > HUB_DEGREE:
                unexpanded.add(node)
                continue
            groups: dict[tuple[str, str], list[str]] = defaultdict(list)
            for other, data in graph.succ[node].items():
                groups[(data["predicate"], "out")].append(other)
            for other, data in graph.pred[node].items():
                groups[(data["predicate"], "in")].append(other)
            # small groups first, so a large one cannot crowd out a single owner or status
            for (predicate, direction), members in sorted(groups.items(), key=lambda g: (len(g[1]), g[0])):
                if predicate_filter and predicate not in predicate_filter:
                    continue
                hidden_new = []
                drawn_here = 0
                for other in sorted(filter(visible, members), key=rank):
                    pair = (node, other) if direction == "out" else (other, node)
                    if other in shown:
                        edges.setdefault(pair, {})
                        continue
                    if drawn_here < per_link and room() > 1:
                        shown[other] = depth
                        edges.setdefault(pair, {})
                        next_frontier.append(other)
                        drawn_here += 1
                        for part in _record_parts(proj, other):  # a status record comes with who assessed it
                            if part not in shown and room() > 1:
                                shown[part] = depth + 1
                            edges.setdefault((other, part), {})
                    else:
                        hidden_new.append(other)
                if hidden_new and room() > 0:
                    words = edge_words(proj, predicate)
                    more_id = f"more:{node}:{direction}:{predicate}"
                    count = len(hidden_new)
                    more.append(
                        _synthetic(
                            more_id,
                            "more",
                            f"+{count} 个未画出：{words[0]}",
                            f"+{count} more: {words[1]}",
                            count=count,
                            title=f"{count} more linked by {predicate}, not drawn",
                        )
                    )
                    pair = (node, more_id) if direction == "out" else (more_id, node)
                    more_edges.append(_edge(*pair, words, predicate))
        frontier = next_frontier

    view = ViewData(
        title_zh=f"{proj.label(iri, 'zh')} 周边（{hops} 跳）",
        title_en=f"Around {proj.label(iri, 'en')} ({hops} hop{'s' if hops > 1 else ''})",
    )
    roles = _roles(store, proj, [n for n in shown if graph.nodes[n]["kind"] == "reform"])
    view.nodes = [_node(proj, n, centre=n == iri) for n in shown]
    for node in view.nodes:
        if node["id"] in unexpanded:
            node["hub"] = True
    for s, o in sorted(edges):
        edge = _graph_edge(proj, s, o)
        if (o, s) in roles:  # the reform names the agency as owner: the role, drawn from the owner
            edge = _edge(o, s, roles[(o, s)], graph.edges[s, o]["predicate"])
        view.edges.append(edge)
    view.nodes += more
    view.edges += more_edges
    if not observations and not predicate_filter and (not kind_filter or "figures" in kind_filter):
        nodes, summary_edges = _figure_summaries(proj, list(shown), centre=iri)
        room_left = max(0, cap - len(view.nodes))
        view.nodes += nodes[:room_left]
        view.edges += summary_edges[:room_left]
    hidden_total = sum(m["count"] for m in more)
    zh_notes, en_notes = [], []
    if hidden_total:
        zh_notes.append(f"另有 {hidden_total} 个未画出")
        en_notes.append(f"{hidden_total} more not drawn")
    if unexpanded:
        zh_notes.append(f"{len(unexpanded)} 个枢纽未展开")
        en_notes.append(f"{len(unexpanded)} hub{'s' if len(unexpanded) > 1 else ''} not expanded")
    view.note_zh, view.note_en = "；".join(zh_notes), "; ".join(en_notes)
    view.switches = _detail_switches(provenance, observations)
    return view


def _record_parts(proj: Projection, node: str) -> list[str]:
    """What a status record is not complete without: the body that assessed or accepted it."""
    if proj.graph.nodes[node].get("kind") != "status":
        return []
    return [o for o, d in proj.graph.succ[node].items() if d["predicate"] == RKO + "assessedBy"]


def _detail_switches(provenance: bool, observations: bool) -> list[Switch]:
    return [
        Switch("provenance", "出处（原句、数据集、说明）", "Provenance (sentences, data sets, notes)", provenance),
        Switch("observations", "逐条显示数字", "Figures one by one", observations),
    ]


# -- overview ----------------------------------------------------------------------------------------------------------
def overview_data(
    store: Store, *, cap: int = OVERVIEW_CAP, provenance: bool = False, observations: bool = False
) -> ViewData:
    """The ``cap`` best connected entities, grouped by the reform each is nearest to; every reform and agency is
    drawn while they fit in the cap (the best connected of them when they do not, as at national scale). Each group
    starts around its reform (a seeded position), so the groups stay apart on the canvas. The graph's tables are read
    directly: through networkx's views (a subgraph's neighbours, ``graph.nodes[n]``) each step cost a call or more,
    millions of them at 50,000 farms. It depends on the projection alone (and the owners' roles kept with it), so it
    is drawn once per projection and switches (``projection.drawn``); each request gets its own copy, marked stale
    when it is. On the web, the first request after a rebuild gets the previous overview at once, marked stale, while
    the new one is drawn on a thread of its own (6 to 9 s at 50,000 farms in the runs measured)."""
    key = f"overview:{cap}:{provenance}:{observations}"
    generation, made = drawn(store, key, lambda s, proj: _overview(s, proj, cap, provenance, observations))
    stale = stale_for(generation, store)
    if stale is not None and building(store, key):
        stale["rebuilding"] = True
    return _noted(copy.deepcopy(made), stale)


def _overview(store: Store, proj: Projection, cap: int, provenance: bool, observations: bool) -> ViewData:
    graph = proj.graph
    attrs, succ, pred = graph._node, graph._succ, graph._pred
    candidates = [n for n, kind in graph.nodes(data="kind") if not _hidden(kind, provenance, observations)]
    keep = set(candidates)
    reforms = sorted((n for n in keep if attrs[n]["kind"] == "reform"), key=_rank_key(proj))
    # pilots join their parent reform's group
    parent = {}
    for reform in reforms:
        for other, data in succ[reform].items():
            if data["predicate"] == "http://purl.org/dc/terms/isPartOf" and other in keep:
                parent[reform] = other
    tops = [r for r in reforms if r not in parent]
    group: dict[str, str] = {}
    queue = deque()
    for reform in tops:
        group[reform] = reform
        queue.append(reform)
    for pilot, whole in parent.items():
        group[pilot] = whole
        queue.append(pilot)
    while queue:
        node = queue.popleft()
        for other in itertools.chain(succ[node], pred[node]):
            if other not in group and other in keep and attrs[other]["kind"] != "reform":
                group[other] = group[node]
                queue.append(other)
    # every reform and agency while they fit in the cap, then the best connected of the rest; the degrees in the
    # undirected graph of ``keep`` counted once, the best taken by heapq a step at a time (one sort of 300,000
    # entities holds the interpreter lock)
    degree = {}
    for n in keep:  # (as networkx counts it in the undirected subgraph: a self-loop twice)
        linked = (succ[n].keys() | pred[n].keys()) & keep
        degree[n] = len(linked) + (n in linked)

    def best(nodes: Iterable[str], count: int) -> list[str]:
        return heapq.nsmallest(max(0, count), nodes, key=lambda n: (-degree[n], n))

    always = best((n for n in keep if attrs[n]["kind"] in ("reform", "agency")), cap)
    chosen = set(always)
    chosen.update(best((n for n in keep if n not in chosen), cap - len(chosen)))
    summaries: tuple[list, list] = ([], [])
    if not observations:
        room_left = max(0, cap - len(chosen))
        reform_nodes = [n for n in chosen if attrs[n]["kind"] == "reform"]
        summaries = _figure_summaries(proj, sorted(reform_nodes))
        summaries = (summaries[0][:room_left], summaries[1][:room_left])
    view = ViewData(title_zh="全图：按改革分组", title_en="The whole picture, grouped by reform", font_scale=2.2)
    positions = _group_positions(proj, chosen, group, [r for r in tops if r in chosen])
    view.nodes = []
    for n in sorted(chosen, key=lambda n: (group.get(n, "~"), n)):
        node = _node(proj, n, group=group.get(n))
        node["x"], node["y"] = positions[n]
        view.nodes.append(node)
    roles = _roles(store, proj)
    for s, o in sorted(proj.graph.subgraph(chosen).edges()):
        if (o, s) in roles:
            view.edges.append(_edge(o, s, roles[(o, s)], graph.edges[s, o]["predicate"]))
        else:
            view.edges.append(_graph_edge(proj, s, o))
    view.nodes += summaries[0]
    view.edges += summaries[1]
    total = len(candidates)
    if total > len(chosen):
        view.note_zh = f"共 {total} 个实体，显示连接最多的 {len(chosen)} 个"
        view.note_en = f"the {len(chosen)} best connected of {total} entities"
    view.switches = _detail_switches(provenance, observations)
    return view


def _group_positions(
    proj: Projection, chosen: set[str], group: dict[str, str], tops: list[str]
) -> dict[str, tuple[float, float]]:
    """Seed positions: each reform's group on its own spot of a circle, its members in rings around it; entities
    near no reform in the middle."""
    centres = {}
    radius = 220 + 60 * len(tops)
    for i, reform in enumerate(tops):
        angle = 2 * math.pi * i / max(1, len(tops))
        centres[reform] = (radius * math.cos(angle), radius * math.sin(angle))
    members: dict[str, list[str]] = defaultdict(list)
    for n in sorted(chosen):
        members[group.get(n, "")].append(n)
    positions = {}
    for key, names in members.items():
        cx, cy = centres.get(key, (0.0, 0.0))
        for j, n in enumerate(names):
            if n == key:
                positions[n] = (cx, cy)
                continue
            ring = 60 + 25 * (j // 12)
            angle = 2 * math.pi * (j % 12) / 12 + 0.3 * (j // 12)
            positions[n] = (cx + ring * math.cos(angle), cy + ring * math.sin(angle))
    return positions


# -- ownership ---------------------------------------------------------------------------------------------------------
def _status_links(proj: Projection) -> list[tuple[str, str, str]]:
    """(assessor, reform, stage) for every status record with an assessor, from the projection."""
    graph = proj.graph
    found = []
    for record, kind in graph.nodes(data="kind"):
        if kind != "status":
            continue
        target = assessor = stage = None
        for other, data in graph.succ[record].items():
            if data["predicate"] == RKO + "statusOf":
                target = other
            elif data["predicate"] == RKO + "assessedBy":
                assessor = other
            elif data["predicate"] == RKO + "stage":
                stage = other
        if target and assessor:
            found.append((assessor, target, stage or ""))
    return found


def ownership_data(
    store: Store, *, participants: bool = False, agency: str | None = None, cap: int = OWNERSHIP_CAP
) -> ViewData:
    """Who owns which reform: owners with their roles on the edges (``ownership.owners``), the organisation tree
    above them (``ownership.OrganisationTree``), pilots under their reform. A reform the source names no owner for
    gets an "owner not named in the source" node, and the bodies that accepted or assessed it or its pilots.
    ``participants`` adds the organisations that take part in a reform's measures, as participants.

    ``agency`` (an IRI) keeps the reforms it owns, directly or through its sub-organisations (``ownership.reforms_of``:
    UnknownEntity when the graph does not hold it). At most ``cap`` reforms are drawn (with their pilots): when there
    are more, as at national scale, those of the owners with the most reforms first, and the page says how many it
    shows of how many."""
    proj = project(store)
    graph = proj.graph
    view = ViewData(title_zh="谁负责哪项改革", title_en="Who owns which reform", hierarchical=True)
    # what the view reads beside the projection, read once per projection (seconds at national scale)
    owners = _owners(store, proj)
    reforms = sorted(n for n, kind in graph.nodes(data="kind") if kind == "reform")
    if agency is not None:
        tree = ownership.tree_kept(store, proj)
        owned = {found.reform for found in ownership.reforms_of(store, agency, owners, tree)}
        reforms = [r for r in reforms if r in owned]
        view.title_zh += f"：{proj.label(agency, 'zh')}及其下属单位"
        view.title_en += f": {proj.label(agency, 'en')} and the bodies under it"
    reforms, total, wholes, hidden = _most_owned_first(graph, owners, reforms, cap)
    if agency is not None and not total:
        view.note_zh, view.note_en = "此单位及其下属单位不负责任何改革", "neither it nor a body under it owns a reform"
    if len(reforms) < total:
        view.note_zh = f"共 {total} 项改革，显示负责改革最多的单位的 {len(reforms)} 项；点选一个单位，只看它负责的改革"
        view.note_en = (
            f"{len(reforms)} of {total} reforms, those of the owners with the most reforms first; "
            "select an agency to see only its reforms"
        )
        if agency is not None:  # all of them, as a list
            url = f"/analytics/ownership?agency={quote(agency, safe='')}"
            view.whole_list = (url, f"全部 {total} 项的列表", f"the list of all {total}")
    view.focus = ("agency", ("agency", "organisation"), "只看此单位负责的改革", "Only the reforms it owns")
    roles = _role_words(proj, owners, reforms)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    level: dict[str, int] = {}

    def add(iri: str) -> None:
        if iri not in nodes:
            nodes[iri] = _node(proj, iri)

    tree = ownership.tree_kept(store, proj)
    organisations: set[str] = set()
    for reform in reforms:
        add(reform)
        for owner in owners.get(reform, []):
            if owner.agent not in graph:
                continue
            add(owner.agent)
            organisations.add(owner.agent)
            edges.append(_edge(owner.agent, reform, roles.get((owner.agent, reform), OWNS), kind="owns"))
    for agent, count in hidden.items():  # each drawn owner's reforms that did not fit: one node, to its own view
        if agent not in nodes:  # (or, in the view kept to that owner, to the list of all its reforms)
            continue
        more = f"more:{agent}"
        url = f"/{'analytics' if agent == agency else 'graph'}/ownership?agency={quote(agent, safe='')}"
        nodes[more] = _synthetic(
            more, "more", f"另有 {count} 项改革未画出", f"+{count} more reforms, not drawn", url=url, count=count
        )
        edges.append(_edge(agent, more, OWNS, kind="more", dashes=True))
    parts = {pilot: whole for pilot, whole in wholes.items() if pilot in nodes}
    for pilot, whole in parts.items():
        if whole in nodes:
            edges.append(_graph_edge(proj, pilot, whole))
    assessed: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for assessor, target, stage in proj.derive("status-links", lambda: _status_links(proj)):
        assessed[target].append((assessor, stage))
    for reform in reforms:
        if owners.get(reform) or reform in parts:
            continue
        marker = f"unnamed:{reform}"
        nodes[marker] = _synthetic(marker, "unnamed", *NOT_NAMED, title=f"{NOT_NAMED[0]}\n{NOT_NAMED[1]}")
        edges.append(_edge(marker, reform, NOT_NAMED, kind="unnamed"))
        for target in [reform, *[p for p, w in parts.items() if w == reform]]:
            for assessor, stage in assessed.get(target, []):
                add(assessor)
                organisations.add(assessor)
                words = ACCEPTED if stage.endswith("stage-accepted") else ASSESSED
                edges.append(_edge(assessor, target, words, RKO + "assessedBy", kind="accepted"))
    if participants:
        for reform in reforms:
            for measure in _measures_of(proj, reform):
                for other, data in graph.succ[measure].items():
                    if data["predicate"] == PARTICIPANT and (other, reform) not in roles:
                        add(other)
                        edge = _edge(other, reform, PARTICIPATES, PARTICIPANT, kind="participant", dashes=True)
                        if all((e["from"], e["to"]) != (other, reform) for e in edges):
                            edges.append(edge)
    sub_organisation = edge_words(proj, ownership.ORG_SUB)
    todo = sorted(organisations)
    while todo:
        child = todo.pop()
        for parent in tree.parents.get(child, ()):
            if parent in graph:
                edges.append(_edge(child, parent, sub_organisation, ownership.ORG_SUB, kind="tree"))
                if parent not in organisations:
                    organisations.add(parent)
                    add(parent)
                    todo.append(parent)
    # columns, left to right: the organisation tree above the owners, the owners (and the bodies that accepted a
    # reform without owners) in one column, then reforms, then pilots
    named = {e["from"] for e in edges if e.get("kind") in ("owns", "accepted", "participant", "unnamed")}
    depth = max((len(tree.above(o)) for o in named if o in organisations), default=0)
    todo = [(o, depth) for o in sorted(named)]
    while todo:
        org, at = todo.pop()
        if level.get(org, at + 1) <= at:
            continue
        level[org] = at
        todo.extend((parent, at - 1) for parent in tree.parents.get(org, ()) if parent in nodes)
    for iri, node in nodes.items():
        if node["kind"] in ("reform", "more"):
            level[iri] = depth + 1 + (1 if iri in parts else 0)
        elif iri not in level:
            level[iri] = depth
    lowest = min(level.values(), default=0)
    level = {iri: at - lowest for iri, at in level.items()}
    for iri, node in nodes.items():
        node["level"] = level[iri]
    view.nodes = list(nodes.values())
    view.edges = edges
    view.switches = [
        Switch(
            "participants", "显示参与举措的单位（非负责单位）", "Participants in measures (not owners)", participants
        )
    ]
    return _note_stale(view, proj, store)


def _most_owned_first(
    graph, owners: dict[str, list[ownership.Owner]], reforms: list[str], cap: int
) -> tuple[list[str], int, dict[str, str], dict[str, int]]:
    """``reforms`` (sorted) when they are at most ``cap`` (pilots not counted: they follow their reform). Else the
    owners with the most of them, owner by owner (ties by IRI), each with ``OWNED_SHOWN`` of its reforms or its share
    of the cap when that is more, until ``cap`` are taken, then the reforms no owner is named for; each kept reform's
    pilots come with it. Returns the reforms kept, sorted, how many there were, each pilot's reform
    (``dcterms:isPartOf``) among ``reforms``, and for each owner drawn how many of its reforms are not."""
    wholes = {r: o for r in reforms for o, d in graph.succ[r].items() if d["predicate"].endswith("/isPartOf")}
    tops = [r for r in reforms if r not in wholes]
    if len(tops) <= cap:
        return reforms, len(tops), wholes, {}
    by_owner: dict[str, list[str]] = defaultdict(list)
    for reform in tops:
        for owner in owners.get(reform, ()):
            by_owner[owner.agent].append(reform)
    each = max(OWNED_SHOWN, cap // max(1, len(by_owner)))
    chosen: dict[str, None] = {}
    drawn: list[str] = []
    for agent in sorted(by_owner, key=lambda a: (-len(by_owner[a]), a)):
        if len(chosen) >= cap:
            break
        drawn.append(agent)
        for reform in by_owner[agent][:each]:
            if len(chosen) < cap:
                chosen[reform] = None
    for reform in tops:
        if len(chosen) >= cap:
            break
        if not owners.get(reform):
            chosen[reform] = None
    kept = [r for r in reforms if r in chosen or wholes.get(r) in chosen]
    hidden = {a: n for a in drawn if (n := sum(r not in chosen for r in by_owner[a]))}
    return kept, len(tops), wholes, hidden


def _measures_of(proj: Projection, reform: str) -> list[str]:
    """A reform's measures at any depth."""
    found, todo = [], [reform]
    while todo:
        node = todo.pop()
        for other, data in proj.graph.succ[node].items():
            if data["predicate"] == RKO + "hasMeasure" and other not in found:
                found.append(other)
                todo.append(other)
    return found


# -- forest farms ------------------------------------------------------------------------------------------------------
def forest_farms_data(store: Store) -> ViewData:
    """The forest farms (sites and institutions), their pilots and acceptance, the group that accepted them, the
    reform they belong to, and its next steps."""
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
                    if kind(detail) == "agency":
                        nodes.add(detail)
            elif kind(other) == "reform":
                parents.add(other)
    for reform in parents:
        nodes.add(reform)
        for other, data in graph.succ[reform].items():
            if data["predicate"] == f"{RKO}hasMeasure" and graph.nodes[other]["cls"] == f"{RKO}NextStep":
                nodes.add(other)
        for other in und[reform]:
            if kind(other) == "status":
                nodes.add(other)
    view = ViewData(title_zh="国有林场改革：三个林场的试点与验收", title_en="State forest farms: pilots and acceptance")
    view.nodes = [_node(proj, n) for n in sorted(nodes)]
    view.edges = [_graph_edge(proj, s, o) for s, o in sorted(graph.subgraph(nodes).edges())]
    figure_nodes, figure_edges = _figure_summaries(proj, sorted(parents))
    view.nodes += figure_nodes
    view.edges += figure_edges
    return _note_stale(view, proj, store)


# -- rendering ---------------------------------------------------------------------------------------------------------

#: A layout by levels (the ownership view): the least room between two nodes of a level; how wide a name may run
#: under its node before it wraps (``widthConstraint``), in Chinese and in English, whose names are longer; the most
#: lines it runs to (a longer one is cut short on the canvas, whole in its tooltip and details); and the font of a
#: reform's name (larger than an agency's, smaller than elsewhere, where it stands alone).
NODE_SPACING_MIN = 100
NAME_WIDTH = {"zh": 240, "en": 300}
LEVELS_NAME_LINES = 3
LEVELS_REFORM_FONT = 19


def _char_width(c: str, size: float) -> float:
    """About how wide a character is drawn at a font of ``size`` px: a Han character about as wide as the font is
    high, a Latin letter about half as wide, and some more for a name wrapped at word ends."""
    return (size if ord(c) > 0x2E7F else 0.56 * size) * 1.15


def _text_width(text: str, size: float) -> float:
    return sum(_char_width(c, size) for c in text)


def _clip_name(text: str, size: float, name_width: int, lines: int = LEVELS_NAME_LINES) -> str:
    """``text`` as it fits in ``lines`` lines of ``name_width`` px: whole when it does, else cut at a word's end (or a
    character, in Chinese) with "…"."""
    room = lines * name_width
    if _text_width(text, size) <= room:
        return text
    width, end = _char_width("…", size), 0
    while width + _char_width(text[end], size) <= room:
        width += _char_width(text[end], size)
        end += 1
    kept = text[:end]
    if " " in kept and not text[end].isspace():
        kept = kept[: kept.rindex(" ")]
    return kept.rstrip(" ,;:-") + "…"


def _node_spacing(nodes: list[dict], name_width: int) -> int:
    """``nodeSpacing`` (and ``treeSpacing``) for a layout by levels: room for the tallest name, as vis-network wraps it
    under its node at ``name_width`` (``_text_width``; a line is 1.2 font sizes high), so that the next node of the
    level does not sit on its last lines (English names of agencies wrap to three lines). Above and below the name: a
    node's shape (16 px each way at most) and a margin."""
    tallest = 0.0
    for node in nodes:
        size = node.get("font", {}).get("size", 17)
        lines = max(1, math.ceil(_text_width(str(node.get("label") or ""), size) / name_width))
        tallest = max(tallest, lines * 1.2 * size)
    return max(NODE_SPACING_MIN, math.ceil(2 * 16 + 14 + tallest))


def page_context(view: ViewData, *, lang: str = "en") -> dict[str, Any]:
    """What a page needs to draw a view: vis-network nodes and edges (labels in ``lang``, shortened on the canvas,
    whole in the tooltip and the details), the options, the legend and the counts."""
    zh = lang == "zh"
    nodes = []
    for node in view.nodes:
        colour, shape, kind_zh, kind_en = KIND_STYLES.get(node["kind"], KIND_STYLES["other"])
        first, second = (node["label_zh"], node["label_en"]) if zh else (node["label_en"], node["label_zh"])
        title = node.get("title") or (first if first == second else f"{first}\n{second}")
        drawn = {
            "id": node["id"],
            "label": first if node["kind"] in ("status", "more") else shorten(first, SHORT),
            "title": f"{title}\n{kind_zh if zh else kind_en}",
            "shape": shape,
            "color": {"background": colour, "border": "#444444"}
            if node["kind"] != "more"
            else {"background": "#ffffff", "border": "#888888"},
            "size": 26 if node.get("centre") else 16,
            "kind": node["kind"],
            "url": node.get("url"),
            "name": first,
            "other_name": second if second != first else "",
            "kind_label": kind_zh if zh else kind_en,
        }
        # the overview enlarges the names of reforms, agencies and places only; the rest read on zoom and hover
        scale = view.font_scale if node["kind"] in FONT_SIZES else 1.0
        drawn["font"] = {"size": round(FONT_SIZES.get(node["kind"], 14) * scale)}
        if node["kind"] in ("unnamed", "more"):
            drawn["font"]["color"] = "#6b3d00" if node["kind"] == "unnamed" else "#555555"
            drawn["shapeProperties"] = {"borderDashes": [4, 3]}
        if node.get("centre"):
            drawn["font"] = {"size": 22, "bold": True}
            drawn["borderWidth"] = 3
        if node.get("hub"):
            drawn["title"] += "\n" + ("枢纽：连接过多，未展开" if zh else "hub: too many links, not expanded")
        for key in ("level", "x", "y", "group_of", "count"):
            if key in node:
                drawn[key] = node[key]
        nodes.append(drawn)
    edges = []
    for edge in view.edges:
        drawn = {
            "from": edge["from"],
            "to": edge["to"],
            "label": edge["label_zh"] if zh else edge["label_en"],
            "title": edge["title"],
            "arrows": "to",
        }
        if edge.get("kind") in ("owns", "accepted"):
            drawn["width"] = 2.5
            drawn["color"] = {"color": "#b35900" if edge["kind"] == "owns" else "#2b7a2b"}
        if edge.get("dashes"):
            drawn["dashes"] = True
        edges.append(drawn)
    big = len(nodes) > 150
    options: dict[str, Any] = {
        "physics": {
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 140, "avoidOverlap": 0.4},
            "stabilization": {"enabled": True, "iterations": 400 if big else 600, "updateInterval": 50},
        },
        "layout": {"improvedLayout": not big, "randomSeed": 7},
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False},
        "edges": {
            "font": {"size": 13, "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "color": {"color": "#8a8a8a"},
            "smooth": False,
        },
        "nodes": {"font": {"size": 15, "face": "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"}},
    }
    if view.hierarchical:
        name_width = NAME_WIDTH["zh" if zh else "en"]
        for node in nodes:
            if node["kind"] == "reform":
                node["font"]["size"] = LEVELS_REFORM_FONT
            node["label"] = _clip_name(node["name"], node["font"]["size"], name_width)
        spacing = _node_spacing(nodes, name_width)
        options["layout"] = {
            "hierarchical": {
                "enabled": True,
                "direction": "LR",
                "levelSeparation": 300,
                "nodeSpacing": spacing,
                "treeSpacing": spacing,
                "sortMethod": "directed",
                "shakeTowards": "roots",
            }
        }
        options["physics"] = {"enabled": False}
        # Two nodes level with each other make a level edge, and vis-network drew the label of such an edge, aligned
        # "middle", away from its line, at the network's origin (seen in Chromium). A layout by levels makes such
        # edges often, so its labels lie level.
        options["edges"]["font"]["align"] = "horizontal"
        options["nodes"]["font"]["size"] = 17
        options["nodes"]["widthConstraint"] = {"maximum": name_width}
    net = _network(nodes, edges)
    nodes, edges = net.nodes, net.edges
    kinds_used = sorted({n["kind"] for n in nodes}, key=list(KIND_STYLES).index)
    legend = [(k, KIND_STYLES[k][0], KIND_STYLES[k][2] if zh else KIND_STYLES[k][3]) for k in kinds_used]
    return {
        "title": view.title_zh if zh else view.title_en,
        "subtitle": view.title_en if zh else view.title_zh,
        "note": view.note_zh if zh else view.note_en,
        "nodes": nodes,
        "edges": edges,
        "options": options,
        "legend": legend,
        "lang": lang,
        "switches": [{"name": s.name, "label": s.label_zh if zh else s.label_en, "on": s.on} for s in view.switches],
        "counts": {"nodes": len(nodes), "edges": len(edges)},
        "whole_list": None
        if view.whole_list is None
        else {"url": view.whole_list[0], "words": view.whole_list[1] if zh else view.whole_list[2]},
        "focus": None
        if view.focus is None
        else {"param": view.focus[0], "kinds": list(view.focus[1]), "label": view.focus[2] if zh else view.focus[3]},
    }


def _network(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]):
    """The drawn nodes and edges as a pyvis network (directed: parallel edges with different words are kept). pyvis
    holds them in vis-network's own form and refuses an edge to a node that is not drawn; its HTML is not used, since
    its template loads Bootstrap from a CDN and writes tooltips as HTML: ``graph.html`` draws the network offline."""
    from pyvis.network import Network

    net = Network(directed=True)
    for node in nodes:
        attributes = {k: v for k, v in node.items() if k not in ("id", "label", "shape", "color")}
        net.add_node(node["id"], label=node["label"], shape=node["shape"], color=node["color"], **attributes)
    for edge in edges:
        net.add_edge(edge["from"], edge["to"], **{k: v for k, v in edge.items() if k not in ("from", "to")})
    return net


def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


_env = None


def render(view: ViewData, *, lang: str = "en", params: dict[str, str] | None = None) -> str:
    """The view as a standalone HTML page; ``params`` are the query parameters its switches keep."""
    global _env
    if _env is None:
        _env = _environment()
    return _env.get_template("graph.html").render(
        **page_context(view, lang=lang), params=params or {}, words=STANDALONE_WORDS["zh" if lang == "zh" else "en"]
    )


#: The page's own words for ``render``; the web layer brings its own (``reformkg.api.i18n``).
STANDALONE_WORDS = {
    "zh": {
        "legend": "图例",
        "details": "详情",
        "open": "打开页面",
        "around": "以此为中心",
        "loading": "正在布局…",
        "show": "显示",
        "nodes": "个节点",
        "edges": "条连线",
        "hint": "点击节点查看详情；悬停显示全名。",
    },
    "en": {
        "legend": "Legend",
        "details": "Details",
        "open": "Open its page",
        "around": "Explore around it",
        "loading": "Laying out the graph…",
        "show": "Show",
        "nodes": "nodes",
        "edges": "edges",
        "hint": "Click an entity for its details; hover for its whole name.",
    },
}
