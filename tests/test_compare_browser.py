"""The ``cnimodel compare`` HTML page in a real browser (Chromium via Playwright): it renders
without errors and without fetching anything, its figure has a size, and the numbers shown
are those of the comparison's JSON document.
"""
from __future__ import annotations

import pytest

from cnimodel.compare import compare_datasets
from cnimodel.compare.html import write_html
from cnimodel.display import format_value

from conftest import REPO, TEST_DATA, require

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A, A2 = TEST_DATA / "compare" / "A", TEST_DATA / "compare" / "A2"


def test_compare_page_in_browser(tmp_path):
    from cnimodel.widgets.browser import browser_available

    ok, why = browser_available()
    require("browser", ok, why)
    from playwright.sync_api import sync_playwright

    from cnimodel.widgets.browser import launch_chromium

    res = compare_datasets(A, A2, threshold_rel=0.0, adjust="none")  # some flagged cells to show
    page_file = write_html(res, tmp_path)
    flagged = res.flagged()
    assert len(flagged) > 0
    with sync_playwright() as pw:
        ctx, _ = launch_chromium(pw)
        try:
            page = ctx.new_page()
            errors, requests = [], []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
            page.goto(page_file.as_uri())
            box = page.locator("svg").first.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 300
            tables = page.locator("table")
            first = tables.nth(0).locator("tbody tr")
            assert first.count() == len(flagged)
            row = first.nth(0).locator("td").all_inner_texts()
            top = flagged.iloc[0]
            assert row[0].strip() == top["path"]
            assert format_value(top["metric"], top["baseline"]) in row
            assert f"{100 * top['change_rel']:+.1f} %" in row
            page.locator("summary", has_text="All cells").click()
            assert page.locator("details[open] table tbody tr").count() == len(res.cells)
            (REPO / "test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path=str(REPO / "test-artifacts" / "compare_page.png"), full_page=False)
            assert not errors and not requests
        finally:
            ctx.close()
