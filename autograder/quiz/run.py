"""The quiz verbs: generate (papers, keys, exports), export (pools only), grade, and the example
responses used by the demo."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import copying, grading, render
from .model import single_threaded
from .question import LETTERS, Question, fmt
from .spec import QuizSpec, Variant, bank, make_variant, read_roster, roster_names

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class GenerateReport:
    out: Path
    papers: list[Path] = field(default_factory=list)  # papers/<id>.html
    pdfs: list[Path] = field(default_factory=list)  # papers/<id>.pdf (+ keys.pdf last)
    keys: list[Path] = field(default_factory=list)  # keys/<id>.html
    exports: list[Path] = field(default_factory=list)  # quiz.json, moodle.xml, qti.zip, keys.csv
    pdf_error: str = ""


@dataclass
class GradeReport:
    scores: Path
    stats: Path
    stats_html: Path
    graded: pd.DataFrame
    issues: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def file_stem(student_id: str) -> str:
    """A student id as a file name: letters, digits, '.', '-' and '_' kept, the rest '_'."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", str(student_id)).lstrip(".")
    return stem or "_"


def _spec(spec: QuizSpec | str | Path) -> QuizSpec:
    return spec if isinstance(spec, QuizSpec) else QuizSpec.load(spec)


def variants_for(spec: QuizSpec, ids) -> dict[str, Variant]:
    """Variants for a roster file or a list of ids, in that order."""
    ids = read_roster(ids) if isinstance(ids, (str, Path)) else [str(i).strip() for i in ids]
    return {sid: make_variant(spec, sid) for sid in ids}


