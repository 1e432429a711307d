"""Who a submission belongs to: otter export zips, student zips, Canvas names, groups."""
from __future__ import annotations

import zipfile

import pytest

from autograder.gradebook.config import config_from_dict
from autograder.ingest import collect, student_id_from_filename
from autograder.ingest.canvas import marked_late, parse

from .helpers import make_zip, notebook, otter_export

EXPORT = "hw1_2026_03_01T10_00_00_123456.zip"


def test_otter_export_zip_is_one_submission_of_the_student_its_canvas_name_names(tmp_path):
    """Defect 2: the export zip gave three rows (hw1, .OTTER_LOG, __zip_filename__) under id
    hw1, for every student alike."""
    jane, jo = notebook("x = 1"), notebook("x = 2")
    make_zip(otter_export(jane), tmp_path / "dl" / f"doejane_12345_67890_{EXPORT}")
    make_zip(otter_export(jo), tmp_path / "dl" / f"smithjo_12346_67891_{EXPORT}")
    subs = collect([tmp_path / "dl"])
    assert [(s.student_id, s.error, s.data) for s in subs] == [("12345", "", jane),
                                                               ("12346", "", jo)]
    assert all(s.source.endswith("!hw1.ipynb") for s in subs)
    assert len({s.name for s in subs}) == 2


def test_otter_export_inside_a_canvas_download_belongs_to_the_file_that_holds_it(tmp_path):
    jane = notebook("x = 1")
    download = tmp_path / "submissions.zip"
    make_zip({f"doejane_late_12345_67890_{EXPORT}": make_zip(otter_export(jane)),
              "o_neillsean_1006_880006_hw1.ipynb": notebook("y = 1")}, download)
    subs = {s.student_id: s for s in collect([download])}
    assert sorted(subs) == ["1006", "12345"]
    assert subs["12345"].data == jane and subs["12345"].error == ""
    assert marked_late(subs["12345"].source) and not marked_late(subs["1006"].source)


def test_a_students_zip_cannot_replace_another_students_grade(tmp_path):
    """Defect 3: a zip in the submissions folder was read as a batch whose members took their
    ids (and times) from their own names (and dates), chosen by the uploader."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "1001.ipynb").write_bytes(notebook("honest = 1"))
    with zipfile.ZipFile(folder / "mallory.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo("1001.ipynb", (2026, 1, 1, 0, 0, 0)), notebook("bad = 1"))
    with zipfile.ZipFile(folder / "doe_2002_3003_hw1.zip", "w") as zf:  # Canvas-named
        zf.writestr(zipfile.ZipInfo("smith_1001_9_hw1.ipynb", (2026, 1, 1, 0, 0, 0)),
                    notebook("bad = 2"))
    subs = collect([folder])
    owners = {s.source.rsplit("/", 1)[-1]: s.student_id for s in subs}
    assert owners == {"1001.ipynb": "1001", "mallory.zip!1001.ipynb": "mallory",
                      "doe_2002_3003_hw1.zip!smith_1001_9_hw1.ipynb": "2002"}
    assert all(s.submitted_at != "2026-01-01T00:00:00" for s in subs)


def test_a_canvas_looking_zip_is_a_bulk_download_only_when_passed_directly(tmp_path):
    members = {"doe_111_1_hw1.ipynb": notebook("a = 1"), "bo_222_2_hw1.ipynb": notebook("b")}
    inside = make_zip(members, tmp_path / "folder" / "ann_333_3_hw1.zip")
    top = collect([tmp_path / "folder" / "ann_333_3_hw1.zip"])  # passed directly: a download
    assert sorted(s.student_id for s in top) == ["111", "222"]
    [nested] = collect([tmp_path / "folder"])  # met in a folder: ann's upload, two notebooks
    assert nested.student_id == "333" and "2 notebooks" in nested.error
    assert inside  # the same bytes both times
    plain = make_zip({"s1.ipynb": notebook("a"), "s2.ipynb": notebook("b")},
                     tmp_path / "plain.zip")  # no course site's names: one upload
    [row] = collect([tmp_path / "plain.zip"])
    assert plain and row.student_id == "plain" and "2 notebooks" in row.error


@pytest.mark.parametrize("name, sid, late, resubmission", [
    ("doejane_12345_67890_hw1.ipynb", "12345", False, 0),
    ("o_neillsean_1006_880006_hw1.ipynb", "1006", False, 0),
    ("doejane_LATE_12345_67890_hw1-1.ipynb", "12345", True, 1),
    ("doejane_late_12345_67890_hw1-2.ipynb", "12345", True, 2),
    ("anon_x7k2p_880006_hw1.ipynb", "anon_x7k2p", False, 0),
    ("LATE_anon_x7k2p_880006_hw1.ipynb", "anon_x7k2p", True, 0),
    (f"doejane_12345_67890_{EXPORT}", "12345", False, 0),
])
def test_canvas_names(name, sid, late, resubmission):
    """Defect 4: underscores in the name part and anonymous names lost the id; one parser."""
    assert student_id_from_filename(name) == sid
    assert marked_late(f"/dl/submissions.zip!{name}") is late
    parsed = parse(name)
    assert parsed is not None and parsed.late is late and parsed.resubmission == resubmission
    assert parsed.original in ("hw1.ipynb", EXPORT)


@pytest.mark.parametrize("name, sid", [(EXPORT, EXPORT[:-4]), ("s001.ipynb", "s001"),
                                       ("alice_hw1.ipynb", "alice_hw1")])
def test_names_canvas_did_not_make(name, sid):
    assert parse(name) is None and student_id_from_filename(name) == sid


def test_group_submission_counts_for_every_member(tmp_path):
    """Defect 4: a group's one file left the other members "missing" with 0."""
    groups = tmp_path / "groups.csv"
    groups.write_text("name,canvas_user_id,user_id,login_id,sections,group_name,"
                      "canvas_group_id,group_id\n"
                      "Sean O'Neill,1006,s6,sean,A,Team 1,501,\n"
                      "Ann Lee,1007,s7,ann,A,Team 1,501,\n"
                      "Bo Chan,1008,s8,bo,A,Team 2,502,\n")
    download = make_zip({"o_neillsean_1006_880006_hw1.ipynb": notebook("team = 1")},
                        tmp_path / "submissions.zip")
    subs = collect([tmp_path / "submissions.zip"], groups=groups)
    assert download and [s.student_id for s in subs] == ["1006", "1007"]
    assert subs[1].data == subs[0].data and "group submission by 1006" in subs[1].note
    assert len({s.name for s in subs}) == 2
    config = config_from_dict({"groups": "groups.csv"}, tmp_path)
    assert config.groups == groups
