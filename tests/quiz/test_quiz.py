"""Specs and variants, grading and item statistics, the exports (JSON, Moodle XML, Canvas QTI),
the command line, and the printed PDF paper."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autograder import api
from autograder.cli import app
from autograder.quiz import grading, render, run
from autograder.quiz.question import LETTERS, Question, check
from autograder.quiz.render import answer_text
from autograder.quiz.spec import QuizSpec, SpecError, bank, make_variant, read_roster

from .xml_models import IMSCP, MOODLE, QTI, local, validate

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "quiz" / "midterm.toml"
ROSTER = REPO / "examples" / "roster.csv"
RESPONSES = REPO / "examples" / "quiz" / "responses.csv"
QTI_NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}


@pytest.fixture(scope="module")
def spec():
    return QuizSpec.load(SPEC)


@pytest.fixture(scope="module")
def variants(spec):
    return {sid: make_variant(spec, sid) for sid in read_roster(ROSTER)}


@pytest.fixture(scope="module")
def pools(spec):
    return bank(spec)


def sheet(v) -> dict:
    return {f"q{i}": answer_text(q, for_grading=True) for i, q in enumerate(v.questions, 1)}


# ---------------------------------------------------------------- specs and variants
def test_spec(spec):
    assert spec.title and spec.seed and spec.time_minutes == 90
    assert {g.unit for p in spec.pools for g in p.candidates()} == {"U1", "U2", "U3", "U4", "U5"}
    assert spec.max_score == sum(p.count * p.points for p in spec.pools)
    assert spec.n_questions == sum(p.count for p in spec.pools) >= 15


def test_spec_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\nseed = 1\n[[pools]]\nname = "a"\nrows = ["U9.1"]\ncount = 1\npoints = 1\n')
    with pytest.raises(SpecError, match="U9.1"):
        QuizSpec.load(bad)
    bad.write_text('title = "x"\nseed = 1\n[[pools]]\nname = "a"\nrows = ["U1.1"]\ncount = 9\npoints = 1\n')
    with pytest.raises(SpecError, match="asks for 9"):
        QuizSpec.load(bad)
    legacy = tmp_path / "legacy.toml"  # one table per unit
    legacy.write_text('title = "x"\nseed = 1\n[pools.U1]\ncount = 2\npoints = 1\n[pools.U5]\ncount = 1\npoints = 3\n')
    s = QuizSpec.load(legacy)
    assert [p.units for p in s.pools] == [("U1",), ("U5",)] and s.max_score == 5
    v = make_variant(s, "x")
    assert [q.unit for q in v.questions] == ["U1", "U1", "U5"]


def test_variants_deterministic_distinct_well_posed(spec, variants):
    again = make_variant(spec, "1001")
    assert [q.to_dict() for q in again.questions] == [q.to_dict() for q in variants["1001"].questions]
    texts = {sid: tuple(q.text for q in v.questions) for sid, v in variants.items()}
    assert len(set(texts.values())) == len(texts), "every student gets a different paper"
    other = QuizSpec.load(SPEC)
    other.seed += 1
    assert [q.text for q in make_variant(other, "1001").questions] != list(texts["1001"])
    for v in variants.values():
        assert len(v.questions) == spec.n_questions and v.max_score == spec.max_score
        assert len({q.gen for q in v.questions}) == len(v.questions), "no generator twice"
        for q, pool in zip(v.questions, v.pools):
            check(q)
            assert q.gen in {g.name for p in spec.pools if p.name == pool for g in p.candidates()}
    # neighbours: at the same position, different questions (and so different answers)
    a, b = variants["1001"], variants["1002"]
    assert sum(x.text == y.text for x, y in zip(a.questions, b.questions)) <= 1


def test_variant_regenerates_in_a_fresh_process(variants):
    """(seed, student id) alone fixes the paper: another interpreter, another hash seed."""
    code = ("import json; from autograder.quiz.spec import QuizSpec, make_variant; "
            f"v = make_variant(QuizSpec.load({str(SPEC)!r}), '1001'); "
            "print(json.dumps([q.to_dict() for q in v.questions], sort_keys=True))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=300).stdout
    assert json.loads(out) == json.loads(json.dumps([q.to_dict() for q in variants["1001"].questions],
                                                    sort_keys=True))


# ---------------------------------------------------------------- grading
def test_own_answers_full_marks_copier_less(variants):
    ids = list(variants)
    rows = [{"student_id": sid, **sheet(v)} for sid, v in variants.items()]
    rows[-1] = {**rows[-2], "student_id": ids[-1]}  # the last student copies their neighbour
    graded = grading.grade(variants, pd.DataFrame(rows)).set_index("student_id")
    for sid in ids[:-1]:
        assert graded.loc[sid, "score"] == graded.loc[sid, "max_score"], sid
    assert graded.loc[ids[-1], "score"] < 0.5 * graded.loc[ids[-1], "max_score"]


def test_answer_scoring():
    num = Question("x", "numeric", 2.0, 0.05)
    assert grading.score_answer(num, "2.04", 2) == 2 and grading.score_answer(num, "2.1", 2) == 0
    assert grading.score_answer(num, "abc", 2) == 0 and grading.score_answer(num, "", 2) == 0
    assert grading.score_answer(num, float("nan"), 2) == 0 and grading.score_answer(num, None, 2) == 0
    big = Question("x", "numeric", 73728.0, 0.5)
    assert grading.score_answer(big, "73,728", 1) == 1 and grading.score_answer(big, "73728.4", 1) == 1
    assert grading.score_answer(Question("x", "numeric", 0.884, 0.01), "0,884", 1) == 1  # decimal comma
    mc = Question("x", "mc", "B", options=["1", "2", "3"])
    assert grading.score_answer(mc, "b", 1) == 1 and grading.score_answer(mc, "(B)", 1) == 1
    assert grading.score_answer(mc, "C", 1) == 0
    ma = Question("x", "ma", ["A", "C"], options=["a", "b", "c", "d"])
    assert grading.score_answer(ma, "A;C", 4) == 4
    assert grading.score_answer(ma, "c, a", 4) == 4
    assert grading.score_answer(ma, "A", 4) == 2  # partial credit
    assert grading.score_answer(ma, "A;B", 4) == 0  # one right, one wrong
    assert grading.score_answer(ma, "A;B;C;D", 4) == 0
    tf = Question("x", "tf", "False", options=["True", "False"])
    assert grading.score_answer(tf, "false", 1) == 1 and grading.score_answer(tf, "T", 1) == 0
    sh = Question("x", "short", "(8, 16, 14, 14)")
    assert grading.score_answer(sh, "(8,16,14,14)", 1) == 1
    assert grading.score_answer(sh, "8 x 16 x 14 x 14", 1) == 1
    assert grading.score_answer(sh, "(8, 16, 14)", 1) == 0
    word = Question("x", "short", "queen")
    assert grading.score_answer(word, " Queen ", 1) == 1 and grading.score_answer(word, "king", 1) == 0


def test_responses_columns_are_flexible(variants):
    v = variants["1003"]
    right = sheet(v)
    df = pd.DataFrame([{"Student ID": "1003", **{f"Question {k[1:]}": a for k, a in right.items()}},
                       {"Student ID": "1003", **{f"Question {k[1:]}": "" for k in right}},
                       {"Student ID": "1003", **{f"Question {k[1:]}": a for k, a in right.items()}}])
    resp = grading.normalise_responses(df)
    assert list(resp.frame.columns) == ["student_id", *right] and len(resp.frame) == 1
    assert resp.issues and "1003" in resp.issues[0]
    graded = grading.grade({"1003": v}, resp)
    assert graded.loc[0, "score"] == v.max_score
    with pytest.raises(ValueError, match="student id"):
        grading.normalise_responses(pd.DataFrame([{"who": "1", "q1": "A"}]))


def test_example_responses_and_stats(tmp_path, spec):
    # the checked-in example is what `autograder quiz simulate` writes for the current bank
    fresh = run.write_example_responses(spec, ROSTER, tmp_path / "responses.csv")
    assert fresh.read_text() == RESPONSES.read_text(), (
        "examples/quiz/responses.csv is stale: run `autograder quiz simulate "
        "examples/quiz/midterm.toml --roster examples/roster.csv -o examples/quiz/responses.csv`")
    rep = run.grade(SPEC, RESPONSES, ROSTER, tmp_path / "graded")
    scores = pd.read_csv(rep.scores, dtype={"student_id": str})
    assert list(scores.columns) == ["student_id", "score", "max_score"]
    assert list(scores.student_id) == read_roster(ROSTER)
    s = scores.set_index("student_id")["score"]
    top = scores.max_score.max()
    assert s["1001"] == s["1002"] == top == spec.max_score  # answered their own papers
    assert s["1008"] < 0.3 * top  # handed in 1001's sheet
    assert s["1003"] > s["1005"] > s["1007"]
    stats = pd.read_csv(rep.stats)
    assert len(stats) == spec.n_questions
    assert {"question", "pool", "difficulty", "discrimination_27", "point_biserial"} <= set(stats.columns)
    assert stats.difficulty.between(0, 1).all() and stats.discrimination_27.between(-1, 1).all()
    assert stats.point_biserial.dropna().between(-1, 1).all()
    by_gen = pd.read_csv(rep.files["generator_stats.csv"])
    assert by_gen.n.sum() == len(scores) * spec.n_questions
    assert "item statistics" in rep.stats_html.read_text()
    section = rep.files["stats_section.html"].read_text()
    assert section.lstrip().startswith("<section") and "<html" not in section


def test_grading_reports_absent_and_unknown(tmp_path, spec, variants):
    rows = [{"student_id": "1001", **sheet(variants["1001"])},
            {"student_id": "1004.0", **sheet(variants["1004"])},  # mangled by a spreadsheet
            {"student_id": "2999", **sheet(make_variant(spec, "2999"))}]  # not on the roster
    path = tmp_path / "r.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    rep = run.grade(spec, path, ROSTER, tmp_path / "g")
    scores = pd.read_csv(rep.scores, dtype={"student_id": str}).set_index("student_id")
    assert list(scores.index) == ["1001", "1004", "2999"]  # absentees left out: gradebook flags them
    assert (scores.score == spec.max_score).all()
    text = rep.files["issues.txt"].read_text()
    assert "1002" in text and "2999" in text and "1004.0 → 1004" in text


# ---------------------------------------------------------------- exports
def test_moodle_xml(spec, pools):
    root = ET.fromstring(render.render_moodle(spec, pools).encode())
    assert validate(root, MOODLE) == []
    cats = root.findall("question[@type='category']")
    assert [c.findtext("category/text").rsplit("/", 1)[-1] for c in cats] == [p.name for p in spec.pools]
    qs = [q for q in root.findall("question") if q.get("type") != "category"]
    flat = [q for v in pools.values() for q in v]
    assert len(qs) == len(flat) == sum(spec.bank_size * len(p.candidates()) for p in spec.pools)
    for el, q in zip(qs, flat):
        assert el.get("type") == render.MOODLE_TYPE[q.qtype]
        assert el.findtext("name/text").startswith(q.gen)
        assert ET.fromstring(f"<r>{el.findtext('questiontext/text')}</r>").findtext("p") == q.text
        answers = el.findall("answer")
        if q.qtype == "numeric":
            assert float(answers[0].findtext("text")) == q.answer
            assert float(answers[0].findtext("tolerance")) == q.tolerance > 0
        if q.qtype in ("mc", "ma"):
            assert [a.findtext("text") for a in answers] == q.options
            assert el.findtext("single") == ("true" if q.qtype == "mc" else "false")
        if q.qtype == "mc":
            assert [float(a.get("fraction")) == 100 for a in answers] == \
                [LETTERS[i] == q.answer for i in range(len(q.options))]
        if q.qtype == "ma":
            fr = [float(a.get("fraction")) for a in answers]
            assert {LETTERS[i] for i, f in enumerate(fr) if f > 0} == set(q.answer)
            assert all(abs(abs(f) - 100 / len(q.answer)) < 1e-3 for f in fr)
            # Moodle's score for any selection equals ours
            for pick in (q.answer[:1], LETTERS[:2], LETTERS[:len(q.options)]):
                moodle = max(0.0, sum(fr[LETTERS.index(l)] for l in pick)) / 100
                assert abs(moodle - grading.score_answer(q, ";".join(pick), 1.0)) < 1e-4
        if q.qtype == "tf":
            assert {a.findtext("text"): float(a.get("fraction")) for a in answers}[q.answer.lower()] == 100
        if q.qtype == "short":
            assert q.answer in [a.findtext("text") for a in answers]


def test_qti_zip(spec, pools, tmp_path):
    path = render.write_qti(spec, pools, tmp_path / "qti.zip")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        assert validate(manifest, IMSCP) == []
        hrefs = {f.get("href") for f in manifest.iter() if local(f.tag) == "file"}
        assert hrefs <= names and len(hrefs) == 2
        assessment_href = next(r.find("{*}file").get("href") for r in manifest.iter()
                               if local(r.tag) == "resource" and r.get("type") == "imsqti_xmlv1p2")
        root = ET.fromstring(z.read(assessment_href))
        meta = ET.fromstring(z.read(next(h for h in hrefs if h.endswith("assessment_meta.xml"))))
    assert validate(root, QTI) == []
    assert meta.findtext("{*}title") == spec.title
    assert int(meta.findtext("{*}time_limit")) == spec.time_minutes
    assert float(meta.findtext("{*}points_possible")) == spec.max_score
    groups = root.findall("q:assessment/q:section/q:section", QTI_NS)
    assert [g.get("title") for g in groups] == [p.name for p in spec.pools]
    for g, p in zip(groups, spec.pools):
        assert int(g.findtext(".//q:selection_number", namespaces=QTI_NS)) == p.count
        assert float(g.findtext(".//q:points_per_item", namespaces=QTI_NS)) == p.points
    items = root.findall(".//q:item", QTI_NS)
    idents = [i.get("ident") for i in items]
    assert len(set(idents)) == len(idents)
    flat = [q for v in pools.values() for q in v]
    assert len(items) == len(flat)
    for item, q in zip(items, flat):
        fields = {f.findtext("q:fieldlabel", namespaces=QTI_NS): f.findtext("q:fieldentry", namespaces=QTI_NS)
                  for f in item.findall(".//q:qtimetadatafield", QTI_NS)}
        assert fields["question_type"] == render.CANVAS_TYPE[q.qtype]
        html_text = item.findtext(".//q:mattext", namespaces=QTI_NS)
        assert ET.fromstring(f"<r>{html_text}</r>").findtext("p") == q.text
        if q.qtype == "numeric":
            lo = float(item.find(".//q:vargte", QTI_NS).text)
            hi = float(item.find(".//q:varlte", QTI_NS).text)
            assert float(item.find(".//q:varequal", QTI_NS).text) == q.answer
            assert abs(lo - (q.answer - q.tolerance)) < 1e-12 * max(1, abs(q.answer))
            assert abs(hi - (q.answer + q.tolerance)) < 1e-12 * max(1, abs(q.answer))
        if q.qtype in ("mc", "ma", "tf"):
            labels = item.findall(".//q:response_label", QTI_NS)
            assert [l.findtext(".//q:mattext", namespaces=QTI_NS) for l in labels] == q.options
            right = [v.text for v in item.findall(".//q:conditionvar/q:varequal", QTI_NS)
                     + item.findall(".//q:conditionvar/q:and/q:varequal", QTI_NS)]
            want = q.answer if q.qtype == "ma" else [q.answer if q.qtype == "mc" else
                                                      "A" if q.answer == "True" else "B"]
            assert sorted(right) == sorted(want)
        if q.qtype == "short":
            assert q.answer in [v.text for v in item.findall(".//q:varequal", QTI_NS)]


def test_cli_generate_export_grade_bank(tmp_path, spec):
    r = CliRunner().invoke(app, ["quiz", "generate", str(SPEC), "--roster", str(ROSTER),
                                 "-o", str(tmp_path), "--no-pdf"])
    assert r.exit_code == 0, r.output
    ids = read_roster(ROSTER)
    for sid in ids:
        paper = (tmp_path / "papers" / f"{sid}.html").read_text()
        key = (tmp_path / "keys" / f"{sid}.html").read_text()
        assert f"<b>{sid}</b>" in paper and "ANSWER KEY" in key and "ANSWER KEY" not in paper
    assert "Chan Mei Ling" in (tmp_path / "papers" / "1001.html").read_text()
    data = json.loads((tmp_path / "quiz.json").read_text())
    assert [v["student_id"] for v in data["variants"]] == ids
    first = make_variant(spec, ids[0]).questions[0]
    assert data["variants"][0]["questions"][0]["text"] == first.text
    assert data["variants"][0]["questions"][0]["answer"] == first.answer
    keys = pd.read_csv(tmp_path / "keys.csv", dtype=str, keep_default_na=False)
    graded = grading.grade({sid: make_variant(spec, sid) for sid in ids}, keys)
    assert (graded.score == graded.max_score).all(), "keys.csv, graded, is full marks"
    assert {"moodle.xml", "qti.zip"} <= {p.name for p in tmp_path.iterdir()}
    r = CliRunner().invoke(app, ["quiz", "grade", str(SPEC), str(RESPONSES), "--roster", str(ROSTER),
                                 "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "scores.csv").exists() and (tmp_path / "stats.csv").exists()
    r = CliRunner().invoke(app, ["quiz", "export", str(SPEC), "-o", str(tmp_path / "x")])
    assert r.exit_code == 0 and (tmp_path / "x" / "moodle.xml").exists() and (tmp_path / "x" / "qti.zip").exists()
    r = CliRunner().invoke(app, ["quiz", "bank", "U3.6"])
    assert r.exit_code == 0 and "u3_attention_mc" in r.output
    r = CliRunner().invoke(app, ["quiz", "generate", str(tmp_path / "nope.toml"), "--roster", str(ROSTER)])
    assert r.exit_code == 2


def test_quiz_demo(tmp_path):
    rep = api.quiz_demo(tmp_path, pdf=False)
    assert rep.scores == tmp_path / "quiz" / "scores.csv" and rep.scores.exists()
    assert (tmp_path / "quiz" / "qti.zip").exists() and (tmp_path / "quiz" / "moodle.xml").exists()
    assert len(list((tmp_path / "quiz" / "papers").glob("*.html"))) == len(read_roster(ROSTER))


# ---------------------------------------------------------------- the printed paper
def _first_page_png(pdf: Path, png: Path):
    """Page 1 of ``pdf`` as a PNG: pypdfium2 (PyPI) or pdftoppm (poppler-utils)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        pdfium = None
    if pdfium is not None:
        doc = pdfium.PdfDocument(str(pdf))
        doc[0].render(scale=1.5).to_pil().save(png)
        return len(doc), doc[0].get_textpage().get_text_range()
    if shutil.which("pdftoppm") is None:
        pytest.skip("neither pypdfium2 nor pdftoppm to render the PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "108", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(png.with_suffix(""))], check=True)
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True).stdout if shutil.which("pdftotext") else ""
    return None, text


