"""Reference implementations of every course component: the answer key for the whole class.

One torch-only module per topic, written to be read: a docstring naming the source (lecture
slide or paper), shapes in comments, no I/O, every random draw from an explicit generator or
taken as an argument. Hidden tests (``autograder.fixtures``) and quiz answers
(``autograder.quiz``) are computed from these functions; ``tests/reference`` checks each one
against an independent oracle.
"""
