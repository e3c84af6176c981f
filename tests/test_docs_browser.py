"""The API docs page works offline: Swagger UI comes from /static, and nothing is fetched from elsewhere."""

from __future__ import annotations


def test_api_docs_render_offline(browser, live_seed_app):
    page = browser.new_page()
    outside: list[str] = []
    failed: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(live_seed_app.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{live_seed_app.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "reformkg" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/sparql", timeout=15_000)
    assert outside == []
    assert failed == []
    page.close()
