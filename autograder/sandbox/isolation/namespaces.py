"""Namespaces and mounts: the new PID, mount, network, IPC, UTS (and user) namespaces, their id
maps, and the allowlisted root a namespace sandbox pivots into."""
from __future__ import annotations

import os

from ..limits import Limits
from .libc import (CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER,
                   CLONE_NEWUTS, MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID,
                   MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, IsolationError, _check, _libc,
                   _mount)
from .plan import SANDBOX_HOME, Plan

def parent_maps(plan: Plan) -> bool:
    """Whether the zygote must write the new user namespace's id maps (a root grader maps the
    slot uid; the process in the namespace has no capability left to do it itself)."""
    return plan.level == "userns" and os.geteuid() == 0


def write_maps(plan: Plan, pid: int | str = "self") -> None:
    for name, text in (("setgroups", "deny"), ("uid_map", f"{plan.uid} {plan.outer_uid} 1\n"),
                       ("gid_map", f"{plan.gid} {plan.outer_gid} 1\n")):
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(text)


def unshare_for(plan: Plan, sync: tuple[int, int] | None = None) -> None:
    """In the intermediate process: new namespaces; the next fork becomes PID 1 of the new PID
    namespace. For ``userns``, the sandbox's uid/gid are mapped, by this process (its own ids)
    or, for a root grader, by the zygote: ``sync`` = (ready_w, go_r) pipes to wait for it."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if plan.level == "userns":
        if os.geteuid() == 0:
            os.setgroups([])  # do not carry root's groups into the namespace
        _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare (user namespace)")
        if sync is not None:
            os.write(sync[0], b"u")
            if os.read(sync[1], 1) != b"m":
                raise IsolationError("the zygote did not map the user namespace")
        else:
            write_maps(plan)
    else:
        _check(_libc.unshare(flags), "unshare")


def map_child(plan: Plan, pid: int, sync: tuple[int, int], timeout: float = 10.0) -> None:
    """In the zygote: wait for the child's new user namespace, write its maps, let it go on.
    ``sync`` = (ready_r, go_w)."""
    import select as _select

    ready, _, _ = _select.select([sync[0]], [], [], timeout)
    if ready and os.read(sync[0], 1) == b"u":
        try:
            write_maps(plan, pid)
            os.write(sync[1], b"m")
        except OSError:
            pass


def _makedirs(path: str, mode: int = 0o755) -> None:
    parts = path.strip("/").split("/")
    cur = ""
    for part in parts:
        cur += "/" + part
        try:
            os.mkdir(cur, mode)
        except FileExistsError:
            pass


def _bind_ro(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _write(path: str, text: str, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def build_root(plan: Plan, limits: Limits, newroot: str) -> None:
    """In PID 1 of the new namespaces: the allowlisted view, then ``pivot_root`` into it.

    Every source is opened first, with this process's original ids (a root grader's Python may
    sit under the 0700 /root); then, in a user namespace, the process takes the sandbox's ids (a
    file it creates must have an owner the namespace maps) and bind-mounts from those handles."""
    os.umask(0o022)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources: dict[str, int] = {}
    for path in [*plan.ro_dirs, *plan.etc_files, *plan.devices, "/dev/null",
                 *(["/sys"] if plan.sys_ro else [])]:
        if path not in sources:
            sources[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
    hidden_dirs = {h: os.path.isdir(h) and not os.path.islink(h) for h in plan.hide}

    def src(path: str) -> str:
        return f"/proc/self/fd/{sources[path]}"

    if plan.level == "userns":
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
    ids = f"uid={plan.uid},gid={plan.gid}"
    _mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV,
           f"mode=0755,size=4m,nr_inodes=4096,{ids}")
    r = newroot.rstrip("/")
    # The private scratch mounts go first: a runtime that lives under one of them (a checkout
    # and its virtual environment in /tmp) is then bound on top instead of being covered.
    tmp = f"size={limits.tmp_bytes},nr_inodes=16384"
    for path in ("/dev/shm", "/tmp"):
        _makedirs(r + path)
        _mount("tmpfs", r + path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,{tmp},{ids}")
    _makedirs(r + SANDBOX_HOME)
    _mount("tmpfs", r + SANDBOX_HOME, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,{ids},{tmp}")
    for d in plan.ro_dirs:
        _makedirs(r + d)
        _bind_ro(src(d), r + d)
    for path, is_dir in hidden_dirs.items():  # our own packages inside the bound site-packages
        if is_dir:
            _mount("tmpfs", r + path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                   f"size=4k,nr_inodes=8,mode=0555,{ids}")
        else:
            _mount(src("/dev/null"), r + path, None, MS_BIND)
    for path, target in plan.links:
        _makedirs(os.path.dirname(r + path))
        os.symlink(target, r + path)
    _makedirs(r + "/etc")
    _write(r + "/etc/passwd", f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                              f"student:x:{plan.uid}:{plan.gid}:student:{SANDBOX_HOME}:/bin/sh\n"
                              f"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    _write(r + "/etc/group", f"root:x:0:\nstudent:x:{plan.gid}:\nnogroup:x:65534:\n")
    _write(r + "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n")
    _write(r + "/etc/hostname", "sandbox\n")
    for f in plan.etc_files:
        _write(r + f, "")
        _bind_ro(src(f), r + f)
    _makedirs(r + "/dev")
    for dev in plan.devices:
        _write(r + dev, "")
        _mount(src(dev), r + dev, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{r}/dev/{name}")
    _makedirs(r + "/proc")
    _mount("proc", r + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if plan.sys_ro:
        _makedirs(r + "/sys")
        _bind_ro(src("/sys"), r + "/sys")
    for fd in sources.values():
        os.close(fd)
    # pivot_root(".", "."): the old root ends up on top of the new one; unmount it lazily
    os.chdir(r)
    _check(_libc.pivot_root(b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
