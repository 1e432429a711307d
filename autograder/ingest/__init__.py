"""Ingestion: from the files an instructor hands in to :class:`Submission` rows with identities,
one rule per module.

* :mod:`~autograder.ingest.sources`: :func:`collect` (files, folders, zips), result keys;
* :mod:`~autograder.ingest.archive`: which kind a zip is (Canvas or Gradescope download, one
  student's upload such as an otter export) and the submissions it holds;
* :mod:`~autograder.ingest.files`: reading a file or zip member under the limits (size, member
  count, unsafe paths, symbolic links, names that are not UTF-8), one at a time;
* :mod:`~autograder.ingest.canvas`: what Canvas bulk-download file names say (ids, ``LATE``,
  anonymous names, resubmissions);
* :mod:`~autograder.ingest.groups`: Canvas groups, so a group submission counts for every member;
* :mod:`~autograder.ingest.gradescope`: Gradescope submission exports and their metadata;
* :mod:`~autograder.ingest.notebook`: a notebook's code cells, or why it has none;
* :mod:`~autograder.ingest.upload`: one uploaded file (the course server) as a submission;
* :mod:`~autograder.ingest.submission`: the :class:`Submission` itself.

Nothing here imports torch, pandas or the sandbox; a problem with a file becomes a message in its
row, never an exception (except a path that does not exist: :class:`IngestError`).
"""
from .files import Limits
from .notebook import NotebookError, code_cells
from .sources import IngestError, collect, student_id_from_filename
from .submission import Submission
from .upload import from_upload

__all__ = ["IngestError", "Limits", "NotebookError", "Submission", "code_cells", "collect",
           "from_upload", "student_id_from_filename"]
