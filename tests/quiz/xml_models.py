"""Content models for the XML the quiz exports, to check documents against in place of the
official schemas (which this machine cannot download).

* QTI 1.2 (IMS Question & Test Interoperability ASI, ``ims_qtiasiv1p2p1.xsd``): the elements
  our assessment uses, with the child order, cardinalities and required attributes of the
  schema (written down from the QTI ASI 1.2.1 binding, subset only: elements we never emit are
  left out, so a document using them fails here, on purpose).
* IMS Content Packaging 1.1 (``imscp_v1p1.xsd``): manifest, resources, files, dependencies.
* Moodle XML has no published schema; its model is what Moodle's importer (qformat_xml) reads
  for the question types we write.

``validate(root, MODEL)`` returns a list of problems (empty when the document fits).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

# element -> (required attributes, [(allowed child names, min, max)], text allowed)
# a group's max None = unbounded; groups are matched in order.
U = None
QTI = {
    "questestinterop": ((), [({"qticomment"}, 0, 1), ({"assessment"}, 1, 1)], False),
    "assessment": (("ident", "title"), [
        ({"qticomment"}, 0, 1), ({"duration"}, 0, 1), ({"qtimetadata"}, 0, U),
        ({"objectives"}, 0, U), ({"assessmentcontrol"}, 0, U), ({"rubric"}, 0, U),
        ({"presentation_material"}, 0, 1), ({"outcomes_processing"}, 0, U),
        ({"assessproc_extension"}, 0, 1), ({"assessfeedback"}, 0, U),
        ({"selection_ordering"}, 0, 1), ({"reference"}, 0, 1), ({"sectionref", "section"}, 1, U)],
        False),
    "qtimetadata": ((), [({"vocabulary"}, 0, 1), ({"qtimetadatafield"}, 1, U)], False),
    "qtimetadatafield": ((), [({"fieldlabel"}, 1, 1), ({"fieldentry"}, 1, 1)], False),
    "fieldlabel": ((), [], True),
    "fieldentry": ((), [], True),
    "section": (("ident",), [
        ({"qticomment"}, 0, 1), ({"duration"}, 0, 1), ({"qtimetadata"}, 0, U),
        ({"objectives"}, 0, U), ({"sectioncontrol"}, 0, U), ({"sectionprecondition"}, 0, U),
        ({"sectionpostcondition"}, 0, U), ({"rubric"}, 0, U), ({"presentation_material"}, 0, 1),
        ({"outcomes_processing"}, 0, U), ({"sectionproc_extension"}, 0, 1),
        ({"sectionfeedback"}, 0, U), ({"selection_ordering"}, 0, 1), ({"reference"}, 0, 1),
        ({"itemref", "item", "sectionref", "section"}, 0, U)], False),
    "selection_ordering": ((), [({"qticomment"}, 0, 1), ({"sequence_parameter"}, 0, U),
                                ({"selection"}, 0, U), ({"order"}, 0, 1)], False),
    "selection": ((), [({"sourcebank_ref"}, 0, 1), ({"selection_number"}, 0, 1),
                       ({"selection_metadata"}, 0, 1),
                       ({"and_selection", "or_selection", "not_selection", "selection_extension"}, 0, 1)],
                  False),
    "selection_number": ((), [], True),
    "selection_extension": ((), [({"points_per_item"}, 0, U)], False),  # Canvas's extension
    "points_per_item": ((), [], True),
    "item": (("ident",), [
        ({"qticomment"}, 0, 1), ({"duration"}, 0, 1), ({"itemmetadata"}, 0, 1),
        ({"objectives"}, 0, U), ({"itemcontrol"}, 0, U), ({"itemprecondition"}, 0, U),
        ({"itempostcondition"}, 0, U), ({"itemrubric", "rubric"}, 0, U), ({"presentation"}, 0, 1),
        ({"resprocessing"}, 0, U), ({"itemproc_extension"}, 0, 1), ({"itemfeedback"}, 0, U),
        ({"reference"}, 0, 1)], False),
    "itemmetadata": ((), [({"qtimetadata"}, 0, U)], False),
    "presentation": ((), [({"qticomment"}, 0, 1),
                          ({"material", "response_lid", "response_xy", "response_str",
                            "response_num", "response_grp", "response_extension"}, 1, U)], False),
    "material": ((), [({"qticomment"}, 0, 1), ({"mattext", "matemtext", "matimage", "mataudio",
                                                 "matvideo", "matapplet", "matapplication",
                                                 "matref", "matbreak", "mat_extension"}, 1, U),
                      ({"altmaterial"}, 0, U)], False),
    "mattext": ((), [], True),
    "response_lid": (("ident",), [({"material", "material_ref"}, 0, 1),
                                  ({"render_choice", "render_hotspot", "render_slider",
                                    "render_fib", "render_extension"}, 1, 1),
                                  ({"material", "material_ref"}, 0, 1)], False),
    "response_str": (("ident",), [({"material", "material_ref"}, 0, 1),
                                  ({"render_choice", "render_hotspot", "render_slider",
                                    "render_fib", "render_extension"}, 1, 1),
                                  ({"material", "material_ref"}, 0, 1)], False),
    "render_choice": ((), [({"material", "material_ref", "response_label", "flow_label"}, 0, U),
                           ({"response_na"}, 0, 1)], False),
    "render_fib": ((), [({"material", "material_ref", "response_label", "flow_label"}, 0, U),
                        ({"response_na"}, 0, 1)], False),
    "response_label": (("ident",), [({"qticomment", "material", "material_ref", "flow_mat"}, 0, U)], True),
    "resprocessing": ((), [({"qticomment"}, 0, 1), ({"outcomes"}, 1, 1),
                           ({"respcondition", "itemproc_extension"}, 1, U)], False),
    "outcomes": ((), [({"qticomment"}, 0, 1), ({"decvar", "interpretvar"}, 1, U)], False),
    "decvar": ((), [], True),
    "respcondition": ((), [({"qticomment"}, 0, 1), ({"conditionvar"}, 1, 1), ({"setvar"}, 0, U),
                           ({"displayfeedback"}, 0, U), ({"respcond_extension"}, 0, 1)], False),
    "setvar": (("varname",), [], True),
}
_CONDITIONS = {"not", "and", "or", "unanswered", "other", "varequal", "varlt", "varlte", "vargt",
               "vargte", "varsubset", "varinside", "varsubstring", "durequal", "durlt",
               "durlte", "durgt", "durgte", "var_extension"}
for _name in ("conditionvar", "and", "or", "not"):
    QTI[_name] = ((), [(_CONDITIONS, 1, U)], False)
for _name in ("varequal", "varlt", "varlte", "vargt", "vargte"):
    QTI[_name] = (("respident",), [], True)

IMSCP = {
    "manifest": (("identifier",), [({"metadata"}, 0, 1), ({"organizations"}, 1, 1),
                                   ({"resources"}, 1, 1), ({"manifest"}, 0, U)], False),
    "metadata": ((), [({"schema"}, 0, 1), ({"schemaversion"}, 0, 1)], False),
    "schema": ((), [], True),
    "schemaversion": ((), [], True),
    "organizations": ((), [({"organization"}, 0, U)], False),
    "resources": ((), [({"resource"}, 0, U)], False),
    "resource": (("identifier", "type"), [({"metadata"}, 0, 1), ({"file"}, 0, U),
                                          ({"dependency"}, 0, U)], False),
    "file": (("href",), [], False),
    "dependency": (("identifierref",), [], False),
}

_TEXT = ((), [({"text"}, 1, 1)], False)
MOODLE = {
    "quiz": ((), [({"question"}, 1, U)], False),
    # every question type we write; the importer reads these children (order is free in
    # Moodle, we check the set and the cardinalities)
    "question": (("type",), [({"category", "info", "name", "questiontext", "generalfeedback",
                               "defaultgrade", "penalty", "hidden", "idnumber", "answer",
                               "single", "shuffleanswers", "answernumbering", "usecase",
                               "unitgradingtype", "unitpenalty", "showunits", "unitsleft"}, 1, U)],
                 False),
    "category": _TEXT, "info": _TEXT, "name": _TEXT, "questiontext": _TEXT,
    "generalfeedback": _TEXT, "feedback": _TEXT,
    "text": ((), [], True),
    "answer": (("fraction",), [({"text"}, 1, 1), ({"tolerance"}, 0, 1), ({"feedback"}, 0, 1)], False),
    **{k: ((), [], True) for k in ("defaultgrade", "penalty", "hidden", "idnumber", "single",
                                   "shuffleanswers", "answernumbering", "usecase", "tolerance",
                                   "unitgradingtype", "unitpenalty", "showunits", "unitsleft")},
}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def validate(root: ET.Element, model: dict, path: str = "") -> list[str]:
    """Problems of ``root`` (and its subtree) against ``model``."""
    name = local(root.tag)
    where = f"{path}/{name}"
    if name not in model:
        return [f"{where}: element not allowed"]
    attrs, groups, text_ok = model[name]
    problems = [f"{where}: missing attribute {a!r}" for a in attrs if a not in root.attrib]
    if not text_ok and (root.text or "").strip():
        problems.append(f"{where}: text not allowed")
    children = list(root)
    i = 0
    for names, lo, hi in groups:
        n = 0
        while i < len(children) and local(children[i].tag) in names and (hi is None or n < hi):
            i, n = i + 1, n + 1
        if n < lo:
            problems.append(f"{where}: needs {lo}+ of {sorted(names)} at child {i}")
    if i < len(children):
        problems.append(f"{where}: unexpected <{local(children[i].tag)}> at child {i}")
    for c in children:
        problems += validate(c, model, where)
    return problems
