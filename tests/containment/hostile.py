"""Hostile and careless hw1 submissions for the containment tests: names and messages that carry
payloads for every place the grader writes to, files that used to stop a whole batch, and a
submission that tries to read the hidden inputs back from its own feedback."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..conftest import write_solved

# every payload at once: terminal escapes (clear screen, window title, hyperlink), a bidi
# override, Rich markup, a spreadsheet formula, Markdown links, HTML
PAYLOAD = ("=HYPERLINK(\"http://evil\",\"x\") \x1b[2J\x1b]0;pwned\x07 \u202eevil "
           "[/] [link=http://evil]click[/link] [@click=(] [x](javascript:alert(1)) "
           "<img src=x onerror=alert(1)> <b>PWN</b>")

# file names (made with os.fsencode: one is not even valid UTF-8)
HOSTILE_NAMES = [
    "=HYPERLINK(\"http:evil\",\"x\").ipynb",
    "+cmd|' -C calc'!A0.ipynb",
    "-2+3.ipynb",
    "@SUM(A1).ipynb",
    "[link=http:evil]x[-link] [@click=(].ipynb",
    "\x1b]0;pwned\x07\x1b[31mred.ipynb",
    "bidi\u202egnp.ipynb",
    "<img src=x onerror=alert(1)>.ipynb",
]
BAD_BYTES_NAME = b"bad\xff\xfename.ipynb"

# (grading runs a notebook's definitions and assignments: the error comes from an assignment)
LOAD_ERROR = f'''
def _fail(message):
    raise ValueError(message)

_loaded = _fail(chr(0xd800) + {PAYLOAD!r})
'''
# bce_loss is q3's: its public case reports the exception's message in full
PUBLIC_ERROR = f'''
print({PAYLOAD!r})
def bce_loss(*args, **kwargs):
    raise RuntimeError(chr(0xdc80) + {PAYLOAD!r})
'''
HUGE_CELL = "# " + "x" * 300_000 + "\n"

# Each channel a function could use to send its hidden input back through its own results.
# q8 rnn_forward: the returned shape; q3 sigmoid: the returned dtype; q1 perceptron_predict:
# the exception's type and message; q2 square_loss: how long it takes
SMUGGLER = '''
import time as _time
import torch as _torch

def _code(t, n):
    """n numbers from the first element of t: what the feedback would carry out."""
    v = float(t.flatten()[0]) if t.numel() else 0.0
    bits = int(abs(v) * 1e7) + 7919
    return [1000 + (bits * (i + 3) * 2654435761) % 8999 for i in range(n)]

def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    a, b, c, d = _code(x, 4)
    return _torch.empty_strided((0, a, b, c, d), (0,) * 5), h0

_DTYPES = [_torch.int8, _torch.int16, _torch.int32, _torch.int64, _torch.bool,
           _torch.complex64, _torch.uint8]

def sigmoid(z):
    return _torch.zeros(z.shape, dtype=_DTYPES[_code(z, 1)[0] % len(_DTYPES)])

def perceptron_predict(X, *rest):
    n = _code(X, 1)[0]
    raise type(f"Leak{n}", (Exception,), {})(f"LEAK{n} {X.tolist()}")

def square_loss(X, *rest):
    _time.sleep((_code(X, 1)[0] % 4) * 0.15 + 0.0123)
    return _torch.full((), -1.0, dtype=X.dtype)  # a loss is never negative: always wrong
'''
SMUGGLED_SPECS = {"rnn_forward": "shape", "sigmoid": "dtype", "perceptron_predict": "exception",
                  "square_loss": "time"}


def code(t, n):
    """What :data:`SMUGGLER`'s ``_code`` computes, for the test to look for."""
    v = float(t.flatten()[0]) if t.numel() else 0.0
    bits = int(abs(v) * 1e7) + 7919
    return [1000 + (bits * (i + 3) * 2654435761) % 8999 for i in range(n)]


def with_cell(solved: bytes, source: str) -> bytes:
    nb = json.loads(solved)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": source})
    return json.dumps(nb).encode()


def write_folder(course, folder: Path) -> dict[str, str]:
    """The hostile folder; returns {file name: what it is}."""
    folder.mkdir(parents=True, exist_ok=True)
    solved = write_solved(course, "hw1", folder / "honest.ipynb").read_bytes()
    files = {"honest.ipynb": "honest"}
    for name in HOSTILE_NAMES:
        (folder / name).write_bytes(solved)
        files[name] = "hostile name"
    with open(os.path.join(os.fsencode(folder), BAD_BYTES_NAME), "wb") as f:
        f.write(solved)
    files[os.fsdecode(BAD_BYTES_NAME)] = "name not valid UTF-8"
    for name, source, what in [
            ("load_error.ipynb", LOAD_ERROR, "load-time error with a lone surrogate"),
            ("public_error.ipynb", PUBLIC_ERROR, "public case error with a lone surrogate"),
            ("huge_cell.ipynb", HUGE_CELL, "a cell longer than the wire allows"),
            ("smuggler.ipynb", SMUGGLER, "hidden inputs through shapes, dtypes, exceptions, "
                                         "time")]:
        (folder / name).write_bytes(with_cell(solved, source))
        files[name] = what
    # a file that is no notebook gets a row only when Canvas named it (else it is skipped)
    (folder / f"payload_9001_9002_{PAYLOAD[:40]}.txt".replace("/", "_")).write_text(PAYLOAD)
    files["payload.txt"] = "not a notebook"
    (folder / "README.md").write_text(PAYLOAD)  # no one's submission: skipped, no row
    return files
