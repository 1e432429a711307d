"""autograder similarity: copies found through renaming and reformatting, independent work and
untouched stubs left alone, earlier terms searched with --previous, hostile names kept inert."""
from __future__ import annotations

import ast
import builtins
import csv
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder import api
from autograder.cli import app
from autograder.similarity import FLOOR
from autograder.similarity.answers import ANSWER_TAG

from ..assignments.test_hw3 import ALTERNATIVE
from ..conftest import write_alternative, write_solved

HW = "hw3"
KEEP = set(dir(builtins)) | {"torch", "nn", "F", "math", "self", "super"}


class _Rename(ast.NodeTransformer):
    """Every local name and argument renamed (v0, v1, ...), library names kept."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        if name in KEEP:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        return node


def disguised_copy(source: Path, path: Path) -> Path:
    """``source`` with its answers' variables renamed and the code re-formatted (ast.unparse:
    other quotes, spacing, line breaks, comments dropped), pasted into cells without otter's
    answer tags (as if copied into a fresh notebook)."""
    nb = json.loads(source.read_text())
    changed = 0
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and ANSWER_TAG in tags:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            new = ast.unparse(_Rename().visit(ast.parse(text)))
            changed += new != text
            cell["source"] = "# my own work\n\n" + new.replace("\n", "\n\n") + "\n"
            cell["metadata"]["tags"] = [t for t in tags if t != ANSWER_TAG]
    assert changed >= 5
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def klass(course, tmp_path_factory):
    """A class of five: two independent correct solutions (the master, a different one), a
    disguised copy of the master, and two untouched stubs."""
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    solved = write_solved(course, HW, subs / "chantaiman_2001_1_hw3.ipynb")
    write_alternative(course, HW, subs / "leeka_2002_2_hw3.ipynb", ALTERNATIVE)
    disguised_copy(solved, subs / "wongsiu_2003_3_hw3.ipynb")
    released = course.student_notebook(HW).read_bytes()
    (subs / "hostub_2004_4_hw3.ipynb").write_bytes(released)
    (subs / "ngstub_2005_5_hw3.ipynb").write_bytes(released)
    return root


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / "similarity.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_disguised_copy_ranks_first_and_nothing_else_is_flagged(course, klass, tmp_path):
    run = api.similarity(HW, [klass / "submissions"], tmp_path, course)
    found = rows(tmp_path)
    assert found, "the copy was not found"
    assert {found[0]["a"], found[0]["b"]} == {"2001", "2003"}
    assert float(found[0]["score"]) >= 0.8
    assert int(found[0]["matched_lines_a"]) > 20 and int(found[0]["matched_lines_b"]) > 20
    # the independent solutions and the two untouched stubs are not flagged
    assert len(found) == 1, found
    assert sorted(run.empty) == ["hostub_2004_4_hw3", "ngstub_2005_5_hw3"]
    assert run.compared == 3
    html = (tmp_path / "similarity.html").read_text()
    assert html.count("<mark>") > 5 and 'id="pair-1"' in html


def test_independent_solutions_score_far_below_the_floor(course, klass, tmp_path):
    api.similarity(HW, [klass / "submissions"], tmp_path, course, floor=0.0)
    scores = {frozenset((r["a"], r["b"])): float(r["score"]) for r in rows(tmp_path)}
    independent = scores.get(frozenset(("2001", "2002")), 0.0)
    assert independent < FLOOR / 2
    assert not any({"2004", "2005"} & pair for pair in scores), "a stub was compared"


def test_earlier_term_copy_found_only_with_previous(course, klass, tmp_path):
    earlier = tmp_path / "2025"
    earlier.mkdir()
    # a Canvas bulk download, passed itself (a zip inside a folder is one student's upload)
    with zipfile.ZipFile(earlier / "canvas.zip", "w") as zf:
        zf.write(klass / "submissions" / "chantaiman_2001_1_hw3.ipynb",
                 "oldtimer_1500_7_hw3.ipynb")
    now = tmp_path / "now"
    now.mkdir()
    for name in ("leeka_2002_2_hw3.ipynb", "wongsiu_2003_3_hw3.ipynb"):
        (now / name).write_bytes((klass / "submissions" / name).read_bytes())

    api.similarity(HW, [now], tmp_path / "alone", course)
    assert rows(tmp_path / "alone") == []
    api.similarity(HW, [now], tmp_path / "with", course, previous=[earlier / "canvas.zip"])
    found = rows(tmp_path / "with")
    assert [(r["a"], r["b"], r["b_previous"]) for r in found] == [("2003", "1500", "yes")]
    assert found[0]["b_submission"].startswith("previous:canvas.zip/")
    assert float(found[0]["score"]) >= 0.8


HOSTILE = ['=HYPERLINK("x")', '@SUM(A1)', '+cmd', '-2+3', '<img src=x onerror=alert(1)>']


def test_hostile_names_and_code_are_inert(course, klass, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    source = klass / "submissions" / "chantaiman_2001_1_hw3.ipynb"
    nb = json.loads(source.read_text())
    for cell in nb["cells"]:
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = text + '\nNOTE = "</pre><script>alert(1)</script>"\n'
    for name in HOSTILE:
        (subs / f"{name}.ipynb").write_text(json.dumps(nb))
    (subs / "\tcontrol\x1b[31m.ipynb").write_text("not json")
    result = CliRunner().invoke(app, ["similarity", HW, str(subs), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    found = rows(tmp_path / "out")
    assert len(found) == len(HOSTILE) * (len(HOSTILE) - 1) // 2
    for r in found:
        for value in r.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value
    ids = {r["a"] for r in found} | {r["b"] for r in found}
    assert "'=HYPERLINK(\"x\")" in ids and "'-2+3" in ids
    html = (tmp_path / "out" / "similarity.html").read_text()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/pre&gt;&lt;script&gt;" in html
    assert "not a notebook" in html and "\x1b" not in html.replace("\\x1b", "")


def test_scores_do_not_depend_on_the_hash_seed(klass, tmp_path):
    """copydetect hashes k-grams with Python's randomised ``hash``; the fingerprints here must
    not change from one run to the next, or the same class would give another report."""
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from autograder.similarity.answers import answers\n"
            "from autograder.similarity.detect import Document, compare_all, fingerprint\n"
            "d = [Document(p, p, answers(open(p, 'rb').read()).text) for p in sys.argv[1:]]\n"
            "fingerprint(d)\n"
            "print(sorted(d[0].fingerprint.hashes)[:50], compare_all(d, 0.0)[0].score)\n")
    files = [str(klass / "submissions" / n) for n in ("chantaiman_2001_1_hw3.ipynb",
                                                      "leeka_2002_2_hw3.ipynb")]
    outputs = {subprocess.run([sys.executable, "-c", code, *files], capture_output=True,
                              text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(outputs) == 1 and len(next(iter(outputs))) > 100


def test_an_idiom_most_of_the_class_writes_is_not_evidence():
    """Fingerprints that more than half of a class of 10 or more share are dropped: two students
    whose only common code is what everyone wrote are not flagged, while a real copy still is."""
    from autograder.similarity.detect import Document, compare_all, drop_common, fingerprint

    idiom = ("def normalise(rows):\n    total = sum(sum(r) for r in rows)\n"
             "    return [[v / total for v in r] for r in rows]\n\n")
    own = [f"def step_{i}(x):\n" + "".join(f"    x = x * {i + j} - {j * j} // {i + 2}\n"
                                           for j in range(i % 3 + 5)) + "    return x\n"
           for i in range(12)]
    docs = [Document(f"s{i}", f"s{i}", idiom + own[i]) for i in range(12)]
    docs.append(Document("copy", "copy", idiom + own[3]))
    fingerprint(docs)
    before = {frozenset((m.a.key, m.b.key)) for m in compare_all(docs, 0.25)}
    assert frozenset(("s0", "s1")) in before  # the idiom alone reaches the floor
    size = len(docs[0].fingerprint.hashes)
    assert drop_common(docs, 0.5) == [] and len(docs[0].fingerprint.hashes) < size
    after = {frozenset((m.a.key, m.b.key)) for m in compare_all(docs, 0.25)}
    assert after == {frozenset(("s3", "copy"))}


def test_one_answer_copied_by_most_of_the_class_is_still_found():
    """Fingerprints most of the class shares are idioms only while they are a small part of an
    answer: seven copies of one source in a class of twelve are all flagged, not hidden."""
    from autograder.similarity.detect import Document, compare_all, drop_common, fingerprint

    source = "".join(f"def f{i}(x):\n    y = x * {i} + {i * i}\n    return y - {i} // 3\n\n"
                     for i in range(8))
    own = [f"def g{i}(z):\n" + "".join(f"    z = (z ** {j}) % {i + 7} + {j * i}\n"
                                         for j in range(1, 9)) + "    return z\n"
           for i in range(5)]
    docs = [Document(f"c{i}", f"c{i}", source) for i in range(7)]
    docs += [Document(f"o{i}", f"o{i}", own[i]) for i in range(5)]
    fingerprint(docs)
    assert sorted(drop_common(docs, 0.5)) == [f"c{i}" for i in range(7)]
    found = {frozenset((m.a.key, m.b.key)) for m in compare_all(docs, 0.25)}
    assert found == {frozenset((f"c{i}", f"c{j}")) for i in range(7) for j in range(i)}