def export(spec: QuizSpec | str | Path, out: str | Path,
           variants: dict[str, Variant] | None = None) -> list[Path]:
    """quiz.json, moodle.xml and qti.zip of the question pools (plus the variants and keys.csv,
    if given)."""
    spec = _spec(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pools = bank(spec)
    vs = list((variants or {}).values())
    (out / "quiz.json").write_text(render.quiz_json(spec, vs, pools))
    (out / "moodle.xml").write_text(render.render_moodle(spec, pools))
    render.write_qti(spec, pools, out / "qti.zip")
    paths = [out / "quiz.json", out / "moodle.xml", out / "qti.zip"]
    if vs:
        render.keys_frame(vs).to_csv(out / "keys.csv", index=False)
        paths.append(out / "keys.csv")
    return paths


def generate(spec: QuizSpec | str | Path, roster: str | Path, out: str | Path, *,
             pdf: bool = True) -> GenerateReport:
    """papers/<id>.html + .pdf, keys/<id>.html, keys.pdf (every key), quiz.json, moodle.xml,
    qti.zip, keys.csv under ``out``. PDFs need Chromium; without it the HTML stands and
    ``pdf_error`` says why."""
    spec = _spec(spec)
    out = Path(out)
    (out / "papers").mkdir(parents=True, exist_ok=True)
    (out / "keys").mkdir(parents=True, exist_ok=True)
    names = roster_names(roster)
    variants = variants_for(spec, roster)
    rep = GenerateReport(out)
    for sid, v in variants.items():
        stem = file_stem(sid)
        paper, key = out / "papers" / f"{stem}.html", out / "keys" / f"{stem}.html"
        paper.write_text(render.render_paper(spec, v, key=False, name=names.get(sid, "")))
        key.write_text(render.render_paper(spec, v, key=True, name=names.get(sid, "")))
        rep.papers.append(paper)
        rep.keys.append(key)
    all_keys = out / "keys" / "all.html"
    all_keys.write_text(render.render_papers(spec, list(variants.values()), names, key=True))
    if pdf:
        try:
            pairs = [(p, p.with_suffix(".pdf")) for p in rep.papers] + [(all_keys, out / "keys.pdf")]
            rep.pdfs = render.htmls_to_pdfs(pairs)
        except Exception as e:  # no chromium: HTML papers still stand
            rep.pdf_error = str(e)
    rep.exports = export(spec, out, variants)
    return rep


def _loose(sid: str) -> str:
    return re.sub(r"\.0+$", "", sid.strip()).lstrip("0").lower()


def _match_roster_ids(resp: grading.Responses, roster_ids: list[str], issues: list[str]) -> None:
    """Spreadsheets mangle ids ("01004" → "1004", "1004" → "1004.0"); grading the mangled id
    would use another student's variant. Map such ids back to the roster's, and say so."""
    if not roster_ids:
        return
    on = set(roster_ids)
    canon = {_loose(s): s for s in roster_ids}
    fixed = {s: canon[_loose(s)] for s in resp.frame["student_id"]
             if s not in on and _loose(s) in canon}
    taken = set(resp.frame["student_id"]) & on
    fixed = {a: b for a, b in fixed.items() if b not in taken}
    if fixed:
        resp.frame["student_id"] = resp.frame["student_id"].replace(fixed)
        issues.append("ids matched to the roster: "
                      + ", ".join(f"{a} → {b}" for a, b in fixed.items()))


def _ordered_ids(responding: list[str], roster_ids: list[str]) -> list[str]:
    on = [s for s in roster_ids if s in set(responding)]
    return on + [s for s in responding if s not in set(roster_ids)]


def grade(spec: QuizSpec | str | Path, responses: str | Path, roster: str | Path | None,
          out: str | Path) -> GradeReport:
    """Grade each responding student against the variant of their own id. Writes scores.csv
    (student_id, score, max_score: the course gradebook's input; students with no response row
    are left out, so the gradebook marks them missing), responses_graded.csv (points per
    question), stats.csv (per question position), generator_stats.csv, stats.html,
    stats_section.html (to embed in the instructor report), issues.txt and copying.csv (sheets
    that fit another student's paper better than their own: :mod:`autograder.quiz.copying`)."""
    spec = _spec(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    resp = grading.read_responses(responses)
    issues = list(resp.issues)
    roster_ids = read_roster(roster) if roster else []
    _match_roster_ids(resp, roster_ids, issues)
    responding = list(resp.frame["student_id"])
    ids = _ordered_ids(responding, roster_ids)
    if roster_ids:
        absent = [s for s in roster_ids if s not in set(responding)]
        extra = [s for s in responding if s not in set(roster_ids)]
        if absent:
            issues.append(f"no responses (left out of scores.csv, the gradebook marks them "
                          f"missing): {', '.join(absent)}")
        if extra:
            issues.append(f"not on the roster (graded against their own id's variant): "
                          f"{', '.join(extra)}")
    n = spec.n_questions
    qcols = [c for c in resp.frame.columns if c != "student_id"]
    beyond = [c for c in qcols if int(c[1:]) > n]
    missing = [f"q{i}" for i in range(1, n + 1) if f"q{i}" not in qcols]
    if beyond:
        issues.append(f"columns beyond the {n} questions ignored: {', '.join(beyond)}")
    if missing:
        issues.append(f"no column for {', '.join(missing)} (0 points there)")
    variants = variants_for(spec, ids)
    malformed: list[str] = []
    graded = grading.grade(variants, resp, malformed)
    if malformed:
        issues.append(f"{len(malformed)} malformed answer{'s' if len(malformed) != 1 else ''} "
                      f"(scored as described; review those marked 'review'):")
        issues.extend(f"  {line}" for line in malformed)
    scores = graded[["student_id", "score", "max_score"]]
    files = {name: out / name for name in ("scores.csv", "responses_graded.csv", "stats.csv",
                                           "generator_stats.csv", "stats.html",
                                           "stats_section.html", "issues.txt",
                                           "copying.csv")}
    scores.to_csv(files["scores.csv"], index=False)
    graded.to_csv(files["responses_graded.csv"], index=False)
    copied = copying.copying(variants, resp)
    copying.write(copied, files["copying.csv"])
    for r in copied.itertuples():
        issues.append(f"{r.student_id}: the sheet scores {r.other_score:g} on {r.other_id}'s paper "
                      f"and {r.own_score:g} on its own (copying.csv)")
    if len(graded):
        stats = grading.item_stats(graded, variants)
        by_gen = grading.generator_stats(graded, variants)
    else:
        stats = pd.DataFrame(columns=["question", "pool", "points", "n", "difficulty",
                                      "discrimination_27", "point_biserial", "generators"])
        by_gen = grading.generator_stats(graded, variants)
    stats.to_csv(files["stats.csv"], index=False)
    by_gen.to_csv(files["generator_stats.csv"], index=False)
    for name, fragment in (("stats.html", False), ("stats_section.html", True)):
        files[name].write_text(render.render_stats(spec, stats, by_gen, scores, issues,
                                                   fragment=fragment))
    files["issues.txt"].write_text("".join(f"{i}\n" for i in issues))
    return GradeReport(files["scores.csv"], files["stats.csv"], files["stats.html"], graded,
                       issues, files)


# ---------------------------------------------------------------- example responses
def _wrong(q: Question, rng: random.Random) -> str:
    """A plausible wrong answer: a distractor, a number off by 10-40%, the other truth value,
    a half-right selection, a shape with one entry changed."""
    if q.qtype == "mc":
        return rng.choice([l for l in LETTERS[:len(q.options)] if l != q.answer])
    if q.qtype == "tf":
        return "F" if q.answer == "True" else "T"
    if q.qtype == "ma":
        wrong = [l for l in LETTERS[:len(q.options)] if l not in q.answer]
        return ";".join(sorted(set(q.answer[:1]) | {rng.choice(wrong)}))
    if q.qtype == "numeric":
        off = q.answer * rng.choice([0.6, 0.75, 1.25, 1.4]) + rng.choice([-1, 1]) * 3 * q.tolerance
        return fmt(off, 6)
    inner = q.answer.strip("()").split(", ")
    i = rng.randrange(len(inner))
    try:
        inner[i] = fmt(float(inner[i]) + rng.choice([-2, -1, 1, 2]))
    except ValueError:
        return "?"
    return "(" + ", ".join(inner) + ")"


def example_responses(spec: QuizSpec | str | Path, ids: list[str],
                      ability: dict[str, float] | None = None, copies: dict[str, str] | None = None,
                      seed: int = 0) -> pd.DataFrame:
    """A made-up response sheet: student ``s`` answers each question of their own variant
    correctly with probability ``ability[s]`` (default 1) and otherwise plausibly wrong; a
    student in ``copies`` hands in the sheet of the student they copy from. Deterministic."""
    spec = _spec(spec)
    ability, copies = ability or {}, copies or {}
    rng = random.Random(seed)
    sheets = {}
    with single_threaded():
        for sid in ids:
            v = make_variant(spec, sid)
            sheets[sid] = [render.answer_text(q, for_grading=True)
                           if rng.random() < ability.get(sid, 1.0) else _wrong(q, rng)
                           for q in v.questions]
    rows = [{"student_id": sid, **{f"q{i}": a for i, a in enumerate(sheets[copies.get(sid, sid)], 1)}}
            for sid in ids]
    return pd.DataFrame(rows)


def write_example_responses(spec: QuizSpec | str | Path, roster: str | Path, path: str | Path) -> Path:
    """Example responses for the roster, in roster order: the first two students answer their
    own papers right, the next ones less and less right (85%, 70%, ... at least 10%), and the
    last one (of three or more) hands in a copy of the first one's sheet, as if sitting next to
    them. For examples/roster.csv: 1001, 1002 right; 1003-1007 weaker; 1008 copies 1001."""
    ids = read_roster(roster)
    ability = {sid: 1.0 if i < 2 else max(0.1, 1.0 - 0.15 * (i - 1)) for i, sid in enumerate(ids)}
    copies = {ids[-1]: ids[0]} if len(ids) >= 3 else {}
    frame = example_responses(spec, ids, ability, copies)
    frame.to_csv(path, index=False)
    return Path(path)


def demo(out: str | Path = "out/demo", *, pdf: bool = True) -> GradeReport:
    """The example mid-term for examples/roster.csv, graded from examples/quiz/responses.csv,
    all under ``out``/quiz."""
    out = Path(out) / "quiz"
    spec = QuizSpec.load(EXAMPLES / "quiz" / "midterm.toml")
    roster = EXAMPLES / "roster.csv"
    generate(spec, roster, out, pdf=pdf)
    return grade(spec, EXAMPLES / "quiz" / "responses.csv", roster, out)
