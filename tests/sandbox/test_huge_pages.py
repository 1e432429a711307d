"""A worker with many submissions to grade backs its zygote with huge pages (cheaper forks and
teardowns); everything else about a run stays the same."""
from __future__ import annotations

import platform

import pytest

from autograder.grade.local_executor import HUGE_PAGES_FROM, wants_huge_pages
from autograder.sandbox.client import Zygote

from .test_isolation import run, value


def _anon_huge_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("AnonHugePages:"):
                return int(line.split()[1])
    return 0


def _kernel_collapses() -> bool:
    """MADV_COLLAPSE (Linux 6.1) with transparent huge pages not disabled."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            if "[never]" in f.read():
                return False
    except OSError:
        return False
    major, minor = (int(x) for x in platform.release().split(".")[:2])
    return (major, minor) >= (6, 1)


def test_only_a_batch_with_many_submissions_per_worker_asks_for_them():
    assert not wants_huge_pages(HUGE_PAGES_FROM - 1, 1)
    assert wants_huge_pages(HUGE_PAGES_FROM, 1)
    assert not wants_huge_pages(HUGE_PAGES_FROM, 2) and wants_huge_pages(2 * HUGE_PAGES_FROM, 2)


@pytest.mark.skipif(not _kernel_collapses(), reason="needs MADV_COLLAPSE (Linux >= 6.1, THP on)")
def test_a_zygote_asked_for_huge_pages_has_them_and_runs_the_same():
    code = ["import torch\ndef probe():\n    return [torch.linspace(0, 1, 7).exp().tolist(),"
            " sum(range(1000))]\n"]
    with Zygote(huge_pages=True) as big, Zygote() as small:
        expected = value(run(small, code))
        assert [value(run(big, code)) for _ in range(3)] == [expected] * 3  # first, then spares
        assert _anon_huge_kib(big.proc.pid) > 50 * 1024  # most of ~240 MB of torch & co.
        assert _anon_huge_kib(small.proc.pid) < 50 * 1024
