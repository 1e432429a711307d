"""Turning files, folders and zips into submissions, with an id and a row for everything."""
import json
import stat
import zipfile

import pytest

from autograder.ingest import NotebookError, code_cells, collect, student_id_from_filename


@pytest.mark.parametrize("name, sid", [
    ("doejane_12345_67890_hw1.ipynb", "12345"),
    ("doejane_LATE_12345_67890_hw1-1.ipynb", "12345"),
    ("s001.ipynb", "s001"),
    ("alice_hw1.ipynb", "alice_hw1"),
])
def test_student_id_from_filename(name, sid):
    assert student_id_from_filename(name) == sid


def _nb(*sources):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
         "execution_count": None} for s in sources]}).encode()


def test_code_cells_and_their_errors():
    assert code_cells(_nb("a = 1", ["def f():\n", "    return 1"])) == ["a = 1", "def f():\n    return 1"]
    for bad, why in [(b"", "empty"), (b"{not json", "invalid JSON"), (b"[]", "no list of cells"),
                     (_nb(), "no code cells")]:
        with pytest.raises(NotebookError, match=why):
            code_cells(bad)


def test_collect_folders_zips_and_unsafe_members(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(_nb("x = 1"))
    (tmp_path / "notes.txt").write_text("hello")
    z = tmp_path / "bulk.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("doe_111_222_hw1.ipynb", _nb("y = 2"))
        zf.writestr("../evil.ipynb", _nb("z = 3"))
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    subs = collect([tmp_path])
    by_source = {s.source.replace(f"{tmp_path}/", ""): s for s in subs}
    assert by_source["a.ipynb"].error == "" and by_source["notes.txt"].error == ""
    assert by_source["bulk.zip!doe_111_222_hw1.ipynb"].student_id == "111"
    assert "unsafe path" in by_source["bulk.zip!../evil.ipynb"].error
    assert "symbolic link" in by_source["bulk.zip!link.ipynb"].error
    assert len({s.name for s in subs}) == len(subs)  # names unique within a run
    assert not (tmp_path.parent / "evil.ipynb").exists()  # nothing extracted


def test_missing_path_and_bad_zip_get_rows(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04garbage")
    subs = collect([tmp_path / "nope.ipynb", tmp_path / "broken.zip"])
    assert [s.error.split(":")[0] for s in subs] == ["no such file", "unreadable zip"]
