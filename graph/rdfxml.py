"""Refuse RDF/XML whose DOCTYPE could expand into far more text than the file holds ("billion laughs").

Oxigraph's RDF/XML parser expands the general entities an internal DTD subset declares, including entities that
refer to other entities, so ten nested declarations in a 1 KB file make a 1,000,000,000-character literal. It also
reads a DOCTYPE wherever it appears (not only before the root element), splits it on ``<`` without regard to comments,
and treats ``<!ENTITY % …>`` like a general entity. So ``check_rdfxml`` scans the whole input, not only the prolog:

- every ``<!ENTITY`` anywhere must be a plain general entity: a quoted value of at most ``MAX_ENTITY_CHARS``
  characters that refers to no other entity (character references and the five predefined entities are fine, unless
  they make ``&``, ``%`` or ``<``); parameter entities (``<!ENTITY %``) and external ones (``SYSTEM``, ``PUBLIC``)
  are refused;
- every ``<!DOCTYPE`` must have no external subset (``SYSTEM`` or ``PUBLIC``);
- the references to those entities in the document may together add at most ``MAX_EXPANSION_RATIO`` times the
  input's size (plus 1 MiB), which stops the "quadratic blow-up" variant: one 4 KB entity referred to 100,000 times.

OWL files that declare namespaces as entities (``<!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">``) pass.

The scan is linear: byte searches (``find``), regular expressions without nested quantifiers and with bounded
repeats, and each declaration is read at most ``MAX_ENTITY_CHARS`` bytes past its start. A path is mapped, not read.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

from reformkg.graph.errors import InputError

MAX_ENTITY_CHARS = 4096
MAX_EXPANSION_RATIO = 10
_EXPANSION_FLOOR = 1 << 20
_MAX_NAME = 256

_WHITESPACE = b" \t\r\n\x0c"
_SPACE = re.compile(rb"[ \t\r\n\x0c]*")
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_REFERENCE = re.compile(rb"&([^\s&;<>\"'#%]{1,256});")
_CHAR_REFERENCE = re.compile(r"#(?:x([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
_PREDEFINED = ("amp;", "lt;", "gt;", "quot;", "apos;")
_UNSAFE_CHARACTERS = {ord("&"), ord("%"), ord("<")}


class UnsafeXmlError(InputError):
    """RDF/XML that reformkg will not parse, located as ``name:line: message``."""

    def __init__(self, name: str, line: int | None, message: str):
        self.name, self.line, self.message = name, line, message
        super().__init__(f"{name}:{line}: {message}" if line else f"{name}: {message}")


class _Scanner:
    def __init__(self, data, name: str):
        self.data, self.name = data, name

    def fail(self, pos: int, message: str) -> UnsafeXmlError:
        return UnsafeXmlError(self.name, self.data[:pos].count(b"\n") + 1, message)

    def skip_space(self, i: int) -> int:
        return _SPACE.match(self.data, i).end()

    def word(self, i: int, stops: bytes = b"") -> tuple[str, int]:
        """A run of non-space bytes from ``i`` (longer than _MAX_NAME only by one), and where it ends."""
        n, start = len(self.data), i
        while i < n and self.data[i] not in _WHITESPACE and self.data[i] not in stops and i - start <= _MAX_NAME:
            i += 1
        return bytes(self.data[start:i]).decode("utf-8", "replace"), i

    def starts_external_id(self, i: int) -> bool:
        return bytes(self.data[i : i + 6]).upper() in (b"SYSTEM", b"PUBLIC")


def _check_value(scan: _Scanner, pos: int, name: str, value: str) -> None:
    if len(value) > MAX_ENTITY_CHARS:
        raise scan.fail(
            pos, f"entity {name!r} is {len(value):,} characters long; reformkg allows at most {MAX_ENTITY_CHARS:,}"
        )
    if "%" in value:
        raise scan.fail(pos, f"entity {name!r} refers to parameter entities; reformkg refuses them")
    if "<" in value:
        raise scan.fail(pos, f"entity {name!r} holds markup ('<'); reformkg takes only plain text entities")
    at = value.find("&")
    while at != -1:
        rest = value[at + 1 : at + 24]
        char = _CHAR_REFERENCE.match(rest)
        if char is not None:
            code = int(char.group(1), 16) if char.group(1) else int(char.group(2))
            if code in _UNSAFE_CHARACTERS:
                raise scan.fail(
                    pos, f"entity {name!r} makes '{chr(code)}' by a character reference; reformkg refuses it"
                )
        elif not rest.startswith(_PREDEFINED):
            raise scan.fail(
                pos,
                f"entity {name!r} refers to other entities; reformkg refuses nested XML entities "
                "(entity expansion attack)",
            )
        at = value.find("&", at + 1)


def _entity(scan: _Scanner, pos: int) -> tuple[str, str] | None:
    """The (name, value) of the declaration at ``pos``; None when it is malformed (the parser then refuses it)."""
    data = scan.data
    i = scan.skip_space(pos + len(b"<!ENTITY"))
    if data[i : i + 1] == b"%":
        raise scan.fail(pos, "a parameter entity (<!ENTITY %); reformkg refuses parameter entities")
    name, i = scan.word(i)
    if len(name) > _MAX_NAME:
        raise scan.fail(pos, f"an entity name longer than {_MAX_NAME} characters")
    i = scan.skip_space(i)
    if scan.starts_external_id(i):
        raise scan.fail(pos, f"entity {name!r} is external (SYSTEM or PUBLIC); reformkg refuses external entities")
    quote = data[i : i + 1]
    if quote not in (b'"', b"'"):
        return None
    end = data.find(quote, i + 1, i + 1 + 4 * MAX_ENTITY_CHARS + 1)
    if end == -1:
        if len(data) - i - 1 > 4 * MAX_ENTITY_CHARS:
            raise scan.fail(pos, f"entity {name!r} is longer than {MAX_ENTITY_CHARS:,} characters")
        return None
    return name, bytes(data[i + 1 : end]).decode("utf-8", "replace")


def _check_data(data, name: str) -> None:
    scan = _Scanner(data, name)
    # DOCTYPEs first (their line numbers come before the entities they hold), then every entity declaration.
    for match in _DOCTYPE.finditer(data):
        i = scan.skip_space(match.end())
        _root, i = scan.word(i, stops=b"[>")
        if scan.starts_external_id(scan.skip_space(i)):
            raise scan.fail(
                match.start(), "the DOCTYPE names an external DTD (SYSTEM or PUBLIC); reformkg refuses external DTDs"
            )
    entities: dict[str, int] = {}
    for match in _ENTITY.finditer(data):
        found = _entity(scan, match.start())
        if found is None:
            continue
        entity, value = found
        _check_value(scan, match.start(), entity, value)
        entities[entity] = max(entities.get(entity, 0), len(value))
    if not entities:
        return
    added = 0
    limit = MAX_EXPANSION_RATIO * len(data) + _EXPANSION_FLOOR
    for match in _REFERENCE.finditer(data):
        size = entities.get(match.group(1).decode("utf-8", "replace"))
        if size:
            added += size
            if added > limit:
                raise scan.fail(
                    match.start(),
                    f"entity references expand to more than {limit:,} characters, {MAX_EXPANSION_RATIO} times the "
                    "file's size; reformkg refuses them (entity expansion attack)",
                )


def check_rdfxml(source: bytes | bytearray | memoryview | str | Path, name: str | None = None) -> None:
    """Raise UnsafeXmlError when RDF/XML (bytes, or a file's path) declares entities reformkg will not expand.

    ``name`` names the input in the message; a path names itself.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        _check_data(bytes(source) if isinstance(source, memoryview) else source, name or "input")
        return
    path = Path(source)
    with path.open("rb") as fh:
        size = path.stat().st_size
        if size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            _check_data(data, name or str(path))
