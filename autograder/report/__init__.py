"""What people read: per-submission feedback for students, and the instructor report.

* :mod:`.feedback`: one HTML and one Markdown page per submission (``templates/feedback.*.j2``);
* :mod:`.instructor`: one self-contained HTML page per assignment, plus a course index
  (``templates/report.html.j2``, ``templates/index.html.j2``);
* :mod:`.publish`: the course gradebook, Canvas CSV, feedback and reports in one call.

Everything here works from plain ``list[GradingResults]``.
"""
from .feedback import render_feedback, safe_message, write_feedback
from .instructor import render_report, report_context

__all__ = ["render_feedback", "render_report", "report_context", "safe_message",
           "write_feedback"]
