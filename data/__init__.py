"""The curated seed data and its source texts, shipped as package data: ``reformkg.data``."""
