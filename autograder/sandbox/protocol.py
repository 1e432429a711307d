"""The grader's conversation with one sandboxed process, as a pure state machine.

No file descriptor, no clock, no process here: :class:`Conversation` is told what arrived and
when (:meth:`~Conversation.on_results`, :meth:`~Conversation.on_message`,
:meth:`~Conversation.on_tick`) and answers with *actions* for its caller
(:mod:`autograder.sandbox.client`) to carry out: :class:`Send` bytes to the child's job pipe,
:class:`Kill` the process (with a reason), :class:`Finish` (everything has reported). So every
edge case of the protocol can be driven by a scripted sequence of messages in microseconds.

The conversation, as the harness (:func:`autograder.sandbox.worker.harness.main`) speaks it:

``load``
    The header went out (with the first part when it holds public inputs only). The child
    announces each cell before running it (``{"kind": "cell", "cell": i}``, in the order asked),
    then ``{"kind": "loaded"}``; the next part goes out then.
``cases``
    The child says ``{"kind": "part"}`` once it has read a part; its cases then run in the order
    they were sent, one ``{"kind": "case"}`` report each (the case after the last report is the
    one running: no message announces it). Once a part has reported in full the next one goes
    out; after the last, ``{"kind": "done"}``.
``done``
    The child is exiting; any further message is a violation.
``broken``
    A message out of place, a malformed frame, too many bytes: the process is killed.

Time limits: loading has ``load_seconds``, each case its call limit, and the end its grace;
the harness enforces each one itself, the grader kills the process ``grace_seconds`` later.
The whole run has the submission's wall-clock ``deadline``. Kill reasons: :data:`KILL_REASONS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from . import wire
from .limits import Limits

# why the grader kills a sandboxed process
KILL_REASONS = {
    "wall": "the submission's whole time budget ran out",
    "protocol": "a message out of place, or malformed",
    "load_time": "loading the cells ran past its limit",
    "call_time": "a call ran past its limit",
    "exit_time": "the process did not exit after 'done'",
}
PHASE_LIMITS = {"load": "load_time", "cases": "call_time", "done": "exit_time"}
MAX_HEADER = 64 << 20  # the largest JSON header of one message, whatever the result limit


@dataclass
class Attempt:
    """What one sandboxed process did (see :class:`Conversation`)."""

    loaded: dict | None = None
    reports: dict[tuple[str, str], dict] = field(default_factory=dict)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    cell: int | None = None  # the cell being loaded when it ended
    in_flight: tuple[str, str] | None = None  # the case running when it ended
    done: bool = False
    killed: str = ""  # why the grader (or the zygote's backstop) killed it
    violation: str = ""  # a protocol violation: what was wrong
    exit_code: int | None = None
    signal: int | None = None
    setup_error: str = ""
    zygote_died: bool = False
    output: bytes = b""
    output_truncated: bool = False
    result_bytes: int = 0
    cpu_seconds: float = 0.0  # CPU time of the sandbox's processes, as the zygote measured it


# ---------------------------------------------------------------- actions


@dataclass(frozen=True)
class Send:
    """Bytes for the child's job pipe."""

    data: bytes


@dataclass(frozen=True)
class Kill:
    """Kill the process (see :data:`KILL_REASONS`)."""

    reason: str


@dataclass(frozen=True)
class Finish:
    """Everything has reported: the process is exiting on its own."""


Action = Union[Send, Kill, Finish]


# ---------------------------------------------------------------- messages


@dataclass(frozen=True)
class Message:
    """A decoded message from the child, by what the conversation needs of it."""

    kind: str | None
    key: tuple[Any, Any] | None  # (question, case) of a case report
    cell: Any  # the cell of a "cell" message
    raw: Any

    @classmethod
    def of(cls, msg: Any) -> "Message":
        if not isinstance(msg, dict):
            return cls(None, None, None, msg)
        kind = msg.get("kind")
        return cls(kind if isinstance(kind, str) else None,
                   (msg.get("question"), msg.get("case")), msg.get("cell"), msg)


def next_message(buf: bytes | bytearray, max_bytes: int) -> tuple[Any, int, str]:
    """(message, bytes used, '') for the first complete message in ``buf`` (the framing of
    :mod:`autograder.sandbox.wire`); (None, 0, '') when it is incomplete; (None, 0, why) when
    it is malformed. Sizes are checked before anything is decoded."""
    if len(buf) < 8:
        return None, 0, ""
    hlen = int.from_bytes(buf[:8], "big")
    if hlen > min(max_bytes, MAX_HEADER):
        return None, 0, "a message header that is too large"
    if len(buf) < 16 + hlen:
        return None, 0, ""
    blen = int.from_bytes(buf[8 + hlen:16 + hlen], "big")
    if blen > max_bytes:
        return None, 0, "a tensor blob that is too large"
    total = 16 + hlen + blen
    if len(buf) < total:
        return None, 0, ""
    try:
        msg = wire.loads(bytes(buf[:total]), max_bytes)
    except Exception as e:  # noqa: BLE001 - wire errors, and anything else a forgery triggers
        return None, 0, f"a malformed message ({type(e).__name__})"
    return msg, total, ""


# ---------------------------------------------------------------- the conversation

Part = tuple[bytes, list[tuple[str, str]]]  # a part's bytes, and its case keys in order


