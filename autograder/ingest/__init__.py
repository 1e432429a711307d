"""Ingestion: from the files a TA hands in to :class:`Submission` rows, one rule per module.

* :mod:`~autograder.ingest.sources`: files, folders and zips; :func:`collect` and each
  submission's name and student id;
* :mod:`~autograder.ingest.files`: reading one file or zip member under the limits (size,
  unsafe paths, symbolic links);
* :mod:`~autograder.ingest.canvas`: what Canvas bulk-download file names say (ids, ``LATE``);
* :mod:`~autograder.ingest.gradescope`: Gradescope submission exports and their metadata;
* :mod:`~autograder.ingest.notebook`: a notebook's code cells, or why it has none;
* :mod:`~autograder.ingest.submission`: the :class:`Submission` itself.

Nothing here imports torch, pandas or the sandbox; a problem with a file becomes a message in its
row, never an exception.
"""
from .notebook import NotebookError, code_cells
from .sources import collect, student_id_from_filename
from .submission import Submission

__all__ = ["NotebookError", "Submission", "code_cells", "collect", "student_id_from_filename"]
