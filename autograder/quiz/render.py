"""Papers, answer keys, PDFs, and the JSON / Moodle XML / Canvas QTI 1.2 exports, all rendered
with the jinja2 templates in ``templates/quiz/``.

QTI is written from templates rather than through text2qti (checked: 0.8.0 is on PyPI): text2qti
rejects numerical answers whose accepted range touches |x| < 1e-4 and prints range bounds with 4
decimals, which would change tolerances such as ±1e-5 on a posterior variance β̃_t.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from .question import LETTERS, Question, fmt
from .spec import QuizSpec, Variant

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "quiz"
MOODLE_TYPE = {"numeric": "numerical", "mc": "multichoice", "ma": "multichoice",
               "tf": "truefalse", "short": "shortanswer"}
CANVAS_TYPE = {"numeric": "numerical_question", "mc": "multiple_choice_question",
               "ma": "multiple_answers_question", "tf": "true_false_question",
               "short": "short_answer_question"}
# Stated once on every paper (and in the LMS quiz description); the questions rely on them.
CONVENTIONS = (
    "Indices (entry [i, j], key i, position i) are 0-based: the first is 0; names such as k1 "
    "or x_1 are labels, and time steps t run from 1 to T as in the lectures.",
    "Output sizes of convolutions and pooling are rounded down (floor) when the stride does not "
    "divide evenly.",
    "Keep full precision in intermediate steps; round only the final answer (to at least 3 "
    "significant figures).",
    "Write decimals with a point (0.412); a comma only groups thousands (73,728).",
)
TYPE_HINT = {"numeric": "number", "mc": "one letter", "ma": "select all that apply",
             "tf": "true / false", "short": "short answer"}


def css_string(s) -> Markup:
    """``s`` as the inside of a double-quoted CSS string (for @page footers in <style>)."""
    out = "".join(c if c.isalnum() or c in " .,:;·-_()/" else f"\\{ord(c):x} " for c in str(s))
    return Markup(out)


def environment(templates: str | Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates or TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "xml", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["css_string"] = css_string
    return env


def answer_text(q: Question, for_grading: bool = False) -> str:
    """The answer as the key prints it (MC: "B (0.884)"), or with ``for_grading`` as a student
    would write it on a response sheet (MC: "B", MA: "A;C", numeric: "0.884104")."""
    if q.qtype == "numeric":
        return str(int(q.answer)) if q.answer == int(q.answer) else f"{q.answer:.6g}"
    if q.qtype == "ma":
        return ";".join(q.answer)
    if q.qtype == "mc" and not for_grading:
        return f"{q.answer} ({q.options[LETTERS.index(q.answer)]})"
    return str(q.answer)


def view(q: Question) -> dict:
    """A question as the templates see it."""
    d = q.to_dict()
    d.update(html="<p>" + html.escape(q.text) + "</p>", answer_text=answer_text(q),
             answer_plain=answer_text(q, for_grading=True), tol_text=f"{q.tolerance:.3g}",
             answer_repr=repr(float(q.answer)) if q.qtype == "numeric" else "",
             moodle_type=MOODLE_TYPE[q.qtype], canvas_type=CANVAS_TYPE[q.qtype],
             hint=TYPE_HINT[q.qtype], letters=list(LETTERS[:len(q.options)]))
    if q.qtype == "numeric":
        d["lo"], d["hi"] = repr(q.answer - q.tolerance), repr(q.answer + q.tolerance)
    if q.qtype == "ma":  # Moodle: each right pick +100/n, each wrong pick −100/n (n = number
        # right), floored at 0 by Moodle: the same partial credit as grading.score_answer and
        # Canvas. 100/n for n = 1..4 are all grades Moodle accepts (100, 50, 33.33333, 25).
        n_ok = len(q.answer)
        d["ma_fractions"] = [fmt((100 if LETTERS[i] in q.answer else -100) / n_ok, 5)
                             for i in range(len(q.options))]
    if q.qtype == "tf":
        d["options"], d["answer_ident"] = ["True", "False"], "A" if q.answer == "True" else "B"
    if q.qtype == "mc":
        d["answer_ident"] = q.answer
    if q.qtype == "short":  # "(8, 16, 14, 14)" and "(8,16,14,14)" both accepted by the LMS
        d["accepted"] = list(dict.fromkeys([q.answer, q.answer.replace(" ", "")]))
    return d


def render_paper(spec: QuizSpec, variant: Variant, key: bool = False, name: str = "") -> str:
    return environment().get_template("paper.html.j2").render(
        papers=[_paper_context(spec, variant, name)], key=key, title=spec.title)


def render_papers(spec: QuizSpec, variants: list[Variant], names: dict[str, str],
                  key: bool = False) -> str:
    """Several papers (or keys) in one document, each starting on a new page."""
    return environment().get_template("paper.html.j2").render(
        papers=[_paper_context(spec, v, names.get(v.student_id, "")) for v in variants],
        key=key, title=spec.title)


def _paper_context(spec: QuizSpec, variant: Variant, name: str) -> dict:
    return dict(title=spec.title, time_minutes=spec.time_minutes, instructions=spec.instructions,
                conventions=CONVENTIONS, student_id=variant.student_id, name=name, seed=f"{variant.seed:016x}",
                questions=[dict(view(q), pool=pool, points=pts) for q, pool, pts in
                           zip(variant.questions, variant.pools or [""] * len(variant.points),
                               variant.points)],
                max_score=variant.max_score)


# ---------------------------------------------------------------- PDF
def chromium() -> str | None:
    for exe in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(exe)
        if path:
            return path
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print an HTML file to PDF with headless Chromium (Debian package ``chromium``); the
    templates' ``@page`` rules set A4, margins and the running footer."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("no chromium found for PDF output (apt-get install chromium)")
    pdf_path = Path(pdf_path).resolve()
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--no-pdf-header-footer", f"--user-data-dir={profile}",
                        f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()],
                       check=True, capture_output=True, timeout=timeout)
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no {pdf_path}")
    return pdf_path


def htmls_to_pdfs(pairs: list[tuple[Path, Path]], workers: int | None = None) -> list[Path]:
    """Several :func:`html_to_pdf` at once (one Chromium each), in input order."""
    workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda p: html_to_pdf(*p), pairs))


# ---------------------------------------------------------------- LMS exports
def _pool_views(spec: QuizSpec, pools: dict[str, list[Question]]) -> list[dict]:
    by_name = {p.name: p for p in spec.pools}
    return [dict(name=name, slug=by_name[name].slug, count=by_name[name].count,
                 points=fmt(by_name[name].points), questions=[view(q) for q in qs])
            for name, qs in pools.items()]


def render_moodle(spec: QuizSpec, pools: dict[str, list[Question]]) -> str:
    """Moodle XML: one category per pool ($course$/<title>/<pool>), numerical questions with
    their absolute tolerance. Import into the question bank, then add "random question from
    category" slots (``count`` per pool) to the Moodle quiz."""
    return environment().get_template("moodle.xml.j2").render(
        title=spec.title, pools=_pool_views(spec, pools))


