"""Isolation levels: what a sandboxed child enters before any student code runs.

Four levels, strongest first; ``auto`` picks the strongest this host allows (probed once per
grader process, see :func:`resolve`):

``namespaces`` (needs root)
    A new PID, mount, network, IPC and UTS namespace. The filesystem is an *allowlist*: a fresh
    root on a tmpfs holding, read-only, only the Python runtime (``sys.base_prefix`` and the
    site-packages in use, without this project's own packages), ``/usr`` (and the ``/bin``,
    ``/lib*`` links into it), a few synthetic ``/etc`` files, ``/dev/{null,zero,random,urandom,
    full}``, a fresh ``/proc`` of the new PID namespace, and private tmpfs mounts for ``/tmp``,
    ``/dev/shm`` and the working folder ``/home/student``; ``pivot_root`` into it, old root
    unmounted. Then the child drops to a per-slot uid (61000+slot; no groups, no capabilities,
    ``PR_SET_NO_NEW_PRIVS``), so it cannot unmount or remount anything. No network at all (a new
    network namespace has only a loopback, which is down). The sandboxed process is PID 1 of its
    namespace: killing it kills every process the submission started, ``setsid`` or not.
``userns`` (no root needed, where unprivileged user namespaces are allowed)
    The same view and namespaces inside a new *user* namespace, with every capability dropped
    afterwards. The uid is the grader's own (or the slot uid when the grader is root).
``landlock`` (no root needed; Linux >= 5.13 with Landlock enabled)
    A plain child process (own session, resource limits, scrubbed environment, private working
    folder) restricted by Landlock to read the same runtime paths and write only its working
    folder; no TCP connect/bind (ABI >= 4); no signals to, or abstract sockets of, processes
    outside the sandbox (ABI >= 6).
``process``
    The child process with resource limits, a scrubbed environment and a private working folder.
    It can read whatever the grader's uid can read: it keeps honest students honest, nothing more.

Everything here runs in the zygote (a warm process that has imported torch) or in its forked
children; it imports no grading code. ``docs/ISOLATION.md`` explains what each level protects.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field

from .limits import Limits

LEVELS = ("namespaces", "userns", "landlock", "process")  # strongest first
CHOICES = ("auto", *LEVELS)
SLOT_UID_BASE = 61000  # below systemd's DynamicUser range (61184-65519)
MAX_SLOTS = 128
# a second uid per slot (60872-60999): a root grader's namespace sandboxes take the two in
# turn, so that one run can start while the previous one is still being torn down
SLOT_ALT_UID_BASE = SLOT_UID_BASE - MAX_SLOTS
SANDBOX_HOME = "/home/student"
# packages of this project that must never be importable or readable inside the sandbox, even
# when the grader was installed into site-packages (non-editable) instead of run from a checkout
HIDDEN_NAMES = ("reference", "autograder", "solutions", "tests", "build")
HIDDEN_PREFIXES = ("__editable__", "genai_autograder", "genai-autograder")

SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "student",
            "LOGNAME": "student", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg"}
PASSED_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES")


class IsolationError(RuntimeError):
    """A level cannot be entered on this host, with the reason."""


# ------------------------------------------------------------------------------ libc plumbing

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.pivot_root.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
PR_SET_NAME = 15
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
SYS_LANDLOCK = {"create": 444, "add": 445, "restrict": 446}  # same number on every arch


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {source or fstype} on {target}")


def prctl(option: int, arg: int = 0) -> int:
    return _libc.prctl(option, arg, 0, 0, 0)


def name_process(name: str) -> None:
    """The name ``ps``, ``top`` and ``perf`` show for this process (its role: ag-zygote,
    ag-supervisor, ag-spare, ag-submission), at most 15 characters."""
    buf = ctypes.create_string_buffer(name.encode()[:15])
    prctl(PR_SET_NAME, ctypes.addressof(buf))


def set_subreaper() -> None:
    """Orphaned descendants are re-parented to this process (the zygote), so that it can find and
    kill everything a submission left behind, ``setsid`` included."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


