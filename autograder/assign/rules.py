"""What the hidden tests check beyond a value, said in the student notebook before submission.

The grader's ladder (:mod:`autograder.grade.checks`) fails a case for more than a wrong value:
an input changed in place, a random procedure whose two calls disagree (``Spec.repeat``), a
result that training cannot backpropagate through (``Spec.grad_wrt``). A student can only meet
rules they were told, so the build states them for the assignment's own functions, with the
arguments named as the reference names them, and its time limits.
"""
from __future__ import annotations

from ..course import AssignmentConfig
from ..specs import Spec, get_spec


def _specs(config: AssignmentConfig) -> list[Spec]:
    names = dict.fromkeys(name for q in config.questions for name in q.specs)
    return [get_spec(name) for name in names]


def _code(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def grading_rules(config: AssignmentConfig) -> str:
    """The notebook's markdown section on how the hidden tests grade."""
    specs = _specs(config)
    in_place = [s.name for s in specs if s.in_place]
    lines = ["## How the hidden tests grade", "",
             "Each graded function is also called on inputs you do not see and must match the "
             "course's reference within a tolerance. It fails a case as well when:", ""]
    but = f" ({_code(in_place)} work in place by design)" if in_place else ""
    lines.append(f"* **it changes a tensor it was given**{but}: `x += 1`, `x[mask] = 0` or "
                 f"`x.clamp_(…)` on an argument changes the caller's data. Work on a copy "
                 f"(`x = x.clone()`).")
    repeat = [s.name for s in specs if s.repeat]
    if repeat:
        lines.append(
            f"* **it is not reproducible** ({_code(repeat)}): the grader calls it twice with "
            "the same inputs, from different global random states, and the two results must "
            "agree. Take every random number from the given noise, or from a generator seeded "
            "with the given seed (`torch.Generator().manual_seed(seed)`, or "
            "`torch.manual_seed(seed)` before drawing), never from an unseeded `torch.randn`, "
            "`random` or `numpy.random`.")
    grads = [f"`{s.name}` in {_code(s.grad_names())}" for s in specs if s.grad_wrt]
    if grads:
        lines.append(
            f"* **training cannot backpropagate through it** ({'; '.join(grads)}): the grader "
            "takes the gradient of the result in those arguments and compares it with the "
            "reference's. Keep the computation in torch, without `.item()`, `.detach()`, "
            "`.data`, `.numpy()` or `torch.no_grad()`.")
    lines += ["", f"Time is CPU time, the same on a busy grader as on an idle one: each call may "
                  f"take {config.call_seconds:g} s, and the whole notebook (its definitions and "
                  f"every graded call) {config.wall_seconds:g} s."]
    return "\n".join(lines) + "\n"
