"""The zygote's main loop: one job request at a time from the grader, each run in a sandbox
that was started before it came (see :mod:`autograder.sandbox.worker`).

Started by the grader as ``python -m autograder.sandbox.worker.server FD LEVEL SLOT HUGE``."""
from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
from dataclasses import replace

from .. import isolation
from ..limits import HEADER_BYTES, Limits
from . import harness
from .memory import huge_pages, preload
from .spawn import Child, ended, key, spawn
from .supervise import Next, supervise

def serve(sock: socket.socket, level: str, slot: int, huge: bool = False) -> None:
    import torch

    isolation.name_process("ag-zygote")
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    # Modules student code commonly imports: loading them once here spares every child (and
    # in the namespace levels, anything imported here needs no file inside the sandbox).
    preload()

    harness.warm_up_stream()  # encoded once here; every spare replays the same bytes

    # Every child shares the zygote's memory copy-on-write, but a garbage collection in a child
    # would visit (and so copy) the headers of all ~330,000 objects imported above (a full
    # collection costs ~160 ms): they are frozen out of the collector's reach here.
    gc.collect()
    gc.freeze()
    if huge:
        huge_pages()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when the zygote stops
    try:
        plan = isolation.make_plan(level, slot)
    except Exception as e:  # noqa: BLE001
        sock.send(json.dumps({"ready": False, "error": f"{type(e).__name__}: {e}"}).encode())
        return
    isolation.set_subreaper()
    try:
        sock.send(json.dumps({"ready": True, "level": level, "pid": os.getpid()}).encode())
    except OSError:
        return
    # The next job's sandbox is started while the current one runs, so that forking and
    # entering the namespaces are off the path of the next submission. Not for a root grader's
    # userns level, whose sandboxes hold the slot uid from the start: the sweep after each run
    # (kill(-1) as that uid) would take the spare with it.
    prespawn = not (plan.level == "userns" and plan.sweep)
    # A root grader's namespace sandboxes take the slot's two uids in turn: a run that has
    # reported everything is left to be torn down (~10 ms of unmapping a copy of this process)
    # while the next one, under the other uid, already runs. Nothing of the two can meet:
    # different uids, PID, mount, network and IPC namespaces. A uid is used again only once
    # the run before under it has been swept (see Child.settle).
    overlap = prespawn and plan.level == "namespaces" and plan.sweep
    uids = isolation.slot_uids(slot) if overlap else (plan.uid,)
    plans = {u: plan if u == plan.uid else replace(plan, uid=u, gid=u) for u in uids}
    spare: Child | None = None
    exiting: set[int] = set()  # supervisors of finished runs, still unmapping their memory
    finishing: dict[int, Child] = {}  # uid → a superseded run not yet swept
    following: Next | None = None
    last_uid = uids[-1]

    def other_uid(uid: int) -> int:
        """The slot's other uid (the same one where it has only one)."""
        return next((u for u in uids if u != uid), uid)

    def kept() -> frozenset[int]:
        return frozenset([*exiting, *(c.pid for c in finishing.values()),
                          *([spare.pid] if spare else [])])

    try:
        while True:
            exiting.difference_update([pid for pid in exiting if ended(pid)])
            if following is not None:
                data, fds, killed = following.data, following.fds, following.kill
                following = None
            else:
                try:
                    data, fds, _, _ = socket.recv_fds(sock, HEADER_BYTES, 3)
                except OSError:
                    return
                killed = ""
            if not data:
                return
            try:
                header = json.loads(data)
            except ValueError:
                header = {}
            if not isinstance(header, dict):
                header = {}
            if not fds:
                continue  # a late kill request for a job that has already ended
            if len(fds) != 3 or "limits" not in header or killed:
                for fd in fds:
                    os.close(fd)
                status = {"setup_error": "malformed job request"} if not killed else {
                    "timed_out": killed == "wall", "killed": killed, "exit_code": None,
                    "signal": None, "seconds": 0.0, "setup_error": ""}
                sock.send(json.dumps({**status, "id": header.get("id")}).encode())
                continue
            limits = Limits(**header["limits"])
            device = str(header.get("device", "cpu"))
            child, spare = spare, None
            if child is not None and (child.key != key(limits.to_dict(), device)
                                      or not child.alive()):
                child.discard(kept())  # set up for other limits, or its set-up failed
                child = None
            uid = child.uid if child is not None else other_uid(last_uid)
            if uid in finishing:  # the run before under this uid: swept first
                finishing.pop(uid).settle(exiting)
            if child is not None and not child.hand(fds):
                child.discard(kept())
                child = None
            if child is None:
                child = spawn(plans[uid], limits, device)
                child.hand(fds)  # if its set-up failed, _supervise reports how
            for fd in fds:
                os.close(fd)
            last_uid = uid
            if prespawn:
                spare = spawn(plans[other_uid(uid)], limits, device)
            try:
                status = supervise(child.pid, child.ctl_r, sock, plans[uid],
                                    float(header.get("wall", 1e9)), kept(),
                                    header.get("id"), overlap)
            except BaseException:
                child.release()
                raise
            following = status.pop("next")
            if status.pop("superseded"):
                finishing[uid] = child
                continue
            child.release()
            if status.pop("lingering"):
                exiting.add(child.pid)
            if status.pop("grader_gone"):
                return
            for done_uid in list(finishing):  # idle: nothing of a run is left behind
                finishing.pop(done_uid).settle(exiting)
            try:
                sock.send(json.dumps({**status, "id": header.get("id")}).encode())
            except OSError:
                return
    finally:
        if spare is not None:
            spare.discard(kept())
        for child in finishing.values():
            child.settle(exiting)
        if following is not None:
            for fd in following.fds:
                os.close(fd)



if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2] if len(sys.argv) > 2 else "process",
          int(sys.argv[3]) if len(sys.argv) > 3 else 0, sys.argv[4:5] == ["1"])
