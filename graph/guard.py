"""What a public SPARQL endpoint checks before an engine sees a query or an update.

A linear-time scanner reads the text as SPARQL tokens (IRIs, strings, comments, prefixed names, variables, keywords,
punctuation) and answers four questions without running anything:

- which form it is (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update);
- whether it would make the engine reach the network: ``SERVICE`` in a query or an update, and ``LOAD``. Only
  keywords count: the word inside an IRI, a string, a comment, a prefixed name or a variable is not one. Unicode
  escapes (``\\u0053ERVICE``) are read as the engine reads them. Each target must be on the allow-list
  (``REFORMKG_SERVICE_ALLOW``: host names or IRI prefixes), else the request is refused; a target held in a variable
  is always refused;
- how deeply brackets nest and how many operators it has, since an engine parses and evaluates recursively and a
  short text (5,000 nested braces, a 1,000-step property path) can exhaust its stack and end the process;
- how long it is.

A query whose text has none of the words and characters that only the tokens can settle (no "service", "load",
"define", "bif:", "sql:" or "openlinksw" in any case, no quote, no backslash) is read without tokens: its form is the
word after its prologue, and counting its brackets and characters bounds its depth and operators. Such a text holds
nothing the guard refuses however it is read, so the quick read gives the whole scan's verdict at a tenth of its cost.

Refusals are ``RefusedRequest`` errors with one-line messages that name the setting involved.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reformkg.graph.errors import QuerySyntaxError, RefusedRequest

#: One SPARQL token at a position. Every alternative is linear: no nested quantifier can backtrack over the input.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<var>[?$]\w+)
  | (?P<bnode>_:[\w.-]*)
  | (?P<pname>(?:[^\W\d_][\w.-]*)?:(?:(?:[\w.:%-]|\\.)*(?:[\w:%-]|\\.))?)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[\s\S])
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPENERS = frozenset("{([")
_CLOSERS = frozenset("})]")
#: Punctuation that separates data rather than building nested structure: not counted as operators.
_SEPARATORS = {".", ",", ";"}
_QUERY_FORMS = {"select", "ask", "construct", "describe"}
#: Engine extensions that reach past the data, refused whatever the backend (none is SPARQL 1.1): Virtuoso's SQL
#: built-ins (``bif:http_get`` makes it fetch a URL, ``bif:file_to_string`` read a file) and SQL procedures, by
#: prefixed name or full IRI.
_EXTENSION_IRIS = (
    "bif:",
    "sql:",
    "http://www.openlinksw.com/schemas/bif#",
    "http://www.openlinksw.com/schemas/sql#",
)


@dataclass(frozen=True)
class Limits:
    """The bounds a request must keep; each is a setting (see ``graph/settings.py``)."""

    max_chars: int = 100_000
    max_depth: int = 64
    max_operators: int = 5_000
    service_allow: tuple[str, ...] = ()
    max_load_bytes: int = 1_000_000


@dataclass
class Scan:
    """What the scanner read: the form, the network targets and the sizes."""

    form: str | None = None  # select, ask, construct, describe, or None for an update
    services: list[str | None] = field(default_factory=list)  # SERVICE targets (None: a variable)
    loads: list[str | None] = field(default_factory=list)  # LOAD sources
    depth: int = 0
    operators: int = 0
    keywords: set[str] | None = field(default_factory=set)  # every keyword used, upper case (None: not read)
    extensions: list[str] = field(default_factory=list)  # engine extensions: DEFINE pragmas, bif:/sql: functions


def unescape_codepoints(text: str) -> str:
    """Replace ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes, as SPARQL engines do before parsing."""
    if "\\u" not in text and "\\U" not in text:
        return text

    def char(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _ESCAPE.sub(char, text)


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _tokens(text: str):
    """Yield (kind, value, position) for every token but white space and comments. Every position starts a token
    (the last alternative takes any one character), so the matches cover the text end to end."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws" or kind == "comment":
            continue
        value = m.group()
        if kind == "punct" and (value == '"' or value == "'"):
            raise QuerySyntaxError(f"line {_line_of(text, m.start())}: a string is not closed")
        yield kind, value, m.start()


def _resolve(value: str, kind: str, prefixes: dict[str, str]) -> str | None:
    """The IRI a SERVICE or LOAD target names: an IRI, a prefixed name, or None (a variable or unknown)."""
    if kind == "iri":
        return value[1:-1]
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local.replace("\\", "")
    return None


