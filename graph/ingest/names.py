"""The IRIs a draft mints and the names it gives: every IRI is made here, once, in its final form.

Entities are named from their Chinese names: pinyin slugs with an English word for the kind of office or place
(市农业局 → ``shi-nongye-bureau``) and tone-marked romanisations for ``@zh-Latn-pinyin`` labels.
Facts of one issue (items, sentences, statuses, measures, observations) are named from the issue's slug.
"""

from __future__ import annotations

import logging
import re

from reformkg.graph import GRAPH_BASE, ID_BASE
from reformkg.graph.sources import Sentence

ISSUE_GRAPH_BASE = GRAPH_BASE + "issue/"
SERIES_SLUG = "kunming-gaige-kuaibao"
SOURCE_BASE = ID_BASE + "source/"
SERIES_IRI = SOURCE_BASE + SERIES_SLUG

PLACE_SUFFIX_WORDS = {"市": "city", "县": "county", "区": "district", "镇": "town", "乡": "township", "村": "village"}
AGENCY_SUFFIX_WORDS = [
    ("领导小组", "leading-group"),
    ("委员会", "commission"),
    ("办公室", "office"),
    ("有限公司", "company"),
    ("管理局", "administration"),
    ("局", "bureau"),
    ("办", "office"),
    ("委", "commission"),
    ("部", "department"),
    ("厅", "department"),
    ("中心", "center"),
]


#: The place in an editing body's name (中共昆明市委…, 宜良县委改革办, 昆明市官渡区…): the most local one is taken.
PUBLISHER_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:省|市|县|区|州)(?=[\u4e00-\u9fff])")


def issue_slug(overall_number: int | str) -> str:
    """The slug of an issue of Kunming's 改革快报 by its overall number: ``kunming-gaige-kuaibao-108``."""
    return f"{SERIES_SLUG}-{overall_number}"


def series_slug(periodical: str, publisher: str | None) -> str:
    """A series' slug: the pinyin of the place its editing body names, then of its name (中共昆明市委… 改革快报 →
    ``kunming-gaige-kuaibao``, 宜良县委改革办 改革动态 → ``yiliang-gaige-dongtai``); the name alone without one."""
    place = ""
    if publisher:
        found = PUBLISHER_PLACE.findall(publisher.removeprefix("中共"))
        place = pinyin_slug(found[-1]) if found else ""
    name = pinyin_slug(periodical)
    return f"{place}-{name}" if place else name


def publisher_places(publisher: str | None) -> list[str]:
    """The places an editing body's name holds, with their suffixes (中共昆明市官渡区委… → 昆明市, 官渡区)."""
    if not publisher:
        return []
    text = publisher.removeprefix("中共")
    return [text[m.start(1) : m.end(1) + 1] for m in PUBLISHER_PLACE.finditer(text)]


def series_iri(slug: str) -> str:
    """A series (a periodical) by its slug."""
    return SOURCE_BASE + slug


def issue_slug_for(series: str, overall_number: int | None, year: int, issue_number: str) -> str:
    """An issue's slug: the series and its overall number (``kunming-gaige-kuaibao-108``), or, for a series that
    numbers issues by year only, the series, year and number (``yiliang-gaige-dongtai-2017-9``)."""
    series = series or SERIES_SLUG
    if overall_number is not None:
        return f"{series}-{overall_number}"
    return f"{series}-{year}-{issue_number}"


def issue_iri(overall_number: int | str) -> str:
    """The IRI of an issue (a source document) by its overall number."""
    return SOURCE_BASE + issue_slug(overall_number)


def issue_graph_iri(overall_number: int | str) -> str:
    """The named graph an accepted issue is loaded into."""
    return ISSUE_GRAPH_BASE + issue_slug(overall_number)


def resolve_issue_graph(issue: str) -> str:
    """An issue's named graph from its overall number, slug, issue IRI or graph IRI."""
    issue = str(issue).strip()
    if issue.startswith(ISSUE_GRAPH_BASE):
        return issue
    if issue.startswith(SOURCE_BASE):
        return ISSUE_GRAPH_BASE + issue.removeprefix(SOURCE_BASE)
    if issue.isdigit():
        return issue_graph_iri(issue)
    return ISSUE_GRAPH_BASE + issue


def item_iri(issue: str, position: int) -> str:
    """An item of an issue: ``<issue>/item-N``."""
    return f"{issue}/item-{position}"


