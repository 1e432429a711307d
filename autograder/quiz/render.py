"""Papers, answer keys, PDFs, and the JSON / Moodle XML / Canvas QTI 1.2 exports."""
from __future__ import annotations

import html
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import jinja2

from .model import LETTERS, Question, fmt
from .spec import QuizSpec, Variant

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "quiz"
MOODLE_TYPE = {"numeric": "numerical", "mc": "multichoice", "ma": "multichoice",
               "tf": "truefalse", "short": "shortanswer"}
CANVAS_TYPE = {"numeric": "numerical_question", "mc": "multiple_choice_question",
               "ma": "multiple_answers_question", "tf": "true_false_question",
               "short": "short_answer_question"}


def environment(templates: str | Path | None = None) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates or TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "xml", "j2"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def answer_text(q: Question) -> str:
    if q.qtype == "numeric":
        return str(int(q.answer)) if q.answer == int(q.answer) else f"{q.answer:.6g}"
    if q.qtype == "ma":
        return ";".join(q.answer)
    if q.qtype == "mc":
        return f"{q.answer} ({q.options[LETTERS.index(q.answer)]})"
    return str(q.answer)


def view(q: Question) -> dict:
    """A question as the templates see it."""
    d = q.to_dict()
    d.update(html="<p>" + html.escape(q.text) + "</p>", answer_text=answer_text(q), tol_text=fmt(q.tolerance, 4),
             moodle_type=MOODLE_TYPE[q.qtype], canvas_type=CANVAS_TYPE[q.qtype])
    if q.qtype == "ma":  # Moodle: right options share +100, wrong ones share -100
        n_ok, n_bad = len(q.answer), len(q.options) - len(q.answer)
        d["ma_fractions"] = [f"{100 / n_ok:.5f}" if LETTERS[i] in q.answer else f"{-100 / n_bad:.5f}"
                             for i in range(len(q.options))]
    if q.qtype == "tf":
        d["options"], d["answer_ident"] = ["True", "False"], "A" if q.answer == "True" else "B"
    if q.qtype == "mc":
        d["answer_ident"] = q.answer
    return d


def render_paper(spec: QuizSpec, variant: Variant, key: bool = False, name: str = "") -> str:
    return environment().get_template("paper.html.j2").render(
        title=spec.title, time_minutes=spec.time_minutes, instructions=spec.instructions,
        student_id=variant.student_id, name=name, seed=variant.seed, key=key,
        questions=[view(q) for q in variant.questions], points=variant.points,
        max_score=variant.max_score, letters=LETTERS)


def chromium() -> str | None:
    for exe in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(exe)
        if path:
            return path
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 60) -> Path:
    """Print an HTML file to PDF with headless Chromium (Debian package ``chromium``)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("no chromium found for PDF output (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", f"--user-data-dir={profile}",
                        f"--print-to-pdf={Path(pdf_path).resolve()}",
                        Path(html_path).resolve().as_uri()],
                       check=True, capture_output=True, timeout=timeout)
    if not Path(pdf_path).exists():
        raise RuntimeError(f"chromium wrote no {pdf_path}")
    return Path(pdf_path)


def _pool_points(spec: QuizSpec):
    return ({p.unit: fmt(p.points) for p in spec.pools}, {p.unit: p.count for p in spec.pools})


def render_moodle(spec: QuizSpec, pools: dict[str, list[Question]]) -> str:
    points, _ = _pool_points(spec)
    return environment().get_template("moodle.xml.j2").render(
        title=spec.title, pools={u: [view(q) for q in qs] for u, qs in pools.items()},
        points=points, letters=LETTERS)


def write_qti(spec: QuizSpec, pools: dict[str, list[Question]], path: Path) -> Path:
    """Canvas QTI 1.2 zip: imsmanifest.xml + <ident>/<ident>.xml; one question group per unit
    that picks ``count`` of its questions."""
    env = environment()
    points, counts = _pool_points(spec)
    ident = f"quiz{spec.seed}"
    assessment = env.get_template("qti_assessment.xml.j2").render(
        ident=ident, title=spec.title, pools={u: [view(q) for q in qs] for u, qs in pools.items()},
        points=points, counts=counts, letters=LETTERS)
    manifest = env.get_template("imsmanifest.xml.j2").render(ident=ident)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("imsmanifest.xml", manifest)
        z.writestr(f"{ident}/{ident}.xml", assessment)
    return path


def quiz_json(spec: QuizSpec, variants: list[Variant], pools: dict[str, list[Question]]) -> str:
    return json.dumps({
        "title": spec.title, "seed": spec.seed, "time_minutes": spec.time_minutes,
        "max_score": spec.max_score,
        "pools": [{"unit": p.unit, "count": p.count, "points": p.points} for p in spec.pools],
        "bank": {u: [q.to_dict() for q in qs] for u, qs in pools.items()},
        "variants": [{"student_id": v.student_id, "seed": v.seed, "points": v.points,
                      "questions": [q.to_dict() for q in v.questions]} for v in variants],
    }, indent=1, ensure_ascii=False)
