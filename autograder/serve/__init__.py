"""The course server (``autograder serve``): students submit over HTTP and get their graded
feedback in about a second, from the same course config, grading pool, sandbox and results
store as the command line.

=================  =============================================================
``policy``         the ``[server]`` settings; rate limit, lateness, visibility rules
``auth``           tokens (stored as hashes), browser sessions, CSRF values
``tables``         the server's tables, in the results store's database
``queue``          the persistent queue of submissions and the rate-limit buckets
``records``        overrides, regrade requests, publishing, the audit log
``grading``        the one link to the grading engine: a warm pool, the results store
``worker``         the threads that grade what is queued
``views``          what a student may see of a result now
``service``        the server's state and operations, apart from HTTP
``app``            the JSON API and the ASGI app; ``pages``/``staff``: the HTML pages
=================  =============================================================
"""
from __future__ import annotations

import time
from pathlib import Path

from ..course import Course, CourseError
from ..gradebook.roster import load_roster
from .auth import Principals, issue_tokens as issue
from .grading import GradingPool, Results
from .policy import load_settings
from .queue import create_tables
from .service import Server


def settings_for(config: str | Path, course: Course, store: str | None = None):
    return load_settings(config, known=course.assignments(), store=store)


def issue_tokens(config: str | Path, out: str | Path, course: Course, *, staff=(),
                 rotate: bool = False, store: str | None = None):
    """Tokens for every roster student and staff name into ``out``; hashes into the store."""
    settings = settings_for(config, course, store)
    if settings.course.roster is None:
        raise CourseError(f"{config}: no roster: tokens are issued to the roster's students")
    roster = load_roster(settings.course.roster)
    results = Results(settings.store)
    try:
        create_tables(results.engine)
        return issue(Principals(results.engine), roster.ids, Path(out), list(staff), rotate,
                     time.time())
    finally:
        results.close()


def open_server(config: str | Path, course: Course, *, store: str | None = None,
                workers: int | None = None, executor: str = "local",
                scheduler: str | None = None, isolation: str = "auto", device: str = "auto"):
    """A :class:`autograder.serve.service.Server` with its own grading pool (not started)."""
    settings = settings_for(config, course, store)
    pool = GradingPool(course, settings.assignments, workers=workers, isolation=isolation,
                       device=device, executor=executor, scheduler=scheduler)
    return Server(settings, course, pool)


def run(server, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (SIGINT/SIGTERM: the submissions being graded finish first;
    queued ones wait in the store for the next start)."""
    import uvicorn  # the web stack (uvicorn, fastapi): only to serve

    from .app import create_app

    uvicorn.run(create_app(server), host=host, port=port, log_level="info",
                proxy_headers=True, server_header=False)
