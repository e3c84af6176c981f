"""Measure the newsletter ingest against answers people wrote: ``python -m benchmarks.ingest_measure``.

1. The seed newsletter, ingested into a temporary folder (linked against the built seed graph), against the curated
   data: header fields, items (position and title), owners (by IRI) and figures, matched by (sentence, normalised
   value, unit). 2. Each test newsletter under ``tests/fixtures/newsletters/`` in each format it is there in (.txt,
   .docx, .pdf) against its ``.expected.json``: header fields, items, owners, agencies and places (by name, each
   once) and figures.
Prints precision and recall per category, newsletter and format, and whether the targets are met: header, items and
owners exact, figures at least 0.95 precision and recall; agencies and places are measured without a target, and so
are, for the seed, the figures' areas and periods (Data Cube dimensions), matched by (sentence, value, unit, area)
and (sentence, value, unit, period).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from benchmarks import PROJECT_ROOT
from reformkg.graph.ingest import Draft, ingest

SEED_TEXT = PROJECT_ROOT / "data/sources/gaige-kuaibao-107.txt"
SEED_DATA = PROJECT_ROOT / "data/kunming-gaige-kuaibao-107"
NEWSLETTERS = PROJECT_ROOT / "tests/fixtures/newsletters"
SEED_ISSUE = "https://w3id.org/reformkg/id/source/kunming-gaige-kuaibao-107"
#: (precision, recall) each category must reach; None: measured and shown, no target.
TARGETS: dict[str, tuple[float, float] | None] = {
    "header": (1.0, 1.0),
    "items": (1.0, 1.0),
    "owners": (1.0, 1.0),
    "agencies": None,
    "places": None,
    "figures": (0.95, 0.95),
    "areas": None,
    "periods": None,
}
NOT_STATED = "not stated"
FORMATS = (".txt", ".docx", ".pdf")


@dataclass
class Score:
    category: str
    expected: int
    found: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def met(self) -> bool:
        target = TARGETS[self.category]
        return target is None or (self.precision >= target[0] and self.recall >= target[1])


def score(category: str, expected: Counter, found: Counter) -> Score:
    return Score(category, sum(expected.values()), sum(found.values()), sum((expected & found).values()))


def draft_answers(draft: Draft, *, owners_by: str = "iri") -> dict[str, Counter]:
    """What a draft says, in the categories measured."""
    header = draft.newsletter.header
    agencies = {m.name for m in draft.mentions if m.kind == "org"}
    agencies |= {name for d in draft.items for name, _iri, _linked in d.owners}
    agencies |= {e.name for e in draft.new_entities if e.kind == "org"}
    agencies |= {header.publisher} if header.publisher else set()
    return {
        "header": Counter(
            {
                ("periodical", header.periodical): 1,
                ("issue number", header.issue_number): 1,
                ("overall number", str(header.overall_number)): 1,
                ("publisher", header.publisher): 1,
                ("date", header.date.isoformat()): 1,
            }
        ),
        "items": Counter((d.item.position, d.item.title) for d in draft.items),
        "owners": Counter(
            (d.item.position, iri if owners_by == "iri" else name) for d in draft.items for name, iri, _ in d.owners
        ),
        "agencies": Counter(agencies),
        "places": Counter({m.name for m in draft.mentions if m.kind == "place"}),
        "figures": Counter((f.sentence.slug, f.figure.value.normalize(), f.unit) for f in draft.figures),
        "areas": Counter((f.sentence.slug, f.figure.value.normalize(), f.unit, f.area) for f in draft.figures),
        "periods": Counter(
            (f.sentence.slug, f.figure.value.normalize(), f.unit, f.period or NOT_STATED) for f in draft.figures
        ),
    }


def curated_answers() -> dict[str, Counter]:
    """The same categories, from the hand-curated seed graph."""
    import rdflib

    graph = rdflib.Graph()
    for path in sorted(SEED_DATA.glob("*.ttl")):
        graph.parse(path)
    issue = rdflib.URIRef(SEED_ISSUE)
    schema = rdflib.Namespace("https://schema.org/")
    rko = rdflib.Namespace("https://w3id.org/reformkg/ontology#")
    publisher = graph.value(issue, schema.publisher)
    publisher_label = next(
        str(label) for label in graph.objects(publisher, rdflib.RDFS.label) if label.language == "zh"
    )
    series = graph.value(issue, schema.isPartOf)
    series_label = next(str(label) for label in graph.objects(series, rdflib.RDFS.label) if label.language == "zh")
    answers = {
        "header": Counter(
            {
                ("periodical", series_label): 1,
                ("issue number", str(graph.value(issue, schema.issueNumber))): 1,
                ("overall number", str(graph.value(issue, rko.overallIssueNumber))): 1,
                ("publisher", publisher_label): 1,
                ("date", str(graph.value(issue, schema.datePublished))): 1,
            }
        ),
        "items": Counter(),
        "owners": Counter(),
        "figures": Counter(),
        "areas": Counter(),
        "periods": Counter(),
    }
    for item in graph.objects(issue, schema.hasPart):
        position = int(graph.value(item, schema.position))
        answers["items"][(position, str(graph.value(item, schema.headline)))] += 1
        for owner in graph.objects(item, rko.attributedTo):
            answers["owners"][(position, str(owner))] += 1
    rows = graph.query(
        """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
        SELECT ?o ?v ?u ?s ?area ?period WHERE { ?o a <http://purl.org/linked-data/cube#Observation> ;
          <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?v ;
          <http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure> ?u ; prov:wasDerivedFrom ?s .
          OPTIONAL { ?o sdmx-dimension:refArea ?area } OPTIONAL { ?o sdmx-dimension:refPeriod ?period } }"""
    )
    for _obs, value, unit, sentence, area, period in rows:
        key = (str(sentence).rsplit("/", 1)[-1], Decimal(str(value)).normalize(), str(unit).rsplit("#", 1)[-1])
        answers["figures"][key] += 1
        answers["areas"][(*key, str(area) if area is not None else None)] += 1
        not_stated = period is None or str(period).endswith("#periodNotStated")
        answers["periods"][(*key, NOT_STATED if not_stated else str(period))] += 1
    return answers


def expected_answers(expected: dict) -> dict[str, Counter]:
    """The categories from a test newsletter's ``.expected.json``."""
    header = expected["header"]
    return {
        "header": Counter(
            {
                ("periodical", header["periodical"]): 1,
                ("issue number", header["issue_number"]): 1,
                ("overall number", str(header["overall_number"])): 1,
                ("publisher", header["publisher"]): 1,
                ("date", header["date"]): 1,
            }
        ),
        "items": Counter((i["position"], i["title"]) for i in expected["items"]),
        "owners": Counter((i["position"], o) for i in expected["items"] for o in i["owners"]),
        "agencies": Counter(set(expected["agencies"])),
        "places": Counter(set(expected["places"])),
        "figures": Counter((f["sentence"], Decimal(f["value"]).normalize(), f["unit"]) for f in expected["figures"]),
    }


