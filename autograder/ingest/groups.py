"""Canvas groups: who else a group submission belongs to.

A Canvas group assignment's bulk download holds one file per group, named for the member who
submitted it. With the course's groups file (``groups =`` in ``course.toml``: the CSV Canvas
exports from People → Groups → Export, columns ``name, canvas_user_id, user_id, login_id,
sections, group_name, canvas_group_id, group_id``), :func:`collect
<autograder.ingest.sources.collect>` gives that file to every member of the submitter's group:
one submission (and one result) per member, so that no member is "missing".
"""
from __future__ import annotations

import csv
from pathlib import Path

from .submission import IngestError

USER_COLUMNS = ("canvas_user_id", "user_id", "id", "student_id")
GROUP_COLUMNS = ("canvas_group_id", "group_id", "group_name", "group")


class GroupsError(IngestError):
    """A groups file that cannot be read, with a message naming it."""


def _column(header: list[str], choices: tuple[str, ...], path: Path) -> str:
    lowered = {h.strip().lower(): h for h in header}
    for choice in choices:
        if choice in lowered:
            return lowered[choice]
    raise GroupsError(f"{path}: no column {' or '.join(choices)} (found: {', '.join(header)})")


def load_groups(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``{member id: every member id of that member's group}`` from a Canvas groups CSV."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            rows = list(csv.DictReader(f))
            header = list(rows[0].keys()) if rows else []
    except OSError as e:
        raise GroupsError(f"groups file {path}: {e.strerror}") from None
    if not rows:
        return {}
    user = _column(header, USER_COLUMNS, path)
    group = _column(header, GROUP_COLUMNS, path)
    members: dict[str, list[str]] = {}
    for row in rows:
        uid, gid = str(row.get(user) or "").strip(), str(row.get(group) or "").strip()
        if uid and gid:
            members.setdefault(gid, []).append(uid)
    return {uid: tuple(ids) for ids in members.values() for uid in ids}
