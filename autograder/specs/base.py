"""What a course component is, for the grader and the quiz generator alike.

A :class:`Spec` ties one function a student implements to its reference implementation in
``reference/``, a seeded generator of sample inputs (:class:`Case`), tolerances and default
points. Hidden-test fixtures (``autograder.fixtures``) run the reference over the cases; the
grader (``autograder.grade``) compares a student's outputs with those fixtures; the quiz
(``autograder.quiz``) draws numbers from the same references.

Three ways a case is called in a student's notebook (``Spec.call``):

* ``"function"``: ``fn(*case.args, **case.kwargs)``;
* ``"module"``: ``Cls(**case.init)``, then ``load_state_dict(case.state)`` (reference weights
  injected, so that results never depend on a student's initialisation), then
  ``module(*case.args, **case.kwargs)``;
* ``"outcome"``: like ``"function"``, but the output is judged by ``Spec.judge`` against
  ``case.secret`` (e.g. accuracy of a trained model on held-out labels) instead of compared with
  the reference output. ``case.secret`` never leaves the grader's process.

Everything in ``args``, ``kwargs``, ``init``, ``state`` and ``secret`` must be plain data that
the wire format carries: tensors, bool/int/float/str/None, and tuples, lists and str-keyed
dicts of those (see ``autograder.wire``).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import torch

Call = Literal["function", "module", "outcome"]


@dataclass(frozen=True)
class Tolerance:
    """``allclose`` tolerances; per dtype because float16/bfloat16 on a GPU need looser ones."""

    rtol: float = 1e-5
    atol: float = 1e-6
    by_dtype: tuple[tuple[torch.dtype, float, float], ...] = (
        (torch.float16, 1e-2, 1e-3),
        (torch.bfloat16, 2e-2, 1e-2),
    )

    def for_dtype(self, dtype: torch.dtype | None) -> tuple[float, float]:
        for dt, rtol, atol in self.by_dtype:
            if dt == dtype:
                return max(rtol, self.rtol), max(atol, self.atol)
        return self.rtol, self.atol


@dataclass
class Case:
    """One call of a student's function: seeded inputs, how many points, whether it is shown."""

    name: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    hidden: bool = True
    points: float = 1.0
    init: dict[str, Any] = field(default_factory=dict)  # "module": constructor kwargs
    state: dict[str, torch.Tensor] | None = None  # "module": injected reference weights
    secret: Any = None  # "outcome": data the judge needs that the student never sees
    tolerance: Tolerance | None = None  # overrides the spec's


Judge = Callable[[Any, Case], "tuple[bool, str]"]
MakeCases = Callable[[torch.Generator], "list[Case]"]


@dataclass
class Spec:
    """A course component as a graded, quizzable unit.

    ``make_cases(gen)`` must draw every random number from ``gen`` so that fixtures are exactly
    reproducible from the assignment seed. ``reference(*args, **kwargs)`` (or, for ``"module"``,
    ``reference(init, state, *args, **kwargs)``) computes the expected output.
    """

    id: str  # syllabus row, e.g. "U3.6"
    name: str  # the name a student's notebook defines, e.g. "scaled_dot_product_attention"
    reference: Callable[..., Any]
    make_cases: MakeCases
    call: Call = "function"
    tolerance: Tolerance = field(default_factory=Tolerance)
    points: float = 1.0
    exact_dtype: bool = False  # True: float64 where float32 is expected fails the dtype rung
    judge: Judge | None = None  # "outcome" specs, and statistical checks
    # judged by a statistic; its module's docstring states the measured false-fail rate
    statistical: bool = False
    # the function modifies its inputs by contract; otherwise a call that changes any input
    # tensor in place fails its case (the sandbox compares a copy of the inputs after the call)
    in_place: bool = False
    # positional arguments the output must stay differentiable in, because the lecture trains
    # through it (e.g. the critic's weights in the WGAN-GP penalty): the sandbox returns the
    # gradient of the output's sum with respect to each, compared with the reference's
    grad_wrt: tuple[int, ...] = ()
    # a random procedure: every random number it uses comes from its arguments (noise tensors,
    # or a seed it must draw from). The sandbox calls its first case a second time, with the
    # global random state reseeded differently, and the two results must agree
    repeat: bool = False

    def __post_init__(self) -> None:
        assert self.call in ("function", "module", "outcome"), self.call
        assert self.call != "outcome" or self.judge is not None, f"{self.name}: outcome needs judge"
        assert not self.grad_wrt or self.call == "function", f"{self.name}: grad_wrt of a call"

    def expected(self, case: Case) -> Any:
        """The reference output for one case (``None`` for outcome specs: the judge decides)."""
        if self.call == "outcome":
            return None
        if self.call == "module":
            return self.reference(case.init, case.state, *case.args, **case.kwargs)
        return self.reference(*case.args, **case.kwargs)

    def grad_names(self) -> list[str]:
        """The names of the arguments at ``grad_wrt``, as the reference names them (the
        notebook's signature names them alike: tests/assignments/test_release.py)."""
        params = list(inspect.signature(self.reference).parameters)
        return [params[i] for i in self.grad_wrt]

    def expected_grads(self, case: Case) -> list[torch.Tensor]:
        """d(sum of the reference output)/d(args[i]) for each i in ``grad_wrt`` (zeros where
        the output does not depend on it)."""
        args = list(case.args)
        leaves = []
        for i in self.grad_wrt:
            args[i] = args[i].detach().clone().requires_grad_(True)
            leaves.append(args[i])
        with torch.enable_grad():
            out = self.reference(*args, **case.kwargs)
            grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
        return [torch.zeros_like(x) if g is None else g.detach() for x, g in zip(leaves, grads)]

    def cases(self, seed: int) -> list[Case]:
        gen = torch.Generator().manual_seed(seed)
        cases = self.make_cases(gen)
        names = [c.name for c in cases]
        assert len(set(names)) == len(names), f"{self.name}: duplicate case names {names}"
        assert cases, f"{self.name}: no cases"
        return cases


class SpecList(list[Spec]):
    """The specs a module declares, in order. ``@SPECS.add(id, name, reference, **options)`` on a
    case generator declares the spec those cases belong to, next to them; ``SPECS.add(...)`` can
    be applied again to the same generator for another spec that shares its cases."""

    def add(self, id: str, name: str, reference: Callable[..., Any],
            **options: Any) -> Callable[[MakeCases], MakeCases]:
        def declare(make_cases: MakeCases) -> MakeCases:
            self.append(Spec(id, name, reference, make_cases, **options))
            return make_cases

        return declare
