"""A newsletter file as normalised text: plain text in any common encoding, Word ``.docx``, PDF with a text layer, HTML.

Every format becomes one string of lines (one paragraph a line), the text a draft's offsets refer to and that is
stored beside it as ``source.txt``, plus the lines the document itself marks as headings (Word heading styles or
paragraphs in bold, HTML ``<h1>``–``<h6>`` or ``<strong>`` paragraphs), which the layout reader may take as item
headings.

- Text: a byte order mark (UTF-8, UTF-16, UTF-32) decides; else strict UTF-8; else ``charset-normalizer`` guesses,
  and a guess in the GB family is read as GB18030 (its superset). Line ends become ``\\n``.
- ``.docx``: ``python-docx`` paragraphs and table rows in document order; soft line breaks stay line breaks.
- PDF: ``pypdf`` text, page by page in reading order; page numbers dropped; a line that runs to the right margin is
  joined to the next one, so a paragraph is a line again; a file with no text layer is refused (a scan).
- HTML: ``lxml.html``; block elements are lines; scripts, styles and navigation are left out.

In every format, CJK compatibility ideographs and Kangxi radicals (⾏ U+2F8F, 豈 U+F900), which PDF extraction
and some fonts produce, are replaced by their NFKC forms (行, 豈), one character at a time: other characters,
full-width punctuation included, stay as written.
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from reformkg.graph.ingest.errors import IngestError

#: What each format may be, in bytes, as a multiple of REFORMKG_MAX_INGEST_BYTES: Word and PDF files carry fonts and
#: pictures, HTML pages markup; the text drawn from any of them is held to the limit itself.
SIZE_FACTOR = {"text": 1, "html": 8, "docx": 64, "pdf": 64}
#: Ranges whose characters are compatibility forms of ordinary CJK characters.
COMPATIBILITY = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
#: A line of a PDF that is only a page number: "- 2 -", "2", "第2页", "第 2 页 共 4 页".
PAGE_NUMBER = re.compile(r"^(?:[-—–\s]*\d+[-—–\s]*|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
#: Lines that start something new and are never the tail of the line before: headings, owners, header fields.
STARTS_BLOCK = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|【|第[\d一二三四五六七八九十]+期|总第|"
    r"\d{4}年\d{1,2}月\d{1,2}日|供稿|来源|报送单位|本期|要目|目录|报[:：]|送[:：]|发[:：]|抄送)"
)
SENTENCE_CLOSE = re.compile(r"[。！？；：:!?)）】」』”]$")


@dataclass
class SourceText:
    """A newsletter's text as the draft keeps it, the lines its document marks as headings, and its format."""

    text: str
    format: str  # "text (UTF-8)", "text (GB18030)", "Word .docx", "PDF", "HTML"
    headings: frozenset[int] = field(default_factory=frozenset)  # 0-based line numbers


def sniff(data: bytes, name: str, *, head_only: bool = False) -> str:
    """The format of a file's bytes: text, html, docx or pdf (by its content first, then by its name).

    ``head_only``: ``data`` is the file's first bytes only, enough to choose its size limit; a zip is taken for a
    .docx until the whole file is read.
    """
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and head_only:
        return "docx"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            raise IngestError(f"{name}: a damaged zip archive, not a Word .docx") from None
        raise IngestError(f"{name}: a zip archive that is not a Word .docx; reformkg reads .txt, .docx, .pdf and .html")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IngestError(f"{name}: an old Word .doc (or other OLE) file; save it as .docx and try again")
    lowered = name.lower()
    head = data[:2048].lstrip().lower()
    if lowered.endswith((".html", ".htm", ".xhtml")) or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if lowered.endswith((".pdf", ".docx")):
        raise IngestError(f"{name}: named {lowered.rsplit('.', 1)[-1].upper()}, but its content is not one")
    return "text"


def normalise(text: str) -> str:
    """Line ends as ``\\n``, CJK compatibility and Kangxi-radical characters as their NFKC forms."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def read_source(data: bytes, name: str) -> SourceText:
    """The normalised text of a newsletter file's bytes, or IngestError naming the file and why not."""
    if not data.strip():
        raise IngestError(f"{name}: the file is empty")
    kind = sniff(data, name)
    if kind == "pdf":
        source = pdf_text(data, name)
    elif kind == "docx":
        source = docx_text(data, name)
    elif kind == "html":
        source = html_text(data, name)
    else:
        text, encoding = decode_text(data, name)
        source = SourceText(normalise(text), f"text ({encoding})")
    if not source.text.strip():
        raise IngestError(f"{name}: the {source.format} holds no text")
    return source


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Text bytes decoded and the encoding's name: by byte order mark, as UTF-8, or as charset-normalizer guesses."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).removeprefix("\ufeff"), encoding.removesuffix("-sig").upper()
            except UnicodeDecodeError as error:
                raise IngestError(
                    f"{name}: starts with a {encoding} byte order mark but is not {encoding}: {error.reason}"
                ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    refused = IngestError(
        f"{name}: not text in an encoding reformkg recognises (not UTF-8 at byte {utf8_error.start}: "
        f"{data[utf8_error.start : utf8_error.start + 1]!r}); save the newsletter as UTF-8 and try again"
    )
    if best is None or best.percent_chaos > 20:
        raise refused
    encoding = best.encoding.lower().replace("_", "")
    if encoding in GB_FAMILY:
        encoding = "gb18030"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text, encoding = str(best), best.encoding
    if "\x00" in text or not re.search(r"[\u4e00-\u9fff]", text):
        raise refused  # binary data, or a guess that reads Chinese as something else
    return text, encoding.upper()


def _check_unpacked_size(data: bytes, name: str, limit: int) -> None:
    """Refuse a .docx whose parts unpack to more than ``limit`` bytes (a zip bomb) before python-docx reads it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > limit:
            raise IngestError(f"{name}: the .docx unpacks to more than {limit:,} bytes; that is no newsletter")


def docx_text(data: bytes, name: str, *, unpacked_limit: int = 256 << 20) -> SourceText:
    """A Word document's paragraphs and table rows in order, one a line; headings by style or bold runs."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_unpacked_size(data, name, unpacked_limit)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise IngestError(f"{name}: not a readable Word .docx ({type(error).__name__})") from None
    except Exception as error:  # lxml raises its own kinds for a damaged document.xml
        raise IngestError(f"{name}: not a readable Word .docx ({type(error).__name__})") from None
    lines: list[str] = []
    headings: set[int] = set()
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = normalise(block.text).strip()
            if not text:
                continue
            if _is_heading(block, text):
                headings.add(len(lines))
            lines.extend(part.strip() for part in text.split("\n") if part.strip())
        elif isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(normalise(cell.text).strip() for cell in row.cells))
                row_text = " ".join(c.replace("\n", " ") for c in cells if c)
                if row_text:
                    lines.append(row_text)
    return SourceText("\n".join(lines) + "\n" if lines else "", "Word .docx", frozenset(headings))


