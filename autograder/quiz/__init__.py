"""The mid-term quiz (issue 8): a parameterised question bank over U1-U5 whose answers come from
:mod:`reference`, per-student variants, paper/key/LMS exports and grading with item statistics."""
from .model import Question, REGISTRY, check, draw, generators  # noqa: F401
