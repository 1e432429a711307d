"""Similar answers across submissions: the answer cells of every pair compared with copydetect,
the released notebook's starter code excluded.

* :mod:`~autograder.similarity.answers`: a notebook's answer cells (otter's answer-cell tags) and
  the starter code as boilerplate;
* :mod:`~autograder.similarity.detect`: fingerprints and pairwise scores;
* :mod:`~autograder.similarity.write`: ``similarity.csv`` and ``similarity.html``;
* :mod:`~autograder.similarity.run`: the verb.

Nothing here imports torch or the sandbox: student code is read as text, never run.
"""
from .run import FLOOR, SimilarityRun, similarity

__all__ = ["FLOOR", "SimilarityRun", "similarity"]