def _is_heading(paragraph, text: str) -> bool:
    """A paragraph in a heading style, or short and in bold throughout."""
    style = (paragraph.style.name or "") if paragraph.style is not None else ""
    if style.lower().startswith(("heading", "title")) or style.startswith("标题"):
        return True
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and len(text) <= 60 and all(r.bold for r in runs)


def pdf_text(data: bytes, name: str) -> SourceText:
    """A PDF's text layer, page by page, with lines re-joined into paragraphs; refused when encrypted or a scan."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise IngestError(f"{name}: the PDF is encrypted; save an unprotected copy and try again")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise IngestError(f"{name}: the PDF is encrypted; save an unprotected copy and try again") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IngestError(f"{name}: not a readable PDF ({type(error).__name__})") from None
    if sum(len(p.strip()) for p in pages) < 10:
        raise IngestError(
            f"{name}: the PDF has no text layer ({len(pages)} pages of images, a scan?); run OCR on it or ask for "
            "the Word or text version"
        )
    lines: list[str] = []
    for page in pages:
        page_lines = [normalise(line).strip() for line in normalise(page).split("\n")]
        lines.extend(line for line in page_lines if line and not PAGE_NUMBER.match(line))
    return SourceText("\n".join(join_lines(lines)) + "\n", "PDF")


def width(text: str) -> float:
    """How wide a line is set, in CJK characters: a wide character counts 1, any other half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def join_lines(lines: list[str]) -> list[str]:
    """PDF lines as paragraphs: a line set to the full measure (within one character of the widest) continues on the
    next line, unless the next one starts a heading, an owners' line or a header field."""
    if not lines:
        return []
    measure = max(width(line) for line in lines)
    paragraphs = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        full = measure >= 12 and width(previous) >= measure - 1.5
        if (
            full
            and not STARTS_BLOCK.match(line)
            and not (SENTENCE_CLOSE.search(previous) and previous.endswith("）") and line.startswith("（"))
        ):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    return paragraphs


BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "main", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5",
    "h6", "table", "ul", "ol", "blockquote", "pre", "dd", "dt", "hr", "center",
}  # fmt: skip
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED_TAGS = {"script", "style", "nav", "noscript", "template", "head", "iframe", "object", "svg", "form"}


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _decode_html(data: bytes, name: str) -> str:
    """An HTML page's text: in the charset its <meta> names (the GB family read as GB18030), else as plain text."""
    declared = META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = declared.group(1).decode("ascii").lower()
        encoding = "gb18030" if encoding.replace("-", "") in GB_FAMILY else encoding
        try:
            return XML_DECLARATION.sub("", data.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: fall back to detection
    return XML_DECLARATION.sub("", decode_text(data, name)[0])


def html_text(data: bytes, name: str) -> SourceText:
    """An HTML page's text: each block element a line; headings from h1–h6 and paragraphs wholly in bold."""
    import lxml.etree
    import lxml.html

    text = _decode_html(data, name)
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as error:
        raise IngestError(f"{name}: not a readable HTML page ({error})") from None
    body = root.find("body")
    lines: list[str] = []
    headings: set[int] = set()
    current: list[str] = []
    bold_only, current_had_bold = [True], [False]

    def flush(heading: bool = False) -> None:
        text = re.sub(r"[ \t\u00a0]+", " ", normalise("".join(current))).strip()
        current.clear()
        if text:
            if heading or (bold_only[0] and len(text) <= 60 and current_had_bold[0]):
                headings.add(len(lines))
            lines.append(text)
        bold_only[0] = True
        current_had_bold[0] = False

    def walk(element, bold: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in SKIPPED_TAGS:
            if element.tail:
                _add(element.tail, bold)
            return
        is_bold = bold or tag in ("b", "strong")
        if tag in BLOCK_TAGS:
            flush()
        if element.text:
            _add(element.text, is_bold)
        for child in element:
            walk(child, is_bold)
        if tag in BLOCK_TAGS:
            flush(heading=tag in HEADING_TAGS)
        if element.tail:
            _add(element.tail, bold)

    def _add(text: str, bold: bool) -> None:
        if text.strip():
            if bold:
                current_had_bold[0] = True
            else:
                bold_only[0] = False
        current.append(text.replace("\n", " "))

    walk(body if body is not None else root, False)
    flush()
    return SourceText("\n".join(lines) + "\n" if lines else "", "HTML", frozenset(headings))
