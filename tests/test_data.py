"""The curated seed: every figure normalised by the shared rules, every fact traced to a sentence that says it."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, Namespace

from reformkg.graph.figures import find_figures, parse_figure

ROOT = Path(__file__).parent.parent
DATA = ROOT / "data/kunming-gaige-kuaibao-107"
SOURCE = ROOT / "data/sources/gaige-kuaibao-107.txt"
RKO = Namespace("https://w3id.org/reformkg/ontology#")
PROV = Namespace("http://www.w3.org/ns/prov#")
QB = Namespace("http://purl.org/linked-data/cube#")
OBS_VALUE = rdflib.URIRef("http://purl.org/linked-data/sdmx/2009/measure#obsValue")
UNIT = rdflib.URIRef("http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure")

#: Figures whose unit differs from what the unit word alone says, and why (the curators decided, from context).
UNIT_BY_CONTEXT = {
    "500—1500元": "yuanPerMonth",  # 每人每月500—1500元: a monthly allowance
    "200户以上": "count",  # 服务企业200户以上: 户 counts enterprises here, not households
}
#: Figures in the text deliberately recorded as no observation or count, and why.
NOT_RECORDED = {
    ("item-3-s27", "1家"): "每吸引1家: the basis of the 2万元 per-enterprise support, part of that indicator",
}
#: Figures written without a unit word that the normaliser can read.
NOT_A_UNIT_PATTERN = {"每户输出一人": Decimal(1)}


@pytest.fixture(scope="module")
def seed() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(DATA.glob("*.ttl")):
        graph.parse(path)
    return graph


def observations(graph):
    return list(graph.subjects(RDF.type, QB.Observation))


def test_every_observation_value_is_its_original_text_normalised(seed):
    wrong = []
    for obs in observations(seed):
        original = str(seed.value(obs, RKO.originalText))
        value = Decimal(str(seed.value(obs, OBS_VALUE)))
        unit = str(seed.value(obs, UNIT)).removeprefix(str(RKO))
        if original in NOT_A_UNIT_PATTERN:
            if value != NOT_A_UNIT_PATTERN[original]:
                wrong.append((obs, original, value))
            continue
        figure = parse_figure(original)
        if figure is None or figure.text != original:
            wrong.append((obs, original, "not a figure the normaliser reads whole"))
            continue
        upper = seed.value(obs, RKO.upperValue)
        expected_unit = UNIT_BY_CONTEXT.get(original, figure.unit)
        if (figure.value, expected_unit) != (value, unit):
            wrong.append((obs, original, value, unit, figure))
        if (figure.upper is None) != (upper is None) or (upper is not None and Decimal(str(upper)) != figure.upper):
            wrong.append((obs, original, "upper bound", upper))
    assert wrong == []


def test_every_observation_quotes_a_sentence_that_contains_it(seed):
    missing = []
    for obs in observations(seed):
        original = str(seed.value(obs, RKO.originalText))
        quotes = [str(seed.value(s, RKO.quote)) for s in seed.objects(obs, PROV.wasDerivedFrom)]
        if not any(original in quote for quote in quotes):
            missing.append((obs, original))
    assert missing == []
    assert len(observations(seed)) >= 150


def test_every_provenance_link_points_at_a_source_sentence(seed):
    sentences = set(seed.subjects(RDF.type, RKO.SourceSentence))
    dangling = [(s, o) for s, o in seed.subject_objects(PROV.wasDerivedFrom) if o not in sentences]
    assert dangling == []


def test_every_curated_resource_traces_to_a_sentence(seed):
    """Each subject the curators wrote, other than sentences themselves, carries provenance or a curation note."""
    kinds = [
        RKO.ReformInitiative,
        RKO.ReformPilot,
        RKO.Measure,
        RKO.Model,
        RKO.PolicyArea,
        RKO.NextStep,
        RKO.PolicyDocument,
        RKO.StatusRecord,
        RKO.DataQualityNote,
        QB.Observation,
        PROV.Association,
        RKO.QualitativeOutcome,
    ]
    untraced = [
        s for kind in kinds for s in seed.subjects(RDF.type, kind) if seed.value(s, PROV.wasDerivedFrom) is None
    ]
    assert untraced == []


def test_every_figure_in_the_items_is_in_the_graph(seed):
    """A reader can pick any figure in the newsletter and find it, with its sentence."""
    sentences = {str(seed.value(s, RKO.quote)): s for s in seed.subjects(RDF.type, RKO.SourceSentence)}
    recorded: dict[rdflib.term.Node, set[str]] = {}
    counts: dict[rdflib.term.Node, set[Decimal]] = {}
    for obs in observations(seed):
        for sentence in seed.objects(obs, PROV.wasDerivedFrom):
            recorded.setdefault(sentence, set()).add(str(seed.value(obs, RKO.originalText)))
    for measure, count in seed.subject_objects(RKO.measureCount):
        for sentence in seed.objects(measure, PROV.wasDerivedFrom):
            counts.setdefault(sentence, set()).add(Decimal(str(count)))
    missing = []
    for quote, sentence in sentences.items():
        if not re.search(r"item-\d", str(sentence)):
            continue
        for figure in find_figures(quote):
            if not re.match(r"\d", figure.text):
                continue  # 两年, 一人 …: spelled-out numbers are mostly names (七个一批); curated case by case
            where = str(sentence).rsplit("/", 1)[-1]
            if (where, figure.text) in NOT_RECORDED:
                continue
            as_observation = any(
                figure.text in original or original in figure.text for original in recorded.get(sentence, ())
            )
            as_count = figure.unit == "count" and figure.value in counts.get(sentence, ())
            if not (as_observation or as_count):
                missing.append((where, figure.text))
    assert missing == [], f"figures with no observation: {missing}"


PERIOD = rdflib.URIRef("http://purl.org/linked-data/sdmx/2009/dimension#refPeriod")


def test_every_period_is_in_the_cited_text_or_explained_by_a_curation_note(seed):
    """Audit finding 4: a period the curators work out (十二五 → 2011/2015, 今年 → 2017, an open 从…起) carries a
    rko:curationNote saying how; any other period's years are written in a sentence the observation cites."""
    unexplained = []
    for obs in observations(seed):
        period = seed.value(obs, PERIOD)
        if not isinstance(period, rdflib.Literal):
            continue  # rko:periodNotStated: no period to explain
        quotes = " ".join(str(seed.value(s, RKO.quote)) for s in seed.objects(obs, PROV.wasDerivedFrom))
        years_cited = all(year in quotes for year in re.findall(r"\d{4}", str(period)))
        open_ended = str(period).endswith("/..")
        if (not years_cited or open_ended) and seed.value(obs, RKO.curationNote) is None:
            unexplained.append((obs, str(period)))
    assert unexplained == []


