"""One graded call inside the sandboxed child: its time limits, its inputs, its value.

:func:`run_case` calls a student's function on one case and reports how the call ended
(undefined, not callable, timeout, error, unencodable, or returned) with the value encoded for
the wire. Around the call it takes a copy of every input tensor (the grader fails a call that
changed one), asks autograd for the gradient a case names (``grad_wrt``), and calls a random
procedure's case a second time from a different global random state (``repeat``). Time limits
count this process's CPU time, with a wall-clock backstop for code that sleeps. Nothing here
decides a score.
"""
from __future__ import annotations

import random
import signal
import sys
import time
import traceback
from typing import Any, Callable

import torch

from ... import wire

SUBMISSION_FILE = "<submission>"


class CallTimeout(BaseException):
    """Raised by the per-call timers; a BaseException so that ``except Exception`` cannot eat
    it. ``limit``: which one fired, ``cpu`` (the process's CPU time) or ``wall`` (the
    wall-clock backstop, for code that sleeps or waits)."""

    def __init__(self, limit: str = "cpu") -> None:
        super().__init__(limit)
        self.limit = limit


BACKSTOP = [5.0]  # the wall-clock backstop: this many times a CPU time limit (the job says)


def arm(cpu_seconds: float) -> None:
    """Start a limit: ``cpu_seconds`` of this process's CPU time (ITIMER_PROF: busy code is
    stopped after the same work however loaded the machine is), and ``BACKSTOP`` times as
    much wall-clock time (ITIMER_REAL: code that sleeps or waits uses no CPU)."""
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, cpu_seconds * BACKSTOP[0])


def disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_PROF, 0)


def _where(tb) -> str:
    """The last line of the student's own code in a traceback, e.g. 'cell 3, line 7'."""
    place = ""
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename.startswith(SUBMISSION_FILE):
            place = f"{frame.f_code.co_filename[len(SUBMISSION_FILE) + 1:]}, line {lineno}"
    return place


def error_fields(e: BaseException) -> dict[str, Any]:
    try:
        message = str(e)
    except CallTimeout:
        raise
    except BaseException:  # a student exception whose __str__ raises
        message = "<unprintable>"
    if len(message) > 2000:
        message = message[:2000] + "…"
    tp = type(e)
    return {"error_type": tp.__name__, "error_module": str(getattr(tp, "__module__", "")),
            "error_message": message, "where": _where(e.__traceback__)}


def _each_tensor(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``value`` with ``fn`` applied to every tensor in it (inputs are plain data: tensors,
    scalars, and lists, tuples and dicts of them)."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_each_tensor(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _each_tensor(v, fn) for k, v in value.items()}
    return value


def _to_device(value: Any, device: str) -> Any:
    if device == "cpu":  # decoded inputs are CPU tensors already: nothing to walk
        return value
    return _each_tensor(value, lambda t: t.to(device))


def _tensors(value: Any, label: str) -> list[tuple[str, torch.Tensor]]:
    """Every tensor in an input, with where it sits (``args[2][0]``, ``kwargs['mask']``)."""
    if isinstance(value, torch.Tensor):
        return [(label, value)]
    if isinstance(value, (list, tuple)):
        return [t for i, v in enumerate(value) for t in _tensors(v, f"{label}[{i}]")]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _tensors(v, f"{label}[{k!r}]")]
    return []


def _same(before: torch.Tensor, after: torch.Tensor) -> bool:
    if before.shape != after.shape or before.dtype != after.dtype:
        return False
    if torch.equal(before, after):
        return True
    if before.is_floating_point() or before.is_complex():  # NaN where NaN was is no change
        return bool(((before == after) | (before.isnan() & after.isnan())).all())
    return False


def _invoke(target: Any, call: str, case: dict[str, Any], device: str
            ) -> tuple[Any, list[str]]:
    """The call's value, and where it changed its inputs in place (``["args[0]"]``): a copy
    of every input tensor is compared with it after the call."""
    args = _to_device(case.get("args", ()), device)
    kwargs = _to_device(case.get("kwargs", {}), device)
    leaves = _grad_leaves(args, case.get("grad_wrt")) if call == "function" else None
    if leaves is not None:
        args, leaves = leaves
    inputs = _tensors(tuple(args), "args") + _tensors(dict(kwargs), "kwargs")
    copies = [t.detach().clone() for _, t in inputs]
    if call == "module":
        module = target(**case.get("init", {}))
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"{type(module).__name__} is not a torch.nn.Module")
        module.load_state_dict(_to_device(case.get("state") or {}, device), strict=True)
        module.to(device)
        module.eval()
        with torch.no_grad():
            value = module(*args, **kwargs)
    elif leaves is not None:
        with torch.enable_grad():
            value = target(*args, **kwargs)
            value = {"value": _detached(value), "grads": _grads(value, leaves)}
    else:
        value = target(*args, **kwargs)
    changed = [label for (label, t), copy in zip(inputs, copies) if not _same(copy, t.detach())]
    return value, changed


def _grad_leaves(args: Any, grad_wrt: Any) -> tuple[tuple, list[torch.Tensor]] | None:
    """The arguments with those at ``grad_wrt`` replaced by leaf copies that require grad (the
    case asks for the gradient of the output in them), or None."""
    if not isinstance(grad_wrt, list) or not grad_wrt or not isinstance(args, (list, tuple)):
        return None
    args = list(args)
    leaves = []
    for i in grad_wrt:
        if type(i) is not int or not 0 <= i < len(args):
            return None
        x = args[i]
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            return None
        args[i] = x.detach().clone().requires_grad_(True)
        leaves.append(args[i])
    return tuple(args), leaves


