"""FastAPI routers, one concern each."""
