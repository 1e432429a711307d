"""The wire format between the grader and a sandboxed submission: JSON plus safetensors.

Never pickle: a pickle from student code runs arbitrary code when it is loaded. A value is
encoded as a JSON tree in which every tensor is replaced by ``{"__tensor__": key}`` and the
tensors travel together in one safetensors blob. A message on a stream is
``<8-byte big-endian length of JSON><JSON><8-byte length of blob><blob>``.

Decoding validates as it goes: only the JSON types below, depth and sizes bounded, tensors only
from the blob (safetensors parses a header and raw bytes; it cannot run code). The blob is
written here (:func:`safetensors_bytes`, the same bytes at a fifth of the cost of
``safetensors.torch.save``, which matters at one message per graded case) and always read by
the safetensors library. Encoding strips
what student code could smuggle: a tensor subclass becomes a plain tensor, an object with a
lying ``__eq__`` or ``__float__`` is refused (only exact built-in types are accepted).

The same format stores the fixtures (``autograder.fixtures``: inputs, expected outputs), so it
sits at the package's top level, beside the two stages that use it: the sandbox (on both sides
of the pipe, the worker included, which may import nothing of the grader) and the fixtures. It
imports nothing of the project.
"""
from __future__ import annotations

import io
import json
import math
import struct
from typing import Any, BinaryIO

import torch
from safetensors.torch import load as st_load

MAX_DEPTH = 16
MAX_ITEMS = 10_000
MAX_STR = 100_000
MAX_INT = 2**63  # larger integers cannot be compared as floats; nothing graded needs them
# dtypes the grader's checks handle; others (complex, quantized, float8, uint16-64) are refused
DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8,
                    torch.int8, torch.int16, torch.int32, torch.int64, torch.bool})
# their names in a safetensors header
SAFETENSORS_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
                      torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
                      torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
# one encoder for every message (json.dumps with an option builds a new one per call)
_JSON = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


