"""The rendered report and batch index in a real browser (Chromium via Playwright).

The bundled data's report (``cnimodel report data``) at 1300 px width, details collapsed:
page height, the verdict (matrix and sentences) in the first 1,500 px, no tall ``<pre>``, no
leaked reprs, the path colours of the verdict equal to those in two figures.  A batch of 8
runs (the four bundled conditions x two seeds): ``index.html`` height, one row per run, the
columns sort on click.  Screenshots go to ``test-artifacts/`` (looked at, never asserted).
"""
from __future__ import annotations

import io

import numpy as np
import pytest

from conftest import REPO, require

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("report_browser")]

ARTIFACTS = REPO / "test-artifacts"
DATA = REPO / "data"
WIDTH = 1300


@pytest.fixture(scope="module")
def browser():
    from cnimodel.widgets.browser import browser_available

    ok, why = browser_available()
    require("browser", ok, why)
    from playwright.sync_api import sync_playwright

    from cnimodel.widgets.browser import launch_chromium

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        ctx, _ = launch_chromium(pw)
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from cnimodel.report import run_report

    out = tmp_path_factory.mktemp("report")
    doc = run_report([DATA], out, parameter_sets=[{"n_boot": 400}], progress=False)
    assert doc["n_ok"] == 1, doc["runs"][0]["error"]
    return out / doc["runs"][0]["html"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from cnimodel.report import run_report

    out = tmp_path_factory.mktemp("batch")
    conds = sorted(p for p in DATA.iterdir() if (p / "dataset.yaml").is_file())
    assert len(conds) >= 4
    sets = [{"n_boot": 200, "fit_model": False, "seed": s} for s in (0, 1)]
    doc = run_report(conds[:4], out, parameter_sets=sets, jobs=2, progress=False)
    assert doc["n_runs"] == 8 and doc["n_ok"] == 8, [r["error"] for r in doc["runs"]]
    return out / "index.html"


def _page(ctx, path):
    page = ctx.new_page()
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, errors


def _bottom(page, selector):
    return page.evaluate(f"""() => Math.max(...Array.from(document.querySelectorAll({selector!r}))
        .map(e => e.getBoundingClientRect().bottom + window.scrollY))""")


def test_report_page_height_verdict_first_and_no_leaks(browser, report):
    page, errors = _page(browser, report)
    try:
        height = page.evaluate("document.body.scrollHeight")
        page.screenshot(path=str(ARTIFACTS / "report_first_screen.png"))
        assert page.evaluate("document.querySelectorAll('details[open]').length") == 0
        assert page.evaluate("document.querySelectorAll('details.cnm-details').length") >= 4
        assert height <= 25000, height
        assert page.locator("table.cnm-m").count() == 1
        assert _bottom(page, "table.cnm-m") <= 1500
        assert page.locator("p.cnm-s").count() >= 1 and _bottom(page, "p.cnm-s") <= 1500
        top = page.evaluate("document.querySelector('table.cnm-m').getBoundingClientRect().top")
        assert top < 1000  # the verdict starts in the first viewport (1300 x 1000)
        assert "baseline_median" not in page.content()  # the recorded figures stay out of the HTML
        # open every details element: then nothing may leak or print a wall of text either
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        text = page.inner_text("body")
        for leak in ("Text(", "<matplotlib", "<Axes", "Traceback"):
            assert leak not in text, leak
        tall = page.evaluate("""() => Array.from(document.querySelectorAll('pre'))
            .map(p => p.getBoundingClientRect().height).filter(h => h > 800)""")
        assert not tall, tall
        (ARTIFACTS / "report_heights.txt").write_text(
            f"collapsed {height} px; all details open {page.evaluate('document.body.scrollHeight')} px\n")
        assert not errors, errors
    finally:
        page.close()


def _rgb(hex_colour):
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def _pixels_of(png: bytes, rgb, tol=3) -> int:
    import matplotlib.image as mpimg

    img = (mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)
    return int((np.abs(img - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_path_colours_equal_in_the_verdict_and_two_figures(browser, report):
    from cnimodel.display import path_color

    page, _ = _page(browser, report)
    try:
        dots = page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('tr td.cnm-p'))
            .filter(td => td.querySelector('.cnm-dot'))
            .map(td => [td.textContent.replace(' (baseline)', '').trim(),
                        getComputedStyle(td.querySelector('.cnm-dot')).backgroundColor]))""")
        for name in ("host", "overlay", "routing", "underlay"):
            assert dots[name] == "rgb({}, {}, {})".format(*_rgb(path_color(name))), name
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        figs = {}
        for title in ("Every repetition", "Overhead against the baseline"):
            img = page.locator("details", has_text=title).locator("img").first
            img.scroll_into_view_if_needed()
            figs[title] = img.screenshot()
            (ARTIFACTS / f"report_figure_{title.split()[0].lower()}.png").write_bytes(figs[title])
        # overlay and routing have significant (solid) bars and markers in both figures
        for name in ("overlay", "routing"):
            for title, png in figs.items():
                assert _pixels_of(png, _rgb(path_color(name))) > 30, (name, title)
        # a colour that belongs to no path must not be drawn as a path (guards the check itself)
        assert _pixels_of(figs["Every repetition"], (255, 127, 14)) == 0
    finally:
        page.close()


def test_batch_index_one_row_per_run_sortable(browser, batch):
    page, errors = _page(browser, batch)
    try:
        height = page.evaluate("document.body.scrollHeight")
        page.screenshot(path=str(ARTIFACTS / "report_index.png"), full_page=True)
        assert height <= 3000, height
        assert page.locator("table").count() == 1
        assert page.locator("table#runs tbody tr").count() == 8
        assert page.locator("script[src], link[href^='http']").count() == 0
        heads = page.locator("table#runs thead th")
        col = next(i for i in range(heads.count()) if heads.nth(i).inner_text().startswith("wall time"))
        heads.nth(col).click()
        first = [float(t) for t in page.locator(f"table#runs tbody tr td:nth-child({col + 1})").all_inner_texts()]
        assert first == sorted(first)
        heads.nth(col).click()
        again = [float(t) for t in page.locator(f"table#runs tbody tr td:nth-child({col + 1})").all_inner_texts()]
        assert again == sorted(first, reverse=True)
        cells = page.locator("table#runs tbody td.cnm-c")
        assert cells.count() >= 8  # every run has its paths' headline changes
        assert not errors, errors
    finally:
        page.close()
