"""The staff pages: the queue, a table per assignment (the course gradebook ``publish`` would
write, from the same results folder), each student's history, score overrides with a reason,
answers to regrade requests, publishing hidden results, and grading a submission again.

Every change is recorded in the audit log (:mod:`autograder.serve.records`); an override is
also written to the assignment's ``overrides.csv``, which ``publish`` reads.
"""
from __future__ import annotations

from dataclasses import replace
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..gradebook.course import course_gradebook
from ..report.similarity import similarity_page
from .pages import (checked_form, need, not_found, render, see_other, server_of,
                    submission_view)
from .records import iso
from .service import NotFound, Server

router = APIRouter(prefix="/staff")


def _assignment_or_none(server: Server, name: str) -> bool:
    return name in server.settings.policies


@router.get("", response_class=HTMLResponse)
def overview(request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    published = server.records.published()
    rows = server.queue.rows()
    summary = []
    for name in server.settings.assignments:
        mine = [r for r in rows if r.assignment == name]
        summary.append({"name": name, "submissions": len(mine),
                        "students": len({r.student_id for r in mine}),
                        "queued": sum(r.status == "queued" for r in mine),
                        "running": sum(r.status == "running" for r in mine),
                        "errors": sum(r.status == "error" for r in mine),
                        "published": iso(published.get(name)) if name in published else "",
                        "policy": server.settings.policy(name)})
    return render(request, "staff_index.html.j2", visit=visit, summary=summary,
                  open_regrades=len(server.records.regrades(status="open")),
                  queued=server.queue.queued(), workers=server.workers)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    waiting = server.queue.rows(statuses=("queued", "running"))
    now = server.clock()
    rows = [{"row": r, "position": server.queue.position(r), "age": now - r.received_at}
            for r in waiting]
    return render(request, "staff_queue.html.j2", visit=visit, rows=rows, refresh=bool(rows),
                  mean=server.queue.mean_seconds())


def assignment_book(server: Server, name: str):
    """The course gradebook of one assignment, exactly as ``publish`` builds it from the
    results folder (overrides included)."""
    config = server.settings.course
    item = config.item(name)
    return course_gradebook(replace(config, items=[item], results_root=None),
                            max_points={name: server.max_points[name]})


@router.get("/assignments/{name}", response_class=HTMLResponse)
def assignment_page(name: str, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    if not _assignment_or_none(server, name):
        return not_found(request, visit)
    book = assignment_book(server, name)
    rows = server.queue.rows(assignment=name)
    per_student: dict[str, list] = {}
    for r in rows:
        per_student.setdefault(r.student_id, []).append(r)
    table = []
    for item in book.items.to_dict("records"):
        mine = per_student.get(item["student_id"], [])
        table.append({**item, "server": len(mine),
                      "latest": mine[-1] if mine else None})
    return render(request, "staff_assignment.html.j2", visit=visit, name=name, table=table,
                  issues=book.issues, published=name in server.records.published(),
                  policy=server.settings.policy(name),
                  similarity=similarity_page(server.settings.results_root, name) is not None,
                  audit=server.records.audit_log(assignment=name, limit=50))


@router.get("/assignments/{name}/similarity", response_class=HTMLResponse)
def similarity(name: str, request: Request):
    """The page ``autograder similarity`` wrote next to the assignment's results (its
    content escaped when it was written), if there is one."""
    visit = need(request, staff=True)
    server = server_of(request)
    page = similarity_page(server.settings.results_root, name) \
        if _assignment_or_none(server, name) else None
    if page is None:
        return not_found(request, visit)
    return HTMLResponse(page.read_text(encoding="utf-8"))


@router.post("/assignments/{name}/publish")
async def publish(name: str, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    form = await checked_form(request, visit)
    if not _assignment_or_none(server, name):
        return not_found(request, visit)
    server.records.set_published(name, form.get("on") == "1", visit.principal.id,
                                 server.clock())
    return see_other(f"/staff/assignments/{name}")


@router.get("/students/{student_id}", response_class=HTMLResponse)
def student_page(student_id: str, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    standings = server.standings(student_id)
    history = []
    for r in server.queue.rows(student_id=student_id)[::-1]:
        history.append({"row": r, "standing": standings.get(r.name) or {},
                        "late": server.lateness(r)})
    overrides = {o.assignment: o for o in server.records.overrides()
                 if o.student_id == student_id}
    roster = server.roster
    if not history and (roster is None or student_id not in roster):
        return not_found(request, visit)
    return render(request, "staff_student.html.j2", visit=visit, student_id=student_id,
                  name=roster.get(student_id, "name") if roster is not None else "",
                  history=history, overrides=overrides,
                  assignments=server.settings.assignments,
                  regrades=server.records.regrades(student_id=student_id),
                  audit=server.records.audit_log(student_id=student_id, limit=50))


@router.post("/overrides")
async def override(request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    form = await checked_form(request, visit)
    name, student_id = str(form.get("assignment", "")), str(form.get("student_id", ""))
    back = f"/staff/students/{student_id}"
    if not _assignment_or_none(server, name):
        return not_found(request, visit)
    raw = str(form.get("score", "")).strip()
    try:
        score = float(raw) if raw else None
        if score is not None and not 0 <= score <= 10 * server.max_points[name]:
            raise ValueError(f"a score between 0 and {server.max_points[name]:g} (or a bonus "
                             "up to ten times that)")
        server.records.set_override(name, student_id, score, str(form.get("reason", "")),
                                    visit.principal.id, server.clock())
    except ValueError as e:
        return render(request, "message.html.j2", 422, visit=visit, title="Override",
                      message=f"Not changed: {e}", back=back)
    folder = server.folder(name)
    if folder is not None:
        server.records.write_overrides(name, folder)
    return see_other(back)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: str, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    try:
        row = server.find(visit.principal, submission_id)
    except NotFound:
        return not_found(request, visit)
    log = server.results.log(server.folder(row.assignment), row.name) if row.done else ""
    return submission_view(request, visit, server, row, staff=True, log=log)


@router.post("/submissions/{submission_id}/requeue")
async def requeue(submission_id: str, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    await checked_form(request, visit)
    try:
        row = server.find(visit.principal, submission_id)
    except NotFound:
        return not_found(request, visit)
    if server.queue.requeue(row.id):
        server.records.log_action(visit.principal.id, "requeue", row.assignment,
                                  row.student_id, server.clock(), submission=row.id)
        if server.dispatcher is not None:
            server.dispatcher.wake()
    return see_other(f"/staff/submissions/{row.id}")


@router.get("/regrades", response_class=HTMLResponse)
def regrades_page(request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    requests = server.records.regrades()
    return render(request, "staff_regrades.html.j2", visit=visit,
                  open=[r for r in requests if r.status == "open"],
                  answered=[r for r in requests if r.status != "open"][::-1][:100])


@router.post("/regrades/{rid}")
async def answer(rid: int, request: Request):
    visit = need(request, staff=True)
    server = server_of(request)
    form = await checked_form(request, visit)
    try:
        found = server.records.answer_regrade(rid, str(form.get("answer", "")),
                                              visit.principal.id, server.clock())
    except ValueError as e:
        return render(request, "message.html.j2", 422, visit=visit, title="Regrade request",
                      message=str(e))
    if found is None:
        return not_found(request, visit)
    back = str(form.get("back", ""))
    return see_other(back if back in ("/staff/regrades", f"/staff/submissions/"
                                      f"{found.submission_id}") else "/staff/regrades")
