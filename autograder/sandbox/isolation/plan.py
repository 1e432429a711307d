"""The isolation plan: the levels, and what a child of each level may see, computed once in the
zygote."""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import asdict, dataclass, field

from .libc import IsolationError, landlock_abi

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


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


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
    here = os.path.abspath(__file__)  # <root>/autograder/sandbox/isolation/plan.py
    for _ in range(4):
        here = os.path.dirname(here)
    return here


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
