"""The released notebook's optional last cell: submit to the course server from the notebook.

The cell is plain Python (``urllib`` from the standard library, nothing from this project): it
posts the newest otter export zip of the assignment (or, without one newer than the notebook,
the saved notebook itself) to ``<server>/api/v1/submissions`` with the student's token, then
polls the submission until it is graded and prints the score, each test that may be shown, and
the address of the feedback page. The server's address is set per course when the notebook is
built; without one, the cell says how to submit instead.

The token comes from ``TOKEN`` in the cell, the ``AUTOGRADER_TOKEN`` environment variable, or
a hidden prompt.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from urllib.parse import urlparse

TAG = "submit"  # the cell's tag in the notebook's metadata

_TEMPLATE = '''\
# Submit {assignment} to the course's grading server: save the notebook first (or run the
# export cell above). Your token is in the message from your instructor: keep it private.
SERVER = {server!r}
ASSIGNMENT = {assignment!r}
NOTEBOOK = {notebook!r}
TOKEN = ""  # or set the AUTOGRADER_TOKEN environment variable; else you are asked for it


def _submit(wait=120):
    import getpass, glob, json, os, time, uuid
    import urllib.error, urllib.request

    def call(path, body=None, headers=None):
        request = urllib.request.Request(SERVER + path, data=body, headers={{
            "Authorization": "Bearer " + token, **(headers or {{}})}})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            try:
                detail = json.load(e).get("detail", "")
            except ValueError:
                detail = ""
            print(f"The server answered {{e.code}} {{e.reason}}: {{detail}}")
        except (urllib.error.URLError, OSError) as e:
            print(f"Could not reach {{SERVER}} ({{e}}). Try again, or submit where your "
                  "instructor says.")
        return None

    token = TOKEN.strip() or os.environ.get("AUTOGRADER_TOKEN", "").strip() or \\
        getpass.getpass("Your token: ").strip()
    zips = sorted(glob.glob(ASSIGNMENT + "*.zip"), key=os.path.getmtime)
    path = NOTEBOOK
    if zips and (not os.path.exists(NOTEBOOK) or
                 os.path.getmtime(zips[-1]) >= os.path.getmtime(NOTEBOOK)):
        path = zips[-1]
    if not os.path.exists(path):
        print(f"No {{NOTEBOOK}} here: save the notebook (or run the export cell) first.")
        return None
    with open(path, "rb") as f:
        data = f.read()
    boundary = uuid.uuid4().hex
    name = os.path.basename(path).replace('"', "_")
    body = (f"--{{boundary}}\\r\\nContent-Disposition: form-data; name=\\"assignment\\"\\r\\n\\r\\n"
            f"{{ASSIGNMENT}}\\r\\n--{{boundary}}\\r\\nContent-Disposition: form-data; "
            f"name=\\"file\\"; filename=\\"{{name}}\\"\\r\\n"
            f"Content-Type: application/octet-stream\\r\\n\\r\\n").encode() + data + \\
        f"\\r\\n--{{boundary}}--\\r\\n".encode()
    sub = call("/api/v1/submissions", body,
               {{"Content-Type": "multipart/form-data; boundary=" + boundary}})
    if sub is None:
        return None
    print(f"Submitted {{path}} (number {{sub['position']}} in the queue; "
          f"{{sub.get('remaining', '?')}} submissions of {{ASSIGNMENT}} left for now).")
    deadline = time.monotonic() + wait
    while sub.get("status") in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        sub = call("/api/v1/submissions/" + sub["id"]) or sub
    if sub.get("status") in ("queued", "running"):
        print("Still " + sub["status"] + ": the result will be on the feedback page.")
    else:
        print(f"{{sub['status']}}: {{sub['score']}} / {{sub['max_score']}}"
              + (" (submitted late)" if sub.get("late") else ""))
        for test in sub.get("tests", []):
            mark = "ok  " if test["status"] == "passed" else "FAIL"
            print(f"  {{mark}} {{test['name']}}" + (f": {{test['output']}}" if test["output"]
                                                   else ""))
        held = sub.get("withheld")
        if held and not held.get("in_score"):
            print(f"  + {{held['tests']}} hidden tests, shown " + {{
                "after_due_date": "after the due date", "after_published":
                "when grades are published"}}.get(held["visibility"], "later"))
    print(f"Feedback: {{SERVER}}/submissions/{{sub['id']}}")
    return sub


_submit()
'''

_NO_SERVER = '''\
# Submitting {assignment}: this course has no submission server.
print({message!r})
'''


def submit_cell_source(assignment: str, server: str | None,
                       notebook: str | None = None) -> str:
    """The cell's source for ``assignment`` with the course server at ``server`` (``None``
    or "": a cell that says how to submit instead)."""
    notebook = notebook or f"{assignment}.ipynb"
    if not server:
        return _NO_SERVER.format(assignment=assignment, message=(
            f"This course has no submission server: submit {notebook} (or the zip the export "
            f"cell made) where your instructor says, e.g. on Canvas or Gradescope."))
    parsed = urlparse(server)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query \
            or parsed.fragment:
        raise ValueError(f"the course server's address must be http(s)://host[:port][/path], "
                         f"not {server!r}")
    return _TEMPLATE.format(server=server.rstrip("/"), assignment=assignment,
                            notebook=notebook)


def submit_cell(assignment: str, server: str | None, notebook: str | None = None) -> dict:
    """The cell itself (nbformat 4), tagged ``submit``."""
    return {"cell_type": "code", "execution_count": None, "outputs": [],
            "metadata": {"tags": [TAG]},
            "source": submit_cell_source(assignment, server, notebook).splitlines(True)}


def with_submit_cell(nb: dict, assignment: str, server: str | None) -> dict:
    """``nb`` with the submit cell last (replacing one it already has)."""
    cells = [c for c in nb.get("cells", [])
             if TAG not in (c.get("metadata", {}).get("tags") or [])]
    return {**nb, "cells": [*cells, submit_cell(assignment, server)]}


def main(argv: list[str] | None = None) -> None:
    """``python -m autograder.assign.submit_cell NOTEBOOK... [--url URL]``: add (or replace)
    the submit cell of built student notebooks, in place; the assignment is each notebook's
    name (``assignments/hw1/hw1.ipynb``: hw1). Without ``--url``: the cell that says how to
    submit instead."""
    parser = argparse.ArgumentParser(description=main.__doc__.split(":", 1)[1].strip())
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--url", default="", help="the course server, e.g. "
                        "https://grader.example.edu ([server] url in course.toml)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        nb = with_submit_cell(json.loads(path.read_text()), path.stem, args.url or None)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        print(f"{path}: submit cell for {path.stem} -> {args.url or '(no server)'}")


if __name__ == "__main__":
    main()
