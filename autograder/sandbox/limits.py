"""Resource limits for one submission's run."""
from __future__ import annotations

from dataclasses import asdict, dataclass

# the largest control message on the socket between the grader and its zygote (a job request,
# a kill request, a run's status)
HEADER_BYTES = 64 << 10


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 120.0  # whole submission: loading its cells and every call, all tries
    load_seconds: float = 30.0  # running the notebook's definitions
    call_seconds: float = 20.0  # one call of one student function
    grace_seconds: float = 5.0  # past an in-sandbox time limit, the grader kills the process
    cpu_seconds: int = 180  # per process (RLIMIT_CPU)
    memory_bytes: int = 6 << 30  # address space per process (RLIMIT_AS); torch alone maps ~1 GiB
    processes: int = 32  # processes and threads of the sandbox's uid (RLIMIT_NPROC)
    file_bytes: int = 64 << 20  # largest file it may write (RLIMIT_FSIZE)
    open_files: int = 256
    tmp_bytes: int = 256 << 20  # each private tmpfs: /tmp, /dev/shm, the working folder
    output_bytes: int = 64 << 10  # stdout/stderr kept for the instructor log
    value_bytes: int = 64 << 20  # one returned value, as sent back
    result_bytes: int = 256 << 20  # everything the submission sends back in one run

    def to_dict(self) -> dict:
        return asdict(self)