def _drop_capabilities(last_cap: int) -> None:
    """Empty the bounding, ambient, inheritable, permitted and effective sets."""
    for cap in range(last_cap + 1):
        prctl(PR_CAPBSET_DROP, cap)  # fails harmlessly when already dropped
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


# ------------------------------------------------------------------------------ the plan


@dataclass
class Plan:
    """Everything a child needs to enter its level, computed once in the zygote (before any
    fork, while the grader's files are still reachable)."""

    level: str
    uid: int  # the uid the sandbox runs as
    gid: int
    outer_uid: int  # userns: what uid/gid map the sandbox's ids to outside
    outer_gid: int
    slot: int = 0
    sweep: bool = False  # a dedicated slot uid: kill(-1) as it after every run
    ro_dirs: list[str] = field(default_factory=list)  # bound read-only at the same path
    hide: list[str] = field(default_factory=list)  # covered inside the bound dirs
    links: list[tuple[str, str]] = field(default_factory=list)  # (path, target) symlinks
    etc_files: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    sys_ro: bool = False  # bind /sys read-only (GPU hosts: the CUDA driver reads it)
    landlock_abi: int = 0
    last_cap: int = 63
    drop_uid: bool = False  # landlock/process under a root grader: become the slot uid

    def to_dict(self) -> dict:
        return asdict(self)


def world_readable(path: str) -> bool:
    """Whether any user can reach ``path`` (every folder on the way searchable by others) and
    read it."""
    parts = os.path.abspath(path).strip("/").split("/")
    cur = "/"
    try:
        for part in ["", *parts]:
            cur = os.path.join(cur, part) if part else "/"
            mode = os.stat(cur).st_mode
            if not mode & stat.S_IXOTH:
                return False
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def _covered(path: str, dirs: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _site_dirs() -> list[str]:
    found = []
    for entry in sys.path:
        if entry and os.path.isdir(entry) and os.path.basename(entry.rstrip("/")) in (
                "site-packages", "dist-packages") and entry not in found:
            found.append(os.path.abspath(entry))
    return found


def _hidden_entries(site_dirs: list[str]) -> list[str]:
    hidden = []
    for d in site_dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            if name in HIDDEN_NAMES or name.startswith(HIDDEN_PREFIXES) or \
                    name.endswith(".egg-link"):
                hidden.append(os.path.join(d, name))
    return hidden


def source_root() -> str:
    """The folder holding this grader's own source (a checkout: it also holds ``reference``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_plan(level: str, slot: int = 0) -> Plan:
    assert level in LEVELS, f"unknown isolation level {level!r}"
    euid, egid = os.geteuid(), os.getegid()
    root = euid == 0
    uid = gid = SLOT_UID_BASE + slot if root else euid
    if not root:
        gid = egid
    plan = Plan(level=level, uid=uid, gid=gid, outer_uid=uid, outer_gid=gid, slot=slot,
                sweep=root, last_cap=_last_cap())
    ro: list[str] = []
    for d in ("/usr", sys.base_prefix, sys.base_exec_prefix, *_site_dirs()):
        d = os.path.abspath(d)
        if os.path.isdir(d) and not _covered(d, ro):
            ro = [x for x in ro if not _covered(x, [d])] + [d]
    plan.ro_dirs = ro
    if level in ("process", "landlock"):
        if not root:
            plan.uid, plan.gid = euid, egid
        elif all(world_readable(d) for d in ro):
            plan.drop_uid = True  # a root grader runs student code as the slot uid
        elif level == "process":
            raise IsolationError(
                "as root, the process level would run student code with root's access to "
                "every root-owned file, since this Python (" + sys.base_prefix + ") is not "
                "readable by other users; use namespaces, or a Python every user can read "
                "(e.g. a virtual environment made with /usr/bin/python3)")
        else:
            plan.uid, plan.gid, plan.sweep = 0, 0, False  # uid 0 without any capability
    if level == "process":
        return plan
    hide = _hidden_entries([d for d in ro if os.path.basename(d) in ("site-packages",
                                                                      "dist-packages")])
    src = source_root()
    if _covered(src, ro) and os.path.isdir(os.path.join(src, "reference")):
        hide.append(src)  # a checkout inside a runtime folder: hide it whole
    plan.hide = hide
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            plan.links.append((name, os.readlink(name)))
        elif os.path.isdir(name) and not _covered(name, ro):
            plan.ro_dirs.append(name)
    plan.etc_files = [f for f in ("/etc/ld.so.cache", "/etc/localtime")
                      if os.path.exists(f) and not os.path.islink(f)]
    if os.path.islink("/etc/localtime"):
        plan.links.append(("/etc/localtime", os.readlink("/etc/localtime")))
    devices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
    try:
        devices += sorted(os.path.join("/dev", n) for n in os.listdir("/dev")
                          if n.startswith("nvidia"))
    except OSError:
        pass
    plan.devices = [d for d in devices if os.path.exists(d) and
                    stat.S_ISCHR(os.stat(d).st_mode)]
    plan.sys_ro = any("nvidia" in d for d in plan.devices)
    if level == "landlock":
        plan.landlock_abi = landlock_abi()
    return plan


# ------------------------------------------------------------------------------ namespaces


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


def drop_privileges(plan: Plan) -> None:
    """Become the sandbox's uid with no groups and no capabilities, for good."""
    if plan.level == "userns":
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
        _drop_capabilities(plan.last_cap)
    elif os.geteuid() == 0:
        for cap in range(plan.last_cap + 1):
            prctl(PR_CAPBSET_DROP, cap)
        os.setgroups([])
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)  # clears every capability
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
    # changing uid made the process non-dumpable, which makes its own /proc/self root-owned
    # (Python's subprocess and multiprocessing read /proc/self/fd); cores stay off (RLIMIT_CORE)
    prctl(PR_SET_DUMPABLE, 1)


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


