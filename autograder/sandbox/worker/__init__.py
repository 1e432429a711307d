"""Everything that runs in the worker process ("zygote") and its sandboxed children.

Starting Python and importing torch costs about 2 s; forking a process that already has both
costs about 25 ms. The zygote is a long-lived process started by the grader. It imports torch
and the harness once, sets torch to one thread (a child forked after a multi-threaded op can
hang), computes its isolation plan (:mod:`autograder.sandbox.isolation`), and then, for each
job, forks a child that enters the isolation level and runs :mod:`.harness`.

Process tree of one job, for the namespace levels::

    zygote (grader's uid; a child subreaper)
      └─ supervisor: unshare(PID, mount, net, IPC, UTS [, user]); relays the exit status;
         │           afterwards (root) kills every process of the slot uid from a process
         │           that has just become that uid
         └─ sandbox: PID 1 of the new PID namespace; builds the allowlisted root, pivot_root,
                     drops to the slot uid, runs the harness. Killing it kills every process
                     of the namespace, ``setsid`` or not.

For ``landlock`` and ``process`` the sandbox is the zygote's direct child, in its own session;
the zygote is a child subreaper, so whatever the submission leaves behind is re-parented to it
and killed after the run.

A sandbox is started *before* its job: the zygote keeps one spare, set up for the limits of the
last job, while the current job runs. The spare does everything that needs privileges and no
job (the forks, the namespaces, the allowlisted root, a warm-up of the harness that takes the
copy-on-write faults every run would take), then waits; when a job with the same limits comes,
it receives the job's pipe ends, drops to the slot uid, takes its limits and runs. So the
≈20 ms of forking and entering the namespaces are off the path of every submission but a
worker's first. A spare set up for other limits, or whose set-up failed, is thrown away unused.

A root grader's namespace sandboxes take the worker slot's two uids in turn: the grader sends
its next job as soon as a run has reported everything, and the zygote leaves that run to be torn
down (killed if it has not exited) while the next one runs under the other uid. A uid is used
again only once the run before under it has been swept (:meth:`_Child.settle`).

The zygote never sees a job's data: the grader passes it the ends of three fresh pipes over a
Unix socket (SCM_RIGHTS) — job in, results out, stdout/stderr out — and talks to the child
directly through them. So no submission can find another's code or inputs in memory inherited
from the zygote. The zygote supervises: it kills the child's whole process tree when the grader
asks (a per-call time limit, malformed output) or at its own wall-clock backstop, and reports
how the child ended.

Modules: :mod:`.server` (the zygote's main loop, ``python -m autograder.sandbox.worker.server``),
:mod:`.spawn` (forking a sandbox, its supervisor, the spare, sweeps), :mod:`.supervise`
(following one run to its end), :mod:`.memory` (what the zygote preloads, huge pages) and
:mod:`.harness` (what runs inside the sandbox: loading cells, calling functions).

Nothing here imports the grader (``autograder.grade``, ``specs``, ``fixtures``, ``reference``,
nor the grader's side of the sandbox: ``client``, ``session``, ``protocol``); only
:mod:`autograder.sandbox.wire`, :mod:`~autograder.sandbox.limits` and
:mod:`~autograder.sandbox.isolation`. A child inherits every module the zygote imported, and the
expected outputs must stay out of its reach (``tests/sandbox/test_worker_imports.py``).
"""