def test_a_period_from_a_year_on_is_an_open_interval(seed):
    """从2016年起 is not the year 2016."""
    labels = {obs: str(label) for obs, label in seed.subject_objects(RKO.periodLabel)}
    wrong = [(o, str(seed.value(o, PERIOD))) for o, label in labels.items() if label.endswith("起")]
    assert wrong and all(period.endswith("/..") for _obs, period in wrong), wrong


#: Words whose English rendering the audit corrected, and what the translation must (and must not) say.
TRANSLATIONS = {
    "免责": ("liability", None),  # exempting the cadre from liability, not "exempting the error"
    "事前容错": ("investigat", "before the fact"),  # granted by the investigating body during the investigation
}


def test_translations_of_terms_the_audit_corrected(seed):
    """Audit finding 6: 事前容错 and 免责 were mistranslated."""
    wrong = []
    for subject, zh in seed.subject_objects(rdflib.RDFS.label):
        if zh.language != "zh":
            continue
        for term, (must, must_not) in TRANSLATIONS.items():
            if term not in str(zh):
                continue
            for en in (o for o in seed.objects(subject, rdflib.RDFS.label) if o.language == "en"):
                if must not in str(en) or (must_not and must_not in str(en)):
                    wrong.append((str(zh), str(en)))
    assert wrong == []


#: Places where the source names one thing two ways, or contradicts itself: each must have a data-quality note
#: citing the sentences and quoting both wordings (never fixed silently).
ODDITIES = [
    (("item-1-s13", "三年行动方案"), ("item-1-s14", "三年行动计划")),
]


