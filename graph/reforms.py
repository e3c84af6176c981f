"""The reforms at a glance, for the front page: one card per reform, its pilots inside it.

A card holds what an analyst asks first: the reform's owners with their roles (from the ownership tracer; when the
source names none, the card says so and names the body that accepted or assessed it, from its status records and its
pilots'), its current status and the date it was reported, its key figures, its places, and the newsletter items it
came from. Everything is assembled from ``tracing.reform_trace`` (the named queries) plus one query for the items
(``page-reform-items``); the cards are cached until the store changes.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from reformkg.graph import queries, tracing
from reformkg.graph.store import Store
from reformkg.graph.tracing import Outcome, Owner, Place, Ref, StatusRecord

#: How many figures a card shows; the reform's page has all of them.
KEY_FIGURES = 4
#: How many reforms the front page shows (the most recently reported first; search finds the rest), and how many
#: pilots a card lists (``more_pilots`` counts the others). Each card is assembled from its reform's named queries.
MAX_CARDS = 60
MAX_PILOTS = 12
REPORTED = tracing.RKO + "reported"
ACCEPTED = tracing.RKO + "stage-accepted"


@dataclass
class Accountable:
    """A body the source connects with a reform that names no owner: who accepted or assessed it (or its pilots)."""

    agency: Ref
    accepted: bool  # True: it accepted (通过验收); False: it assessed the reform at another stage
    pilots: list[Ref] = field(default_factory=list)  # the pilots it accepted or assessed; empty for the reform itself


@dataclass
class Item:
    """A newsletter item that reports the reform, with its issue."""

    item: Ref
    issue: Ref | None
    published: str | None


@dataclass
class ReformCard:
    reform: Ref
    pilot: bool
    owners: list[Owner]
    accountable: list[Accountable]  # only when ``owners`` is empty
    status: StatusRecord | None  # the latest status record
    figures: int  # how many figures the reform reports
    key_figures: list[Outcome]
    places: list[Place]
    items: list[Item]
    pilots: list[ReformCard] = field(default_factory=list)
    measures: int = 0
    more_pilots: int = 0  # pilots not listed on the card (past MAX_PILOTS)

    @property
    def slug(self) -> str:
        """The part of the reform's IRI after ``…/id/reform/``: what the timeline and tracing routes take."""
        return self.reform.iri.removeprefix(tracing.REFORM_BASE)


def _key_figures(trace: tracing.ReformTrace) -> list[Outcome]:
    """Figures the reform reports (not plans or baselines) in the order the source gives them, at most KEY_FIGURES;
    when it reports none, its first figures of any kind."""
    starts = {s.iri: s.start for item in trace.sources for s in item.sentences}

    def position(outcome: Outcome) -> tuple[int, int, str]:
        first = min((starts.get(s, 1 << 30) for s in outcome.sentences), default=1 << 30)
        return (0 if outcome.kind == REPORTED else 1, first, outcome.observation)

    return sorted(trace.outcomes, key=position)[:KEY_FIGURES]


def _count(measures: list[tracing.Measure]) -> int:
    return sum(1 + _count(m.sub_measures) for m in measures)


def _card(trace: tracing.ReformTrace, pilot: bool, items: list[Item]) -> ReformCard:
    return ReformCard(
        reform=trace.reform,
        pilot=pilot,
        owners=trace.owners,
        accountable=[],
        status=trace.status_history[-1] if trace.status_history else None,
        figures=len(trace.outcomes),
        key_figures=_key_figures(trace),
        places=trace.places,
        items=items,
        measures=_count(trace.measures),
    )


def _accountable(card: ReformCard, history: list[StatusRecord], pilots: list[ReformCard]) -> list[Accountable]:
    """The bodies that accepted or assessed a reform without owners, or its pilots, each once."""
    found: dict[str, Accountable] = {}
    for record in history:
        if record.assessor is not None:
            found.setdefault(record.assessor.iri, Accountable(record.assessor, record.stage.iri == ACCEPTED))
    for pilot in pilots:
        record = pilot.status
        if record is not None and record.assessor is not None:
            entry = found.setdefault(record.assessor.iri, Accountable(record.assessor, record.stage.iri == ACCEPTED))
            entry.pilots.append(pilot.reform)
    return list(found.values())


