"""Gradescope: our grader as a Gradescope autograder.

:func:`make_bundle` writes ``<hw>-gradescope.zip``: ``setup.sh`` (installs torch and this
package), ``run_autograder``, ``gradescope.json`` (settings), the assignment's ``grading.toml``
and hidden fixtures, and the package source. In Gradescope's container, ``run_autograder`` calls
:func:`run_autograder`, which grades ``/autograder/submission/*.ipynb`` in our sandbox against
the shipped fixtures and writes ``/autograder/results/results.json``. Hidden cases get the
visibility chosen when the bundle was made (``after_due_date`` or ``hidden``).
``AUTOGRADER_ROOT`` (or ``--root``) moves ``/autograder``, so that a test can run the same script
in a temporary folder.

Gradescope's submission exports (the other direction) are read by
:mod:`autograder.ingest.gradescope`.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any, Iterable

from .. import __version__
from ..course import Course
from ..grade import points
from ..ingest.files import MAX_NOTEBOOK_BYTES
from ..ingest.gradescope import iso_time
from ..ingest.submission import Submission
from ..report.feedback import safe_message
from ..report.render import environment

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
SETTINGS_NAME = "gradescope.json"


# ----------------------------------------------------------------------- the autograder


WHEN_SHOWN = {"after_due_date": "after the due date", "after_published": "once the grades are "
              "published", "hidden": "never (the total score shows once grades are published)"}


def apply_visibility(payload: dict[str, Any], hidden_visibility: str, note: str = "") -> str:
    """Set the visibility of hidden cases in a Gradescope results payload. Until they show,
    the text every student sees (the top-level ``output``) tells nothing they would not: the
    public tests' points, not the total, and no note about a hidden case (a crash, a time
    limit). ``note`` (which file was graded) is added for everybody. Returns what was taken
    out of ``output``, for the instructors' stdout ("" if nothing)."""
    assert hidden_visibility in VISIBILITIES, hidden_visibility
    tests = payload.get("tests", [])
    hidden = [t for t in tests if (t.get("extra_data") or {}).get("hidden")]
    public = [t for t in tests if not (t.get("extra_data") or {}).get("hidden")]
    for test in hidden:
        test["visibility"] = hidden_visibility
    withheld = ""
    if hidden and hidden_visibility != "visible":
        notes = payload.get("output", "")
        status = (payload.get("extra_data") or {}).get("status", "graded")
        public_max = points.total(t["max_score"] for t in public)
        hidden_max = points.total(t["max_score"] for t in hidden)
        lines = [f"Public tests: {points.total(t['score'] for t in public):g} / "
                 f"{public_max:g} point{'' if public_max == 1 else 's'}."
                 if public else "No public tests.",
                 f"The {len(hidden)} hidden test{'' if len(hidden) == 1 else 's'} "
                 f"({hidden_max:g} point{'' if hidden_max == 1 else 's'}) and the total "
                 f"score show {WHEN_SHOWN[hidden_visibility]}."]
        if status == "error":  # nothing ran (not a notebook, ...): no hidden case involved
            lines.insert(0, notes)
        else:
            withheld = notes
        payload["output"] = "\n".join(lines)
    if note:
        payload["output"] = "\n".join(filter(None, [payload.get("output", ""), note]))
    return withheld


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    tmp.replace(path)


def _is_clutter(relative: Path) -> bool:
    """What an upload carries besides the student's files: macOS's ``__MACOSX/`` folder (its
    ``._name.ipynb`` files are resource forks, not notebooks), hidden files and folders
    (``.ipynb_checkpoints/``, ``._*``, ``.DS_Store``)."""
    return any(part == "__MACOSX" or part.startswith(".") for part in relative.parts)