class Conversation:
    """One sandboxed process, from the grader's side: what was sent, what is expected next, and
    when the process is past its time.

    ``header``: the job's first message; ``parts``: the cases, in the order they are to be sent;
    ``cells``: the cells the child runs, in order; ``deadline``: the submission's wall-clock
    end; ``call_limits``: a case's own call limit, where it has one; ``eager``: the first part
    goes with the header (its inputs are public)."""

    def __init__(self, header: bytes, parts: list[Part], cells: list[int], limits: Limits,
                 deadline: float, now: float,
                 call_limits: dict[tuple[str, str], float] | None = None,
                 eager: bool = False) -> None:
        self.attempt = Attempt()
        self.limits = limits
        self.deadline = deadline
        self.call_limits = call_limits or {}
        self.phase = "load"
        self.watch = now + limits.load_seconds + limits.grace_seconds
        self.kill_reason = ""  # the kill asked for, once one is
        self._header = header
        self._parts = list(parts)
        self._cells = list(cells)
        self._expect: list[tuple[str, str]] = []
        self._part_read = False  # the part last sent was read (its first case is running)
        self._sent_early: list[tuple[str, str]] | None = None  # keys of a part already sent
        self._case_started = 0.0
        self._buf = bytearray()
        if eager and self._parts:
            data, self._sent_early = self._parts.pop(0)
            self._header = header + data

    # ------------------------------------------------------------ inputs

    def start(self) -> list[Action]:
        """What to send first."""
        return [Send(self._header)]

    def on_results(self, chunk: bytes, now: float) -> list[Action]:
        """Bytes from the child's results pipe: framed into messages, each followed."""
        a = self.attempt
        a.result_bytes += len(chunk)
        if self.phase == "broken":
            return []
        if a.result_bytes > self.limits.result_bytes:
            return self._violation(f"more than {self.limits.result_bytes} bytes of results")
        self._buf += chunk
        actions: list[Action] = []
        while self.phase != "broken":
            msg, used, err = next_message(self._buf, self.limits.result_bytes)
            if err:
                actions += self._violation(err)
                break
            if msg is None:
                break
            del self._buf[:used]
            actions += self.on_message(msg, now)
        return actions

    def on_message(self, msg: Any, now: float) -> list[Action]:
        """One decoded message from the child."""
        m = Message.of(msg)
        a = self.attempt
        if self.phase == "load":
            if m.kind == "cell" and self._cells and m.cell == self._cells[0]:
                a.cell = self._cells.pop(0)
                return []
            if m.kind == "loaded" and isinstance(m.raw.get("cells"), list):
                a.loaded, a.cell = m.raw, None
                return self._next_part(now)
            return self._violation(f"unexpected {m.kind!r} message while loading")
        if self.phase == "cases":
            if a.in_flight is not None and m.kind == "case" and m.key == a.in_flight:
                a.reports[a.in_flight] = m.raw
                a.seconds[a.in_flight] = now - self._case_started
                self._expect.pop(0)
                if self._expect:
                    self._start_case(now)
                    return []
                a.in_flight = None
                return self._next_part(now)
            if a.in_flight is None and m.kind == "part" and self._expect \
                    and not self._part_read:
                self._part_read = True
                self._start_case(now)
                return []
            if a.in_flight is None and m.kind == "done" and not self._expect \
                    and not self._parts:
                a.done, self.phase = True, "done"
                self.watch = now + self.limits.grace_seconds
                return [Finish()]
            return self._violation(f"unexpected {m.kind!r} message during the cases")
        if self.phase == "done":
            return self._violation("a message after 'done'")
        return []  # broken: nothing more is read

    def on_tick(self, now: float) -> list[Action]:
        """The clock: a kill once the process is past a time limit (asked for once)."""
        if self.kill_reason:
            return []
        reason = ""
        if now >= self.deadline:
            reason = "wall"
        elif self.phase == "broken":
            reason = "protocol"
        elif now >= self.watch:
            reason = PHASE_LIMITS.get(self.phase, "protocol")
        if not reason:
            return []
        self.kill_reason = reason
        return [Kill(reason)]

    # ------------------------------------------------------------ what the caller needs

    def wake_at(self) -> float:
        """When :meth:`on_tick` may next have something to say."""
        return min(self.watch, self.deadline)

    @property
    def coalesce(self) -> bool:
        """Whether the caller may let a fast child's reports pile up a moment before it wakes
        (several cells or cases per wake-up); never for the last case of a part (the child then
        waits for the next part)."""
        return self.phase == "load" or (self.phase == "cases" and len(self._expect) > 1
                                        and self.attempt.in_flight is not None)

    # ------------------------------------------------------------ steps

    def _violation(self, why: str) -> list[Action]:
        if not self.attempt.violation:
            self.attempt.violation = why
        self.phase = "broken"
        if self.kill_reason:
            return []
        self.kill_reason = "protocol"
        return [Kill("protocol")]

    def _start_case(self, now: float) -> None:
        key = self._expect[0]
        self.attempt.in_flight, self._case_started = key, now
        self.watch = now + self.call_limits.get(key, self.limits.call_seconds) + \
            self.limits.grace_seconds

    def _next_part(self, now: float) -> list[Action]:
        self.phase = "cases"
        self.watch = now + self.limits.grace_seconds
        if self._sent_early is None and not self._parts:
            return []
        actions: list[Action] = []
        if self._sent_early is not None:  # already on its way
            keys, self._sent_early = self._sent_early, None
        else:
            data, keys = self._parts.pop(0)
            actions.append(Send(data))
        self._expect = list(keys)
        self._part_read = False
        return actions