def build_cards(store: Store, limit: int = MAX_CARDS, pilots: int = MAX_PILOTS) -> list[ReformCard]:
    """The reform initiatives as cards, their pilots inside them, newest issue first, then in the issue's order: at
    most ``limit`` cards of at most ``pilots`` pilots each."""
    order: list[str] = []
    parent: dict[str, str] = {}
    item_rows: dict[str, list[dict]] = {}
    for row in queries.run(store, "page-reform-items").rows():
        reform = row["reform"]
        if reform not in item_rows:
            order.append(reform)
            item_rows[reform] = []
        if row["pilotOf"]:
            parent[reform] = row["pilotOf"]
        if row["item"] and all(r["item"] != row["item"] for r in item_rows[reform]):
            item_rows[reform].append(row)
    labels = tracing.Labels(
        store, {r[key] for rows in item_rows.values() for r in rows for key in ("item", "issue") if r[key]}
    )
    tops = [r for r in order if r not in parent or parent[r] not in item_rows][:limit]
    chosen = set(tops)
    listed: dict[str, int] = dict.fromkeys(tops, 0)
    skipped: dict[str, int] = dict.fromkeys(tops, 0)
    for reform in order:
        whole = parent.get(reform)
        if whole in listed:
            if listed[whole] < pilots:
                listed[whole] += 1
                chosen.add(reform)
            else:
                skipped[whole] += 1
    order = [r for r in order if r in chosen]
    traces = {reform: tracing.reform_trace(store, reform) for reform in order}
    cards: dict[str, ReformCard] = {}
    for reform in order:
        items = [
            Item(labels.ref(r["item"]), labels.ref(r["issue"]), r["published"]) for r in item_rows[reform] if r["item"]
        ]
        cards[reform] = _card(traces[reform], reform in parent, items)
    top = []
    for reform in order:
        card = cards[reform]
        if reform in parent and parent[reform] in cards:
            cards[parent[reform]].pilots.append(card)
        else:
            top.append(card)
    for card in top:
        card.more_pilots = skipped.get(card.reform.iri, 0)
    for card in cards.values():
        if not card.owners:
            card.accountable = _accountable(card, traces[card.reform.iri].status_history, card.pilots)
    return top


_cache: weakref.WeakKeyDictionary[Store, tuple[int, list[ReformCard]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def reform_cards(store: Store) -> list[ReformCard]:
    """``build_cards``, cached until the store's generation moves on."""
    with _lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == store.generation:
            return cached[1]
        generation = store.generation
        cards = build_cards(store)
        _cache[store] = (generation, cards)
        return cards


@dataclass
class Quote:
    """A source sentence as a page shows it: its words, its number in its item, the item, where it sits."""

    iri: str
    quote: str
    number: int | None
    item: Ref | None
    start: int | None
    end: int | None

    @property
    def anchor(self) -> str:
        """An id for the sentence on the page."""
        return "s-" + self.iri.rsplit("/", 1)[-1]


@dataclass
class ReformRecord:
    """Everything a reform's page shows: the trace, the card (owners or who accepted it, pilots) and every sentence
    behind any of it, each once, in the source's order."""

    trace: tracing.ReformTrace
    card: ReformCard | None
    sentences: dict[str, Quote]


def _find(cards: list[ReformCard], iri: str) -> ReformCard | None:
    for card in cards:
        if card.reform.iri == iri:
            return card
        found = _find(card.pilots, iri)
        if found is not None:
            return found
    return None


def reform_record(store: Store, reform: str) -> ReformRecord:
    """A reform's page, assembled. UnknownEntity when it is not a reform."""
    trace = tracing.reform_trace(store, reform)
    card = _find(reform_cards(store), reform)
    wanted = {s.iri for item in trace.sources for s in item.sentences}
    wanted |= {s for o in trace.outcomes for s in o.sentences}
    wanted |= {s for r in trace.status_history for s in r.sentences}
    rows = queries.run(store, "page-sentences", sentence=sorted(wanted)).rows() if wanted else []
    labels = tracing.Labels(store, {r["item"] for r in rows if r["item"]})
    sentences: dict[str, Quote] = {}
    for r in rows:
        if r["sentence"] in sentences:
            continue
        sentences[r["sentence"]] = Quote(
            iri=r["sentence"],
            quote=r["quote"],
            number=int(r["number"]) if r["number"] else None,
            item=labels.ref(r["item"]),
            start=int(r["start"]) if r["start"] else None,
            end=int(r["end"]) if r["end"] else None,
        )
    ordered = sorted(sentences.values(), key=lambda q: (q.item.iri if q.item else "", q.start or 0, q.iri))
    position = {q.iri: i for i, q in enumerate(ordered)}

    def first(iris: list[str]) -> int:
        return min((position.get(s, len(position)) for s in iris), default=len(position))

    for fact in [*trace.outcomes, *trace.status_history]:
        fact.sentences.sort(key=lambda s: position.get(s, len(position)))
    trace.outcomes.sort(key=lambda o: (first(o.sentences), o.observation))
    return ReformRecord(trace, card, {q.iri: q for q in ordered})
