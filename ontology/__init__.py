"""The ontology (``reformkg.ttl``) and its SHACL shapes (``shapes.ttl``), shipped as package data."""
