"""reformkg's face: the FastAPI app and the typer CLI. It imports graph/, never the reverse."""