def _scan_text(text: str) -> Scan:
    # One pass over the tokens; the kinds are tested most frequent first (this runs on every request).
    scan = Scan()
    prefixes: dict[str, str] = {}
    depth = max_depth = operators = 0
    keywords = scan.keywords
    extensions = scan.extensions
    before_last: tuple[str, str] | None = None  # the last two tokens, to read PREFIX declarations
    last: tuple[str, str] | None = None
    pending: str | None = None  # "service" or "load" while its target is still to come
    first_keyword = True
    for kind, value, _position in _tokens(text):
        if kind == "punct":
            if value in _OPENERS:
                depth += 1
                if depth > max_depth:
                    max_depth = depth
            elif value in _CLOSERS and depth:
                depth -= 1
            if value not in _SEPARATORS:
                operators += 1
            upper = value
        elif kind == "word":
            upper = value.upper()
            if upper == "DEFINE":
                extensions.append("DEFINE")
            keywords.add(upper)
            if first_keyword and upper not in ("PREFIX", "BASE"):
                first_keyword = False
                if upper.lower() in _QUERY_FORMS:
                    scan.form = upper.lower()
            if upper == "SERVICE" or upper == "LOAD":
                pending = upper.lower()
                operators += 1
                continue
            if upper == "SILENT" and pending:
                continue
            operators += 1
        else:
            upper = value
            if kind == "iri" or kind == "pname":
                name = value[1:-1] if kind == "iri" else (_resolve(value, kind, prefixes) or value)
                if name.lower().startswith(_EXTENSION_IRIS) or value.lower().startswith(("bif:", "sql:")):
                    extensions.append(value)
        if pending:
            target = _resolve(value, kind, prefixes) if kind in ("iri", "pname") else None
            (scan.services if pending == "service" else scan.loads).append(target)
            pending = None
        if kind == "iri" and before_last == ("word", "PREFIX") and last is not None and last[0] == "pname":
            prefixes[last[1].rstrip(":")] = value[1:-1]
        before_last, last = last, (kind, upper)
    if pending:  # SERVICE or LOAD with nothing after it: the engine will not parse it, but say what it was
        (scan.services if pending == "service" else scan.loads).append(None)
    scan.depth, scan.operators = max_depth, operators
    return scan


def _allowed(target: str | None, allow: tuple[str, ...]) -> bool:
    if target is None:
        return False
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    for entry in allow:
        if "://" in entry:
            if target.startswith(entry):
                return True
        elif parts.hostname == entry.lower():
            return True
    return False


def _scan(text: str) -> Scan:
    """The scan of a text as written and, where it has ``\\u`` escapes, as the engine reads it, merged."""
    scan = _scan_text(text)
    unescaped = unescape_codepoints(text)
    if unescaped is not text:
        second = _scan_text(unescaped)
        scan.services += second.services
        scan.loads += second.loads
        scan.depth = max(scan.depth, second.depth)
        scan.operators = max(scan.operators, second.operators)
        scan.form = scan.form or second.form
        scan.keywords |= second.keywords
        scan.extensions += second.extensions
    return scan


#: Scans of texts up to this long are remembered (``SCAN_CACHE_SIZE`` of them, the least recently used dropped): a
#: scan depends on the text alone, and the same short texts come again and again from pages and dashboards.
SCAN_CACHE_CHARS = 4_000
SCAN_CACHE_SIZE = 1024
_scan_short = functools.lru_cache(maxsize=SCAN_CACHE_SIZE)(_scan)


#: Texts holding any of these (in any case) are read token by token: each may be, or be part of, something the
#: guard refuses (SERVICE, LOAD, DEFINE, a ``bif:`` or ``sql:`` function, a Virtuoso extension IRI), or something
#: the tokens must decide (a quote opens a string that may not be closed; a backslash may start an escape).
_WHOLE_SCAN_MARKS = ("service", "load", "define", "bif:", "sql:", "openlinksw", '"', "'", "\\")
#: The prologue (white space, comments, PREFIX and BASE declarations) and the query form after it, read as the
#: tokens would read them; the form must be followed by a character that ends a keyword token. Every repetition is
#: possessive, as tokens are: nothing is tried again, so the match is linear in the text.
_PROLOGUE_AND_FORM = re.compile(
    r"""(?:\s++|\#[^\n\r]*+|(?:PREFIX\s++(?:[^\W\d_][\w.-]*+)?:|BASE)\s*+<[^<>"{}|^`\\\x00-\x20]*+>)*+
        (SELECT|ASK|CONSTRUCT|DESCRIBE)(?=[\s{*(?$])""",
    re.IGNORECASE | re.VERBOSE,
)


