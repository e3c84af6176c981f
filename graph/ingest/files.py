"""The ingest command's library side: read a newsletter file, draft it, and write the draft folder.

The folder holds ``draft.ttl`` (for review, then ``accept``), ``report.md`` and ``source.txt``: the newsletter's
normalised text (UTF-8), which every offset in the draft counts in, whatever the file's format.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

from reformkg.graph.ingest.draft import Draft, draft_newsletter
from reformkg.graph.ingest.errors import IngestError
from reformkg.graph.ingest.formats import SIZE_FACTOR, read_source, sniff
from reformkg.graph.ingest.known import KnownSeries, known_entities, known_series
from reformkg.graph.ingest.layout import Newsletter, parse_newsletter
from reformkg.graph.ingest.names import ISSUE_GRAPH_BASE, local_name, series_slug
from reformkg.graph.store import Store, StoreError, check_input_file

DRAFT_FILES = ("draft.ttl", "report.md", "source.txt")


def _size(n: int) -> str:
    """A byte count for people: 1.5 MB, 12 KB, 900 bytes."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n:,} bytes"


def read_newsletter(path: Path, *, max_bytes: int | None = None) -> Newsletter:
    """A newsletter file's parsed layout (text, .docx, PDF or HTML), or IngestError saying why not.

    The text drawn from the file may be at most ``max_bytes`` (default: the ``REFORMKG_MAX_INGEST_BYTES`` setting)
    in UTF-8; the file itself at most that for text, and a multiple of it for HTML, Word and PDF (``SIZE_FACTOR``),
    which carry markup, fonts and pictures. A text file over the limit is refused before it is read: drafting time
    grows with the text (about 15 s per MB), and a newsletter is tens of KB.
    """
    path = Path(path)
    try:
        size = check_input_file(path).st_size
    except StoreError as error:
        raise IngestError(str(error)) from None
    if max_bytes is None:
        from reformkg.graph.settings import Settings

        max_bytes = Settings().max_ingest_bytes
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise IngestError(f"{path}: {error.strerror or error}") from None
    factor = SIZE_FACTOR[sniff(head, str(path), head_only=True)] if head.strip() else 1
    _check_size(path, size, max_bytes * factor, "" if factor == 1 else f"{factor} times ")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: {error.strerror or error}") from None
    source = read_source(data, str(path))
    _check_size(path, len(source.text.encode("utf-8")), max_bytes, "", what="its text")
    return parse_newsletter(source, str(path))


def _check_size(path: Path, size: int, limit: int, times: str, what: str = "") -> None:
    """IngestError when ``size`` is over ``limit``, saying so in words people read."""
    if size <= limit:
        return
    shown, limit_shown = _size(size), _size(limit)
    if shown == limit_shown:
        shown, limit_shown = f"{size:,} bytes", f"{limit:,} bytes"
    subject = f"{path}: {what} " if what else f"{path}: "
    raise IngestError(
        f"{subject}{shown} is larger than {times}REFORMKG_MAX_INGEST_BYTES ({limit_shown}); "
        "a newsletter is rarely over 100 KB"
    )


def place_in_series(newsletter: Newsletter, series: list[KnownSeries]) -> Newsletter:
    """The newsletter with its series decided: the slug its name and editing body give (a new series is a series
    of its own, never Kunming's by default). A header without an editing body takes the publisher of the one
    series of that name the graph has, and says so; without such a series it stays without a publisher."""
    header = newsletter.header
    slug = series_slug(header.periodical, header.publisher)
    if header.publisher is None:
        same = [s for s in series if s.name == header.periodical and s.publisher_name]
        if len(same) == 1:
            slug = local_name(same[0].iri)
            header = dataclasses.replace(header, publisher=same[0].publisher_name)
            newsletter.notes.append(
                f"the header names no editing body: the publisher is that of the series {same[0].name} "
                f"<{same[0].iri}> in the graph, {same[0].publisher_name}"
            )
        else:
            newsletter.notes.append(
                "the header names no editing body and the graph has no series of this name with one: add "
                "schema:publisher to the issue before accepting"
            )
    newsletter.header = dataclasses.replace(header, series_slug=slug)
    return newsletter


def ingest(path: Path, out_dir: Path, store: Store | None = None, *, max_bytes: int | None = None) -> Draft:
    """Read a newsletter and write ``draft.ttl``, ``report.md`` and ``source.txt`` into ``out_dir``.

    Bad input (see ``read_newsletter``) raises IngestError before anything is written; the three files appear
    together or not at all.
    """
    path = Path(path)
    newsletter = place_in_series(read_newsletter(path, max_bytes=max_bytes), known_series(store))
    known = known_entities(store, exclude_graph=ISSUE_GRAPH_BASE + newsletter.header.slug)
    draft = draft_newsletter(newsletter, known, source_file=path.name)
    write_draft(draft, newsletter.text.encode("utf-8"), Path(out_dir))
    return draft


def write_draft(draft: Draft, data: bytes, out_dir: Path) -> None:
    """Write the draft's three files into ``out_dir``: staged beside it, then moved in, so all or none appear."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out_dir.parent))
    except OSError as error:
        raise IngestError(f"{out_dir}: cannot write there: {error.strerror or error}") from None
    try:
        (staging / "draft.ttl").write_text(draft.turtle, encoding="utf-8")
        (staging / "report.md").write_text(draft.report, encoding="utf-8")
        (staging / "source.txt").write_bytes(data)
        out_dir.mkdir(exist_ok=True)
        for name in DRAFT_FILES:
            (staging / name).replace(out_dir / name)
    except OSError as error:
        raise IngestError(f"{out_dir}: cannot write the draft: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
