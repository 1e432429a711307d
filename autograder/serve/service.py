"""The course server's state and operations, apart from HTTP: what the API and the pages call.

A :class:`Server` holds the settings, the results store (shared with the CLI), the queue, the
staff records, the principals, the grading pool and its workers, and the clock (the server's
clock decides lateness; tests move it). Every operation checks who asks: a student reaches
only their own submissions (anything else is "not found", exactly as a submission that does
not exist), staff reach everything.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..course import Course
from ..gradebook.course import course_gradebook
from ..gradebook.roster import Roster, load_roster, roster_from_frame
from ..grade.results import GradingResults
from .auth import Principal, Principals
from .grading import GradingPool, Results
from .policy import AssignmentPolicy, Bucket, ServerSettings, Shown, visibility
from .queue import Accepted, Queue, Refused, Row
from .records import Records
from .views import standing_view, submission_json
from .worker import Dispatcher

DEFAULT_SECONDS = 2.0  # the grading time assumed before the first submission is graded


class UnknownAssignment(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"unknown assignment {name!r}; this server takes: "
                         f"{', '.join(known) or 'none'}")


class NotFound(LookupError):
    pass


@dataclass
class Server:
    settings: ServerSettings
    course: Course
    pool: GradingPool | None = None  # None: submissions are accepted and wait in the queue
    own_pool: bool = True  # close the pool with the server
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.results = Results(self.settings.store)
        self.queue = Queue(self.results.engine)
        self.records = Records(self.results.engine)
        self.principals = Principals(self.results.engine)
        self.dispatcher: Dispatcher | None = None
        self.max_points = {hw: self.course.config(hw).max_score
                           for hw in self.settings.assignments}

    # ------------------------------------------------------------------ life cycle
    def start(self) -> "Server":
        if self.pool is not None:
            if self.own_pool:
                self.pool.start()
            self.dispatcher = Dispatcher(self.queue, self.pool, self.results, self.folder,
                                         self.clock, self.pool.workers).start()
        return self

    def close(self, timeout: float = 30.0) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop(timeout)
        if self.pool is not None and self.own_pool:
            self.pool.close()
        self.results.close()

    @property
    def workers(self) -> int:
        return self.pool.workers if self.pool is not None else 0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def folder(self, assignment: str) -> Path | None:
        item = self.settings.item(assignment)
        if item is not None and item.results is not None:
            return item.results
        root = self.settings.results_root
        return root / assignment if root is not None else None

    @cached_property
    def roster(self) -> Roster | None:
        path = self.settings.course.roster
        return load_roster(path) if path is not None else None

    def check_assignment(self, assignment: str) -> None:
        if assignment not in self.settings.policies:
            raise UnknownAssignment(assignment, self.settings.assignments)

    # ------------------------------------------------------------------ submitting
    def submit(self, who: Principal, assignment: str, filename: str,
               data: bytes) -> Accepted | Refused:
        self.check_assignment(assignment)
        policy = None if who.staff else self.settings.policy(assignment)
        outcome = self.queue.accept(who.id, assignment, filename, data, self.clock(), policy)
        if isinstance(outcome, Accepted) and self.dispatcher is not None:
            self.dispatcher.wake()
        return outcome

    def budget(self, student_id: str, assignment: str) -> Bucket:
        return self.queue.bucket(student_id, assignment, self.settings.policy(assignment),
                                 self.clock())

    def eta(self, position: int) -> float:
        """Seconds until a submission at ``position`` is graded (0: running), estimated from
        recent grading times and the number of workers."""
        mean = self.queue.mean_seconds() or DEFAULT_SECONDS
        return mean * (1 + max(0, position - 1) // max(1, self.workers)) + \
            (0.0 if position == 0 else mean)

    # ------------------------------------------------------------------ reading
    def find(self, who: Principal, submission_id: str) -> Row:
        row = self.queue.get(submission_id) if len(submission_id) <= 32 else None
        if row is None or (row.student_id != who.id and not who.staff):
            raise NotFound(submission_id)
        return row

    def result(self, row: Row) -> GradingResults | None:
        return self.results.get(row.result_key) if row.result_key else None

    def shown(self, row: Row) -> Shown:
        published = row.assignment in self.records.published()
        policy = self.settings.policies.get(row.assignment, AssignmentPolicy())
        return visibility(policy, self.settings.due(row.student_id, row.assignment), published,
                          self.now())

    def lateness(self, row: Row) -> dict[str, Any]:
        received = datetime.fromtimestamp(row.received_at, timezone.utc)
        late = self.settings.lateness(row.student_id, row.assignment, received)
        tz = self.settings.course.tz
        return {"days": late.days, "due": late.due.astimezone(tz).isoformat() if late.due
                else None, "seconds": late.seconds_late}

    def levels(self, assignment: str) -> dict[bool, str]:
        policy = self.settings.policies.get(assignment, AssignmentPolicy())
        return {False: policy.public, True: policy.hidden}

    def standings(self, student_id: str) -> dict[str, dict[str, Any]]:
        """Per submission name of the student: the course gradebook's row (lateness, late
        penalty, counted or not), by exactly the rules ``publish`` applies."""
        config = self.settings.course
        # the server's clock is the submission time (a times CSV is for files collected
        # elsewhere)
        items = [replace(i, times=None) for i in config.assignments()]
        results: dict[str, list[GradingResults]] = {i.name: [] for i in items}
        for row in self.queue.rows(student_id=student_id, statuses=("graded", "error")):
            result = self.result(row)
            if result is not None and row.assignment in results:
                results[row.assignment].append(result)
        roster = roster_from_frame(pd.DataFrame([{"student_id": student_id}]))
        overrides = {i.name: {o.student_id: (o.score, o.reason)
                              for o in self.records.overrides(i.name)
                              if o.student_id == student_id} for i in items}
        book = course_gradebook(replace(config, items=items, results_root=None),
                                results=results, roster=roster, overrides=overrides,
                                max_points=self.max_points)
        return {r["submission"]: r for r in book.submissions.to_dict("records")}

    def view(self, who: Principal, submission_id: str) -> dict[str, Any]:
        """The API's answer for one submission, as its student may see it now."""
        row = self.find(who, submission_id)
        return self._view(row, None)

    def _view(self, row: Row, standings: dict[str, dict] | None) -> dict[str, Any]:
        result = self.result(row) if row.done else None
        shown = self.shown(row)
        standing = None
        if result is not None:
            if standings is None:
                standings = self.standings(row.student_id)
            standing = standing_view(standings.get(row.name), shown,
                                     self.settings.course.select)
        position = self.queue.position(row)
        return submission_json(row, result, shown, levels=self.levels(row.assignment),
                               late=self.lateness(row), standing=standing, position=position,
                               eta=self.eta(position) if not row.done else None)

    def history(self, who: Principal, assignment: str | None = None) -> list[dict[str, Any]]:
        """The caller's own submissions (of ``assignment``), oldest first."""
        if assignment is not None:
            self.check_assignment(assignment)
        rows = self.queue.rows(student_id=who.id, assignment=assignment)
        standings = self.standings(who.id) if any(r.done for r in rows) else {}
        return [self._view(r, standings) for r in rows]