def _pick_notebook(folder: Path, hw: str) -> tuple[Path | None, list[str]]:
    """The notebook to grade in a Gradescope upload, and the notebooks found there (or, when
    there is none, every file): ``<hw>.ipynb`` if there is one, else the first by name."""
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not _is_clutter(p.relative_to(folder)))
    found = [p for p in files if p.suffix.lower() == ".ipynb"]
    if not found:
        return None, [p.relative_to(folder).as_posix() for p in files]
    preferred = [p for p in found if p.name == f"{hw}.ipynb"] or found
    return preferred[0], [p.relative_to(folder).as_posix() for p in found]


def _submitter(root: Path) -> tuple[str, str]:
    """(student id, submission time) from Gradescope's ``submission_metadata.json``."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text())
    except (OSError, ValueError):
        return "", ""
    users = meta.get("users") or []
    person = users[0] if users and isinstance(users[0], dict) else {}
    sid = str(person.get("sid") or person.get("email") or person.get("name") or "")
    return sid, iso_time(meta.get("created_at"))


def run_autograder(root: str | Path = "/autograder", *, source: str | Path | None = None,
                   submission: str | Path | None = None, results: str | Path | None = None,
                   hidden_visibility: str | None = None, device: str | None = None) -> dict:
    """Grade the submission in Gradescope's layout and write its ``results.json``.

    ``root/source`` holds the unzipped bundle, ``root/submission`` the student's files,
    ``root/results/results.json`` receives the results. Returns the payload written."""
    root = Path(root)
    source = Path(source) if source else root / "source"
    submission = Path(submission) if submission else root / "submission"
    results_path = Path(results) if results else root / "results" / "results.json"
    start = time.perf_counter()
    try:
        settings = json.loads((source / SETTINGS_NAME).read_text())
        hw = settings["assignment"]
        visibility = hidden_visibility or settings.get("hidden_visibility", "after_due_date")
        if visibility not in VISIBILITIES:
            raise ValueError(f"hidden visibility must be one of {VISIBILITIES}, not {visibility!r}")
        payload, log, note = _grade_one(source, submission, root, hw,
                                        device or settings.get("device", "cpu"))
        withheld = apply_visibility(payload, visibility, note)
        if withheld:  # run_autograder's stdout: instructors only
            print(f"---- the grader's notes (instructors only) ----\n{withheld}")
        if log:  # run_autograder's stdout: instructors only (stdout_visibility is "hidden").
            # Never in results.json: a submission can print the hidden inputs it was called on.
            print("---- what the submission printed (instructors only) ----")
            print(log)
    except Exception as e:  # noqa: BLE001 - the student must still get a results.json
        traceback.print_exc()
        payload = {"score": 0.0, "execution_time": round(time.perf_counter() - start, 3),
                   "output": f"The autograder itself failed ({type(e).__name__}: {e}). "
                             "This is not your fault: please tell the course staff.",
                   "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
    _write_json(results_path, payload)
    return payload


def _grade_one(source: Path, submission: Path, root: Path, hw: str,
               device: str) -> tuple[dict, str, str]:
    """The results payload, the submission's own output, and a note on which file was graded
    when the upload held several notebooks."""
    # torch, the fixtures and the sandbox load inside run_autograder's guard: an install that
    # cannot import them still writes a results.json that says so
    from .. import fixtures as fixture_store
    from ..grade.pipeline import Grader
    from ..sandbox.client import Zygote

    course = Course(source / "course")
    config = course.config(hw)
    fixtures = fixture_store.load(course.build_dir(hw))
    grader = Grader.for_assignment(config, fixtures, device=device)
    sid, created = _submitter(root)
    notebook, listing = _pick_notebook(submission, hw) if submission.is_dir() else (None, [])
    if notebook is None:
        what = ", ".join(listing) or "nothing"
        sub = Submission("submission", sid or "unknown", str(submission), b"",
                         error=f"no .ipynb notebook in the submission (found: {what})",
                         submitted_at=created)
    else:
        data = notebook.read_bytes()[:MAX_NOTEBOOK_BYTES + 1]
        sub = Submission(notebook.stem, sid or "unknown", str(notebook), data,
                         submitted_at=created)
    with Zygote() as zygote:
        result, log = grader.grade(sub, zygote)
    payload = result.to_gradescope()
    safe = {f"{q.name}: {c.name}": safe_message(c) for q in result.questions for c in q.cases}
    for test in payload["tests"]:  # the same second guard as the feedback pages
        test["output"] = safe.get(test["name"], test["output"])
    note = ""
    if notebook is not None and len(listing) > 1:
        note = (f"Graded {notebook.relative_to(submission).as_posix()}; also found: "
                + ", ".join(x for x in listing
                            if x != notebook.relative_to(submission).as_posix()))
    return payload, log, note


# ----------------------------------------------------------------------- the bundle

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

BUNDLE_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "genai-autograder"
version = "{version}"
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "safetensors>=0.4", "pyyaml>=6", "jinja2>=3.1"]

[tool.setuptools.packages.find]
include = ["autograder*", "reference*"]
"""


