"""A CPU share of its own for each sandbox, where the kernel lets the grader make one.

The scheduler shares the CPU between *groups* before it shares it between their processes. So
a sandbox in a cgroup of its own gets its share whether a neighbour runs one process or thirty,
and a busy host cannot squeeze it below its weight. Each slot uid (see :mod:`.slots`) has one
group, ``genai-autograder/slot-<slot>-uid-<uid>``, made once by the zygote and joined by every sandbox of
that uid before anything of a job runs (its processes inherit it). The group is named for the
worker slot and uid, so that two zygotes never share one.

cgroup v2 (``cpu.weight``) where its ``cpu`` controller can be enabled, else cgroup v1's ``cpu``
hierarchy (``cpu.shares``). Both need write access to the hierarchy: in practice a root grader.
Elsewhere (no cgroup, read-only, an unprivileged grader without a delegated subtree)
:func:`cpu_group` returns ``""`` and sandboxes share the CPU as plain processes; the time
limits still count CPU seconds, so load slows grading but does not fail it.
"""
from __future__ import annotations

import os

GROUP = "genai-autograder"
# a sandbox weighs as much as this many busy processes of the host (v2 default weight 100; v1
# default shares 1024 for each process): enough that a loaded host cannot starve a submission
CPU_WEIGHT = 400
CPU_SHARES = 4096


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, fstype, super options) of every cgroup hierarchy."""
    found = []
    try:
        with open("/proc/self/mountinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) > 4 and len(rest) > 2 and rest[0] in ("cgroup", "cgroup2"):
            found.append((fields[4].replace("\\040", " "), rest[0], rest[2]))
    return found


def _write(path: str, text: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _v2(mount: str, name: str) -> str:
    if "cpu" not in _read(os.path.join(mount, "cgroup.controllers")).split():
        return ""
    top = os.path.join(mount, GROUP)
    group = os.path.join(top, name)
    try:
        os.makedirs(group, exist_ok=True)
    except OSError:
        return ""
    # the controller must be enabled on the way down (the group itself holds no process)
    for parent in (mount, top):
        if "cpu" not in _read(os.path.join(parent, "cgroup.subtree_control")).split() and \
                not _write(os.path.join(parent, "cgroup.subtree_control"), "+cpu"):
            return ""
    if not _write(os.path.join(group, "cpu.weight"), str(CPU_WEIGHT)):
        return ""
    return os.path.join(group, "cgroup.procs")


def _v1(mount: str, name: str) -> str:
    group = os.path.join(mount, GROUP, name)
    try:
        os.makedirs(group, exist_ok=True)
    except OSError:
        return ""
    if not _write(os.path.join(group, "cpu.shares"), str(CPU_SHARES)):
        return ""
    return os.path.join(group, "cgroup.procs")


def cpu_group(slot: int, uid: int) -> str:
    """The ``cgroup.procs`` file of the CPU group for the sandboxes of a worker slot's ``uid``
    (made if needed), or ``""`` where this host does not let the grader make one. Called in
    the zygote."""
    name = f"slot-{slot}-uid-{uid}"
    mounts = _mounts()
    for mount, fstype, _ in mounts:
        if fstype == "cgroup2":
            found = _v2(mount, name)
            if found:
                return found
    for mount, fstype, options in mounts:
        if fstype == "cgroup" and "cpu" in options.split(","):
            found = _v1(mount, name)
            if found:
                return found
    return ""


def join(procs: str) -> bool:
    """Move the calling process (and so everything it starts) into a group (``procs``: from
    :func:`cpu_group`; ``""``: none). Called in the sandbox, before it drops its privileges."""
    return bool(procs) and _write(procs, "0")


def release(procs: str) -> None:
    """Remove a group once no process is left in it (it stays while one is)."""
    if procs:
        try:
            os.rmdir(os.path.dirname(procs))
        except OSError:
            pass
