"""Landlock: a plain process restricted to read its runtime and write only its working folder."""
from __future__ import annotations

import ctypes
import os
import stat

from .libc import PR_SET_NO_NEW_PRIVS, SYS_LANDLOCK, IsolationError, _check, _libc, prctl
from .plan import Plan

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