# ------------------------------------------------------------------------------ landlock

_LL_FS = [1 << i for i in range(16)]  # EXECUTE .. IOCTL_DEV
_LL_FS_ABI = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}  # how many fs rights each ABI knows
_LL_FILE_RIGHTS = 1 | 2 | 4 | (1 << 14) | (1 << 15)  # execute, write, read, truncate, ioctl_dev
_LL_RO = 1 | 4 | 8  # execute, read file, read dir


class _LLRuleset(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _LLPathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, 0 when Landlock is not available."""
    r = _libc.syscall(SYS_LANDLOCK["create"], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(r))


def enter_landlock(plan: Plan, workdir: str) -> None:
    abi = plan.landlock_abi
    if abi < 1:
        raise IsolationError("Landlock is not available on this kernel")
    handled = 0
    for bit in _LL_FS[: _LL_FS_ABI.get(abi, 16)]:
        handled |= bit
    attr = _LLRuleset(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = 1 | 2  # TCP bind, TCP connect: no rule allows either
        size = 16
    if abi >= 6:
        attr.scoped = 1 | 2  # abstract unix sockets and signals stay inside the sandbox
        size = 24
    fd = _libc.syscall(SYS_LANDLOCK["create"], ctypes.byref(attr), ctypes.c_size_t(size),
                       ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        rules = [(d, _LL_RO) for d in plan.ro_dirs]
        rules += [(f, 1 | 4) for f in plan.etc_files]
        rules += [(d, 2 | 4 | (1 << 15)) for d in plan.devices]  # read, write, ioctl
        rules += [(f"/proc/{os.getpid()}", 4 | 8), (workdir, handled)]
        if plan.sys_ro:  # the CUDA driver reads these
            rules += [(p, _LL_RO) for p in ("/sys", "/proc/driver/nvidia") if os.path.exists(p)]
        for path, access in rules:
            _landlock_allow(fd, path, access & handled, plan.hide)
        _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
        if _libc.syscall(SYS_LANDLOCK["restrict"], ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(fd)


def _landlock_allow(ruleset: int, path: str, access: int, hide: list[str]) -> None:
    """Allow ``access`` beneath ``path``; a folder holding a hidden entry is allowed entry by
    entry instead (Landlock can only allow, never carve out)."""
    inside = [h for h in hide if h.startswith(path.rstrip("/") + "/")]
    if inside and os.path.isdir(path):
        for name in os.listdir(path):
            child = os.path.join(path, name)
            if child in hide:
                continue
            _landlock_allow(ruleset, child, access, hide)
        return
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _LL_FILE_RIGHTS
        rule = _LLPathBeneath(access, fd)
        if _libc.syscall(SYS_LANDLOCK["add"], ctypes.c_int(ruleset), ctypes.c_int(1),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ seccomp

_AUDIT_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # (arch, socket nr)
_IO_URING = (425, 426, 427)  # io_uring can open sockets without the socket syscall
_SECCOMP_RET_ALLOW, _SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
_SECCOMP_RET_KILL_PROCESS = 0x80000000
_AF_UNIX = 1


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def no_network_filter() -> bool:
    """A seccomp filter: sockets of any family but AF_UNIX fail with EACCES, io_uring with
    ENOSYS, a foreign syscall ABI kills the process. Every level installs it (for ``landlock``
    and ``process`` it is all the network isolation there is: Landlock restricts TCP only).
    Returns False where the architecture is not known (no filter)."""
    arch = _AUDIT_ARCH.get(platform.machine())
    if arch is None:
        return False
    audit, socket_nr = arch
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    prog = [
        (ld, 0, 0, 4),  # arch
        (jeq, 1, 0, audit),
        (ret, 0, 0, _SECCOMP_RET_KILL_PROCESS),
        (ld, 0, 0, 0),  # syscall number
        (jge, 0, 1, 0x40000000),  # x32 ABI numbers
        (ret, 0, 0, _SECCOMP_RET_ERRNO | errno.ENOSYS),
        (jeq, 0, 3, socket_nr),
        (ld, 0, 0, 16),  # socket(domain, ...): low half of args[0]
        (jeq, 5, 0, _AF_UNIX),
        (ret, 0, 0, _SECCOMP_RET_ERRNO | errno.EACCES),
        (jeq, 2, 0, _IO_URING[0]),
        (jeq, 1, 0, _IO_URING[1]),
        (jeq, 0, 1, _IO_URING[2]),
        (ret, 0, 0, _SECCOMP_RET_ERRNO | errno.ENOSYS),
        (ret, 0, 0, _SECCOMP_RET_ALLOW),
    ]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*i) for i in prog])
    fprog = _SockFprog(len(prog), filters)
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
    _check(_libc.prctl(22, 2, ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p).value, 0, 0),
           "seccomp")
    return True


# ------------------------------------------------------------------------------ common steps


def set_rlimits(limits: Limits, address_space: bool = True) -> None:
    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, int(limits.cpu_seconds))
    cap(resource.RLIMIT_FSIZE, int(limits.file_bytes))
    cap(resource.RLIMIT_NOFILE, int(limits.open_files))
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # RLIMIT_NPROC counts per uid and means nothing for root
        cap(resource.RLIMIT_NPROC, int(limits.processes))
    if address_space:
        cap(resource.RLIMIT_AS, int(limits.memory_bytes))


def close_other_fds(keep: set[int]) -> None:
    keep = set(keep) | {0, 1, 2}
    try:
        open_fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def scrub_environment(home: str) -> None:
    kept = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    os.environ.clear()
    os.environ.update(SAFE_ENV)
    os.environ.update(kept)
    os.environ.update(HOME=home, TMPDIR=home if home != SANDBOX_HOME else "/tmp",
                      MPLCONFIGDIR=home)


def enter_child(plan: Plan, limits: Limits, workdir: str, newroot: str | None,
                device: str = "cpu") -> None:
    """Called in the process that will run student code, before any of it runs. For the
    namespace levels this process is PID 1 of the new PID namespace; ``newroot`` is an empty
    folder to mount the new root on."""
    prepare_child(plan, limits, newroot)
    confine_child(plan, limits, workdir, device)


def prepare_child(plan: Plan, limits: Limits, newroot: str | None) -> None:
    """The first half of :func:`enter_child`: what needs privileges and no job (the namespace
    levels' allowlisted root). A sandbox may wait for its job after this; it ends with its
    parent (the zygote or the supervisor) until :func:`confine_child` has run."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError, not death
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if plan.level in ("namespaces", "userns"):
        assert newroot is not None
        build_root(plan, limits, newroot)


def confine_child(plan: Plan, limits: Limits, workdir: str, device: str = "cpu") -> None:
    """The second half of :func:`enter_child`: privileges dropped for good, the filesystem
    view, network filter and resource limits in place."""
    if plan.level in ("namespaces", "userns"):
        home = SANDBOX_HOME
        drop_privileges(plan)
    else:
        home = workdir
        os.umask(0o077)
        if os.geteuid() == 0 and plan.drop_uid:
            os.chown(workdir, plan.uid, plan.gid)
            drop_privileges(plan)
        elif os.geteuid() == 0:
            # landlock under root, with a Python only root can read (in the 0700 /root): uid 0
            # stays (it reads its runtime as the owner) but loses every capability for good (no
            # mounts, raw sockets, module loading...); Landlock keeps it to its allowlist
            _drop_capabilities(plan.last_cap)
    os.chdir(home)
    scrub_environment(home)
    if plan.level == "landlock":
        enter_landlock(plan, workdir)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    no_network_filter()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a uid change resets it: set it again
    # the CUDA driver reserves tens of GiB of address space: no RLIMIT_AS on a GPU (its memory
    # is capped per process by the harness instead)
    set_rlimits(limits, address_space=not device.startswith("cuda"))


# ------------------------------------------------------------------------------ probing

_resolved: dict[str, str] = {}
_lock = threading.Lock()


def probe(level: str) -> str:
    """'' when ``level`` works on this host, else why not. Runs in a fresh, small subprocess
    that forks a child into the level (exactly the zygote's code path) and checks, from inside,
    that it really is isolated."""
    cmd = [sys.executable, "-S", "-c",
           "import sys; sys.path[:0] = " + repr(_import_path()) + "; "
           "from autograder.sandbox.isolation import _probe_main; _probe_main()", level]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=60, env=_probe_env(),
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"probe failed: {e}"
    lines = proc.stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or "error" not in answer:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"probe crashed ({' '.join(tail) or proc.returncode})"
    return str(answer["error"])


def _import_path() -> list[str]:
    """sys.path entries that let the probe import this package (a checkout or site-packages)."""
    return [p for p in sys.path if p] + [source_root()]


def _probe_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}


def _probe_main() -> None:
    level = sys.argv[1]
    error = ""
    try:
        error = _probe_level(level)
    except Exception as e:  # noqa: BLE001 - reported, never raised
        error = f"{type(e).__name__}: {e}"
    print(json.dumps({"error": error}), flush=True)


def _probe_level(level: str) -> str:
    if level == "landlock" and landlock_abi() < 1:
        return "Landlock is not available on this kernel"
    if level == "namespaces" and os.geteuid() != 0:
        return "needs root"
    slot = Slot()  # a slot of its own: its uid's processes are killed afterwards
    try:
        return _probe_in_slot(level, slot.number)
    finally:
        slot.release()


def _probe_in_slot(level: str, slot: int) -> str:
    plan = make_plan(level, slot)
    limits = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=1 << 30)
    workdir = tempfile.mkdtemp(prefix="autograder-probe-")
    secret = tempfile.mkdtemp(prefix="autograder-probe-secret-")
    with open(os.path.join(secret, "secret.txt"), "w") as f:
        f.write("x")
    os.chmod(secret, 0o755)
    os.chmod(os.path.join(secret, "secret.txt"), 0o644)
    r, w = os.pipe()
    sync = child_sync = None
    if parent_maps(plan):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        sync, child_sync = (ready_r, go_w), (ready_w, go_r)
    try:
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 1
            try:
                code = _probe_child(plan, limits, workdir, secret, w, child_sync)
            finally:
                os._exit(code)
        os.close(w)
        if sync is not None:
            for fd in child_sync:
                os.close(fd)
            map_child(plan, pid, sync)
            for fd in sync:
                os.close(fd)
        with os.fdopen(r, "rb") as f:
            report = f.read().decode(errors="replace")
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not report.startswith("ok"):
            return report or f"the probe child ended with status {status}"
        return ""
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(secret, ignore_errors=True)


