"""The text-safety rules, each where it is applied: stored results, every CSV, the parquet table,
the feedback Markdown and HTML, the terminal tables; and a stored result that cannot be read."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from rich.console import Console

from autograder.grade.results import GradingResults
from autograder.grade.store import ResultStore, results_table
from autograder.gradebook import write_assignment_gradebook, write_cases
from autograder.gradebook.samples import make_result
from autograder.report.feedback import render_feedback, write_feedback
from autograder.textsafe import (INVALID_NOTE, clean, clean_noted, csv_cell, markdown, one_line,
                                 terminal)

from .payloads import live_payloads

ANSI = "\x1b[2J\x1b]0;pwned\x07\x1b[31m"
HOSTILE = f"=HYPERLINK(\"http://e\") {ANSI}\u202e[/] [link=http://e]x[/link] [y](javascript:z) <b>PWN</b>"


def test_clean_gives_valid_utf8_without_controls_and_notes_a_replacement():
    text, invalid = clean_noted("a\ud800b" + ANSI + "c\u202ed\x00e\x9b31mf\r\ng\th")
    assert text == "a\ufffdbcdef\ng\th" and invalid
    text.encode("utf-8")  # would raise on a lone surrogate
    assert clean_noted("plain ünïcode ✓\n") == ("plain ünïcode ✓\n", False)
    assert clean(b"\xff\xfeok") == "\ufffd\ufffdok"
    assert one_line("a\n\tb") == "a b"


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"), ("\t=1", "'\t=1"), ("  =1", "'  =1"), ("-", "'-"),
    ("-3", "-3"), ("-3.5e-2", "-3.5e-2"), ("+4", "+4"), ("abc", "abc"), ("", ""), (3.0, 3.0),
    ("=\x1b[2Jx", "'=x"),
])
def test_csv_cells_that_a_spreadsheet_reads_as_formulas_are_neutralised(value, cell):
    assert csv_cell(value) == cell


def test_markdown_escapes_links_html_and_tables():
    md = markdown("[x](javascript:alert(1)) ![i](http://e) <img src=x> a|b `c` \\")
    assert md == ("\\[x\\](javascript:alert(1)) !\\[i\\](http://e) &lt;img src=x> a\\|b "
                  "\\`c\\` \\\\")


def test_terminal_text_is_never_read_as_rich_markup():
    console = Console(record=True, width=200, force_terminal=True)
    console.print(terminal("[/] [link=http://e]x[/link] [@click=(] [bold]b" + ANSI))
    shown = console.export_text()
    assert "[/] [link=http://e]x[/link] [@click=(] [bold]b" in shown
    assert "\x1b" not in shown


def test_a_result_is_sanitised_before_it_is_stored_and_shown(tmp_path):
    r = make_result("=cmd" + ANSI, 0.5, message="bad \ud800 [/]", submission="s1")
    r.questions[0].cases[0].message = "case \udc80 " + ANSI
    r.sanitize()
    assert r.student_id == "=cmd" and INVALID_NOTE in r.message
    assert r.questions[0].cases[0].message == "case \ufffd "
    # read back from JSON written by an earlier version, it is sanitised again
    raw = r.to_dict()
    raw["message"] = "again \ud800"
    again = GradingResults.from_dict(json.loads(json.dumps(raw)))
    assert "\ud800" not in again.message and INVALID_NOTE in again.message


def test_gradebook_cases_csv_and_parquet_take_any_message(tmp_path):
    """A lone surrogate in a message used to stop the parquet writer (and with it every later
    run into the folder); a formula in an id went into the CSVs as it was."""
    results = [make_result("=HYPERLINK(\"x\")", 0.5, message="load \ud800 " + ANSI,
                           submission="a"),
               make_result("-5", 1.0, submission="b"), make_result("-1+2", 1.0, submission="c")]
    results[0].questions[0].cases[1].message = HOSTILE + "\udc80"
    write_assignment_gradebook(results, tmp_path)
    paths = write_cases(results, tmp_path)
    assert {p.suffix for p in paths} == {".csv", ".parquet"}
    for path in [tmp_path / "gradebook.csv", *paths]:
        assert live_payloads(path) == [], path
    book = pd.read_csv(tmp_path / "gradebook.csv", dtype=str, keep_default_na=False)
    assert list(book["student_id"]) == ["'-1+2", "-5", "'=HYPERLINK(\"x\")"]


def test_feedback_pages_escape_what_the_submission_controls(tmp_path):
    r = make_result(HOSTILE, 0.5, message=HOSTILE, submission="s1")
    r.questions[1].cases[0].message = HOSTILE
    write_feedback([r], tmp_path)
    for fmt in ("html", "md"):
        path = tmp_path / f"s1.{fmt}"
        assert live_payloads(path) == [], path
    assert "&lt;b&gt;PWN&lt;/b&gt;" in (tmp_path / "s1.html").read_text()
    assert "\\[y\\](javascript:z)" in (tmp_path / "s1.md").read_text()


def test_a_page_that_cannot_be_rendered_is_reported_not_fatal(tmp_path, capsys):
    good = make_result("s1", 1.0, submission="s1")
    bad = make_result("s2", 1.0, submission="s2")
    bad.questions[0].cases[0].seconds = "not a number"  # what no template can format
    written = write_feedback([bad, good], tmp_path)
    assert {p.name for p in written} == {"s1.html", "s1.md"}
    assert "feedback for s2 could not be written" in capsys.readouterr().out


def test_a_stored_result_that_cannot_be_read_is_an_error_row(tmp_path):
    store = ResultStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    good, bad = make_result("s1", 1.0), make_result("s2", 1.0)
    store.put(good)
    store.put(bad)
    with store.engine.begin() as conn:
        conn.execute(results_table.update().where(results_table.c.submission == bad.submission)
                     .values(data="{not json"))
    found = {r.submission: r for r in store.latest("hw1")}
    assert found[good.submission].status == "graded"
    assert found[bad.submission].status == "error"
    assert "cannot be read" in found[bad.submission].message
    # and the plan grades it again instead of reusing it
    assert set(store.graded("hw1", [bad.sha256], bad.fixtures, bad.grader_version)
               .get(bad.sha256, {})) == {good.submission}
    store.close()


def test_render_feedback_keeps_hidden_case_times_out(tmp_path):
    r = make_result("s1", 0.5, seconds=2.345)
    md = render_feedback(r, "md")
    for q in r.questions:
        for c in q.cases:
            line = next(x for x in md.splitlines() if x.startswith(f"| `{c.name}`"))
            assert line.rstrip(" |").endswith("ms") != c.hidden, line
    assert "Grading took 2.0 s" in md  # the whole run, to the second