def sentence_iri(issue: str, sentence: Sentence) -> str:
    """A sentence of an issue: ``<issue>/item-N-sNN`` (or ``header-sNN``, ``contents-sNN``)."""
    return f"{issue}/{sentence.slug}"


def part_of(issue: str, sentence: Sentence) -> str:
    """What a sentence is part of: the issue for the header, contents and footer, else its item (``<issue>/item-N``)."""
    return issue if sentence.section in ("header", "contents", "footer") else f"{issue}/{sentence.section}"


def local_name(iri: str) -> str:
    """The last path segment of an IRI."""
    return iri.rsplit("/", 1)[-1]


def org_iri(name: str) -> str:
    """A new organisation, by its Chinese name."""
    return ID_BASE + "org/" + agency_slug(name)


def place_iri(name: str) -> str:
    """A new place or forest farm, by its Chinese name."""
    return ID_BASE + "place/" + place_slug(name)


def document_iri(title: str) -> str:
    """A new policy document, by its title (without 《》)."""
    return ID_BASE + "document/" + pinyin_slug(title)


def reform_iri(name: str) -> str:
    """A new reform, by its name."""
    return ID_BASE + "reform/" + pinyin_slug(name)


def ownership_iri(owner: str, reform: str) -> str:
    """The qualified association of an owner with a reform."""
    return f"{ID_BASE}ownership/{local_name(owner)}-owns-{local_name(reform)}"


def status_iri(reform: str, stage: str, issue: int | str) -> str:
    """The status record of a reform at a stage, as an issue (its overall number in 改革快报, else its slug)
    reports it."""
    return f"{ID_BASE}status/{local_name(reform)}-{stage}-{issue}"


def measure_iri(slug: str, position: int, ordinal: int) -> str:
    """The ``ordinal``-th enumerated measure (一是, 二是 …) of an item."""
    return f"{ID_BASE}measure/{slug}-item-{position}-{ordinal}"


def dataset_iri(slug: str, position: int) -> str:
    """The data set holding an item's observations."""
    return f"{ID_BASE}dataset/{slug}-item-{position}"


def observation_iri(slug: str, sentence: Sentence, number: int) -> str:
    """The ``number``-th figure of an item (counted across the item), in the sentence that gives it."""
    return f"{ID_BASE}observation/{slug}-{sentence.slug}-{number}"


def indicator_iri(slug: str, sentence: Sentence, number: int) -> str:
    """The placeholder indicator of the ``number``-th figure of an item."""
    return f"{ID_BASE}indicator/{slug}-{sentence.slug}-{number}"


def jieba():
    """The jieba segmenter, imported on first use (it is slow to load) and quiet."""
    import jieba as module

    module.setLogLevel(logging.WARNING)
    return module


def pinyin_slug(name: str) -> str:
    """An ASCII slug from a Chinese name: pinyin without tones, one hyphen between jieba's words."""
    from pypinyin import lazy_pinyin

    words = [w for w in jieba().cut(name) if w.strip()]
    parts = ["".join(lazy_pinyin(w)) for w in words]
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)
    return re.sub(r"-{2,}", "-", slug).strip("-")[:80].rstrip("-") or "x"


def pinyin_label(name: str) -> str:
    """The romanisation with tone marks, one capitalised word per jieba word (Hǎikǒu Línchǎng)."""
    from pypinyin import Style, pinyin

    words = [w for w in jieba().cut(name) if w.strip()]
    return " ".join("".join(p[0] for p in pinyin(w, style=Style.TONE)).capitalize() for w in words)


def place_slug(name: str) -> str:
    """A place's slug: the name's pinyin and an English word for its suffix (晋宁区 → jinning-district)."""
    if name.endswith("林场"):
        return pinyin_slug(name.removesuffix("林场")) + "-forest-farm"
    suffix = name[-1]
    if suffix in PLACE_SUFFIX_WORDS and len(name) > 2:
        return pinyin_slug(name[:-1]) + "-" + PLACE_SUFFIX_WORDS[suffix]
    return pinyin_slug(name)


def agency_slug(name: str) -> str:
    """An organisation's slug: the name's pinyin and an English word for the kind of office (局 → bureau)."""
    for word, english in AGENCY_SUFFIX_WORDS:
        if name.endswith(word) and len(name) > len(word):
            return pinyin_slug(name.removesuffix(word)) + "-" + english
    return pinyin_slug(name)