@pytest.mark.skipif(render.chromium() is None, reason="no chromium for PDF output")
def test_pdf_first_page_renders(spec, variants, tmp_path):
    """Prints paper 1001 to PDF and renders page 1 to PNG (set QUIZ_PAGE_PNG=path to keep it)."""
    html = tmp_path / "1001.html"
    html.write_text(render.render_paper(spec, variants["1001"], name="Chan Mei Ling"))
    pdf = render.html_to_pdf(html, tmp_path / "1001.pdf")
    png = tmp_path / "page1.png"
    pages, text = _first_page_png(pdf, png)
    assert pages is None or 1 <= pages <= 6
    from PIL import Image

    image = Image.open(png)
    w, h = image.size
    assert 500 < w < h and abs(h / w - 297 / 210) < 0.01  # A4 portrait
    gray = image.convert("L")
    dark = sum(1 for p in gray.tobytes() if p < 128)
    assert 0.005 < dark / (w * h) < 0.5, "the page has text on it and is not blank or black"
    if text:
        assert "1001" in text and "Chan Mei Ling" in text and "Q1" in text
        assert variants["1001"].questions[0].text[:30] in " ".join(text.split())
    if os.environ.get("QUIZ_PAGE_PNG"):
        shutil.copy(png, os.environ["QUIZ_PAGE_PNG"])