def _quick_scan(text: str) -> Scan | None:
    """The scan of a query that needs no tokens, or None. A text with none of ``_WHOLE_SCAN_MARKS`` holds no SERVICE,
    LOAD or extension however it is read, nor a string or an escape; its form is the word after its prologue. Its
    depth and operators are upper bounds (every opening bracket; every character that is not white space), which
    ``check`` uses only to admit: a text past either bound is scanned whole. Its keywords are not read (None). A text
    the quick scan reads gets the verdict the whole scan would give (a test compares them)."""
    lower = text.lower()
    for mark in _WHOLE_SCAN_MARKS:
        if mark in lower:
            return None
    form = _PROLOGUE_AND_FORM.match(text)
    if form is None:
        return None
    return Scan(
        form=form.group(1).lower(),
        depth=text.count("{") + text.count("(") + text.count("["),
        operators=len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r"),
        keywords=None,
    )


def check(text: str, limits: Limits, *, update: bool = False) -> Scan:
    """Scan a query or update and refuse it (RefusedRequest) if it breaks a limit or reaches the network. The scan
    returned may be shared with other callers of the same text: read it, do not change it.

    A query that needs no tokens (``_quick_scan``), such as a new point lookup with its PREFIX lines, is admitted at
    about a tenth of the cost of reading its tokens."""
    if not update and len(text) > limits.max_chars:
        raise RefusedRequest(
            f"the query is {len(text):,} characters long; this server takes at most {limits.max_chars:,} "
            "(REFORMKG_QUERY_MAX_CHARS)"
        )
    if not update:
        quick = _quick_scan(text)
        if quick is not None and quick.depth <= limits.max_depth and quick.operators <= limits.max_operators:
            return quick
    scan = _scan_short(text) if len(text) <= SCAN_CACHE_CHARS else _scan(text)
    if scan.depth > limits.max_depth:
        raise RefusedRequest(
            f"brackets nest {scan.depth} deep; this server takes at most {limits.max_depth} (REFORMKG_QUERY_MAX_DEPTH)"
        )
    if scan.operators > limits.max_operators:
        raise RefusedRequest(
            f"the text has {scan.operators:,} operators and keywords; this server takes at most "
            f"{limits.max_operators:,} (REFORMKG_QUERY_MAX_OPERATORS)"
        )
    if scan.extensions:
        raise RefusedRequest(
            f"{scan.extensions[0]} is refused: engine extensions (Virtuoso's DEFINE pragmas, bif: and sql: "
            "functions) can reach other hosts and files, and are not SPARQL 1.1"
        )
    for keyword, targets in (("SERVICE", scan.services), ("LOAD", scan.loads)):
        for target in targets:
            if not _allowed(target, limits.service_allow):
                what = f"<{target}>" if target else "(its target a variable or an unknown prefix)"
                raise RefusedRequest(
                    f"{keyword} {what} is refused: this server does not reach other hosts unless "
                    "REFORMKG_SERVICE_ALLOW lists them"
                )
    return scan


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: The words an update made only of ``INSERT DATA`` and ``DELETE DATA`` operations may hold.
_DATA_UPDATE_WORDS = frozenset({"PREFIX", "INSERT", "DELETE", "DATA", "GRAPH", "A", "TRUE", "FALSE"})


def _named(text: str) -> tuple[list[tuple[str, str, int]], dict[str, str], set[str]] | None:
    """An update's tokens, its prefixes and every IRI it names (resolved; a PREFIX declaration names none). None when
    the text has ``\\u`` escapes (the engine reads them only inside IRIs and strings, the scanner everywhere: the two
    readings may differ), does not scan, or names a relative IRI (what it names depends on a base) or an unknown
    prefix (the update does not parse)."""
    if unescape_codepoints(text) is not text:
        return None
    try:
        tokens = list(_tokens(text))
    except QuerySyntaxError:
        return None
    prefixes: dict[str, str] = {}
    names: set[str] = set()
    last: tuple[str, str] | None = None
    before_last: tuple[str, str] | None = None
    for kind, value, _position in tokens:
        if kind == "word":
            value = value.upper()
        elif kind == "iri" and before_last == ("word", "PREFIX") and last is not None and last[0] == "pname":
            prefixes[last[1].rstrip(":")] = value[1:-1]
        elif kind == "iri" or (kind == "pname" and last != ("word", "PREFIX")):
            name = _resolve(value, kind, prefixes)
            if name is None or not _ABSOLUTE.match(name):
                return None
            names.add(name)
        before_last, last = last, (kind, value)
    return tokens, prefixes, names


