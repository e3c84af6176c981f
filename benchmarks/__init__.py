"""Benchmarks and measurement scripts: run by ``make bench`` and ``make load``, never imported by the library.

Each prints what it measured (figures and ratios) and asserts nothing.
"""
