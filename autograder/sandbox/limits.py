"""Resource limits for one submission's run."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 120.0  # whole submission: loading its cells and every call
    load_seconds: float = 30.0  # running the notebook's definitions
    call_seconds: float = 20.0  # one call of one student function
    cpu_seconds: int = 180
    memory_bytes: int = 6 << 30  # address space; torch alone maps ~1 GiB
    processes: int = 64
    file_bytes: int = 64 << 20
    open_files: int = 256
    output_bytes: int = 64 << 10  # stdout/stderr kept for the instructor log
    result_bytes: int = 256 << 20  # everything the submission sends back

    def to_dict(self) -> dict:
        return asdict(self)
