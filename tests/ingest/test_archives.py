"""Archives read one member at a time, capped, and names that are not valid UTF-8."""
from __future__ import annotations

import os
import pickle
import tracemalloc
import zipfile

import pytest

from autograder.ingest import Limits, collect
from autograder.ingest.files import declared_entries

from .helpers import make_zip, notebook


def _filler(i: int, size: int) -> bytes:
    """A notebook of about ``size`` bytes that does not compress (so the zip is as big)."""
    return notebook(f"x = {i}", "#" + os.urandom(size // 2).hex())


def test_members_are_read_one_at_a_time_never_all_in_memory(tmp_path):
    """Issue 17: collect held every member in memory at once (1.9 GB for a 48-member zip)."""
    members = {f"doe_{1000 + i}_{i}_hw1.ipynb": _filler(i, 256 << 10) for i in range(40)}
    make_zip(members, tmp_path / "submissions.zip")  # 40 x 256 KiB = 10 MiB
    tracemalloc.start()
    try:
        subs = collect([tmp_path / "submissions.zip"])
        _, collect_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digests = [s.sha256 for s in subs]  # each read, hashed and dropped in turn
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(subs) == 40 and len(set(digests)) == 40
    assert collect_peak < 2 << 20, collect_peak  # nothing read while collecting
    assert read_peak < 3 * (256 << 10) + (1 << 20), read_peak  # about one member at a time
    by_id = {s.student_id: s for s in subs}
    assert by_id["1007"].data == members["doe_1007_7_hw1.ipynb"]
    copy = pickle.loads(pickle.dumps(by_id["1007"]))  # to a Dask worker: with its bytes
    assert copy.data == by_id["1007"].data and copy.student_id == "1007"


def test_archives_over_the_caps_are_refused_as_a_whole(tmp_path):
    many = {f"doe_{i}_{i}_hw1.ipynb": b"{}" for i in range(101)}
    make_zip(many, tmp_path / "many.zip")
    [row] = collect([tmp_path / "many.zip"], limits=Limits(max_members=100))
    assert row.error == "archive refused: 101 entries, more than the 100 allowed"
    assert len(collect([tmp_path / "many.zip"], limits=Limits(max_members=101))) == 101
    make_zip({"doe_1_1_hw1.ipynb": b" " * (3 << 20)}, tmp_path / "bomb.zip")  # 3 MiB of spaces
    assert (tmp_path / "bomb.zip").stat().st_size < 64 << 10
    [bomb] = collect([tmp_path / "bomb.zip"], limits=Limits(max_total_bytes=2 << 20))
    assert bomb.error.startswith("archive refused: 3145") and "2097152 allowed" in bomb.error
    # the same caps inside a Canvas download: a student's zip is refused, the others graded
    outer = {"doe_1_1_hw1.zip": make_zip(many), "bo_2_2_hw1.ipynb": notebook("x = 1")}
    make_zip(outer, tmp_path / "download.zip")
    rows = {s.student_id: s for s in collect([tmp_path / "download.zip"],
                                             limits=Limits(max_members=100))}
    assert "101 entries" in rows["1"].error and rows["2"].error == ""


def test_the_entry_count_is_read_without_parsing_the_directory(tmp_path):
    make_zip({f"{i}.ipynb": b"" for i in range(70_000)}, tmp_path / "big.zip")  # Zip64 count
    with open(tmp_path / "big.zip", "rb") as f:
        assert declared_entries(f) == 70_000
    [row] = collect([tmp_path / "big.zip"])
    assert row.error == "archive refused: 70000 entries, more than the 10000 allowed"


def _rename_bytes(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and data.count(old) == 2  # local header and directory
    return data.replace(old, new)


def test_member_names_that_are_not_utf8(tmp_path):
    """Issue 17: a member name flagged UTF-8 that is not raised UnicodeDecodeError out of
    collect; one without the flag became mojibake."""
    flagged = make_zip({"doe_1_1_h\u00e9.ipynb": notebook("a = 1")})  # non-ASCII: flag set
    (tmp_path / "flagged.zip").write_bytes(_rename_bytes(flagged, b"h\xc3\xa9", b"h\xff\xfe"))
    [row] = collect([tmp_path / "flagged.zip"])
    assert row.student_id == "1" and row.error == "" and row.data == notebook("a = 1")
    assert "h\ufffd\ufffd.ipynb" in row.source and "not valid UTF-8" in row.note
    row.source.encode("utf-8")
    plain = make_zip({"doe_1_1_hXY.ipynb": notebook("b = 1")})  # ASCII: no flag
    (tmp_path / "plain.zip").write_bytes(_rename_bytes(plain, b"hXY", b"h\xff\xfe"))
    [sub] = collect([tmp_path / "plain.zip"])
    assert sub.student_id == "1" and sub.error == "" and sub.data == notebook("b = 1")
    assert "\ufffd" in sub.source and "not valid UTF-8" in sub.note
    sub.source.encode("utf-8")  # storable text


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="macOS refuses such names")
def test_file_names_that_are_not_utf8(tmp_path):
    """Issue 17: a file name that is not valid UTF-8 made the store insert fail."""
    folder = tmp_path / "subs"
    folder.mkdir()
    name = os.fsdecode(b"doe_\xff\xfe_1_2_hw1.ipynb")
    (folder / name).write_bytes(notebook("c = 1"))
    [sub] = collect([folder])
    assert sub.data == notebook("c = 1") and sub.error == ""
    for text in (sub.name, sub.student_id, sub.source):
        text.encode("utf-8")
    assert "\ufffd" in sub.source and "not valid UTF-8" in sub.note
