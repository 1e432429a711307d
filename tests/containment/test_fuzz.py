"""Property-based: whatever a folder of submissions holds, collect → grade → publish completes,
gives one row per file, writes nothing outside its output folders and no file with a live
payload.

Hypothesis draws file names (any bytes: invalid UTF-8, control and bidi characters, markup),
file contents (notebooks whose extra cell prints, raises or returns text of every kind, huge or
deeply nested values, notebook JSON of the wrong shape, bytes that are not UTF-8) and runs the
real ``grade`` and ``publish`` code on them. Bounded for CI: a few derandomized examples on one
warm grader (the zygote is started once; only the per-run setup is replaced).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograder import api
from autograder.grade import batch

from ..conftest import REPO, write_solved
from .hostile import PAYLOAD, with_cell
from .payloads import every_file, payloads_under

CONFIG = REPO / "examples" / "course.toml"

PIECES = [PAYLOAD, "\ud800", "\udcff", "\x1b[31m", "\x1b]8;;http://e\x1b\\x\x1b]8;;\x1b\\",
          "\u202e", "\u2066", "\x00", "\x7f", "\x9b", "[/]", "[bold]", "[link=http://e]",
          "](javascript:alert(1))", "<script>alert(1)</script>", "=1+1", "+cmd|' /C calc'!A0",
          "-2+3", "@SUM(A1)", "\t=x", "\r=x", "|", "`", "\\", "\n", "{{ 7*7 }}", "%s%n"]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES),
                          st.text(st.characters(exclude_categories=()), max_size=20)),
                max_size=6).map("".join)

CELLS = st.one_of(
    # the public case's message carries the text (its message is shown in full)
    TEXT.map(lambda t: f"def sigmoid(z):\n    print({t!r})\n    raise ValueError({t!r})\n"),
    # a load-time error whose message is the text
    TEXT.map(lambda t: f"def _fail(m):\n    raise RuntimeError(m)\n\n_x = _fail({t!r})\n"),
    # a function that returns the text, or a huge or deeply nested value
    TEXT.map(lambda t: f"def sigmoid(z):\n    return {t!r}\n"),
    st.integers(1, 3).map(lambda k: f"def sigmoid(z):\n    return [{'0'!r}] * {10 ** (k + 3)}\n"),
    st.integers(50, 400).map(lambda d: "def sigmoid(z):\n    v = 0\n    for _ in range("
                                       f"{d}):\n        v = [v]\n    return v\n"),
    st.integers(50, 300).map(lambda d: "_deep = " + "[" * d + "]" * d + "\n"),
    # a cell longer than what the grader sends a sandbox in one string
    st.just("# " + "y" * 150_000 + "\n"),
    TEXT.map(lambda t: f"# {t}\n"),
)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10)


@st.composite
def submission(draw, index: int, solved: bytes) -> tuple[bytes, bytes]:
    """(file name, content)."""
    name = draw(st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                          st.binary(max_size=30)))
    name = name.replace(b"/", b"_").replace(b"\x00", b"_")[:120]
    # the first file is a notebook; a later one may be a zip, or a file that ingestion skips
    # (with a note on a submission beside it) because it is neither
    suffix = b".ipynb" if index == 0 else draw(st.sampled_from(
        [b".ipynb", b".ipynb", b".txt", b"", b".zip"]))
    kind = draw(st.sampled_from(["cell", "cell", "cell", "json", "bytes", "sources"]))
    if kind == "cell":
        content = with_cell(solved, draw(CELLS))
    elif kind == "json":
        content = json.dumps(draw(JSON)).encode()
    elif kind == "sources":  # a notebook whose cells' sources are of the wrong type
        nb = json.loads(solved)
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "source": draw(JSON)})
        content = json.dumps(nb).encode()
    else:
        content = draw(st.binary(max_size=200))
    return b"s%d_" % index + name + suffix, content


class Warm:
    """The course and a solved notebook (a short repr: it is printed with a failing example)."""

    def __init__(self, course, solved: bytes) -> None:
        self.course, self.solved = course, solved

    def __repr__(self) -> str:
        return "Warm(hw1)"


class WarmExecutor:
    """The executor interface on one zygote started once for every example."""

    def __init__(self, zygote) -> None:
        self.zygote = zygote

    def start(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, grader, todo, done) -> None:
        for index, sub in todo:
            result, log = grader.score(grader.run(sub, self.zygote))
            done(index, result, log)


@pytest.fixture(scope="module")
def warm(course, built):
    from autograder.sandbox.isolation import resolve
    from autograder.sandbox.client import Zygote

    grader, _ = batch.load_grader(course, course.config("hw1"), "cpu")
    solved = write_solved(course, "hw1", Path(tempfile.mkdtemp()) / "hw1.ipynb").read_bytes()
    zygote = Zygote(level=resolve("auto"))
    patch = pytest.MonkeyPatch()
    patch.setattr(batch, "make_executor", lambda options: WarmExecutor(zygote))
    patch.setattr(batch, "load_grader", lambda course, config, device: (grader, False))
    try:
        yield Warm(course, solved)
    finally:
        patch.undo()
        zygote.close()


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure ends the test
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_folder_is_graded_and_published_safely(warm, data):
    course, solved = warm.course, warm.solved
    files = data.draw(st.lists(st.integers(0, 0), min_size=1, max_size=3).flatmap(
        lambda slots: st.tuples(*[submission(i, solved) for i in range(len(slots))])))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "submissions"
        folder.mkdir()
        for name, content in files:
            with open(os.path.join(os.fsencode(folder), name), "wb") as f:
                f.write(content)
        before = {p: p.read_bytes() for p in every_file(folder)}
        run = api.grade("hw1", [folder], root / "results" / "hw1", course, device="cpu")
        published = api.publish(CONFIG, root / "results", root / "course", course)

        rows = sum(name.lower().endswith((b".ipynb", b".zip")) for name, _ in files)
        assert len(run.results) == rows  # one row per input
        assert len(run.gradebook) == rows
        assert len(published.book.unmatched) == rows
        assert {p: p.read_bytes() for p in every_file(folder)} == before
        assert sorted(p.name for p in root.iterdir()) == ["course", "results", "submissions"]
        assert payloads_under(root / "results") == []
        assert payloads_under(root / "course") == []
