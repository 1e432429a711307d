"""What runs in the zygote and its sandboxes imports nothing of the grader: a child inherits
every module the zygote imported, and the expected outputs must stay out of its reach."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKER = REPO / "autograder" / "sandbox" / "worker"
# the only modules of this project the worker may import (besides its own)
ALLOWED = ("autograder.wire", "autograder.sandbox.limits",
           "autograder.sandbox.isolation", "autograder.sandbox.worker")


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside a function, absolute."""
    package = "autograder.sandbox.worker"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _allowed(name: str) -> bool:
    if not (name == "autograder" or name.startswith("autograder.")) and \
            name.split(".")[0] not in ("reference", "solutions"):
        return True  # the standard library, torch, numpy ...
    return any(name == a or name.startswith(a + ".") for a in ALLOWED) or \
        name in ("autograder", "autograder.sandbox")


def test_worker_modules_import_only_the_sandbox_basics():
    files = sorted(WORKER.glob("*.py"))
    assert {f.name for f in files} >= {"server.py", "spawn.py", "supervise.py", "harness.py",
                                       "calls.py"}
    bad = {f"{f.name}: {name}" for f in files for name in _imports(f) if not _allowed(name)}
    assert not bad, bad


def test_the_rule_catches_a_grader_import():
    assert not _allowed("autograder.grade.pipeline") and not _allowed("autograder.specs")
    assert not _allowed("autograder.sandbox.session") and not _allowed("reference.unit1")
    assert _allowed("autograder.sandbox.isolation.plan") and _allowed("torch.nn")


def test_starting_the_worker_loads_nothing_of_the_grader():
    """Importing the zygote's entry point (what ``python -m`` runs) pulls in only the sandbox
    basics: checked on ``sys.modules`` in a fresh interpreter."""
    code = ("import sys, autograder.sandbox.worker.server\n"
            "print('\\n'.join(m for m in sys.modules if m.split('.')[0] in "
            "('autograder', 'reference', 'solutions')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(done.stdout.split())
    assert "autograder.sandbox.worker.harness" in loaded
    assert {m for m in loaded if not _allowed(m)} == set()
