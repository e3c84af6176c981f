"""The API docs page works offline: Swagger UI comes from /static, and nothing is fetched from elsewhere."""

from __future__ import annotations

from tests.conftest import OfflinePage


def test_api_docs_render_offline(browser, live_seed_app):
    offline = OfflinePage(browser)
    try:
        offline.page.goto(f"{live_seed_app.url}/docs")
        offline.page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        assert "reformkg" in offline.page.inner_text(".swagger-ui .info .title")
        offline.page.wait_for_selector("text=/sparql", timeout=15_000)
        offline.assert_clean()
    finally:
        offline.close()
