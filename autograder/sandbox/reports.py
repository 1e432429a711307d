"""What a sandboxed run reports, typed: built once from the child's untrusted messages.

A child's report is data chosen by student code: every field is checked here (type, size, a
status from a fixed set, a place that names a real line, an exception name that cannot carry a
hidden input) and what passes becomes a :class:`CaseReport` or a :class:`LoadReport`. Nothing
after this module reads the child's dicts: the grader's ladder of checks
(:mod:`autograder.grade.checks`) takes these objects as they are.
"""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..wire import MAX_DEPTH, MAX_ITEMS, MAX_STR


class Status(Enum):
    """How a call ended, as the child reports it (the first rungs of the ladder)."""

    UNDEFINED = "undefined"  # no such name once the cells ran
    NOT_CALLABLE = "not_callable"  # the name is bound to something that cannot be called
    TIMEOUT = "timeout"  # the call ran past its limit (or was not made: ``skipped``)
    ERROR = "error"  # the call raised (or the process ended during it)
    UNENCODABLE = "unencodable"  # it returned something that cannot be sent back
    RETURNED = "returned"  # it returned a value (``value``)


BUILTIN_ERRORS = frozenset(n for n, v in vars(builtins).items()
                           if isinstance(v, type) and issubclass(v, BaseException))
# exception names that describe a limit or a crash rather than the student's own choice
SYNTHETIC_ERRORS = frozenset({"ProcessEnded", "MalformedOutput", "OutOfMemoryError",
                              "LinAlgError"})
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
WHERE = re.compile(r"^cell (\d{1,5}), line (\d{1,7})$")
MEMORY_WORDS = ("can't allocate memory", "cannot allocate memory", "not enough memory",
                "out of memory", "std::bad_alloc")
REASONS = {
    "type": "it is not plain data (tensors, numbers, bools, strings, None, and lists, tuples "
            "and str-keyed dicts of them)",
    "key": "a dict with keys that are not plain strings",
    "deep": f"it is nested deeper than {MAX_DEPTH} levels",
    "many": f"it has more than {MAX_ITEMS} items",
    "string": f"it holds a string longer than {MAX_STR} characters",
    "int": "it holds an integer too large to compare",
    "dtype": "it holds a tensor of an unsupported dtype (complex, quantized, float8, uint16-64)",
    "nested": "it holds a nested tensor (return a list of tensors, or one padded tensor)",
    "too_large": "it is larger than the size limit for one value",
    "failed": "it could not be encoded",
}
MAX_MESSAGE = 2000
INPUT_LABEL = re.compile(r"(args|kwargs)(\[(\d{1,4}|'[A-Za-z_][A-Za-z0-9_]{0,40}')\]){1,4}")


@dataclass(frozen=True)
class CaseReport:
    """One case's report, validated. Only the fields of its status are set; a hidden case's
    carries no exception message and only a built-in (or the grader's own) exception name."""

    question: str
    case: str
    status: Status
    seconds: float = 0.0  # measured by the grader, not taken from the child
    value: Any = None  # RETURNED: the value, decoded by the wire format
    type_name: str = ""  # NOT_CALLABLE: a built-in type's name, else "object"
    skipped: bool = False  # TIMEOUT: not called, an earlier case of the function timed out
    limit: str = ""  # TIMEOUT: which limit stopped it, "cpu" or "wall" (the backstop)
    error_type: str = ""  # ERROR
    error_message: str = ""  # ERROR (public cases only), UNENCODABLE (the grader's reason)
    where: str = ""  # ERROR: "cell i, line j", a real line of the notebook, or ""
    reason: str = ""  # UNENCODABLE: a key of REASONS
    # RETURNED: where the call changed its inputs in place (``args[0]``, ``kwargs['mask']``)
    changed_inputs: tuple[str, ...] = ()
    # TIMEOUT, ERROR: it happened on the repeat of a case that is called twice (Spec.repeat)
    second_call: bool = False

    @classmethod
    def from_child(cls, raw: dict, question: str, case: str, hidden: bool, seconds: float,
                   cells: list[str]) -> "CaseReport":
        """The report rebuilt from the fields of ``raw`` that pass validation; a report that
        does not is an error (``MalformedOutput``)."""
        base = dict(question=question, case=case, seconds=round(max(0.0, seconds), 3))
        status = raw.get("status")
        if type(status) is not str or status not in _STATUSES or (
                status == "returned" and "value" not in raw):
            return cls(**base, status=Status.ERROR, error_type="MalformedOutput",
                       error_message="a malformed report")
        status = Status(status)
        if status in (Status.TIMEOUT, Status.ERROR):
            base["second_call"] = raw.get("call") == 2
        if status is Status.RETURNED:
            return cls(**base, status=status, value=raw["value"],
                       changed_inputs=_changed_inputs(raw.get("changed_inputs")))
        if status is Status.NOT_CALLABLE:
            tp = raw.get("type") if type(raw.get("type")) is str else ""
            return cls(**base, status=status,
                       type_name=tp if tp in vars(builtins) and IDENTIFIER.match(tp)
                       else "object")
        if status is Status.TIMEOUT:
            return cls(**base, status=status, skipped=raw.get("skipped") is True,
                       limit="wall" if raw.get("limit") == "wall" else "cpu")
        if status is Status.ERROR:
            memory = _is_memory(raw)
            return cls(**base, status=status,
                       error_type="MemoryError" if memory
                       else error_name(raw.get("error_type"), hidden),
                       error_message="" if hidden else text(raw.get("error_message")),
                       where=place(raw.get("where"), cells))
        if status is Status.UNENCODABLE:
            reason = raw.get("reason") if raw.get("reason") in REASONS else "failed"
            return cls(**base, status=status, reason=reason, error_message=REASONS[reason])
        return cls(**base, status=status)  # UNDEFINED


