"""Variants, grading, statistics, exports (JSON, Moodle XML, Canvas QTI) and the PDF paper."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autograder import api
from autograder.cli import app
from autograder.quiz import grading, render, run
from autograder.quiz.model import LETTERS, Question
from autograder.quiz.spec import QuizSpec, bank, make_variant, read_roster

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "quiz" / "midterm.toml"
ROSTER = REPO / "examples" / "roster.csv"
RESPONSES = REPO / "examples" / "quiz" / "responses.csv"


@pytest.fixture(scope="module")
def spec():
    return QuizSpec.load(SPEC)


@pytest.fixture(scope="module")
def variants(spec):
    return {sid: make_variant(spec, sid) for sid in read_roster(ROSTER)}


def correct_response(q: Question) -> str:
    if q.qtype == "numeric":
        return str(int(q.answer)) if q.answer == int(q.answer) else f"{q.answer:.6g}"
    return ";".join(q.answer) if q.qtype == "ma" else str(q.answer)


def test_spec(spec):
    assert spec.title and spec.seed and spec.time_minutes == 90
    assert [p.unit for p in spec.pools] == ["U1", "U2", "U3", "U4", "U5"]
    assert spec.max_score == sum(p.count * p.points for p in spec.pools)


def test_variant_deterministic_and_distinct(spec, variants):
    again = make_variant(spec, "1001")
    assert [q.to_dict() for q in again.questions] == [q.to_dict() for q in variants["1001"].questions]
    texts = {sid: tuple(q.text for q in v.questions) for sid, v in variants.items()}
    assert len(set(texts.values())) == len(texts), "every student gets a different paper"
    other = QuizSpec.load(SPEC)
    other.seed += 1
    assert [q.text for q in make_variant(other, "1001").questions] != list(texts["1001"])
    n = sum(p.count for p in spec.pools)
    assert all(len(v.questions) == n for v in variants.values())


def test_own_answers_full_marks_copier_less(variants):
    ids = list(variants)
    rows = [{"student_id": sid, **{f"q{i}": correct_response(q)
                                  for i, q in enumerate(v.questions, 1)}} for sid, v in variants.items()]
    # the last student copies their neighbour's (correct) sheet
    rows[-1] = {**rows[-2], "student_id": ids[-1]}
    graded = grading.grade(variants, pd.DataFrame(rows)).set_index("student_id")
    for sid in ids[:-1]:
        assert graded.loc[sid, "score"] == graded.loc[sid, "max_score"], sid
    assert graded.loc[ids[-1], "score"] < 0.5 * graded.loc[ids[-1], "max_score"]


def test_answer_scoring():
    num = Question("x", "numeric", 2.0, 0.05)
    assert grading.score_answer(num, "2.04", 2) == 2 and grading.score_answer(num, "2.1", 2) == 0
    assert grading.score_answer(num, "abc", 2) == 0 and grading.score_answer(num, "", 2) == 0
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


def test_example_responses_and_stats(tmp_path):
    rep = run.grade(SPEC, RESPONSES, ROSTER, tmp_path)
    scores = pd.read_csv(rep.scores, dtype={"student_id": str})
    assert list(scores.columns) == ["student_id", "score", "max_score"]
    assert list(scores.student_id) == read_roster(ROSTER)
    s = scores.set_index("student_id")["score"]
    assert s["1001"] == s["1002"] == scores.max_score.max()  # all correct
    assert s["1008"] < 0.3 * scores.max_score.max()  # copied 1001's sheet
    stats = pd.read_csv(rep.stats)
    assert {"question", "difficulty", "discrimination_27", "point_biserial"} <= set(stats.columns)
    assert stats.difficulty.between(0, 1).all() and stats.discrimination_27.between(-1, 1).all()
    assert "item statistics" in rep.stats_html.read_text()


def test_moodle_xml(spec):
    pools = bank(spec)
    root = ET.fromstring(render.render_moodle(spec, pools).encode())
    qs = [q for q in root.findall("question") if q.get("type") != "category"]
    assert len(qs) == sum(len(v) for v in pools.values())
    assert {c.findtext("category/text").rsplit("/", 1)[-1]
            for c in root.findall("question[@type='category']")} == set(pools)
    flat = [q for v in pools.values() for q in v]
    for el, q in zip(qs, flat):
        assert el.get("type") == render.MOODLE_TYPE[q.qtype]
        assert q.text.split()[0] in el.findtext("questiontext/text")
        if q.qtype == "numeric":
            ans = el.find("answer")
            assert float(ans.findtext("text")) == q.answer
            assert float(ans.findtext("tolerance")) == q.tolerance > 0
        if q.qtype == "mc":
            assert sum(float(a.get("fraction")) == 100 for a in el.findall("answer")) == 1
        if q.qtype == "ma":
            assert abs(sum(max(0, float(a.get("fraction"))) for a in el.findall("answer")) - 100) < 1e-3


def test_qti_zip(spec, tmp_path):
    pools = bank(spec)
    path = render.write_qti(spec, pools, tmp_path / "qti.zip")
    with zipfile.ZipFile(path) as z:
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        ns = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
        href = manifest.find(".//cp:file", ns).get("href")
        root = ET.fromstring(z.read(href))
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    items = root.findall(".//q:item", ns)
    flat = [q for v in pools.values() for q in v]
    assert len(items) == len(flat)
    for item, q in zip(items, flat):
        fields = {f.findtext("q:fieldlabel", namespaces=ns): f.findtext("q:fieldentry", namespaces=ns)
                  for f in item.findall(".//q:qtimetadatafield", ns)}
        assert fields["question_type"] == render.CANVAS_TYPE[q.qtype]
        if q.qtype == "numeric":
            lo = float(item.find(".//q:vargte", ns).text)
            hi = float(item.find(".//q:varlte", ns).text)
            assert lo < q.answer < hi and abs((hi - lo) / 2 - q.tolerance) < 1e-9 * max(1, abs(q.answer))
        if q.qtype in ("mc", "ma"):
            assert len(item.findall(".//q:response_label", ns)) == len(q.options)


def test_json_and_cli(tmp_path):
    r = CliRunner().invoke(app, ["quiz", "generate", str(SPEC), "--roster", str(ROSTER),
                                 "-o", str(tmp_path), "--no-pdf"])
    assert r.exit_code == 0, r.output
    ids = read_roster(ROSTER)
    for sid in ids:
        assert (tmp_path / "papers" / f"{sid}.html").exists() and (tmp_path / "keys" / f"{sid}.html").exists()
    key = (tmp_path / "keys" / "1001.html").read_text()
    assert "ANSWER KEY" in key and "ANSWER KEY" not in (tmp_path / "papers" / "1001.html").read_text()
    data = json.loads((tmp_path / "quiz.json").read_text())
    assert [v["student_id"] for v in data["variants"]] == ids
    assert data["variants"][0]["questions"][0]["text"] == make_variant(QuizSpec.load(SPEC), ids[0]).questions[0].text
    r = CliRunner().invoke(app, ["quiz", "grade", str(SPEC), str(RESPONSES), "--roster", str(ROSTER),
                                 "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "scores.csv").exists() and (tmp_path / "stats.csv").exists()
    r = CliRunner().invoke(app, ["quiz", "export", str(SPEC), "-o", str(tmp_path / "x")])
    assert r.exit_code == 0 and (tmp_path / "x" / "moodle.xml").exists()


def test_quiz_demo(tmp_path):
    rep = api.quiz_demo(tmp_path, pdf=False)
    assert rep.scores == tmp_path / "quiz" / "scores.csv" and rep.scores.exists()
    assert (tmp_path / "quiz" / "qti.zip").exists()


@pytest.mark.skipif(render.chromium() is None, reason="no chromium for PDF output")
def test_pdf_first_page_renders(spec, variants, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    html = tmp_path / "1001.html"
    html.write_text(render.render_paper(spec, variants["1001"], name="Chan Mei Ling"))
    pdf = render.html_to_pdf(html, tmp_path / "1001.pdf")
    doc = pdfium.PdfDocument(str(pdf))
    assert len(doc) >= 1
    image = doc[0].render(scale=1.0).to_pil()
    png = tmp_path / "page1.png"
    image.save(png)
    w, h = image.size
    assert 500 < w < h  # A4 portrait
    gray = image.convert("L")
    dark = sum(1 for p in gray.tobytes() if p < 128)
    assert 0.005 < dark / (w * h) < 0.5, "the page has text on it and is not blank/black"
    text = doc[0].get_textpage().get_text_range()
    assert "1001" in text and "Q1" in text