def write_qti(spec: QuizSpec, pools: dict[str, list[Question]], path: Path) -> Path:
    """Canvas QTI 1.2 zip (Settings → Import course content → QTI .zip file): imsmanifest.xml,
    <ident>/<ident>.xml with one question group per pool that picks ``count`` of its questions
    at ``points`` each, and <ident>/assessment_meta.xml with the quiz settings (time limit,
    points)."""
    env = environment()
    ident = f"quiz{spec.seed}"
    views = _pool_views(spec, pools)
    context = dict(ident=ident, title=spec.title, pools=views, time_minutes=spec.time_minutes,
                   points_possible=fmt(spec.max_score),
                   instructions=" ".join([spec.instructions, *CONVENTIONS]).strip())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("imsmanifest.xml", env.get_template("imsmanifest.xml.j2").render(**context))
        z.writestr(f"{ident}/{ident}.xml", env.get_template("qti_assessment.xml.j2").render(**context))
        z.writestr(f"{ident}/assessment_meta.xml",
                   env.get_template("assessment_meta.xml.j2").render(**context))
    return path


def quiz_json(spec: QuizSpec, variants: list[Variant], pools: dict[str, list[Question]]) -> str:
    return json.dumps({
        "title": spec.title, "seed": spec.seed, "time_minutes": spec.time_minutes,
        "max_score": spec.max_score,
        "pools": [{"name": p.name, "units": list(p.units), "rows": list(p.rows),
                   "generators": [g.name for g in p.candidates()], "count": p.count,
                   "points": p.points} for p in spec.pools],
        "bank": {name: [q.to_dict() for q in qs] for name, qs in pools.items()},
        "variants": [{"student_id": v.student_id, "seed": v.seed, "points": v.points,
                      "pools": v.pools, "questions": [q.to_dict() for q in v.questions]}
                     for v in variants],
    }, indent=1, ensure_ascii=False)


def keys_frame(variants: list[Variant]) -> pd.DataFrame:
    """student_id, q1..qN: each student's answers as they would write them on a response sheet
    (the grader's input format; handy for checking a scanned-sheet transcription)."""
    return pd.DataFrame([{"student_id": v.student_id,
                          **{f"q{i}": answer_text(q, for_grading=True)
                             for i, q in enumerate(v.questions, 1)}} for v in variants])


def render_stats(spec: QuizSpec, stats: pd.DataFrame, by_generator: pd.DataFrame,
                 scores: pd.DataFrame, issues: list[str], *, fragment: bool) -> str:
    """The item statistics as a page (``stats.html``) or as a section to embed in the
    instructor report (``stats_section.html``: no <html>, classes prefixed ``quiz-``)."""
    return environment().get_template("stats.html.j2").render(
        title=spec.title, rows=stats.to_dict("records"), gens=by_generator.to_dict("records"),
        scores=scores.to_dict("records"), n=len(scores),
        mean=float(scores["score"].mean()) if len(scores) else float("nan"),
        max_score=fmt(spec.max_score), issues=issues, fragment=fragment)