def touched_iris(text: str) -> frozenset[str] | None:
    """The IRIs an update names, when it is made only of ``INSERT DATA`` and ``DELETE DATA`` operations: every quad it
    adds or removes has its subject, predicate, object and graph among them (a blank node is none of them). None for
    any other update (a ``WHERE`` binds IRIs the text does not name; graph operations, ``LOAD``, ``BASE``), or one the
    scanner cannot read (``_named``)."""
    read = _named(text)
    if read is None:
        return None
    tokens, _prefixes, names = read
    words = [value.upper() for kind, value, _ in tokens if kind == "word"]
    if not set(words) <= _DATA_UPDATE_WORDS:
        return None
    for index, word in enumerate(words):  # every INSERT and DELETE is followed by DATA
        if word in ("INSERT", "DELETE") and (index + 1 >= len(words) or words[index + 1] != "DATA"):
            return None
    return frozenset(names)


#: Functions whose value differs between two runs of the same text on the same data: a query run before an update
#: would not bind what the update binds. SERVICE: what another endpoint answers may change between the two.
_UNREPEATABLE_WORDS = frozenset({"UUID", "STRUUID", "RAND", "NOW", "BNODE", "SERVICE"})
#: What may choose rows or order in a way two runs need not repeat: LIMIT or OFFSET without an order, SAMPLE, the
#: order of GROUP_CONCAT.
_UNORDERED_WORDS = frozenset({"LIMIT", "OFFSET", "SAMPLE", "GROUP_CONCAT"})
_DATA_OPERATION = re.compile(r"\b(?:INSERT|DELETE)\s+DATA\b", re.IGNORECASE)


@dataclass(frozen=True)
class WhereRead:
    """How to learn, before an update of one ``DELETE``/``INSERT … WHERE`` operation runs, which IRIs it may touch:
    every quad it adds or removes is one of its templates filled in by a solution of its ``WHERE``, evaluated on the
    store as it is before it. ``select`` is that ``WHERE`` as a query (``SELECT *``, the prologue kept, ``USING`` as
    ``FROM``), to run on ``default_graph`` when the update says ``WITH`` (and no ``USING``), else on the store's
    default graph (as the update does, not the union). The IRIs it may touch are among those the solutions bind and
    those the text names (``named``)."""

    select: str
    default_graph: str | None
    named: frozenset[str]


@dataclass(frozen=True)
class GraphRead:
    """An update of one graph operation (``CLEAR``, ``DROP``, ``ADD``, ``MOVE``, ``COPY`` of named graphs or the
    default graph, or ``CREATE``): the quads it adds or removes are in ``graphs`` (None: the default graph), as they
    are before it runs."""

    graphs: tuple[str | None, ...]
    named: frozenset[str]


