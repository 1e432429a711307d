"""What grading runs of a notebook cell: its definitions, without plots, prints or notebook plumbing."""
import ast

from autograder.sandbox.worker.harness import definitions


def kept(source: str) -> list[str]:
    return [ast.unparse(node) for node in definitions(source).body]


def test_definitions_are_kept_and_top_level_work_is_skipped():
    source = ("import torch\nfrom torch import nn\nx: int = 3\ny = torch.ones(2)\n"
              "def f(a):\n    print(a)\n    return a\n"
              "class M(nn.Module):\n    pass\n"
              "print(f(1))\nfor i in range(10**9):\n    pass\nf(2)\n")
    assert kept(source) == ["import torch", "from torch import nn", "x: int = 3",
                            "y = torch.ones(2)", "def f(a):\n    print(a)\n    return a",
                            "class M(nn.Module):\n    pass"]


def test_notebook_plumbing_and_magics_are_dropped():
    source = ("%matplotlib inline\n!pip install foo\nimport otter\nimport otter.api as oa\n"
              "grader = otter.Notebook('hw1.ipynb')\nfrom otter import Notebook\n"
              "def check():\n    return grader.check('q1')\n"
              "def keep():\n    return 'grader'\n")
    assert kept(source) == ["def keep():\n    return 'grader'"]


def test_names_spelled_with_other_unicode_forms_are_recognised():
    # identifiers are NFKC-normalised: a fullwidth 'ｇｒａｄｅｒ' is the name 'grader'
    assert kept("ｇｒａｄｅｒ = 1\nvalue = 2\n") == ["value = 2"]
    assert kept("def f():\n    return ｏｔｔｅｒ\nz = 'ｏｔｔｅｒ'\n") == ["z = 'ｏｔｔｅｒ'"]
