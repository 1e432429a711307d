"""The grader's version, as recorded in every result and used in the results store's key.

``GRADER_VERSION`` is the package version plus a digest of the code that decides what a
submission's result is: the grading pipeline, the ladder of checks, the harness, the wire format,
the sandbox, and which code cells of a notebook run. Any change there (a tolerance rule, a new
incident, a fixed leak) changes the version, so ``grade`` regrades everything instead of trusting
results an older grader produced. Code that only schedules work or stores results (the options,
the executors, the plan, the store) is left out: changing it cannot change a result. Torch is not imported here (a fully cached re-run never loads it).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__

_PACKAGE = Path(__file__).resolve().parents[1]  # the autograder package
_FOLDERS = ("grade", "sandbox")
_ALSO = ("ingest/notebook.py",  # the code cells grading runs
         "wire.py")  # what a returned value can be, and how it is decoded
# scheduling and storage only: they decide where and when a submission runs, not its result
_LEFT_OUT = frozenset({"grade/batch.py", "grade/dask_executor.py", "grade/executor.py",
                       "grade/incremental.py", "grade/local_executor.py", "grade/options.py",
                       "grade/store.py", "grade/version.py"})


def code_files() -> list[Path]:
    files = []
    for folder in _FOLDERS:
        for path in sorted((_PACKAGE / folder).rglob("*.py")):
            if path.relative_to(_PACKAGE).as_posix() not in _LEFT_OUT:
                files.append(path)
    return files + [_PACKAGE / name for name in _ALSO]


def code_digest() -> str:
    h = hashlib.sha256()
    for path in code_files():
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


GRADER_VERSION = f"{__version__}+{code_digest()}"
