"""The quiz verbs: generate (papers, keys, exports), export (pools only) and grade."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import grading, render
from .spec import QuizSpec, Variant, bank, make_variant, read_roster, roster_names

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class GenerateReport:
    out: Path
    papers: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    keys: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    pdf_error: str = ""


@dataclass
class GradeReport:
    scores: Path
    stats: Path
    stats_html: Path
    graded: pd.DataFrame


def variants_for(spec: QuizSpec, roster: str | Path) -> dict[str, Variant]:
    return {sid: make_variant(spec, sid) for sid in read_roster(roster)}


def export(spec: QuizSpec | str | Path, out: str | Path,
           variants: dict[str, Variant] | None = None) -> list[Path]:
    """quiz.json, moodle.xml and qti.zip of the question pools (plus the variants, if given)."""
    spec = spec if isinstance(spec, QuizSpec) else QuizSpec.load(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pools = bank(spec)
    (out / "quiz.json").write_text(render.quiz_json(spec, list((variants or {}).values()), pools))
    (out / "moodle.xml").write_text(render.render_moodle(spec, pools))
    render.write_qti(spec, pools, out / "qti.zip")
    return [out / "quiz.json", out / "moodle.xml", out / "qti.zip"]


def generate(spec: QuizSpec | str | Path, roster: str | Path, out: str | Path, *,
             pdf: bool = True) -> GenerateReport:
    """papers/<id>.html (+ .pdf), keys/<id>.html, quiz.json, moodle.xml, qti.zip under ``out``."""
    spec = spec if isinstance(spec, QuizSpec) else QuizSpec.load(spec)
    out = Path(out)
    (out / "papers").mkdir(parents=True, exist_ok=True)
    (out / "keys").mkdir(parents=True, exist_ok=True)
    names = roster_names(roster)
    variants = variants_for(spec, roster)
    rep = GenerateReport(out)
    for sid, v in variants.items():
        paper = out / "papers" / f"{sid}.html"
        paper.write_text(render.render_paper(spec, v, key=False, name=names.get(sid, "")))
        key = out / "keys" / f"{sid}.html"
        key.write_text(render.render_paper(spec, v, key=True, name=names.get(sid, "")))
        rep.papers.append(paper)
        rep.keys.append(key)
        if pdf and not rep.pdf_error:
            try:
                rep.pdfs.append(render.html_to_pdf(paper, paper.with_suffix(".pdf")))
            except Exception as e:  # no chromium: HTML papers still stand
                rep.pdf_error = str(e)
    rep.exports = export(spec, out, variants)
    return rep


def grade(spec: QuizSpec | str | Path, responses: str | Path, roster: str | Path,
          out: str | Path) -> GradeReport:
    """scores.csv (student_id, score, max_score), responses_graded.csv, stats.csv, stats.html."""
    spec = spec if isinstance(spec, QuizSpec) else QuizSpec.load(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    variants = variants_for(spec, roster)
    graded = grading.grade(variants, grading.read_responses(responses))
    graded[["student_id", "score", "max_score"]].to_csv(out / "scores.csv", index=False)
    graded.to_csv(out / "responses_graded.csv", index=False)
    stats = grading.item_stats(graded, variants)
    stats.to_csv(out / "stats.csv", index=False)
    html = render.environment().get_template("stats.html.j2").render(
        title=spec.title, rows=stats.to_dict("records"),
        scores=graded[["student_id", "score", "max_score"]].to_dict("records"), n=len(graded),
        mean=float(graded["score"].mean()), max_score=spec.max_score)
    (out / "stats.html").write_text(html)
    return GradeReport(out / "scores.csv", out / "stats.csv", out / "stats.html", graded)


def demo(out: str | Path = "out/demo", *, pdf: bool = True) -> GradeReport:
    """The example mid-term for examples/roster.csv, graded from examples/quiz/responses.csv,
    all under ``out``/quiz."""
    out = Path(out) / "quiz"
    spec = EXAMPLES / "quiz" / "midterm.toml"
    roster = EXAMPLES / "roster.csv"
    generate(spec, roster, out, pdf=pdf)
    return grade(spec, EXAMPLES / "quiz" / "responses.csv", roster, out)
