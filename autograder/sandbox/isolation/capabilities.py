"""Capabilities: emptying every set, and dropping to the sandbox's uid for good."""
from __future__ import annotations

import ctypes
import os

from .libc import (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAPBSET_DROP, PR_SET_DUMPABLE,
                   PR_SET_NO_NEW_PRIVS, _check, _libc, prctl)
from .plan import Plan

_LINUX_CAPABILITY_VERSION_3 = 0x20080522

class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_capabilities(last_cap: int) -> None:
    """Empty the bounding, ambient, inheritable, permitted and effective sets."""
    for cap in range(last_cap + 1):
        prctl(PR_CAPBSET_DROP, cap)  # fails harmlessly when already dropped
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


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
