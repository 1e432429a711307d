"""Every syllabus row U1.1–U5.11 has a reference function, a spec and an oracle test."""
import re
from pathlib import Path

from autograder.specs import specs_for_row

ROWS_PER_UNIT = {1: 5, 2: 4, 3: 13, 4: 8, 5: 11}
ROWS = [f"U{u}.{i}" for u, n in ROWS_PER_UNIT.items() for i in range(1, n + 1)]
SYLLABUS = Path(__file__).resolve().parents[2] / "docs" / "SYLLABUS.md"
ORACLE = re.compile(r"""@pytest\.mark\.oracle\(\s*["'](U\d\.\d+)["']\s*\)""")


def test_row_list_matches_the_syllabus():
    assert SYLLABUS.is_file(), f"the course syllabus is missing: {SYLLABUS}"
    listed = re.findall(r"^\| (U\d\.\d+) \|", SYLLABUS.read_text(), re.MULTILINE)
    assert listed == ROWS


def test_every_row_has_reference_spec_and_oracle_test():
    oracles = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        oracles |= set(ORACLE.findall(path.read_text()))
    covered, missing = [], []
    for row in ROWS:
        specs = specs_for_row(row)
        has_reference = any(getattr(s.reference, "__module__", "").startswith(("reference",
                            "autograder.specs")) for s in specs)
        problems = [what for what, ok in [("spec", bool(specs)), ("reference", has_reference),
                                          ("oracle test", row in oracles)] if not ok]
        (missing if problems else covered).append(f"{row}: no {', '.join(problems)}" if problems else row)
    print(f"coverage: {len(covered)}/{len(ROWS)} syllabus rows")
    assert not missing, missing
    assert len(covered) == 41
