"""Building an assignment: master notebook → student notebook + hidden fixtures, then a self-check.

1. check that the master notebook and ``grading.toml`` agree on questions and points;
2. ``otter assign`` the master notebook; its student half becomes ``assignments/<hw>/<hw>.ipynb``
   (what students receive: the notebook with stubs, made to work alone by :mod:`.standalone`:
   a setup cell holding the public tests, the submission cells and, when the course has a
   server, its submit cell), its autograder half goes to ``build/<hw>/otter/`` (hidden);
3. make sure nothing hidden reached ``assignments/<hw>/``;
4. derive the hidden fixtures from ``reference/`` (``autograder.fixtures``);
5. self-check: grading the solution notebook must give full marks and grading the untouched
   student notebook must give 0, question by question, or the build fails and says which
   question broke.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import fixtures as fixture_store
from .rules import grading_rules
from .standalone import public_tests, standalone
from ..course import Course, CourseError
from ..grade.pipeline import Grader
from ..grade.results import GradingResults
from ..ingest.submission import Submission
from ..sandbox.client import Zygote

QUESTION_HEADER = re.compile(r"^\s*#\s*BEGIN QUESTION\s*$", re.MULTILINE)
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "BEGIN TEST CONFIG",
                "hidden: true", "'hidden': True")


class BuildError(CourseError):
    pass


@dataclass
class BuildReport:
    assignment: str
    student_notebook: Path
    fixtures_regenerated: bool
    cases: int
    hidden_cases: int
    solution: GradingResults | None = None
    stub: GradingResults | None = None
    problems: list[str] = field(default_factory=list)


def notebook_questions(notebook: Path) -> dict[str, float]:
    """``{question name: points}`` from the master notebook's BEGIN QUESTION raw cells."""
    nb = json.loads(notebook.read_text())
    found: dict[str, float] = {}
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "raw" and QUESTION_HEADER.search(source):
            meta = yaml.safe_load(QUESTION_HEADER.sub("", source, count=1)) or {}
            found[str(meta.get("name"))] = float(meta.get("points", 0) or 0)
    return found


def check_questions(course: Course, hw: str) -> None:
    config = course.config(hw)
    in_notebook = notebook_questions(course.solution_notebook(hw))
    problems = []
    for q in config.questions:
        if q.name not in in_notebook:
            problems.append(f"{q.name} is in grading.toml but not in the notebook")
        elif abs(in_notebook[q.name] - q.points) > 1e-9:
            problems.append(f"{q.name}: notebook says {in_notebook[q.name]:g} points, "
                            f"grading.toml {q.points:g}")
    for name in set(in_notebook) - {q.name for q in config.questions}:
        problems.append(f"{name} is in the notebook but not in grading.toml")
    if problems:
        raise BuildError(f"{hw}: " + "; ".join(problems))


def _otter_error(output: str) -> str:
    """What stopped otter assign: the failing doctest blocks of a public test (otter prints every
    example it tries), else the end of its output (a traceback)."""
    lines = output.splitlines()
    failed = []
    for i, line in enumerate(lines):
        if line.strip() == "Failed example:":
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].strip() in ("Trying:", "*" * 70)), len(lines))
            failed += lines[max(i - 1, 0):min(end, i + 12)]
    return "\n".join(failed[:40] or lines[-15:])


