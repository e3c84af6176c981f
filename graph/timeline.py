"""How reforms move: status history per reform and per place, and what changed between two newsletter issues.

Everything is SPARQL over the graphs (the seed's files and each accepted issue's named graph), through the named
queries ``reform-timeline`` and ``issue-reports`` and the plumbing ``timeline-*`` queries, with IRIs bound as VALUES.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from reformkg.graph import ID_BASE, queries
from reformkg.graph.entities import InvalidIri, check_iri
from reformkg.graph.errors import UnknownEntity
from reformkg.graph.ingest import issue_iri
from reformkg.graph.store import Store

REFORM_BASE = ID_BASE + "reform/"
PLACE_BASE = ID_BASE + "place/"
SOURCE_BASE = ID_BASE + "source/"
RKO = "https://w3id.org/reformkg/ontology#"


@dataclass
class Evidence:
    sentence: str
    quote: str | None
    start: int | None
    end: int | None


@dataclass
class TimelineEntry:
    record: str
    stage: str
    stage_label_zh: str | None
    stage_label_en: str | None
    reported_on: str
    event_date: str | None
    issue: str | None
    issue_label: str | None
    overall_number: int | None
    assessor: str | None
    assessor_label: str | None
    sentences: list[Evidence] = field(default_factory=list)


@dataclass
class ReformTimeline:
    reform: str
    label_zh: str | None
    label_en: str | None
    entries: list[TimelineEntry]

    @property
    def current(self) -> TimelineEntry | None:
        return self.entries[-1] if self.entries else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["current"] = asdict(self.current) if self.current else None
        return data


def _labels(store: Store, iri: str) -> tuple[str | None, str | None, bool]:
    try:
        check_iri(iri)
    except InvalidIri:
        return None, None, False
    rows = queries.run(store, "timeline-entity", entity=iri)
    zh = en = None
    found = False
    for solution in rows.solutions():
        found = True
        label = solution["label"]
        if label is None:
            continue
        lang = getattr(label, "language", None) or ""
        if lang == "zh" and zh is None:
            zh = label.value
        elif lang == "en" and en is None:
            en = label.value
    return zh, en, found


def reform_timeline(store: Store, reform: str) -> ReformTimeline:
    """A reform's status records in date order, each with the sentences behind it. UnknownEntity if no such reform."""
    zh, en, found = _labels(store, reform)
    if not found:
        raise UnknownEntity(reform, f"no reform <{reform}> in the graph")
    entries: dict[str, TimelineEntry] = {}
    for row in queries.run(store, "reform-timeline", reform=reform).rows():
        entry = entries.get(row["record"])
        if entry is None:
            entry = entries[row["record"]] = TimelineEntry(
                record=row["record"],
                stage=row["stage"].removeprefix(RKO + "stage-"),
                stage_label_zh=row["stageLabelZh"],
                stage_label_en=row["stageLabelEn"],
                reported_on=row["reportedOn"],
                event_date=row["eventDate"],
                issue=row["issue"],
                issue_label=row["issueLabel"],
                overall_number=int(row["overall"]) if row["overall"] else None,
                assessor=row["assessor"],
                assessor_label=row["assessorLabel"],
            )
        if row["sentence"] and all(e.sentence != row["sentence"] for e in entry.sentences):
            entry.sentences.append(
                Evidence(
                    row["sentence"],
                    row["quote"],
                    int(row["start"]) if row["start"] else None,
                    int(row["end"]) if row["end"] else None,
                )
            )
    ordered = sorted(entries.values(), key=lambda e: (e.reported_on, e.event_date or "", e.record))
    return ReformTimeline(reform, zh, en, ordered)


def place_timeline(store: Store, place: str) -> dict:
    """The timelines of every reform whose places lie in ``place`` (itself or contained in it, transitively)."""
    zh, en, found = _labels(store, place)
    if not found:
        raise UnknownEntity(place, f"no place <{place}> in the graph")
    reforms = [row["reform"] for row in queries.run(store, "timeline-place-reforms", place=place).rows()]
    return {
        "place": place,
        "label_zh": zh,
        "label_en": en,
        "reforms": [reform_timeline(store, r).as_dict() for r in reforms],
    }


