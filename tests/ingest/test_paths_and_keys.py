"""Paths that do not exist, files that are no submission, and one result key per file."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from autograder.cli import app
from autograder.course import Course, CourseError
from autograder.grade.batch import course_groups, grade_batch
from autograder.ingest import NotebookError, code_cells, collect

from .helpers import make_zip, notebook


def _course(tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / "toy").mkdir(parents=True)
    (root / "solutions" / "toy" / "grading.toml").write_text(
        'title = "Toy"\nseed = 1\n[[questions]]\nname = "q1"\npoints = 2\nspecs = ["double"]\n')
    return Course(root)


def test_a_path_that_does_not_exist_stops_grading_before_anything_is_stored(tmp_path):
    """Defect 6: a missing path became a phantom student (0 points, kept in the store) and
    `grade` exited 0."""
    course = _course(tmp_path)
    (tmp_path / "s1.ipynb").write_bytes(notebook("x = 1"))
    out = tmp_path / "out"
    with pytest.raises(CourseError, match="no such file or folder: .*typo.ipynb"):
        grade_batch(course, "toy", [tmp_path / "s1.ipynb", tmp_path / "typo.ipynb"], out)
    assert not out.exists()
    result = CliRunner().invoke(app, ["grade", "toy", str(tmp_path / "typo.ipynb"), "-o",
                                      str(out), "--course", str(course.root)])
    assert result.exit_code != 0 and "typo.ipynb" in result.output
    assert not (out / "results.sqlite").exists()


def test_files_that_are_no_submission_are_skipped_with_one_warning_each(tmp_path):
    """Defect 6: README.md, notes.md, times.csv, readme.txt and .py files each became a
    permanent phantom student."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "s1.ipynb").write_bytes(notebook("x = 1"))
    junk = ["README.md", "notes.md", "times.csv", "readme.txt", "helper.py",
            "x\n\x1b]0;pwned\x07\u202e.md"]  # a name that would break the line
    for name in junk:
        (folder / name).write_text("not a submission")
    (folder / "doejane_12345_67890_hw1.pdf").write_bytes(b"%PDF-1.7\n...")  # Canvas-named
    (folder / "bo_222_333_plot.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    warnings: list[str] = []
    subs = collect([folder], warn=warnings.append)
    assert [(s.student_id, s.error.split(",")[0]) for s in subs] == [
        ("222", "an image"), ("12345", "a PDF"), ("s1", "")]
    assert len(warnings) == len(junk)
    assert all(any(name in w for w in warnings) for name in junk[:-1])
    assert all(w.isprintable() for w in warnings)


def test_a_submission_that_is_no_notebook_says_what_it_is(tmp_path):
    """Defect 8: a PDF got 51 lines of "invalid JSON"."""
    with pytest.raises(NotebookError, match="^a PDF, not a notebook"):
        code_cells(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(NotebookError, match="^an image, not a notebook"):
        code_cells(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(NotebookError, match="^a zip, not a notebook"):  # named .ipynb
        code_cells(make_zip({"hw1.py": b"x = 1"}))
    (tmp_path / "hw1.pdf").write_bytes(b"%PDF-1.7\n")
    make_zip({"hw1.py": b"x = 1", "notes.txt": b""}, tmp_path / "doe_1_2_hw1.zip")
    pdf, empty = collect([tmp_path / "hw1.pdf", tmp_path / "doe_1_2_hw1.zip"])
    assert pdf.error.startswith("a PDF, not a notebook")
    assert empty.student_id == "1" and empty.error.startswith("a zip with no notebook")
    assert "hw1.py" in empty.error


def test_every_file_gets_its_own_result_key(tmp_path):
    """Defect 7: duplicate stems got "-2", which a real X-2.ipynb also had: two students shared
    one result file, store key and gradebook row."""
    for folder, name in [("a", "X.ipynb"), ("b", "X.ipynb"), ("c", "X-2.ipynb"),
                         ("d", "x.ipynb"), ("e", "X.zip")]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes(notebook(f"# {folder}"))
    make_zip({"hw1.ipynb": notebook("# e")}, tmp_path / "e" / "X.zip")
    subs = collect([tmp_path / d for d in "abcde"])
    names = [s.name for s in subs]
    assert len({n.lower() for n in names}) == 5  # results are files: case-insensitive too
    assert names[2] == "X-2"  # the real X-2 keeps its own name
    assert names[0] == "X" and all(n.lower() != "x-2" for n in names[:2] + names[3:])


def test_the_groups_file_comes_from_the_course_config(tmp_path):
    course = _course(tmp_path)
    assert course_groups(course) is None
    (course.root / "course.toml").write_text('groups = "canvas/groups.csv"\n')
    assert course_groups(course) == course.root / "canvas" / "groups.csv"
    (course.root / "solutions" / "s1.ipynb").write_bytes(notebook("x = 1"))
    with pytest.raises(CourseError, match="groups.csv"):  # named but absent: nothing graded
        grade_batch(course, "toy", [course.root / "solutions" / "s1.ipynb"], tmp_path / "out")
    assert not (tmp_path / "out" / "results.sqlite").exists()