def _grads(value: Any, leaves: list[torch.Tensor]) -> list[torch.Tensor] | None:
    """d(sum of the output)/d(each leaf), zeros where it does not depend on one; None when the
    output carries no graph back to any of them (it was computed outside autograd)."""
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        return None
    grads = torch.autograd.grad(value.sum(), leaves, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g.detach() for x, g in zip(leaves, grads)]


def _detached(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value


def run_case(namespace: dict[str, Any], name: str, call: str, case: dict[str, Any],
             device: str, seconds: float, value_bytes: int = 1 << 30
             ) -> tuple[dict[str, Any], tuple[Any, dict] | None]:
    """Call the student's ``name`` on one case; the first rungs of the ladder (defined, callable,
    runs) and the encoding of the value happen here. Returns the report (without its
    ``kind``/``question``/``case`` keys, which :func:`main` adds) and the encoded value."""
    report = _call(namespace, name, call, case, device, seconds)
    value = report.pop("value", None)
    if report["status"] != "returned":
        return report, None
    try:
        encoded = wire.encode(value, max_tensor_bytes=value_bytes)
    except wire.WireError as e:
        return {"status": "unencodable", "seconds": report["seconds"], "reason": e.code,
                "error_message": str(e)}, None
    except BaseException as e:  # noqa: BLE001 - e.g. out of memory while copying the value
        return {"status": "unencodable", "seconds": report["seconds"], "reason": "failed",
                "error_message": f"{type(e).__name__} while encoding the value"}, None
    return report, encoded


def framed(report: dict[str, Any], encoded: tuple[Any, dict]) -> bytes:
    """The case's message with its value; if the value, though encoded, cannot be framed (a
    tensor the safetensors writer cannot lay out), an ``unencodable`` report instead: the
    case fails, the run goes on."""
    try:
        return wire.dumps_encoded(report, "value", encoded)
    except CallTimeout:
        raise
    except BaseException as e:  # noqa: BLE001 - anything the value's tensors trigger
        failed = {k: report[k] for k in ("kind", "question", "case", "seconds") if k in report}
        return wire.dumps({**failed, "status": "unencodable", "reason": "failed",
                           "error_message": f"{type(e).__name__} while encoding the value"})


def _call(namespace: dict[str, Any], name: str, call: str, case: dict[str, Any],
          device: str, seconds: float) -> dict[str, Any]:
    """One case: the call, and for a case that asks for it (``repeat``) a second call on a
    fresh copy of the same inputs with the global random state reseeded differently; the
    value is then ``{"value": first, "again": second}``, for the grader to compare."""
    if name not in namespace:
        return {"status": "undefined"}
    target = namespace[name]
    if not callable(target):
        return {"status": "not_callable", "type": type(target).__name__}
    repeat = case.get("repeat") is True
    again_case = _copied(case) if repeat else None
    start = time.perf_counter()
    report = _timed(target, call, case, device, seconds, start, GLOBAL_SEEDS[0], repeat)
    if not repeat or report["status"] != "returned":
        return report
    second = _timed(target, call, again_case, device, seconds, start, GLOBAL_SEEDS[1], True)
    if second["status"] != "returned":
        return {**second, "call": 2}
    report["value"] = {"value": report["value"], "again": second["value"]}
    report["seconds"] = second["seconds"]
    return report


GLOBAL_SEEDS = (0, 20_151_212)  # the global random state before a call, and before its repeat


def _reseed(seed: int, device: str, everything: bool) -> None:
    """torch's global random state set to ``seed``: a function that (wrongly) draws from it is
    stable. On the CPU only the CPU generator: torch.manual_seed would also queue a lazy CUDA
    seeding, recording a stack trace each time (most of a simple case's cost). ``everything``
    (a repeated case, both calls): Python's and numpy's too, so that a function drawing from
    any of them differs between a call and its repeat (a few microseconds, spent only there)."""
    if device == "cpu":
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)
    if not everything:
        return
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            numpy.random.seed(seed)
        except BaseException:  # noqa: BLE001 - a student's replaced numpy.random
            pass


def _copied(value: Any) -> Any:
    """The case's inputs, copied before the first call can change them."""
    return _each_tensor(value, torch.Tensor.clone)


def _timed(target: Any, call: str, case: dict[str, Any], device: str, seconds: float,
           start: float, seed: int, repeated: bool) -> dict[str, Any]:
    """One call under its CPU time limit, from the global random state ``seed``."""
    _reseed(seed, device, repeated)
    arm(seconds)
    try:
        try:
            value, changed = _invoke(target, call, case, device)
            if device != "cpu":
                torch.cuda.synchronize()
        except CallTimeout as e:
            return {"status": "timeout", "seconds": time.perf_counter() - start,
                    "limit": e.limit}
        except BaseException as e:
            return {"status": "error", "seconds": time.perf_counter() - start, **error_fields(e)}
    except CallTimeout as e:  # while describing the student's exception (its __str__ hung)
        return {"status": "timeout", "seconds": time.perf_counter() - start, "limit": e.limit}
    finally:
        disarm()
    report = {"status": "returned", "seconds": time.perf_counter() - start, "value": value}
    if changed:
        report["changed_inputs"] = changed
    return report
