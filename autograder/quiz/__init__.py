"""The mid-term quiz: a parameterised question bank over U1-U5 whose answers come from
:mod:`reference`, per-student variants, paper/key/LMS exports and grading with item statistics."""
from .model import GeneratorError, draw, generators  # noqa: F401
from .question import Question, Redraw, check  # noqa: F401
from .registry import REGISTRY  # noqa: F401
