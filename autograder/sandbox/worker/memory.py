"""The zygote's memory: what it imports once for every child, and huge pages for a fast fork."""
from __future__ import annotations

import ctypes


def preload() -> None:
    """Import what student code commonly uses, once, here: every child then has it for free
    (and in the namespace levels, it needs no file from inside the sandbox)."""
    import math  # noqa: F401

    import numpy  # noqa: F401
    import torch
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401

    # an optimizer's first construction imports torch._dynamo (~800 modules, ~0.9 s)
    torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - optional
        pass


MADV_HUGEPAGE, MADV_COLLAPSE = 14, 25
HUGE_PAGE = 2 << 20


def huge_pages() -> None:
    """Back this process's private writable memory (~240 MB after importing torch) with huge
    pages where the kernel can (Linux >= 6.1, transparent huge pages not disabled). A fork then
    copies one page-table entry per 2 MiB instead of 512, and an exit drops as few: forking and
    tearing down a copy of the zygote costs about a quarter as much (measured: 15.8 → 4.4 ms of
    CPU), about 14 ms less per submission (two forks). A child that writes to a huge page it
    shares gets a 4 KiB copy, as before. Where the kernel refuses, nothing changes. It takes
    ~0.7 s once, so only a worker with many submissions to grade does it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    try:
        with open("/proc/self/maps") as f:
            maps = f.read().splitlines()
    except OSError:
        return
    for line in maps:
        fields = line.split()
        path = fields[5] if len(fields) > 5 else ""
        if "w" not in fields[1] or "p" not in fields[1] or path not in ("", "[heap]"):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-lo // HUGE_PAGE) * HUGE_PAGE, hi // HUGE_PAGE * HUGE_PAGE
        if end > start:
            libc.madvise(start, end - start, MADV_HUGEPAGE)
            libc.madvise(start, end - start, MADV_COLLAPSE)
