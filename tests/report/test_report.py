"""The instructor report: its numbers, and the page itself in a real headless Chromium."""
from __future__ import annotations

import io
import random

import pytest

from autograder.gradebook.samples import make_result
from autograder.report.instructor import normalise_message, render_report, report_context

from .browser import Browser, find_chromium


def _results():
    """A varied class: full marks, partial, zero, an error and a timeout, spread runtimes."""
    rng = random.Random(7)
    results = []
    for i in range(24):
        fraction = [0.0, 0.5, 1.0][i % 3]
        results.append(make_result(f"{2000 + i}", fraction, seconds=0.5 + rng.random() * 9))
    results.append(make_result("2100", 0.0, status="error", message="not a notebook: invalid "
                               "JSON (JSONDecodeError)"))
    results.append(make_result("2101", 0.0, status="timeout",
                               message="time limit of 120 s reached", seconds=120.0))
    return results


def test_report_numbers():
    results = _results()
    ctx = report_context(results, title="hw1", missing=["3000"], time_limit=120)
    q1 = next(q for q in ctx["questions"] if q["name"] == "q1")
    graded = [r for r in results]
    assert q1["pass_rate"] == pytest.approx(
        sum(c.passed for r in graded for c in r.questions[0].cases) / (2 * len(graded)))
    assert ctx["statuses"] == {"graded": 24, "error": 1, "timeout": 1, "missing": 1}
    assert [p["status"] for p in ctx["problems"]] == ["error", "timeout"]
    top = ctx["failures"][0]  # the hidden-case mismatch fails for every non-full submission
    assert "do not match the reference" in top["message"] and top["submissions"] == 16
    assert len(ctx["plots"]) == 4 and all(p["src"].startswith("data:image/png;base64,")
                                          for p in ctx["plots"])
    assert normalise_message("returned 1.5, expected 2e-3 at (4, 5)") == \
        "returned #, expected # at (#, #)"


def _distinct_colours(png: bytes, box: dict) -> tuple[int, float]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    crop = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
                       int(box["y"] + box["height"])))
    colours = crop.getcolors(maxcolors=crop.width * crop.height) or []
    total = sum(n for n, _ in colours) or 1
    non_white = sum(n for n, rgb in colours if min(rgb) < 235) / total
    return len(colours), non_white


def check_page_in_browser(path, expect_images: int) -> list[dict]:
    """Open ``path`` in headless Chromium: no console errors, every image decoded, each plot
    visibly drawn in the screenshot, and the sortable tables work. Returns the image boxes."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the report's "
                    "browser check needs it")
    with Browser(chromium) as browser:
        browser.open(path.resolve().as_uri())
        images = browser.evaluate("""Array.from(document.images).map(i => {
            const r = i.getBoundingClientRect();
            return {ok: i.complete && i.naturalWidth > 0, x: r.left + window.scrollX,
                    y: r.top + window.scrollY, width: r.width, height: r.height}; })""")
        assert len(images) >= expect_images
        assert all(i["ok"] for i in images), images
        png = browser.screenshot()
        for box in images[:expect_images]:
            assert box["width"] > 200 and box["height"] > 100, box
            colours, ink = _distinct_colours(png, box)
            assert colours >= 20, f"plot at {box} looks blank: {colours} colours"
            assert ink > 0.03, f"plot at {box} is almost all white ({ink:.1%} ink)"
        # the sort script runs: click the first sortable header twice
        order = browser.evaluate("""(() => {
            const t = document.querySelector('table.sortable');
            const th = t.tHead.rows[0].cells[0];
            th.click(); const a = t.tBodies[0].rows[0].cells[0].textContent;
            th.click(); const b = t.tBodies[0].rows[0].cells[0].textContent;
            return [a, b]; })()""")
        assert order[0].lower() <= order[1].lower()
        assert browser.problems() == []
    return images


def test_report_opens_in_a_real_browser(tmp_path):
    page = tmp_path / "hw1.html"
    page.write_text(render_report(_results(), title="hw1", course="Test course",
                                  missing=["3000"], time_limit=120), encoding="utf-8")
    check_page_in_browser(page, expect_images=4)


def test_browser_check_sees_errors(tmp_path):
    """The harness itself: a page with a script error and a missing image is caught."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><img src='missing.png'>"
                    "<script>console.error('boom'); notDefined();</script></body></html>")
    with Browser(chromium) as browser:
        browser.open(page.as_uri())
        found = " | ".join(browser.problems())
    assert "boom" in found and "notDefined" in found and "missing.png" in found
