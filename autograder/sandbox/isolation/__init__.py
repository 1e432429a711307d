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

One module per mechanism: :mod:`.libc` (the C calls), :mod:`.plan` (levels, what a child may
see), :mod:`.capabilities`, :mod:`.namespaces` (namespaces, id maps, the allowlisted root),
:mod:`.landlock`, :mod:`.seccomp`, :mod:`.child` (the steps a child takes, in order),
:mod:`.slots` (worker slots, their uids, sweeps) and :mod:`.probe` (which level works here).
"""
from __future__ import annotations

from .capabilities import drop_privileges
from .child import (PASSED_ENV, SAFE_ENV, close_other_fds, confine_child, enter_child,
                    prepare_child, scrub_environment, set_rlimits)
from .landlock import enter_landlock
from .libc import (PR_SET_CHILD_SUBREAPER, IsolationError, landlock_abi, name_process, prctl,
                   set_subreaper)
from .namespaces import build_root, map_child, parent_maps, unshare_for, write_maps
from .plan import (CHOICES, HIDDEN_NAMES, HIDDEN_PREFIXES, LEVELS, MAX_SLOTS, SANDBOX_HOME,
                   SLOT_ALT_UID_BASE, SLOT_UID_BASE, Plan, make_plan, source_root,
                   world_readable)
from .probe import probe, resolve, strongest_available
from .seccomp import no_network_filter
from .slots import Slot, kill_uid, processes_of, slot_uids, sweep_uid

__all__ = [
    "CHOICES", "HIDDEN_NAMES", "HIDDEN_PREFIXES", "LEVELS", "MAX_SLOTS", "PASSED_ENV",
    "PR_SET_CHILD_SUBREAPER", "SAFE_ENV", "SANDBOX_HOME", "SLOT_ALT_UID_BASE", "SLOT_UID_BASE",
    "IsolationError", "Plan", "Slot", "build_root", "close_other_fds", "confine_child",
    "drop_privileges", "enter_child", "enter_landlock", "kill_uid", "landlock_abi",
    "make_plan", "map_child", "name_process", "no_network_filter", "parent_maps", "prctl",
    "prepare_child", "probe", "processes_of", "resolve", "scrub_environment", "set_rlimits",
    "set_subreaper", "slot_uids", "source_root", "strongest_available", "sweep_uid",
    "unshare_for", "world_readable", "write_maps",
]
