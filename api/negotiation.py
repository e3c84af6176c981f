"""HTTP content negotiation with q-values (RFC 9110 section 12.5.1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...]

    def matches(self, media_type: str) -> int:
        """How specifically this range matches a media type: 0 not at all, 1 */*, 2 type/*, 3 exactly."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == "*":
            return 2
        if self.type == kind and self.subtype == sub:
            return 3
        return 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, ())]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        q, params = 1.0, []
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
            elif name:
                params.append((name, value))
        ranges.append(MediaRange(kind, sub, q, tuple(params)))
    return ranges


def negotiate(header: str | None, offers: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Pick the offer (media type, name) the client prefers; ties go to the earlier offer; None when none is acceptable.

    Each offer's quality is the q of the most specific range that matches it, as RFC 9110 says.
    """
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for media_type, name in offers:
        specificity, q = 0, 0.0
        for media_range in ranges:
            level = media_range.matches(media_type)
            if level > specificity:
                specificity, q = level, media_range.q
        if specificity and q > best_q:
            best, best_q = (media_type, name), q
    return best


def prefers_html(header: str | None) -> bool:
    """Whether a client asks for a web page first (a browser), rather than data.

    Only an explicit ``text/html`` (or XHTML) counts: ``*/*``, curl's and most libraries' default, gets data.
    """
    explicit = any(
        r.q > 0 and (r.type, r.subtype) in (("text", "html"), ("application", "xhtml+xml"))
        for r in parse_accept(header)
    )
    choice = negotiate(header, [("text/html", "html"), ("application/json", "json"), ("text/turtle", "ttl")])
    return explicit and choice is not None and choice[1] == "html"