def _probe_child(plan: Plan, limits: Limits, workdir: str, secret: str, w: int,
                 sync: tuple[int, int] | None) -> int:
    """Enter the level as a real job would, then check from inside. Returns the exit code."""
    try:
        if plan.level in ("namespaces", "userns"):
            unshare_for(plan, sync)
            pid = os.fork()
            if pid:
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status)
        enter_child(plan, limits, workdir, workdir if plan.level in ("namespaces", "userns")
                    else None)
        problems = []
        if plan.level != "process" and os.path.exists(os.path.join(secret, "secret.txt")):
            try:
                open(os.path.join(secret, "secret.txt")).read()
                problems.append("a file outside the sandbox is readable")
            except OSError:
                pass
        if plan.level in ("namespaces", "userns"):
            if os.getpid() != 1:
                problems.append("not PID 1 of a new PID namespace")
            if os.getuid() == 0:
                problems.append("still root")
        os.write(w, ("ok" if not problems else "; ".join(problems)).encode())
        return 0
    except BaseException as e:  # noqa: BLE001 - reported to the prober
        try:
            os.write(w, f"{type(e).__name__}: {e}".encode())
        except OSError:
            pass
        return 1


def resolve(level: str = "auto") -> str:
    """The level to use: ``auto`` is the strongest that works here (probed once per process);
    a named level is checked and :class:`IsolationError` says why it cannot be used."""
    if level not in CHOICES:
        raise IsolationError(f"unknown isolation level {level!r}; choose from "
                             f"{', '.join(CHOICES)}")
    with _lock:
        if level in _resolved:
            return _resolved[level]
        if level == "auto":
            reasons = []
            for candidate in LEVELS:
                why = _probe_cached(candidate)
                if not why:
                    _resolved["auto"] = candidate
                    return candidate
                reasons.append(f"{candidate}: {why}")
            raise IsolationError("no isolation level works here: " + "; ".join(reasons))
        why = _probe_cached(level)
        if why:
            raise IsolationError(f"isolation level {level!r} is not available on this host: "
                                 f"{why}")
        _resolved[level] = level
        return level


_probed: dict[str, str] = {}


def _probe_cached(level: str) -> str:
    if level not in _probed:
        _probed[level] = probe(level)
    return _probed[level]


def strongest_available() -> str:
    return resolve("auto")


# ------------------------------------------------------------------------------ slots


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


if __name__ == "__main__":  # python -m autograder.sandbox.isolation: which levels work here
    for lvl in LEVELS:
        why = _probe_cached(lvl)
        print(f"{lvl:11s} {'ok' if not why else 'unavailable: ' + why}")
