"""The HTTP application: the JSON API under ``/api/v1`` and the pages (:mod:`.pages`).

API (``Authorization: Bearer TOKEN`` on every call)::

    POST /api/v1/submissions            multipart: assignment, file → 202 {id, status, position}
    GET  /api/v1/submissions/{id}       status, score, max_score, late, tests (as visible now)
    GET  /api/v1/submissions?assignment=hw1    the caller's own history
    GET  /api/v1/assignments            what the caller may submit, with due dates and budgets

401 without a valid token; 404 for a submission that is not the caller's, exactly as for one
that does not exist; 429 with ``Retry-After`` past the rate limit; 413 for an upload over the
size limit (refused from its ``Content-Length``, or as soon as more bytes than that arrive);
422 for an unknown assignment, naming those the server takes. Nothing a student sent is echoed
in a header; every response is ``no-store``, and pages carry a content security policy that
allows no script at all.
"""
from __future__ import annotations

import math
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from . import pages, staff
from .auth import Principal
from .pages import Redirect, not_found, see_other
from .policy import AssignmentPolicy, Bucket
from .queue import Accepted
from .service import NotFound, Server, UnknownAssignment

API = "/api/v1"
UPLOAD_PATHS = (f"{API}/submissions", "/upload")
FORM_SLACK = 64 << 10  # multipart headers and the other fields, on top of the file
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"the upload is larger than the limit of {limit / (1 << 20):g} MiB")


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Guard:
    """ASGI middleware: the upload size limit, enforced before the body is read (from
    ``Content-Length``) and while it arrives (a chunked or lying request is cut off), and
    the security headers of every response."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False
        refused = False
        api = scope["path"].startswith(API)

        async def send_headers(message) -> None:
            nonlocal started
            if refused and not started:
                return
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"cache-control"]
                headers += [(b"cache-control", b"no-store"),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"DENY")]
                if not api:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def refuse() -> None:
            nonlocal refused, started
            refused = True
            error = too_large(self.limit - FORM_SLACK)
            response = JSONResponse({"detail": error.detail}, status_code=413,
                                    headers={"connection": "close"})
            started = True
            await response(scope, receive, send)

        if scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS:
            length = dict(scope.get("headers", [])).get(b"content-length")
            try:
                declared = int(length) if length is not None else None
            except ValueError:
                declared = None
            if declared is not None and declared > self.limit:
                return await refuse()
            seen = 0

            async def counted():
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.limit:
                        if not started:
                            await refuse()
                        return {"type": "http.disconnect"}
                return message

            try:
                return await self.app(scope, counted, send_headers)
            except Exception:  # noqa: BLE001 - the app saw its body cut off: answered already
                if refused:
                    return
                raise
        return await self.app(scope, receive, send_headers)


def budget_json(bucket: Bucket, policy: AssignmentPolicy) -> dict[str, Any]:
    """A student's rate-limit budget: submissions left now, and when the next one comes."""
    return {"remaining": bucket.remaining, "limit": policy.rate,
            "window_seconds": policy.window_seconds,
            "next_in_seconds": math.ceil(bucket.next_token(policy))}


def create_app(server: Server, *, manage: bool = True) -> FastAPI:
    """The application over ``server``; ``manage``: start and close it with the app."""

    @asynccontextmanager
    async def lifespan(_app):
        if manage:
            await run_in_threadpool(server.start)
        try:
            yield
        finally:
            if manage:
                await run_in_threadpool(server.close)

    app = FastAPI(title="autograder course server", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.server = server

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, e: ApiError):
        return JSONResponse({"detail": e.detail, **e.extra}, status_code=e.status,
                            headers=e.headers)

    def who(request: Request) -> Principal:
        found = server.principals.authenticate(bearer(request))
        if found is None:
            raise ApiError(401, "missing or invalid token (Authorization: Bearer TOKEN)",
                           {"WWW-Authenticate": "Bearer"})
        return found

    def assignment_or_422(name: str) -> None:
        try:
            server.check_assignment(name)
        except UnknownAssignment as e:
            raise ApiError(422, str(e), known=e.known) from None

    @app.post(f"{API}/submissions", status_code=202)
    async def submit(request: Request):
        principal = await run_in_threadpool(who, request)
        form = await request.form(max_files=1, max_fields=8)
        assignment, upload = form.get("assignment"), form.get("file")
        if not isinstance(assignment, str) or not assignment:
            raise ApiError(422, "the form needs a field `assignment` (e.g. hw1)",
                           known=server.settings.assignments)
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "the form needs a file field `file` (a notebook or an otter "
                                "export zip)")
        assignment_or_422(assignment)
        limit = server.settings.max_upload_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit)
        outcome = await run_in_threadpool(server.submit, principal, assignment,
                                          upload.filename or "upload", data)
        return await run_in_threadpool(accepted_or_429, server, principal, assignment, outcome)

    @app.get(f"{API}/submissions/{{submission_id}}")
    def get_submission(submission_id: str, request: Request):
        principal = who(request)
        try:
            return server.view(principal, submission_id)
        except NotFound:
            raise ApiError(404, "no such submission") from None

    @app.get(f"{API}/submissions")
    def list_submissions(request: Request, assignment: str | None = None):
        principal = who(request)
        if assignment is not None:
            assignment_or_422(assignment)
        return server.history(principal, assignment)

    @app.get(f"{API}/assignments")
    def assignments(request: Request):
        principal = who(request)
        out = []
        for name, policy in server.settings.policies.items():
            due = server.settings.due(principal.id, name)
            entry = {"name": name, "due": due.isoformat() if due else None,
                     "visibility": {"public": policy.public, "hidden": policy.hidden}}
            if not principal.staff:
                entry.update(budget_json(server.budget(principal.id, name), policy))
            out.append(entry)
        return out

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @app.get("/healthz")
    def health():
        return {"ok": True, "queued": server.queue.queued(), "workers": server.workers}

    @app.exception_handler(Redirect)
    async def _redirect(_request: Request, e: Redirect):
        return see_other(e.to)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, _e: NotFound):
        return not_found(request, None)

    app.include_router(pages.router)
    app.include_router(staff.router)
    app.add_middleware(Guard, limit=server.settings.max_upload_bytes + FORM_SLACK)
    return app


def accepted_or_429(server: Server, principal: Principal, assignment: str,
                    outcome) -> JSONResponse:
    policy = server.settings.policy(assignment)
    if not isinstance(outcome, Accepted):
        wait = max(1, math.ceil(outcome.retry_after))
        raise ApiError(429, f"rate limit: {policy.rate} submissions of {assignment} per "
                            f"{policy.window_seconds / 60:g} minutes; try again in {wait} s",
                       {"Retry-After": str(wait)}, retry_after=wait, remaining=0,
                       limit=policy.rate, window_seconds=policy.window_seconds)
    row = outcome.row
    position = server.queue.position(row)
    body = {"id": row.id, "status": "queued", "position": position,
            "eta_seconds": round(server.eta(position), 1), "assignment": assignment}
    if not principal.staff:
        body.update(budget_json(outcome.bucket, policy))
    return JSONResponse(body, status_code=202,
                        headers={"Location": f"{API}/submissions/{row.id}"})
