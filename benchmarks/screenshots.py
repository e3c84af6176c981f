"""Screenshots of the front page and each view, for the README: ``make screenshots`` (or ``python -m
benchmarks.screenshots [--out DIR] [--only NAME …]``).

Builds the seed graph into an in-memory store, serves it with uvicorn on a free loopback port, and opens each page in
Debian's headless Chromium (``/usr/bin/chromium``, driven by Playwright) at 1400x900 with a Chinese or English
``Accept-Language``; every request off loopback is refused. A graph view is shot once its layout has settled. The
PNGs go to ``benchmarks/screenshots/`` (not part of the wheel). A CJK font must be installed for Chinese to show
(Debian: ``fonts-wqy-microhei``; ``make screenshots`` installs it as root).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

OUT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ZH = "zh-CN,zh;q=0.9,en;q=0.6"
EN = "en-GB,en;q=0.9"
HAIKOU_SITE = "https://w3id.org/reformkg/id/place/haikou-forest-farm"

#: name -> (path, Accept-Language, full page?)
SHOTS: dict[str, tuple[str, str, bool]] = {
    "front-zh": ("/", ZH, False),
    "front-en": ("/", EN, False),
    "reform-page-zh": ("/id/reform/kunming-precision-poverty-alleviation", ZH, False),
    "reform-page-forest-en": ("/id/reform/kunming-state-forest-farm-reform", EN, False),
    "view-ownership-zh": ("/graph/ownership", ZH, False),
    "view-forest-farms-zh": ("/graph/forest-farms", ZH, False),
    "view-ego-haikou-zh": (f"/graph/ego?iri={quote(HAIKOU_SITE, safe='')}&hops=2", ZH, False),
    "view-overview-en": ("/graph/overview", EN, False),
    "analytics-agencies-zh": ("/analytics/agencies", ZH, False),
    "agency-reforms-zh": ("/analytics/ownership?agency=kunming-municipal-party-committee", ZH, False),
    "agency-reforms-en": ("/analytics/ownership?agency=kunming-municipal-government", EN, False),
    "timeline-haikou-zh": ("/reforms/haikou-forest-farm-reform-pilot/timeline", ZH, False),
    "query-en": ("/query", EN, False),
    "search-zh": ("/search?q=%E6%9E%97%E5%9C%BA", ZH, False),
    "drafts-list-zh": ("/drafts", ZH, False),
    "draft-review-zh": ("/drafts/gaige-kuaibao-108", ZH, False),
    "draft-review-en": ("/drafts/gaige-kuaibao-108#figures-2", EN, False),
}
#: The drafts the review pages show: (folder name, test newsletter); the first with a review saved.
DRAFTS = [
    ("gaige-kuaibao-108", "gaige-kuaibao-2017-07.txt"),
    ("yiliang-gaige-dongtai-2017-9", "yiliang-gaige-dongtai-2017-09.docx"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _drafts(store, folder: Path) -> Path:
    """Test newsletters ingested into ``folder`` as drafts; the first reviewed in part: its first figure rejected,
    its second relabelled and given another value, and one owner accepted."""
    from reformkg.graph.ingest import ingest
    from reformkg.graph.ingest.acceptance import read_draft
    from reformkg.graph.ingest.review import Decision, check_decisions, draft_facts, save_review

    newsletters = Path(__file__).resolve().parent.parent / "tests/fixtures/newsletters"
    for name, newsletter in DRAFTS:
        ingest(newsletters / newsletter, folder / name, store)
    first = folder / DRAFTS[0][0]
    facts = draft_facts(read_draft(first / "draft.ttl"), store)
    figures = [f for f in facts if f.kind == "figure" and f.item == 2]
    owner = next(f for f in facts if f.kind == "owner")
    decisions = {
        figures[0].id: Decision("reject"),
        figures[1].id: Decision("accept", label=figures[1].label + "（审核后）", value="13"),
        owner.id: Decision("accept"),
    }
    save_review(first, check_decisions(facts, decisions, store))
    return folder


def _serve():
    """The app over the seed graph under uvicorn, in a thread, with drafts to review: (url, stop)."""
    import uvicorn

    from reformkg.api.app import create_app
    from reformkg.graph.build import build
    from reformkg.graph.settings import Settings
    from reformkg.graph.store import OxigraphStore

    project = Settings()
    store = OxigraphStore()
    build(store, project.ontology_dir, project.data_dir)
    folder = tempfile.TemporaryDirectory(prefix="reformkg-drafts-")
    drafts = _drafts(store, Path(folder.name))
    port = _free_port()
    app = create_app(Settings(store="memory", drafts_dir=drafts), store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        folder.cleanup()

    return f"http://127.0.0.1:{port}", stop


def shoot(out: Path, only: list[str] | None = None) -> list[Path]:
    """Write the screenshots; the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    url, stop = _serve()
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for name, (path, language, full) in SHOTS.items():
                if only and name not in only:
                    continue
                context = browser.new_context(
                    viewport={"width": 1400, "height": 900},
                    locale=language.split(",")[0],
                    extra_http_headers={"Accept-Language": language},
                )
                page = context.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort()
                    ),
                )
                page.goto(url + path)
                if path.startswith("/graph/"):
                    page.wait_for_function("document.body.dataset.stabilised === 'true'", timeout=60_000)
                    page.wait_for_timeout(300)
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
                context.close()
            browser.close()
    finally:
        stop()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    parser.add_argument("--only", nargs="*", choices=list(SHOTS), help="just these shots")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.stderr.write(f"error: {CHROMIUM} is missing (Debian: apt-get install chromium)\n")
        return 1
    for target in shoot(args.out, args.only):
        sys.stdout.write(f"{target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
