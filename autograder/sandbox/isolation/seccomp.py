"""The seccomp filter every level installs: no socket but AF_UNIX, no io_uring, no foreign
syscall ABI."""
from __future__ import annotations

import ctypes
import errno
import platform

from .libc import PR_SET_NO_NEW_PRIVS, _check, _libc, prctl

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