@dataclass
class StageChange:
    reform: str
    label: str | None
    before: list[str]
    after: list[str]


#: Stages that end a reform. A reform is "ended" in a diff only when the later issue has a status record at one of
#: them; a reform the later issue does not mention is only that, not mentioned.
ENDED_STAGES = {"ended"}


@dataclass
class IssueDiff:
    issue_a: str
    issue_b: str
    added: list[tuple[str, str | None]] = field(default_factory=list)
    #: reforms issue A reports and issue B does not mention (which says nothing of whether they ended)
    not_mentioned: list[tuple[str, str | None]] = field(default_factory=list)
    #: reforms issue B reports at an ended stage, with the stages A had them at
    ended: list[StageChange] = field(default_factory=list)
    stage_changes: list[StageChange] = field(default_factory=list)
    unchanged: list[tuple[str, str | None]] = field(default_factory=list)
    #: (reform, value, unit, original text) of the reforms both issues report
    figures_added: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    figures_removed: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_issue(issue: str) -> str:
    """An issue IRI from an overall number (107), a slug (kunming-gaige-kuaibao-107) or the IRI itself."""
    issue = str(issue).strip()
    if issue.startswith(("http://", "https://")):
        if "/graph/issue/" in issue:
            return SOURCE_BASE + issue.rsplit("/", 1)[-1]
        return issue
    if issue.isdigit():
        return issue_iri(issue)
    return SOURCE_BASE + issue


def _issue_reports(store: Store, issue: str):
    stages: dict[str, set[str]] = {}
    labels: dict[str, str | None] = {}
    figures: Counter = Counter()
    rows = queries.run(store, "issue-reports", issue=issue).rows()
    if not rows and not queries.run(store, "timeline-issue-exists", issue=issue).boolean:
        raise UnknownEntity(issue, f"no newsletter issue <{issue}> in the graph")
    for row in rows:
        labels[row["reform"]] = row["reformLabel"]
        if row["kind"] == "status":
            stages.setdefault(row["reform"], set()).add(row["stage"].removeprefix(RKO + "stage-"))
        else:
            value = format(Decimal(row["value"]).normalize(), "f")
            figures[(row["reform"], value, row["unit"].removeprefix(RKO), row["originalText"])] += 1
    return stages, labels, figures


def diff_issues(store: Store, issue_a: str, issue_b: str) -> IssueDiff:
    """What changed from issue A to issue B: reforms added, not mentioned in B, ended (by a status record in B),
    stage changes, figures."""
    a, b = resolve_issue(issue_a), resolve_issue(issue_b)
    for issue in (a, b):
        try:
            check_iri(issue)
        except InvalidIri:
            raise UnknownEntity(issue, f"no newsletter issue {issue!r}") from None
    stages_a, labels_a, figures_a = _issue_reports(store, a)
    stages_b, labels_b, figures_b = _issue_reports(store, b)
    labels = {**labels_a, **labels_b}
    diff = IssueDiff(a, b)
    for reform in sorted(set(stages_a) | set(stages_b)):
        before, after = sorted(stages_a.get(reform, ())), sorted(stages_b.get(reform, ()))
        if not before:
            diff.added.append((reform, labels.get(reform)))
        elif not after:
            diff.not_mentioned.append((reform, labels.get(reform)))
        elif set(after) & ENDED_STAGES:
            diff.ended.append(StageChange(reform, labels.get(reform), before, after))
        elif before != after:
            diff.stage_changes.append(StageChange(reform, labels.get(reform), before, after))
        else:
            diff.unchanged.append((reform, labels.get(reform)))
    # figures are compared for the reforms both issues report; a reform new in B brings all its figures anyway
    both = set(stages_a) & set(stages_b)
    diff.figures_added = sorted(f for f in (figures_b - figures_a).elements() if f[0] in both)
    diff.figures_removed = sorted(f for f in (figures_a - figures_b).elements() if f[0] in both)
    return diff
