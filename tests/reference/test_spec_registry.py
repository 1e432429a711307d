"""The spec registry (``autograder.specs``): every spec a unit module declares is registered, and
an assignment's hidden fixtures regenerate bit for bit from its seed in another process."""
from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import autograder.specs as specs_package
from autograder.specs import all_specs

REPO = Path(__file__).resolve().parents[2]


def _declared():
    """(module, spec) for every ``SPECS`` entry of every module under ``autograder/specs``."""
    for info in pkgutil.walk_packages(specs_package.__path__, f"{specs_package.__name__}."):
        module = importlib.import_module(info.name)
        for spec in getattr(module, "SPECS", ()):
            yield info.name, spec


def test_every_declared_spec_is_registered_once():
    registry = all_specs()
    unregistered = sorted(f"{module}.{spec.name}" for module, spec in _declared()
                          if registry.get(spec.name) is not spec)
    assert not unregistered, f"declared but not in the registry: {unregistered}"
    declared = {id(spec) for _, spec in _declared()}
    assert {id(spec) for spec in registry.values()} == declared


_GENERATE = """
import sys
from pathlib import Path
from autograder import fixtures
from autograder.course import Course
course = Course(Path(sys.argv[1]), build_root=Path(sys.argv[2]))
fixtures.ensure(course, course.config(sys.argv[3]))
"""


def test_fixtures_regenerate_bit_for_bit_in_a_fresh_process(course, built, tmp_path):
    hw = "hw3"  # the largest assignment; its cases use every drawing helper
    built(hw)  # generated (once per session) in this process
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another str hash order than this process's
    subprocess.run([sys.executable, "-c", _GENERATE, str(REPO), str(tmp_path), hw], check=True,
                   env=env, timeout=300)
    here = (course.build_dir(hw) / "fixtures.bin").read_bytes()
    again = (tmp_path / hw / "fixtures.bin").read_bytes()
    assert here == again
