"""Exchange with learning-management systems.

* :mod:`autograder.lms.gradescope`: the ``run_autograder`` entry point Gradescope runs in its
  container, and the autograder zip that ships it with an assignment's fixtures;
* :mod:`autograder.lms.canvas`: the gradebook CSV that Canvas imports.

What their submission downloads say (Canvas file names, Gradescope export metadata) is read by
:mod:`autograder.ingest`. Nothing here is imported by the sandbox, and nothing imports pandas at
module level except :mod:`autograder.lms.canvas`.
"""
