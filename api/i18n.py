"""Which language a page speaks, and the words of the pages themselves (headings, navigation, legends).

Chinese for a browser that prefers it (``Accept-Language``), English otherwise. ``?lang=zh`` or ``?lang=en`` on any
page switches, and a cookie keeps the choice for the next pages. Names from the graph keep both languages side by side
(Chinese first); only the page's own words follow the choice. The English and Chinese words here are reformkg's.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Request

LANGS = ("zh", "en")
COOKIE = "reformkg_lang"

#: key -> (中文, English)
WORDS: dict[str, tuple[str, str]] = {
    "site.tagline": ("改革知识图谱", "Government reforms as a knowledge graph"),
    "nav.reforms": ("改革", "Reforms"),
    "nav.ownership": ("归属图", "Ownership"),
    "nav.forest": ("林场改革图", "Forest farms"),
    "nav.overview": ("全图", "Overview"),
    "nav.analytics": ("机构排名", "Agency ranking"),
    "nav.query": ("SPARQL 查询", "SPARQL query"),
    "nav.docs": ("API 文档", "API docs"),
    "nav.search": ("搜索", "Search"),
    "search.placeholder": ("搜索：禄丰村、扶贫办、Lufengcun …", "Search: 禄丰村, Lufengcun, poverty office …"),
    "search.button": ("搜索", "Search"),
    "search.title": ("搜索", "Search"),
    "search.hint": (
        "按中文、英文或拼音名称查找，带不带声调、空格均可：禄丰村、Lufengcun、Lùfēngcūn、lu feng cun。",
        "By name in Chinese, English or pinyin, with or without tones or spaces: 禄丰村, Lufengcun, Lùfēngcūn, "
        "lu feng cun.",
    ),
    "search.results": ("条结果", "results for"),
    "search.matched": ("匹配", "matched"),
    "footer": (
        "改革知识图谱：每条事实都指向其出处原句。中文名称取自原文；英文与拼音为 reformkg 所译。",
        "Government reforms as a knowledge graph: every fact points at the sentence it came from. Chinese names are "
        "the source's words; English and pinyin are reformkg's translations.",
    ),
    "lang.switch": ("English", "中文"),
    # front page
    "home.title": ("改革一览", "The reforms"),
    "home.lead": (
        "《改革快报》所报道的改革：谁负责、进展到哪一步、取得了哪些数字、在哪里。",
        "The reforms the Reform Bulletin reports: who owns them, how far they have come, what figures they report, "
        "and where.",
    ),
    "home.search": ("搜索改革、机构、地点", "Search reforms, agencies, places"),
    "home.count": ("项改革", "reforms"),
    "reform.owners": ("负责单位", "Owners"),
    "reform.no_owner": ("原文未写明负责单位", "Owner not named in the source"),
    "reform.accepted_by": ("验收单位", "Accepted by"),
    "reform.assessed_by": ("评定单位", "Assessed by"),
    "reform.status": ("当前状态", "Current status"),
    "reform.reported": ("报道于", "reported"),
    "reform.figures": ("主要数字", "Key figures"),
    "reform.all_figures": ("全部数字", "all figures"),
    "reform.places": ("地点", "Places"),
    "reform.pilots": ("试点", "Pilots"),
    "reform.sources": ("出处", "Reported in"),
    "reform.page": ("详情", "Page"),
    "reform.timeline": ("时间线", "Timeline"),
    "reform.graph": ("关系图", "Graph"),
    "reform.more": ("另有", "more"),
    # reform page
    "page.figures": ("数字", "Figures"),
    "page.indicator": ("指标", "Indicator"),
    "page.value_written": ("原文数值", "As written"),
    "page.value": ("标准化数值", "Normalised"),
    "page.period": ("时期", "Period"),
    "page.place": ("地点", "Place"),
    "page.kind": ("类型", "Kind"),
    "page.sentence": ("出处原句", "Sentence"),
    "page.status_history": ("状态记录", "Status history"),
    "page.stage": ("阶段", "Stage"),
    "page.reported_on": ("报道日期", "Reported"),
    "page.event_date": ("发生日期", "Happened"),
    "page.measures": ("举措", "Measures"),
    "page.documents": ("政策文件", "Policy documents"),
    "page.part_of": ("所属改革", "Part of"),
    "page.sources": ("出处原句", "Source sentences"),
    "page.all_statements": ("全部陈述（RDF）", "All statements (RDF)"),
    "page.properties": ("属性", "Properties"),
    "page.incoming": ("被引用", "Incoming links"),
    "page.graph_view": ("关系图", "Graph view"),
    "page.characters": ("字符", "characters"),
    "page.in": ("见", "in"),
    "page.as_of": ("截至", "as of"),
    "page.role": ("角色", "Role"),
    "page.agency": ("单位", "Agency"),
    "page.how": ("关系", "How"),
    "page.more_links": (
        "引用此处的链接多于所示；可用 /sparql 查询全部。",
        "More links point here than are shown; query /sparql for all of them.",
    ),
    # views
    "view.legend": ("图例", "Legend"),
    "view.details": ("详情", "Details"),
    "view.click_hint": (
        "点击节点查看详情；悬停显示全名。",
        "Click an entity for its details; hover for its whole name.",
    ),
    "view.open_page": ("打开页面", "Open its page"),
    "view.show": ("显示", "Show"),
    "view.provenance": ("出处（来源、数据集、说明）", "Provenance (sources, data sets, notes)"),
    "view.observations": ("统计数字（逐条）", "Figures, one node each"),
    "view.nodes": ("个节点", "nodes"),
    "view.edges": ("条连线", "edges"),
    "view.loading": ("正在布局…", "Laying out the graph…"),
    "view.hops": ("跳数", "hops"),
    # analytics
    "analytics.title": ("机构影响力排名", "Agencies ranked by influence"),
    "analytics.lead": (
        "在“机构—改革—举措—地点”投影图上按 PageRank 排名，并列出度数与介数中心性。",
        "Ranked by PageRank on the agency–reform–measure–place projection, with degree and betweenness.",
    ),
    "analytics.rank": ("排名", "Rank"),
    "analytics.agency": ("机构", "Agency"),
    "analytics.degree": ("度数", "Degree"),
    "analytics.betweenness": ("介数", "Betweenness"),
    "analytics.reforms": ("所负责的改革", "Reforms owned"),
    "analytics.json": ("程序可用 JSON：", "For programs, JSON:"),
    "analytics.exports": ("导出：", "Exports:"),
    # an agency's reforms
    "ownership.title": ("{name}负责的改革", "Reforms owned by {name}"),
    "ownership.lead": (
        "包括它自己负责的，以及它的下属单位（org:subOrganizationOf，任意层级）负责的改革："
        "共 {total} 项，其中自己负责 {direct} 项。",
        "Those it owns itself, and those a body under it owns (org:subOrganizationOf, at any depth): {total} in "
        "all, {direct} owned by itself.",
    ),
    "ownership.links": (
        "一项改革由它之下的几个单位共同负责时，每个单位各占一行：共 {links} 行。",
        "A reform owned by several bodies under it has a row for each: {links} rows.",
    ),
    "ownership.none": ("它及其下属单位都不负责任何改革。", "Neither it nor a body under it owns a reform."),
    "ownership.reform": ("改革", "Reform"),
    "ownership.owner": ("改革所列负责单位", "Owner the reform names"),
    "ownership.role": ("角色", "Role"),
    "ownership.path": ("隶属路径", "Through"),
    "ownership.itself": ("本单位", "itself"),
    "ownership.graph": ("图中查看", "See it as a graph"),
    "ownership.agency_page": ("单位页面", "The agency's page"),
    "ownership.shown": ("第 {start}–{end} 行，共 {total} 行", "Rows {start}–{end} of {total}"),
    "ownership.previous": ("上一页", "Previous"),
    "ownership.next": ("下一页", "Next"),
    "ownership.download": ("下载：", "Download:"),
    # query page
    "query.title": ("SPARQL 查询", "Query the reform graph"),
    "query.lead": (
        "在 /sparql 上执行 SPARQL。下列每个标签页是一个能力问题；可修改后运行（Ctrl+Enter），也可新建标签页。"
        "以链接分享查询：/query?query=…",
        "SPARQL over /sparql. Each tab below is one of the competency questions; edit and run it (Ctrl+Enter), or "
        "open a new tab. Share a query as a link: /query?query=…",
    ),
    # timelines
    "timeline.title": ("时间线", "Timeline"),
    "timeline.of": ("时间线：", "Timeline of"),
    "timeline.current_last": ("最后一条为当前状态。", "The current status is the last record."),
    "timeline.reported_in": ("报道于", "reported in"),
    "timeline.happened": ("发生于", "happened"),
    "timeline.assessed_by": ("评定单位", "assessed by"),
    "timeline.record": ("记录", "record"),
    "timeline.none": ("没有状态记录。", "No status records."),
    "timeline.no_reforms": ("此处没有带状态记录的改革。", "No reforms with status records here."),
    # review of drafts
    "nav.drafts": ("审核", "Review"),
    "review.drafts": ("待审核的草稿", "Drafts to review"),
    "review.off": (
        "审核页面未开启：请将 REFORMKG_DRAFTS_DIR 设为存放草稿（reformkg ingest --out 所写文件夹）的目录。",
        "The review pages are off: set REFORMKG_DRAFTS_DIR to the folder that holds the drafts "
        "(the folders reformkg ingest --out writes).",
    ),
    "review.lead": (
        "reformkg ingest 所生成的草稿：逐条核对后接受、拒绝或修改，再接受整期。",
        "Drafts reformkg ingest wrote: accept, reject or edit each fact, then accept the issue.",
    ),
    "review.none": ("此目录中没有草稿。", "No drafts in this folder."),
    "review.draft": ("草稿", "Draft"),
    "review.issue": ("期号", "Issue"),
    "review.date": ("日期", "Date"),
    "review.status": ("状态", "Status"),
    "review.not_reviewed": ("未审核", "not reviewed"),
    "review.reviewed": ("已审核", "reviewed"),
    "review.of": ("/", "of"),
    "review.accepted": ("已接受入库", "accepted"),
    "review.unreadable": ("无法读取", "cannot be read"),
    "review.facts": ("条事实", "facts"),
    "review.decided": ("已决定", "decided"),
    "review.rejected": ("已拒绝", "rejected"),
    "review.edited": ("已修改", "edited"),
    "review.fact": ("事实", "Fact"),
    "review.sentence": ("出处原句", "Sentence"),
    "review.decision": ("决定", "Decision"),
    "review.undecided": ("未定", "not yet"),
    "review.accept": ("接受", "accept"),
    "review.reject": ("拒绝", "reject"),
    "review.label": ("名称", "label"),
    "review.link": ("链接到已有实体", "link to an existing entity"),
    "review.link_hint": ("IRI、slug 或名称", "IRI, slug or name"),
    "review.value": ("数值", "value"),
    "review.new": ("新建", "new"),
    "review.linked": ("已链接", "linked"),
    "review.token": ("更新令牌", "Update token"),
    "review.save": ("保存决定", "Save decisions"),
    "review.accept_issue": ("保存并接受整期入库", "Save and accept the issue"),
    "review.saved": ("决定已保存。", "Decisions saved."),
    "review.done_accepted": ("本期已接受入库：", "The issue is accepted:"),
    "review.triples": ("条三元组，位于", "triples in"),
    "review.in_store": ("本期已在图谱中：", "This issue is in the graph:"),
    "review.how": (
        "未定的事实按草稿原样接受。命令行 reformkg accept 文件夹 会应用同样的决定。",
        "Facts not yet decided are accepted as drafted. reformkg accept FOLDER applies the same decisions.",
    ),
    "review.kind.header": ("刊头", "header"),
    "review.kind.series": ("刊物", "series"),
    "review.kind.item": ("条目", "item"),
    "review.kind.owner": ("供稿/负责单位", "owner"),
    "review.kind.reform": ("新改革", "new reform"),
    "review.kind.status": ("状态", "status"),
    "review.kind.org": ("新机构", "new organisation"),
    "review.kind.place": ("新地点", "new place"),
    "review.kind.document": ("新文件", "new document"),
    "review.kind.measure": ("举措", "measure"),
    "review.kind.figure": ("数字", "figure"),
    "review.field.series": ("刊物", "series"),
    "review.field.number": ("期号", "issue number"),
    "review.field.overall": ("总期号", "overall number"),
    "review.field.date": ("日期", "date"),
    "review.field.publisher": ("编辑单位", "editing body"),
    "review.item": ("条目", "Item"),
    "review.header": ("刊头", "Header"),
    # errors
    "error.try": ("可用上方搜索框，或", "Try the search box above, or"),
    "error.query": ("用 SPARQL 查询图谱", "query the graph"),
}


def preferred(accept_language: str | None) -> str:
    """zh or en, whichever the Accept-Language header ranks higher (zh-CN, zh-Hans, zh-TW … count as zh); en when it
    names neither."""
    best, best_q = "en", 0.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        if primary in LANGS and q > best_q:
            best, best_q = primary, q - position * 1e-6
    return best


def choose(request: Request) -> str:
    """The page's language: ``?lang=``, else the cookie the last switch set, else ``Accept-Language``."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGS:
        return kept
    return preferred(request.headers.get("accept-language"))


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)``: the page's words in ``lang``."""
    index = 0 if lang == "zh" else 1

    def t(key: str) -> str:
        return WORDS[key][index]

    return t


def switch_url(request: Request, lang: str) -> str:
    """This page in the other language: the same path and parameters with ``lang`` set."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return request.url.path + "?" + urlencode(params)


def context(request: Request) -> dict:
    """What every page template needs to speak the chosen language and offer the other."""
    lang = choose(request)
    other = "en" if lang == "zh" else "zh"
    return {"lang": lang, "other_lang": other, "t": translator(lang), "switch_url": switch_url(request, other)}


def remember(request: Request, response) -> None:
    """Keep an explicit ``?lang=`` choice in a cookie, so the next pages open in it."""
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
