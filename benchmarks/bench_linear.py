"""Input checks that must stay linear: the RDF/XML entity check and the SPARQL guard, timed at 1x, 2x and 4x sizes.

Linear work doubles when the input doubles; a quadratic check (the kind the guard replaced) would quadruple. The
script prints each time and the ratio to the 1x time, and asserts nothing.

    python -m benchmarks.bench_linear
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reformkg.graph.guard import Limits, check
from reformkg.graph.rdfxml import check_rdfxml

RDFXML_HEAD = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY ex "http://example.org/"> <!ENTITY xsd "http://www.w3.org/2001/XMLSchema#"> ]>
<r>"""
RDFXML_LINE = b'<x a="&ex;y">&amp; &xsd; <!-- <!ENTITY looks like one --></x>\n'
SPARQL_LINE = 'OPTIONAL { ?s <http://example.org/p> "SERVICE" . FILTER(?o > 1 && ?o < 9) } # LOAD <x>\n'


def best_of(fn: Callable[[], object], runs: int = 5) -> float:
    """The fastest of a few runs in CPU seconds (the least disturbed by other processes)."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return min(times)


def scaling(name: str, make: Callable[[int], Callable[[], object]], base: int) -> None:
    one = None
    for factor in (1, 2, 4):
        seconds = best_of(make(base * factor))
        one = one or seconds
        print(f"{name:<28} {factor}x ({base * factor:>9,} lines) {seconds * 1000:9.1f} ms   ratio {seconds / one:4.2f}")


def main() -> None:
    print("linear input checks: time at 1x, 2x, 4x input (linear: ratios near 1, 2, 4; quadratic: 1, 4, 16)")
    with tempfile.TemporaryDirectory() as folder:

        def rdfxml(lines: int) -> Callable[[], object]:
            path = Path(folder) / f"big-{lines}.rdf"
            path.write_bytes(RDFXML_HEAD + RDFXML_LINE * lines + b"</r>")
            return lambda: check_rdfxml(path)

        scaling("RDF/XML entity check", rdfxml, 100_000)

    limits = Limits(max_chars=10**9, max_depth=10**6, max_operators=10**9)

    def sparql(lines: int) -> Callable[[], object]:
        text = "SELECT * WHERE {\n" + SPARQL_LINE * lines + "}"
        return lambda: check(text, limits)

    scaling("SPARQL guard", sparql, 10_000)


if __name__ == "__main__":
    main()