def compare(expected: dict[str, Counter], found: dict[str, Counter]) -> list[Score]:
    """A score per category both sides answer (the curated seed has no agency or place list of its own)."""
    return [score(category, expected[category], found[category]) for category in TARGETS if category in expected]


def seed_store():
    """An in-memory store with the built seed graph, for linking."""
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import OxigraphStore

    settings = Settings()
    store = OxigraphStore()
    build(store, settings.ontology_dir, settings.data_dir)
    return store


def measure_seed(store, out_dir: Path) -> tuple[list[Score], Draft]:
    draft = ingest(SEED_TEXT, out_dir, store)
    return compare(curated_answers(), draft_answers(draft)), draft


def newsletter_files() -> list[tuple[Path, Path]]:
    """Each test newsletter's expected answers and each file of it there is (.txt, .docx, .pdf), in order."""
    found = []
    for expected in sorted(NEWSLETTERS.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        found += [
            (expected, NEWSLETTERS / (stem + suffix)) for suffix in FORMATS if (NEWSLETTERS / (stem + suffix)).exists()
        ]
    return found


def measure_newsletter(store, newsletter: Path, out_dir: Path, expected_file: Path | None = None):
    """Scores of one newsletter file against its expected answers, and its draft."""
    expected_file = expected_file or newsletter.with_suffix(".expected.json")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    draft = ingest(newsletter, out_dir, store)
    return compare(expected_answers(expected), draft_answers(draft, owners_by="name")), draft


def _print(title: str, scores: list[Score]) -> bool:
    print(title)
    print(f"  {'category':<9} {'expected':>8} {'found':>6} {'matched':>7} {'precision':>9} {'recall':>7}  target")
    for s in scores:
        goal = TARGETS[s.category]
        target = f"P>={goal[0]:.2f} R>={goal[1]:.2f}: {'met' if s.met else 'MISSED'}" if goal else "(no target)"
        print(
            f"  {s.category:<9} {s.expected:>8} {s.found:>6} {s.matched:>7} {s.precision:>9.3f} {s.recall:>7.3f}  "
            f"{target}"
        )
    return all(s.met for s in scores)


def main() -> int:
    store = seed_store()
    met = True
    with tempfile.TemporaryDirectory() as folder:
        scores, _ = measure_seed(store, Path(folder) / "seed")
        met &= _print(f"seed: {SEED_TEXT.relative_to(PROJECT_ROOT)} against the curated data", scores)
        for expected, newsletter in newsletter_files():
            out = Path(folder) / newsletter.name
            scores, draft = measure_newsletter(store, newsletter, out, expected)
            title = f"{newsletter.relative_to(PROJECT_ROOT)} ({draft.newsletter.source_format}) against its answers"
            met &= _print(title, scores)
    print(f"all targets met: {'yes' if met else 'NO'}")
    store.close()
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