def run_otter_assign(course: Course, hw: str, run_tests: bool = True,
                     server: str | None = None) -> None:
    """otter assign ``hw``'s master notebook; write the standalone student notebook (with the
    course server's submit cell when ``server`` is its address) and otter's autograder half."""
    master = course.solution_notebook(hw)
    with tempfile.TemporaryDirectory(prefix=f"assign-{hw}-") as tmp:
        dist = Path(tmp) / "dist"
        cmd = [sys.executable, "-m", "otter", "assign", "--no-pdfs"]
        if not run_tests:
            cmd.append("--no-run-tests")
        proc = subprocess.run([*cmd, str(master), str(dist)], cwd=master.parent,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"otter assign failed for {hw}:\n" +
                             _otter_error(proc.stderr.strip() or proc.stdout.strip()))
        student, autograder = dist / "student", dist / "autograder"
        try:
            nb = standalone(json.loads((student / f"{hw}.ipynb").read_text()), hw,
                            public_tests(student / "tests"), server,
                            rules=grading_rules(course.config(hw)))
        except ValueError as e:
            raise BuildError(str(e)) from None
        shutil.rmtree(student / "tests")  # now inside the notebook
        (student / f"{hw}.ipynb").write_text(json.dumps(nb))
        problems = leaks(student)
        if problems:
            raise BuildError(f"{hw}: the student notebook would leak: " + "; ".join(problems))
        target = course.assignment_dir(hw)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(student, target)
        stable_cell_ids(target / f"{hw}.ipynb")
        otter_dir = course.build_dir(hw) / "otter"
        if otter_dir.exists():
            shutil.rmtree(otter_dir)
        shutil.copytree(autograder, otter_dir)
        for zip_path in otter_dir.glob("*-autograder_*.zip"):  # drop otter's timestamp
            zip_path.rename(otter_dir / f"{hw}-autograder.zip")


def stable_cell_ids(notebook: Path) -> None:
    """otter assign gives cells fresh random ids on every run; number them instead, so that
    rebuilding an unchanged master notebook leaves the committed student notebook unchanged."""
    nb = json.loads(notebook.read_text())
    with_ids = (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5)
    for index, cell in enumerate(nb["cells"]):
        if with_ids or "id" in cell:
            cell["id"] = f"cell-{index:03d}"
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def leaks(student_dir: Path) -> list[str]:
    """Solution or hidden-test markers anywhere in what students receive."""
    found = []
    for path in sorted(student_dir.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for marker in LEAK_MARKERS:
            if marker in text:
                found.append(f"{path.relative_to(student_dir)} contains {marker!r}")
    return found


def self_check(grader: Grader, solution: Path, stub: Path) -> tuple[GradingResults,
                                                                   GradingResults, list[str]]:
    problems = []
    with Zygote() as zygote:
        sol, _ = grader.grade(Submission("solution", "solution", str(solution),
                                         solution.read_bytes()), zygote)
        stu, _ = grader.grade(Submission("stub", "stub", str(stub), stub.read_bytes()), zygote)
    for q in sol.questions:
        if q.score < q.max_score - 1e-9:
            failed = [c for c in q.cases if not c.passed]
            problems.append(f"{q.name}: the solution scores {q.score:g}/{q.max_score:g} "
                            f"({failed[0].name}: {failed[0].message})")
    for q in stu.questions:
        if q.score > 1e-9:
            passed = [c.name for c in q.cases if c.passed]
            problems.append(f"{q.name}: the untouched stub scores {q.score:g} "
                            f"(passes {', '.join(passed)})")
    if sol.status != "graded":
        problems.append(f"the solution notebook did not run cleanly: {sol.status}: {sol.message}")
    return sol, stu, problems


def build(course: Course, hw: str, *, otter: bool = True, otter_tests: bool = True,
          check: bool = True, device: str = "cpu", server: str | None = None) -> BuildReport:
    """Build ``hw`` (see the module docstring); ``server``: the course server's address, for
    the notebook's submit cell (``None``: no submit cell)."""
    config = course.config(hw)
    if not course.solution_notebook(hw).is_file():
        raise BuildError(f"{hw}: missing master notebook {course.solution_notebook(hw)}")
    check_questions(course, hw)
    if otter:
        run_otter_assign(course, hw, run_tests=otter_tests, server=server)
    fixtures, regenerated = fixture_store.ensure(course, config)
    report = BuildReport(hw, course.student_notebook(hw), regenerated, len(fixtures.cases),
                         sum(c.hidden for c in fixtures.cases))
    if check:
        if not course.student_notebook(hw).is_file():
            raise BuildError(f"{hw}: no student notebook at {course.student_notebook(hw)}; "
                             "build without --no-otter first")
        grader = Grader.for_assignment(config, fixtures, device=device)
        report.solution, report.stub, report.problems = self_check(
            grader, course.solution_notebook(hw), course.student_notebook(hw))
        if report.problems:
            raise BuildError(f"{hw}: self-check failed:\n  " + "\n  ".join(report.problems))
    return report
