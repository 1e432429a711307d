"""Worker slots and their dedicated uids: the lock that keeps concurrent graders apart, and the
sweeps that kill whatever a run left behind under its uid."""
from __future__ import annotations

import errno
import os
import signal
import tempfile

from .libc import IsolationError
from .plan import MAX_SLOTS, SLOT_ALT_UID_BASE, SLOT_UID_BASE

def sweep_uid(uid: int) -> None:
    """Kill every process of a slot uid, from a root process that becomes that uid for the
    purpose (kill(-1) spares the caller). Root stays its saved uid (so no process of the slot
    uid can signal or trace it meanwhile) and it is root again afterwards: a process that
    outlives the sweep (it is still exiting when the next run starts) is not one of the slot
    uid's. Only for dedicated slot uids, never for the grader's own."""
    os.setresuid(uid, uid, 0)
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.setresuid(0, 0, 0)


def slot_uids(slot: int) -> tuple[int, int]:
    """The two dedicated uids of a worker slot (a root grader's)."""
    return SLOT_UID_BASE + slot, SLOT_ALT_UID_BASE + slot


def processes_of(uid: int) -> list[int]:
    """Every process whose real uid is ``uid`` (as seen from this PID namespace)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(name))
                        break
        except (OSError, ValueError):
            continue
    return found


def kill_uid(uid: int) -> int:
    """Kill every process of a dedicated slot uid; returns how many there were."""
    killed = 0
    for _ in range(50):
        pids = processes_of(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        import time as _time

        _time.sleep(0.01)
    return killed


class Slot:
    """A worker slot, held by a lock file for as long as a zygote uses it, so that concurrent
    graders on one machine never share a sandbox uid (RLIMIT_NPROC and the kill(-1) sweep are
    per uid). A root grader's slot has two uids (:func:`slot_uids`)."""

    def __init__(self) -> None:
        import fcntl

        folder = ("/run/lock/genai-autograder" if os.geteuid() == 0 and os.path.isdir("/run/lock")
                  else os.path.join(tempfile.gettempdir(), f"genai-autograder-{os.geteuid()}"))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for slot in range(MAX_SLOTS):
            if os.geteuid() == 0 and any(_uid_in_use(u) for u in slot_uids(slot)):
                continue
            fd = os.open(os.path.join(folder, f"slot-{slot}.lock"),
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    continue
                raise
            self.number, self._fd = slot, fd
            return
        raise IsolationError(f"all {MAX_SLOTS} worker slots are in use")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _uid_in_use(uid: int) -> bool:
    """A slot uid that belongs to a real account (it would be killed by the sweep) is skipped."""
    import pwd

    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False
