"""The ingest command's library side: read a newsletter file, draft it, and write the draft folder.

The folder holds ``draft.ttl`` (for review, then ``accept``), ``report.md`` and ``source.txt`` (the bytes read).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from reformkg.graph.ingest.draft import Draft, draft_newsletter
from reformkg.graph.ingest.errors import IngestError
from reformkg.graph.ingest.known import known_entities
from reformkg.graph.ingest.layout import Newsletter, decode_newsletter, parse_newsletter
from reformkg.graph.ingest.names import issue_graph_iri
from reformkg.graph.store import Store, StoreError, check_input_file

DRAFT_FILES = ("draft.ttl", "report.md", "source.txt")


def _size(n: int) -> str:
    """A byte count for people: 1.5 MB, 12 KB, 900 bytes."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n:,} bytes"


def read_newsletter(path: Path, *, max_bytes: int | None = None) -> tuple[bytes, Newsletter]:
    """A newsletter file's bytes and its parsed layout, or IngestError saying why not.

    A file over ``max_bytes`` (default: the ``REFORMKG_MAX_INGEST_BYTES`` setting) is refused before it is read:
    drafting time grows with the text (about 15 s per MB), and a newsletter is tens of KB.
    """
    path = Path(path)
    try:
        size = check_input_file(path).st_size
    except StoreError as error:
        raise IngestError(str(error)) from None
    if max_bytes is None:
        from reformkg.graph.settings import Settings

        max_bytes = Settings().max_ingest_bytes
    if size > max_bytes:
        shown, limit = _size(size), _size(max_bytes)
        if shown == limit:
            shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        raise IngestError(
            f"{path}: {shown} is larger than REFORMKG_MAX_INGEST_BYTES ({limit}); a newsletter is rarely over 100 KB"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: {error.strerror or error}") from None
    text = decode_newsletter(data, str(path))
    return data, parse_newsletter(text, str(path))


def ingest(path: Path, out_dir: Path, store: Store | None = None, *, max_bytes: int | None = None) -> Draft:
    """Read a newsletter and write ``draft.ttl``, ``report.md`` and ``source.txt`` into ``out_dir``.

    Bad input (see ``read_newsletter``) raises IngestError before anything is written; the three files appear
    together or not at all.
    """
    path = Path(path)
    data, newsletter = read_newsletter(path, max_bytes=max_bytes)
    known = known_entities(store, exclude_graph=issue_graph_iri(newsletter.header.overall_number))
    draft = draft_newsletter(newsletter, known, source_file=path.name)
    write_draft(draft, data, Path(out_dir))
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
