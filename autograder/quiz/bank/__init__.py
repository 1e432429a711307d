"""The question bank: parameterised generators over every unit of the syllabus (U1-U5), one
module per unit.

Each generator is registered for one syllabus row (``@generator("U4.2", topic)``, see
docs/SYLLABUS.md) and draws its parameters from the ``rng`` it is given. Every
answer and every distractor is the output of a :mod:`reference` function: a distractor is the
reference called with a typical mistake (no √d_k, α_t for ᾱ_t, padding ignored, groups ignored,
the labels swapped, ...). Nothing here types an answer by hand; the numbers in these modules are
the questions' parameters. Answers are computed with tiny float64 tensors (a few microseconds),
so 200 variants of every generator take seconds.

A generator that sees its parameters give an ill-posed question (options that coincide, a tie,
a number out of range) raises :class:`~autograder.quiz.question.Redraw`; it never leans on an
exception from the reference for that, since :func:`~autograder.quiz.model.draw` treats every
other exception as a bug.

The units are imported in syllabus order and each module keeps its generators' order: together
that is the bank's order, from which every pool draws, so it is part of every paper.
"""
from . import u1, u2, u3, u4, u5  # noqa: F401  (each registers its generators, in this order)
