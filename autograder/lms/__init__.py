"""Exchange with learning-management systems.

* :mod:`autograder.lms.gradescope`: reading a Gradescope submission export, the
  ``run_autograder`` entry point Gradescope runs in its container, and the autograder zip that
  ships it with an assignment's fixtures;
* :mod:`autograder.lms.canvas`: the gradebook CSV that Canvas imports, and what Canvas bulk
  downloads say about a submission.

Nothing here is imported by the sandbox, and nothing imports pandas at module level except
:mod:`autograder.lms.canvas`.
"""
