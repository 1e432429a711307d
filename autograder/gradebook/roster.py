"""The class roster, and matching the ids that submissions carry to it.

A roster CSV has at least ``student_id``; usually ``name``, ``email`` and ``section`` too, and
optionally ``canvas_id`` (Canvas's user id, which its bulk downloads put in file names),
``sis_id`` and ``login_id``. Common spellings of the headers are accepted ("Student ID", "SID",
"Name", "E-mail", ...).

A submission's id is matched to a student by, in order: ``student_id``, ``canvas_id``,
``sis_id``, ``login_id``, ``email``, then the e-mail's local part (``jdoe`` for
``jdoe@uni.edu``), ignoring case and surrounding spaces. An id that matches nobody, or more than
one student, stays unmatched and is reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import ConfigError

ALIASES = {
    "student_id": ("student_id", "studentid", "student id", "sid", "id", "student number",
                   "student_number"),
    "name": ("name", "student", "student name", "full name", "fullname"),
    "email": ("email", "e-mail", "email address", "mail"),
    "section": ("section", "sections", "group", "class"),
    "canvas_id": ("canvas_id", "canvas id", "canvas user id", "user_id"),
    "sis_id": ("sis_id", "sis user id", "sis_user_id"),
    "login_id": ("login_id", "sis login id", "sis_login_id", "login"),
}
MATCH_COLUMNS = ("student_id", "canvas_id", "sis_id", "login_id", "email")


def _key(value: object) -> str:
    text = "" if value is None else str(value).strip().lower()
    return "" if text in ("nan", "none") else text


@dataclass
class Roster:
    frame: pd.DataFrame  # student_id, name, email, section, ... (all strings)
    _index: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for col in MATCH_COLUMNS:
            if col not in self.frame:
                continue
            for sid, value in zip(self.frame["student_id"], self.frame[col]):
                key = _key(value)
                if key:
                    self._index.setdefault(key, set()).add(sid)
                if col == "email" and "@" in key:
                    self._index.setdefault(key.split("@", 1)[0], set()).add(sid)

    @property
    def ids(self) -> list[str]:
        return list(self.frame["student_id"])

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, student_id: str) -> bool:
        return student_id in set(self.frame["student_id"])

    def resolve(self, raw_id: str) -> str | None:
        """The roster's student_id for an id a submission carries, or None."""
        key = _key(raw_id)
        if not key:
            return None
        exact = self.frame.index[self.frame["student_id"].str.lower() == key]
        if len(exact) == 1:
            return str(self.frame.loc[exact[0], "student_id"])
        found = self._index.get(key, set())
        return next(iter(found)) if len(found) == 1 else None

    def get(self, student_id: str, column: str, default: str = "") -> str:
        if column not in self.frame:
            return default
        rows = self.frame.loc[self.frame["student_id"] == student_id, column]
        return str(rows.iloc[0]) if len(rows) else default


def _normal(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower().replace("_", " "))


def load_roster(path: str | Path) -> Roster:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"roster {path} does not exist")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    renamed: dict[str, str] = {}
    for col in frame.columns:
        for canonical, names in ALIASES.items():
            if _normal(col) in {_normal(n) for n in names} and canonical not in renamed.values():
                renamed[col] = canonical
                break
    frame = frame.rename(columns=renamed)
    if "student_id" not in frame:
        raise ConfigError(f"roster {path}: no student id column (have: {list(frame.columns)})")
    for col in ("name", "email", "section"):
        if col not in frame:
            frame[col] = ""
    frame = frame.apply(lambda s: s.astype(str).str.strip())
    frame = frame[frame["student_id"] != ""]
    dupes = frame["student_id"][frame["student_id"].duplicated()].tolist()
    if dupes:
        raise ConfigError(f"roster {path}: duplicate student ids {dupes}")
    return Roster(frame.reset_index(drop=True))


def roster_from_frame(frame: pd.DataFrame) -> Roster:
    frame = frame.copy()
    for col in ("name", "email", "section"):
        if col not in frame:
            frame[col] = ""
    return Roster(frame.astype(str).reset_index(drop=True))