@pytest.mark.parametrize("oddity", ODDITIES)
def test_each_known_oddity_of_the_source_is_flagged(seed, oddity):
    """Audit finding 8: s13 says 三年行动方案, s14 三年行动计划, and nothing said so."""
    sentences = {str(s).rsplit("/", 1)[-1]: s for s in seed.subjects(RDF.type, RKO.SourceSentence)}
    for where, words in oddity:
        assert words in str(seed.value(sentences[where], RKO.quote))
    flagged = [
        note
        for note in seed.subjects(RDF.type, RKO.DataQualityNote)
        if {sentences[where] for where, _ in oddity} <= set(seed.objects(note, PROV.wasDerivedFrom))
        and all(any(words in str(c) for c in seed.objects(note, rdflib.RDFS.comment)) for _where, words in oddity)
        and set(seed.objects(note, RKO.about))
    ]
    assert flagged


def test_no_name_reads_like_a_month_other_than_the_issues(seed):
    """Audit finding 7: the data sets, folder and source file were named "2017-06" for issue no. 6 of 2017, dated
    2017-08-01; they are named by the issue's overall number (107), which cannot be read as a date."""
    datasets = [str(ds) for ds in seed.subjects(RDF.type, QB.DataSet)]
    names = [*datasets, DATA.name, SOURCE.name]
    assert datasets and all(not re.search(r"(19|20)\d\d-\d\d", name) for name in names), names
    assert all(name.endswith("-107") for name in datasets) and "107" in DATA.name and "107" in SOURCE.name


def test_every_sentence_of_the_issue_is_cited_by_a_fact_or_marked_as_structure(seed):
    """Audit finding 2 (19 of item 1's 134 sentences cited by nothing): each sentence of the curated issue is the
    source of at least one fact, or is marked on purpose as structure (a heading, a list lead-in)."""
    cited = set(seed.objects(None, PROV.wasDerivedFrom))
    structure = set(seed.subjects(RKO.structureRole, None))
    sentences = set(seed.subjects(RDF.type, RKO.SourceSentence))
    assert len(sentences) > 100
    uncovered = sorted(str(s).rsplit("/", 1)[-1] for s in sentences - cited - structure)
    assert uncovered == []


def test_a_sentence_marked_as_structure_hides_no_figure_and_cites_no_fact(seed):
    """Marking a sentence as structure must not hide a fact: it holds no figure, and no fact cites it."""
    cited = set(seed.objects(None, PROV.wasDerivedFrom))
    marked = set(seed.subjects(RKO.structureRole, None))
    assert marked
    for sentence in marked:
        quote = str(seed.value(sentence, RKO.quote))
        assert [f.text for f in find_figures(quote) if re.match(r"\d", f.text)] == [], quote
        assert sentence not in cited, sentence


def _bare(text: str) -> str:
    """Text without the punctuation a label may drop (quotes, commas, enumeration commas, spaces)."""
    return re.sub(r"[“”\"‘’,，、\s]", "", text)


def test_a_measure_label_is_the_sources_words_or_marked_as_the_curators(seed):
    """Audit finding 5: 33 Chinese measure labels were the curators' paraphrases while the data said @zh labels are
    the source's words. Each @zh label is found in a sentence the measure cites, or carries rko:labelByCurators."""
    unmarked = []
    for measure in set(seed.subjects(RDF.type, RKO.Measure)) | {
        m for kind in (RKO.Model, RKO.PolicyArea, RKO.NextStep) for m in seed.subjects(RDF.type, kind)
    }:
        quotes = _bare(" ".join(str(seed.value(s, RKO.quote)) for s in seed.objects(measure, PROV.wasDerivedFrom)))
        labels = [str(zh) for zh in seed.objects(measure, rdflib.RDFS.label) if zh.language == "zh"]
        in_source = any(_bare(label) in quotes for label in labels)
        marked = seed.value(measure, RKO.labelByCurators) == rdflib.Literal(True)
        if not in_source and not marked:
            unmarked.append((str(measure).rsplit("/", 1)[-1], labels))
        if in_source and marked:
            unmarked.append((str(measure).rsplit("/", 1)[-1], "marked but in the source"))
    assert unmarked == []