_STATUSES = frozenset(s.value for s in Status)


@dataclass(frozen=True)
class CellReport:
    """One code cell as it loaded: an error's name, message and place (empty: it ran)."""

    cell: int
    error_type: str = ""
    error_message: str = ""
    where: str = ""


@dataclass(frozen=True)
class LoadReport:
    """The notebook's cells, loaded. Sent before any hidden input reached the process, so
    messages are kept; ``timeout``: loading ran past its limit."""

    cells: list[CellReport] = field(default_factory=list)
    timeout: bool = False

    @classmethod
    def from_child(cls, raw: dict, cells: list[str], skipped: dict[int, str]) -> "LoadReport":
        """Skipped cells (they ended the process) are reported as incidents instead."""
        entries = []
        for entry in raw.get("cells", []):
            if not isinstance(entry, dict) or type(entry.get("cell")) is not int:
                continue
            i = entry["cell"]
            if not 0 <= i < len(cells) or i in skipped:
                continue
            if entry.get("error_type") is not None:
                entries.append(CellReport(i, error_type=error_name(entry.get("error_type"),
                                                                   False),
                                          error_message=text(entry.get("error_message")),
                                          where=place(entry.get("where"), cells)))
            else:
                entries.append(CellReport(i))
        return cls(entries, raw.get("timeout") is True)


def place(value: Any, cells: list[str]) -> str:
    """``value`` if it names a real line of the notebook (``cell i, line j``), else ""."""
    if type(value) is not str:
        return ""
    m = WHERE.match(value)
    if not m:
        return ""
    cell, line = int(m.group(1)), int(m.group(2))
    if cell >= len(cells) or not 1 <= line <= cells[cell].count("\n") + 1:
        return ""
    return value


def text(value: Any, limit: int = MAX_MESSAGE) -> str:
    if type(value) is not str:
        return ""
    return value if len(value) <= limit else value[:limit] + "…"


def error_name(value: Any, hidden: bool) -> str:
    name = value if type(value) is str else ""
    if hidden:  # only names from a fixed set: a student-chosen name could carry an input
        return name if name in BUILTIN_ERRORS or name in SYNTHETIC_ERRORS else "Exception"
    return name if IDENTIFIER.match(name) else "Exception"


def _changed_inputs(raw: Any) -> tuple[str, ...]:
    """Where a call changed its inputs in place, as the harness labels them (``args[0]``,
    ``kwargs['mask']``); anything else the process wrote there is dropped."""
    if not isinstance(raw, list):
        return ()
    return tuple(x for x in raw[:8] if type(x) is str and INPUT_LABEL.fullmatch(x))


def _is_memory(raw: dict) -> bool:
    if raw.get("error_type") in ("MemoryError", "OutOfMemoryError"):
        return True
    message = raw.get("error_message")
    return type(message) is str and any(w in message.lower() for w in MEMORY_WORDS)
