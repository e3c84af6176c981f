"""Find entities by label: Chinese, English, pinyin with or without tones or spaces, and alternative spellings.

The index is built in memory from one SPARQL query over ``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel`` and
``rko:sourceLabel`` (the source's own words for an entity) in every language, and rebuilt when the store's generation
changes. Every label is normalised (case-folded, tones and other diacritics stripped, spaces, hyphens and punctuation
removed); a Chinese label is also indexed by its pinyin.
Ranking: an exact match beats a prefix, a prefix beats a substring; within a tier entities minted by reformkg beat
concepts and ontology terms, and a label close in length to the query beats a longer one.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from dataclasses import dataclass, field

import pyoxigraph as ox

from reformkg.graph import queries
from reformkg.graph.errors import InputError
from reformkg.graph.store import Store

ID_BASE = "https://w3id.org/reformkg/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
#: The source's own words for an entity where they differ from its label ("昆明市委", "市扶贫办"): a kind of
#: skos:altLabel in the ontology, found as one.
SOURCE_LABEL = "https://w3id.org/reformkg/ontology#sourceLabel"
#: The labels that name an entity in results; the others (skos:altLabel, rko:sourceLabel) only find it.
PRIMARY_LABELS = frozenset({RDFS_LABEL, SKOS_PREF})
SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"
OWL_NAMED_INDIVIDUAL = "http://www.w3.org/2002/07/owl#NamedIndividual"

# Tiers, then bonuses smaller than the gap between tiers, so a tier always wins.
EXACT, PREFIX, SUBSTRING = 300, 200, 100
ENTITY_BONUS = 50
PRIMARY_LABEL_BONUS = 5
CLOSENESS_BONUS = 20

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class EmptyQuery(InputError):
    """A search for nothing (empty, or only spaces and punctuation)."""


def normalise(text: str) -> str:
    """Case-fold, strip tones and other diacritics, drop spaces, hyphens, punctuation and control characters."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch)[0] not in "MZPC")


def pinyin(text: str) -> str:
    """The toneless pinyin of the Chinese characters in a text, other characters kept (``禄丰村`` → ``lufengcun``)."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.NORMAL))


def match_keys(label: str, lang: str) -> set[str]:
    """The normalised forms a label is found by: itself, and for Chinese its pinyin with and without spaces."""
    keys = {normalise(label)}
    if _CJK.search(label) and not lang.lower().startswith("zh-latn"):
        romanised = pinyin(label)
        keys.add(normalise(romanised))
        keys.add(normalise(romanised.replace(" ", "")))
    keys.discard("")
    return keys


@dataclass
class Entry:
    """One labelled resource in the index."""

    iri: str
    label_zh: str | None = None
    label_en: str | None = None
    types: set[str] = field(default_factory=set)
    # (normalised key, the label it came from, whether that label is a preferred one)
    keys: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``entity`` for what reformkg mints (reforms, agencies, places …), ``concept`` for SKOS concepts and terms."""
        if self.iri.startswith(ID_BASE) and SKOS_CONCEPT not in self.types:
            return "entity"
        return "concept"

    @property
    def type(self) -> str | None:
        """The entity's class: a reformkg class where it has one, else any other."""
        useful = sorted(t for t in self.types if t != OWL_NAMED_INDIVIDUAL)
        own = [t for t in useful if t.startswith("https://w3id.org/reformkg/")]
        return (own or useful or [None])[0]


@dataclass
class Hit:
    """A search result."""

    iri: str
    label_zh: str | None
    label_en: str | None
    type: str | None
    type_label: str | None
    type_label_zh: str | None
    kind: str
    matched: str
    score: float


class SearchIndex:
    """Labels of every resource in a store, normalised for matching."""

    def __init__(self, entries: dict[str, Entry]):
        self.entries = entries

    @classmethod
    def build(cls, store: Store) -> SearchIndex:
        entries: dict[str, Entry] = {}
        seen: set[tuple[str, str, str]] = set()
        for row in store.query(queries.text("search-labels")).solutions():
            iri, prop, label, type_ = row["entity"].value, row["property"].value, row["label"], row["type"]
            entry = entries.setdefault(iri, Entry(iri))
            if type_ is not None:
                entry.types.add(type_.value)
            if (iri, prop, str(label)) in seen:
                continue
            seen.add((iri, prop, str(label)))
            lang = label.language if isinstance(label, ox.Literal) and label.language else ""
            primary = prop in PRIMARY_LABELS
            if primary and lang == "zh" and entry.label_zh is None:
                entry.label_zh = label.value
            if primary and lang == "en" and entry.label_en is None:
                entry.label_en = label.value
            entry.keys.extend((key, label.value, primary) for key in match_keys(label.value, lang))
        return cls(entries)

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """Entries whose labels match the query, best first. Raises EmptyQuery for a query with nothing to match."""
        wanted = normalise(query)
        if not wanted:
            raise EmptyQuery("the search needs at least one letter, digit or character")
        hits = []
        for entry in self.entries.values():
            best: tuple[float, str] | None = None
            for key, label, primary in entry.keys:
                if key == wanted:
                    tier = EXACT
                elif key.startswith(wanted):
                    tier = PREFIX
                elif wanted in key:
                    tier = SUBSTRING
                else:
                    continue
                score = tier + CLOSENESS_BONUS * len(wanted) / len(key) + (PRIMARY_LABEL_BONUS if primary else 0)
                if best is None or score > best[0]:
                    best = (score, label)
            if best is None:
                continue
            score = best[0] + (ENTITY_BONUS if entry.kind == "entity" else 0)
            type_ = entry.type
            type_entry = self.entries.get(type_) if type_ else None
            hits.append(
                Hit(
                    iri=entry.iri,
                    label_zh=entry.label_zh,
                    label_en=entry.label_en,
                    type=type_,
                    type_label=(type_entry.label_en or type_entry.label_zh) if type_entry else None,
                    type_label_zh=(type_entry.label_zh or type_entry.label_en) if type_entry else None,
                    kind=entry.kind,
                    matched=best[1],
                    score=round(score, 2),
                )
            )
        hits.sort(key=lambda h: (-h.score, h.label_en or h.label_zh or h.iri, h.iri))
        return hits[:limit]


_cache: weakref.WeakKeyDictionary[Store, tuple[int, SearchIndex]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def index_for(store: Store) -> SearchIndex:
    """The search index of a store, rebuilt when the store's generation has moved on since it was built."""
    with _lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == store.generation:
            return cached[1]
        generation = store.generation
        index = SearchIndex.build(store)
        _cache[store] = (generation, index)
        return index


def search(store: Store, query: str, limit: int = 20) -> list[Hit]:
    """Search a store's labels; see ``SearchIndex.search``."""
    return index_for(store).search(query, limit)
