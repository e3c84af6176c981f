"""The draft's report.md: what was read, what was linked, what was minted, and what to check before accepting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reformkg.graph.ingest.names import local_name

if TYPE_CHECKING:
    from reformkg.graph.ingest.draft import Draft

FOOTNOTE = (
    "Figures: values normalised by `graph.figures`; value kinds from cues (计划 → planned, 给予/补助 … → "
    "policyParameter, else reported); indicators are placeholders named by the words before each figure; no "
    "reporting periods are read. Dates, numbers and owners are only those the text gives."
)


def draft_report(draft: Draft) -> str:
    """The report as Markdown."""
    lines = _summary(draft) + _items(draft) + _linked(draft) + _minted(draft) + _to_check(draft)
    return "\n".join([*lines, "", FOOTNOTE, ""])


def _summary(draft: Draft) -> list[str]:
    """The header fields and the counts."""
    header = draft.newsletter.header
    overall = header.overall_number if header.overall_number is not None else "none given"
    series = f"<{draft.series}>" + (" (new)" if draft.describe_series else "")
    return [
        f"# Draft of {header.label}",
        "",
        f"- read from: {draft.source_file} ({draft.newsletter.source_format}); offsets count in source.txt",
        f"- series: {header.periodical} {series}",
        f"- issue number: {header.issue_number}; overall number: {overall}",
        f"- publisher: {header.publisher or 'none named'}",
        f"- date: {header.date.isoformat()}",
        f"- issue: <{draft.issue_iri}>; accepted into <{draft.graph_iri}>",
        "",
        "## Counts",
        "",
        f"- sentences: {len(draft.newsletter.sentences)}",
        f"- items: {len(draft.items)}",
        f"- owners: {sum(len(i.owners) for i in draft.items)} "
        f"({sum(1 for i in draft.items for o in i.owners if o[2])} linked)",
        f"- status records: {len(draft.statuses)}",
        f"- figures: {len(draft.figures)}",
        f"- linked mentions: {sum(1 for m in draft.mentions if m.linked)}",
        f"- new entities drafted: {len(draft.minted)}",
        "",
    ]


def _items(draft: Draft) -> list[str]:
    """A table of the items: title, owners, the reforms each reports, and the stage."""
    lines = ["## Items", "", "| # | title | owners | reports | stage |", "|---|---|---|---|---|"]
    for d in draft.items:
        owners = "、".join(f"{name}{'' if linked else ' (new)'}" for name, _iri, linked in d.owners) or "none named"
        reports = ", ".join(f"`{local_name(r)}`" for r in d.reforms) + ("" if d.reform_linked else " (new)")
        stages = ", ".join(sorted({s.stage for s in draft.statuses if s.item == d.item.position}))
        lines.append(f"| {d.item.position} | {d.item.title} | {owners} | {reports} | {stages} |")
    return lines


def _linked(draft: Draft) -> list[str]:
    """Each name linked to an entity the graph has, once, with the first sentence it is in."""
    lines = ["", "## Linked to the graph", ""]
    seen = set()
    for m in draft.mentions:
        if m.linked and (m.name, m.iri) not in seen:
            seen.add((m.name, m.iri))
            lines.append(f"- {m.name} → <{m.iri}> ({m.sentence.slug})")
    return lines


def _minted(draft: Draft) -> list[str]:
    """The entities the draft mints, and the candidates it did not draft."""
    lines = ["", "## New entities to review", ""]
    lines += [f"- {kind}: {name} → <{iri}>" for iri, (kind, name) in sorted(draft.minted.items())]
    lines += ["", "## Candidates not drafted", ""]
    lines += [f"- {line}" for line in dict.fromkeys(draft.not_drafted)] or ["- none"]
    return lines


def _to_check(draft: Draft) -> list[str]:
    """What the drafting was unsure of."""
    lines = ["", "## Uncertain: check before accepting", ""]
    return lines + ([f"- {line}" for line in draft.uncertain] or ["- nothing"])