def update_reads(text: str) -> WhereRead | GraphRead | None:
    """What to read before an update runs to know which IRIs it touches, for the updates ``touched_iris`` cannot
    answer from their text: one operation (a trailing ``;`` allowed) that is ``DELETE WHERE``, ``DELETE``/``INSERT``
    with a ``WHERE`` (``WITH``, ``USING``), or a graph operation on named graphs or the default graph. None for
    anything else: several operations (the second would bind on the first's result), ``LOAD``, ``CLEAR ALL`` and the
    like, a ``BASE``, a relative IRI, an unknown prefix, and functions that give another value each run (``NOW``,
    ``RAND``, ``UUID``…) or ``SERVICE``."""
    if _DATA_OPERATION.search(text):  # (not one operation with a WHERE; a data update says what it touches itself)
        return None
    read = _named(text)
    if read is None:
        return None
    tokens, prefixes, names = read
    refused = _UNREPEATABLE_WORDS | _UNORDERED_WORDS | {"BASE", "LOAD"}
    if any(kind == "word" and value.upper() in refused for kind, value, _ in tokens):
        return None
    i = 0
    while i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() == "PREFIX":
        i += 3
    prologue = text[: tokens[i][2]] if i < len(tokens) else text

    def word(at: int) -> str:
        return tokens[at][1].upper() if at < len(tokens) and tokens[at][0] == "word" else ""

    def iri(at: int) -> str | None:
        return _resolve(tokens[at][1], tokens[at][0], prefixes) if at < len(tokens) else None

    def group(at: int) -> int | None:
        """The index just past the ``{ … }`` that opens at ``at``."""
        if at >= len(tokens) or tokens[at][:2] != ("punct", "{"):
            return None
        depth = 0
        for end in range(at, len(tokens)):
            if tokens[end][0] == "punct":
                depth += {"{": 1, "}": -1}.get(tokens[end][1], 0)
                if depth == 0:
                    return end + 1
        return None

    def ends(at: int) -> bool:  # the operation is the last one
        return at == len(tokens) or (at + 1 == len(tokens) and tokens[at][1] == ";")

    def text_of(start: int, end: int) -> str:
        return text[tokens[start][2] : tokens[end - 1][2] + len(tokens[end - 1][1])]

    named = frozenset(names)
    first = word(i)
    if first in ("CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"):
        i += 1 + (word(i + 1) == "SILENT")
        graphs: list[str | None] = []
        for _ in range(2 if first in ("ADD", "MOVE", "COPY") else 1):
            if word(i) == "DEFAULT" and first != "CREATE":
                graphs.append(None)
                i += 1
            else:
                i += word(i) == "GRAPH"
                if (graph := iri(i)) is None:
                    return None
                graphs.append(graph)
                i += 1
            if len(graphs) == 1 and first in ("ADD", "MOVE", "COPY"):
                if word(i) != "TO":
                    return None
                i += 1
        if not ends(i):
            return None
        return GraphRead(() if first == "CREATE" else tuple(graphs), named)
    default_graph = None
    if first == "WITH":
        default_graph = iri(i + 1)
        if default_graph is None:
            return None
        i += 2
    if word(i) == "DELETE" and word(i + 1) == "WHERE" and default_graph is None:
        end = group(i + 2)
        if end is None or not ends(end):
            return None
        return WhereRead(f"{prologue}SELECT * WHERE {text_of(i + 2, end)}", None, named)
    templates = 0
    for keyword in ("DELETE", "INSERT"):
        if word(i) == keyword:
            end = group(i + 1)
            if end is None:
                return None
            i, templates = end, templates + 1
    if not templates:
        return None
    using = []
    while word(i) == "USING":
        graph_named = word(i + 1) == "NAMED"
        graph = iri(i + 1 + graph_named)
        if graph is None:
            return None
        using.append(f"FROM {'NAMED ' if graph_named else ''}<{graph}>")
        i += 2 + graph_named
    if word(i) != "WHERE":
        return None
    end = group(i + 1)
    if end is None or not ends(end):
        return None
    dataset = " ".join(using)
    select = f"{prologue}SELECT * {dataset} WHERE {text_of(i + 1, end)}"
    return WhereRead(select, None if using else default_graph, named)


@dataclass(frozen=True)
class LoadOperation:
    """``LOAD [SILENT] <source> [INTO GRAPH <graph>]``."""

    source: str
    graph: str | None
    silent: bool


def load_operations(text: str) -> list[LoadOperation] | None:
    """The LOAD operations an update consists of, or None when it holds anything else (or an unresolvable name)."""
    prefixes: dict[str, str] = {}
    operations: list[LoadOperation] = []
    tokens = list(_tokens(unescape_codepoints(text)))
    i = 0

    def iri_at(index: int) -> str | None:
        if index < len(tokens) and tokens[index][0] in ("iri", "pname"):
            return _resolve(tokens[index][1], tokens[index][0], prefixes)
        return None

    def word_at(index: int) -> str:
        return tokens[index][1].upper() if index < len(tokens) and tokens[index][0] == "word" else ""

    while i < len(tokens):
        word = word_at(i)
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1][0] == "pname" and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
            i += 3
        elif word == "LOAD":
            silent = word_at(i + 1) == "SILENT"
            i += 2 if silent else 1
            source = iri_at(i)
            if source is None:
                return None
            i += 1
            graph = None
            if word_at(i) == "INTO":
                if word_at(i + 1) != "GRAPH" or (graph := iri_at(i + 2)) is None:
                    return None
                i += 3
            operations.append(LoadOperation(source, graph, silent))
            if i < len(tokens) and tokens[i][1] == ";":
                i += 1
        else:
            return None
    return operations


def query_form(text: str) -> str | None:
    """The form of a query (``select``, ``ask``, ``construct``, ``describe``), or None for an update or a text with
    no form keyword, read as the scanner reads it, without limits. A remote store asks for the answer's media type
    by it."""
    try:
        return _scan_text(text).form or _scan_text(unescape_codepoints(text)).form
    except QuerySyntaxError:
        return None
