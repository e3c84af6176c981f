"""Benchmarks and measurement scripts: run by ``make bench`` and ``make load``, never imported by the library.

Each prints what it measured (figures and ratios) and asserts nothing.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the repository: benchmarks run from a checkout