class WireError(ValueError):
    """A value that cannot travel: wrong type, too big, too deep, or a malformed message.
    ``code`` names the reason without any detail from the value (safe to show for hidden cases)."""

    def __init__(self, message: str, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


def _plain_tensor(t: torch.Tensor, copy: bool = True) -> torch.Tensor:
    # With subclass dispatch disabled, as_subclass drops any torch.Tensor subclass (and its
    # overridden methods, __torch_function__ included); detach and clone give a dense,
    # contiguous CPU tensor that owns its memory.
    with torch._C.DisableTorchFunctionSubclass():
        t = _dense(t)
        t = torch.Tensor.as_subclass(t, torch.Tensor).detach()
        if t.is_complex():
            raise WireError("complex tensors are not supported", "dtype")
        if t.is_quantized:
            raise WireError("quantized tensors are not supported", "dtype")
        if t.dtype not in DTYPES:
            raise WireError(f"tensors of dtype {t.dtype} are not supported", "dtype")
        t = t.to("cpu").contiguous()
        return t.clone() if copy else t


def _dense(t: torch.Tensor) -> torch.Tensor:
    """``t`` as a strided tensor (a sparse COO, CSR, CSC... result is graded by its values), read
    through the base class's own accessors (no subclass override runs). A nested tensor has no
    single shape to compare: refused. Called with subclass dispatch disabled."""
    if torch.Tensor.is_nested.__get__(t):
        raise WireError("nested tensors are not supported", "nested")
    if torch.Tensor.layout.__get__(t) != torch.strided:
        t = torch.Tensor.to_dense(t)
    return t


def encode(value: Any, max_tensor_bytes: int | None = None,
           copy: bool = True) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split ``value`` into a JSON-able tree and a dict of plain CPU tensors. ``max_tensor_bytes``
    bounds the tensors' total size (checked before anything is copied); ``copy=False`` is for
    trusted values only (the grader's own job)."""
    tensors: dict[str, torch.Tensor] = {}
    count = [0]
    nbytes = [0]

    def walk(v: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH:
            raise WireError(f"value nested deeper than {MAX_DEPTH} levels", "deep")
        if count[0] > MAX_ITEMS:
            raise WireError(f"value has more than {MAX_ITEMS} items", "many")
        tp = type(v)
        if v is None or tp is bool or tp is str:
            if tp is str and len(v) > MAX_STR:
                raise WireError(f"string longer than {MAX_STR} characters", "string")
            return v
        if tp is int:
            if not -MAX_INT <= v <= MAX_INT:
                raise WireError("integer too large", "int")
            return v
        if tp is float:
            if math.isfinite(v):
                return v
            return {"__float__": repr(v)}  # nan, inf, -inf
        if isinstance(v, torch.Tensor):  # subclasses included; stripped in _plain_tensor
            with torch._C.DisableTorchFunctionSubclass():
                if torch.Tensor.is_nested.__get__(v):
                    raise WireError("nested tensors are not supported", "nested")
                # a sparse tensor counts at its dense size (it is sent dense)
                size = torch.Tensor.numel(v) * torch.Tensor.element_size(v)
            nbytes[0] += size
            if max_tensor_bytes is not None and nbytes[0] > max_tensor_bytes:
                raise WireError(f"tensors larger than {max_tensor_bytes} bytes in all",
                                "too_large")
            key = f"t{len(tensors)}"
            tensors[key] = _plain_tensor(v, copy)
            return {"__tensor__": key}
        if tp is tuple:
            return {"__tuple__": [walk(x, depth + 1) for x in v]}
        if tp is list:
            return [walk(x, depth + 1) for x in v]
        if tp is dict:
            if not all(type(k) is str for k in v):
                raise WireError("dict keys must be strings", "key")
            if any(k.startswith("__") for k in v):
                raise WireError("dict keys must not start with '__'", "key")
            if any(len(k) > MAX_STR for k in v):
                raise WireError(f"string longer than {MAX_STR} characters", "string")
            return {k: walk(x, depth + 1) for k, x in v.items()}
        # numpy scalars/arrays are common in student code: accept them as tensors/numbers.
        np_value = _from_numpy(v)
        if np_value is not None:
            return walk(np_value, depth)
        raise WireError(f"cannot send a value of type {tp.__module__}.{tp.__qualname__}", "type")

    return walk(value, 0), tensors


def _from_numpy(v: Any) -> Any:
    tp = type(v)
    if tp.__module__ != "numpy":
        return None
    import numpy as np  # only for a numpy value (the module is loaded already)

    if tp is np.ndarray:
        if v.dtype.kind not in "biuf" or v.dtype.hasobject:
            raise WireError(f"numpy arrays of dtype {v.dtype} are not supported", "dtype")
        return torch.from_numpy(np.array(v, copy=True))
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return None


def decode(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Rebuild a value from :func:`encode`'s output, validating every node."""
    used: set[str] = set()
    count = [0]

    def walk(v: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError("value too deep or too large")
        tp = type(v)
        if tp is int and not -MAX_INT <= v <= MAX_INT:
            raise WireError("integer too large", "int")
        if v is None or tp in (bool, int, float, str):
            return v
        if tp is list:
            return [walk(x, depth + 1) for x in v]
        if tp is dict:
            if len(v) == 1:  # a tensor, tuple or float marker (no set built: this runs per node)
                if "__tensor__" in v:
                    key = v["__tensor__"]
                    if type(key) is not str or key not in tensors or key in used:
                        raise WireError(f"bad tensor reference {key!r}")
                    used.add(key)
                    t = tensors[key]
                    if t.dtype not in DTYPES:
                        raise WireError(f"tensor of dtype {t.dtype}", "dtype")
                    return t
                if "__tuple__" in v and type(v["__tuple__"]) is list:
                    return tuple(walk(x, depth + 1) for x in v["__tuple__"])
                if "__float__" in v and v["__float__"] in ("nan", "inf", "-inf"):
                    return float(v["__float__"])
            for k in v:
                if type(k) is not str or k.startswith("__"):
                    raise WireError("malformed dict")
            return {k: walk(x, depth + 1) for k, x in v.items()}
        raise WireError(f"unexpected JSON node {tp.__name__}")

    return walk(tree, 0)


def dumps(value: Any, copy: bool = True) -> bytes:
    return _frame(*encode(value, copy=copy))


def safetensors_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    """The safetensors serialisation of dense, contiguous CPU tensors of :data:`DTYPES` (as
    :func:`encode` makes them): an 8-byte little-endian header length, the JSON header padded
    with spaces to 8 bytes, then each tensor's bytes in order."""
    header: dict[str, Any] = {}
    chunks = []
    offset = 0
    for key, t in tensors.items():
        flat = t.reshape(-1)
        if flat.numel() and flat.stride(0) != 1:  # one element may keep a 0 stride, contiguous
            flat = torch.empty(flat.shape, dtype=flat.dtype).copy_(flat)  # as it is (expand)
        data = flat.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[key] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = _JSON.encode(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _frame(tree: Any, tensors: dict[str, torch.Tensor]) -> bytes:
    header = _JSON.encode(tree).encode()
    blob = safetensors_bytes(tensors) if tensors else b""
    return struct.pack(">Q", len(header)) + header + struct.pack(">Q", len(blob)) + blob


def dumps_encoded(message: dict[str, Any], key: str, encoded: tuple[Any, dict]) -> bytes:
    """A message (a str-keyed dict of JSON data, no tensors: the harness's own report) with one
    more entry ``key`` that was already encoded by :func:`encode` (so that a value is encoded,
    and copied, only once)."""
    assert key not in message
    return _frame({**message, key: encoded[0]}, encoded[1])


def loads(data: bytes, max_bytes: int = 1 << 30) -> Any:
    if len(data) > max_bytes:
        raise WireError(f"message larger than {max_bytes} bytes")
    buf = io.BytesIO(data)
    value = read_message(buf, max_bytes)
    if buf.read(1):
        raise WireError("trailing bytes after message")
    return value


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            raise WireError("stream ended inside a message")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO, max_bytes: int = 1 << 30) -> Any:
    (hlen,) = struct.unpack(">Q", _read_exact(stream, 8))
    if hlen > min(max_bytes, 64 << 20):
        raise WireError("JSON header too large")
    try:
        tree = json.loads(_read_exact(stream, hlen))
    except (ValueError, RecursionError) as e:  # bad JSON or UTF-8, huge integers, deep nesting
        raise WireError(f"malformed JSON: {type(e).__name__}") from None
    (blen,) = struct.unpack(">Q", _read_exact(stream, 8))
    if blen > max_bytes:
        raise WireError("tensor blob too large")
    tensors: dict[str, torch.Tensor] = {}
    if blen:
        try:
            tensors = st_load(_read_exact(stream, blen))
        except Exception as e:  # safetensors raises its own error types
            raise WireError(f"malformed tensor blob: {e}") from None
    return decode(tree, tensors)


def write_message(stream: BinaryIO, value: Any) -> None:
    stream.write(dumps(value))
    stream.flush()
