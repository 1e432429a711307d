"""Autograder for a graduate Generative AI course in PyTorch.

The data flow, one stage per package: ``assign`` (master notebook → student notebook, via otter
assign) → ``fixtures`` (hidden tests from ``reference/``) → ``grade`` (submissions run in the
``sandbox``, compared with the ladder of checks) → ``gradebook``. ``api`` and ``cli`` expose the
same verbs.
"""
__version__ = "0.1.0"