def _package_files() -> Iterable[tuple[str, Path]]:
    for top in ("autograder", "reference"):
        for path in sorted((_PACKAGE_ROOT / top).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield f"package/{path.relative_to(_PACKAGE_ROOT).as_posix()}", path


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes | str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def make_bundle(course: Course, hw: str, out: str | Path | None = None, *,
                hidden_visibility: str = "after_due_date", device: str = "cpu",
                torch_spec: str | None = None, templates: str | Path | None = None) -> Path:
    """Write the Gradescope autograder zip of ``hw`` (default ``build/<hw>/<hw>-gradescope.zip``)
    and return its path. Fixtures are regenerated first if they are out of date."""
    # torch: not at module level, so that run_autograder can report a broken install
    import torch

    from .. import fixtures as fixture_store

    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden visibility must be one of {VISIBILITIES}, "
                         f"not {hidden_visibility!r}")
    config = course.config(hw)
    fixture_store.ensure(course, config)
    build = course.build_dir(hw)
    out = Path(out) if out else build / f"{hw}-gradescope.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    torch_spec = torch_spec or f"torch=={torch.__version__.split('+')[0]}"
    env = environment(templates)
    context = {"assignment": hw, "hidden_visibility": hidden_visibility, "device": device,
               "torch_spec": torch_spec, "version": __version__, "title": config.title}
    settings = {"assignment": hw, "hidden_visibility": hidden_visibility, "device": device,
                "fixtures": json.loads((build / "manifest.json").read_text())["fingerprint"],
                "grader_version": __version__}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _zip_write(zf, "setup.sh", env.get_template("gradescope/setup.sh.j2").render(context),
                   0o755)
        _zip_write(zf, "run_autograder",
                   env.get_template("gradescope/run_autograder.j2").render(context), 0o755)
        _zip_write(zf, SETTINGS_NAME, json.dumps(settings, indent=1))
        _zip_write(zf, f"course/solutions/{hw}/grading.toml",
                   (course.solution_dir(hw) / "grading.toml").read_bytes())
        for name in ("fixtures.bin", "manifest.json"):
            _zip_write(zf, f"course/build/{hw}/{name}", (build / name).read_bytes())
        _zip_write(zf, "package/pyproject.toml", BUNDLE_PYPROJECT.format(version=__version__))
        for name, path in _package_files():
            _zip_write(zf, name, path.read_bytes())
    tmp = out.with_suffix(".zip.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.lms.gradescope",
                                     description="Gradescope entry points.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    run.add_argument("--root", default="/autograder")
    run.add_argument("--source")
    run.add_argument("--submission")
    run.add_argument("--results")
    run.add_argument("--hidden-visibility", choices=VISIBILITIES)
    run.add_argument("--device")
    args = parser.parse_args(argv)
    payload = run_autograder(args.root, source=args.source, submission=args.submission,
                             results=args.results, hidden_visibility=args.hidden_visibility,
                             device=args.device)
    print(payload.get("output", ""))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
