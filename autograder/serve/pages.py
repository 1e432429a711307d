"""The students' pages: sign in with the token, upload, history with the remaining budget, and
each submission's feedback page (the feedback renderer of ``publish``, with what the visibility
policy withholds taken out) where a regrade request can be opened on a question.

Server-rendered jinja2 (autoescaped) without any script; a page waiting for a grade refreshes
itself with a ``<meta http-equiv="refresh">``. Forms carry the session's CSRF value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..report.feedback import feedback_context
from ..report.render import environment
from .auth import COOKIE, SESSION_SECONDS, Principal, csrf_for, csrf_ok
from .queue import Accepted, Row
from .service import NotFound, Server, UnknownAssignment
from .views import visible_result

router = APIRouter()


@dataclass
class Visit:
    """A signed-in browser: who, and the session's raw value (for the CSRF check)."""

    principal: Principal
    session: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.session)


class Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


def server_of(request: Request) -> Server:
    return request.app.state.server


def render(request: Request, template: str, code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    server = server_of(request)
    tz = server.settings.course.tz

    def at(moment: float | None) -> str:  # a time the server recorded, in the course's zone
        return datetime.fromtimestamp(moment, tz).isoformat() if moment else ""

    html = environment().get_template(f"serve/{template}").render(
        {"course": server.settings.course.title, "at": at, **context})
    return HTMLResponse(html, status_code=code, headers=headers)


def visit_of(request: Request) -> Visit | None:
    raw = request.cookies.get(COOKIE)
    found = server_of(request).principals.session(raw, server_of(request).clock())
    return Visit(found, raw) if found is not None else None


def need(request: Request, staff: bool = False) -> Visit:
    visit = visit_of(request)
    if visit is None:
        raise Redirect("/")
    if staff and not visit.principal.staff:
        raise NotFound("staff only")
    return visit


async def checked_form(request: Request, visit: Visit, files: int = 0):
    form = await request.form(max_files=files, max_fields=16)
    if not csrf_ok(visit.session, form.get("csrf", "")):
        raise NotFound("bad form")  # a forged or stale form: nothing happens
    return form


def see_other(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


def not_found(request: Request, visit: Visit | None) -> HTMLResponse:
    return render(request, "message.html.j2", 404, visit=visit, title="Not found",
                  message="There is no such page, or it is not yours.")


# ---------------------------------------------------------------- signing in


@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    visit = visit_of(request)
    if visit is not None:
        return see_other("/staff" if visit.principal.staff else "/home")
    return render(request, "signin.html.j2", visit=None, error="")


@router.post("/signin")
async def signin(request: Request):
    server = server_of(request)
    form = await request.form(max_files=0, max_fields=4)
    token = str(form.get("token", "")).strip()
    principal = await run_in_threadpool(server.principals.authenticate, token)
    if principal is None:
        return render(request, "signin.html.j2", 401, visit=None,
                      error="That token is not valid. Use the one your instructor sent you.")
    raw = await run_in_threadpool(server.principals.start_session, principal, server.clock())
    response = see_other("/staff" if principal.staff else "/home")
    response.set_cookie(COOKIE, raw, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/signout")
async def signout(request: Request):
    visit = need(request)
    await checked_form(request, visit)
    server_of(request).principals.end_session(visit.session)
    response = see_other("/")
    response.delete_cookie(COOKIE, path="/")
    return response


# ---------------------------------------------------------------- students


def assignment_cards(server: Server, principal: Principal) -> list[dict[str, Any]]:
    history = server.history(principal)
    cards = []
    for name, policy in server.settings.policies.items():
        due = server.settings.due(principal.id, name)
        bucket = server.budget(principal.id, name)
        item = server.settings.item(name)
        cards.append({
            "name": name, "title": item.label if item else name,
            "due": due.astimezone(server.settings.course.tz).isoformat() if due else "",
            "remaining": bucket.remaining, "limit": policy.rate,
            "window_minutes": policy.window_seconds / 60,
            "next_in": math.ceil(bucket.next_token(policy)),
            "public": policy.public, "hidden": policy.hidden,
            "submissions": [h for h in history if h["assignment"] == name][::-1]})
    return cards


@router.get("/home", response_class=HTMLResponse)
def home(request: Request):
    visit = need(request)
    server = server_of(request)
    return render(request, "home.html.j2", visit=visit,
                  cards=assignment_cards(server, visit.principal),
                  max_mb=server.settings.max_upload_bytes / (1 << 20),
                  select=server.settings.course.select)


@router.post("/upload")
async def upload(request: Request):
    visit = need(request)
    server = server_of(request)
    form = await checked_form(request, visit, files=1)
    assignment, file = str(form.get("assignment", "")), form.get("file")
    if not isinstance(file, UploadFile) or not (file.filename or "").strip():
        return render(request, "message.html.j2", 422, visit=visit, title="No file",
                      message="Choose a notebook (.ipynb) or an otter export zip to submit.")
    limit = server.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        return render(request, "message.html.j2", 413, visit=visit, title="Too large",
                      message=f"The upload is larger than the limit of {limit / (1 << 20):g} MiB.")
    try:
        outcome = await run_in_threadpool(server.submit, visit.principal, assignment,
                                          file.filename or "upload", data)
    except UnknownAssignment as e:
        return render(request, "message.html.j2", 422, visit=visit, title="Unknown assignment",
                      message=str(e))
    if not isinstance(outcome, Accepted):
        wait = max(1, math.ceil(outcome.retry_after))
        return render(request, "message.html.j2", 429, headers={"Retry-After": str(wait)},
                      visit=visit, title="Please wait",
                      message=f"You have used your submissions of {assignment} for now. "
                              f"The next one is possible in {wait} s.")
    return see_other(f"/submissions/{outcome.row.id}")


def feedback_page(server: Server, row: Row, *, staff: bool) -> dict[str, Any] | None:
    """The feedback renderer's context for ``row`` as its viewer may see it (None before it
    is graded, or when the server could not grade it)."""
    full = result = server.result(row)
    if result is None:
        return None
    shown = server.shown(row)
    standings = server.standings(row.student_id)
    standing = standings.get(row.name)
    withheld = None
    if not staff:
        result, withheld = visible_result(result, shown)
    student = {"name": _name(server, row.student_id), "student_id": row.student_id}
    item = server.settings.item(row.assignment)
    context = feedback_context(result, course=server.settings.course.title,
                               title=item.label if item else row.assignment, student=student,
                               submission_row=standing if (staff or shown.totals) else None)
    if withheld and withheld.get("in_score"):
        context["score"], context["max_score"] = full.score, full.max_score
    context.update(withheld=withheld, row=row, lateness=server.lateness(row),
                   questions_all=[q.name for q in full.questions])
    return context


def _name(server: Server, student_id: str) -> str:
    roster = server.roster
    return roster.get(student_id, "name") if roster is not None else ""


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: str, request: Request):
    visit = need(request)
    server = server_of(request)
    try:
        row = server.find(visit.principal, submission_id)
    except NotFound:
        return not_found(request, visit)
    if visit.principal.staff:
        return see_other(f"/staff/submissions/{row.id}")
    return submission_view(request, visit, server, row, staff=False)


def submission_view(request: Request, visit: Visit, server: Server, row: Row, *,
                    staff: bool, **extra: Any) -> HTMLResponse:
    """One submission's page: its feedback once graded (as the student or staff may see it),
    else its place in the queue; both with its regrade requests."""
    regrades = server.records.regrades(submission_id=row.id)
    context = feedback_page(server, row, staff=staff)
    if context is None:
        position = server.queue.position(row)
        return render(request, "waiting.html.j2", visit=visit, row=row, position=position,
                      eta=server.eta(position), lateness=server.lateness(row),
                      refresh=not row.done, regrades=regrades)
    return render(request, "submission.html.j2", visit=visit, regrades=regrades,
                  staff_view=staff, **extra, **context)


@router.post("/submissions/{submission_id}/regrades")
async def open_regrade(submission_id: str, request: Request):
    visit = need(request)
    server = server_of(request)
    form = await checked_form(request, visit)
    try:
        row = server.find(visit.principal, submission_id)
    except NotFound:
        return not_found(request, visit)
    if row.student_id != visit.principal.id:
        return not_found(request, visit)
    result = server.result(row)
    question = str(form.get("question", ""))
    if result is None or question not in {q.name for q in result.questions}:
        return render(request, "message.html.j2", 422, visit=visit, title="Which question?",
                      message="Choose one of the submission's questions.")
    try:
        server.records.open_regrade(row.id, row.student_id, row.assignment, question,
                                    str(form.get("message", "")), server.clock())
    except ValueError as e:
        return render(request, "message.html.j2", 422, visit=visit, title="Regrade request",
                      message=str(e))
    return see_other(f"/submissions/{row.id}#regrades")
