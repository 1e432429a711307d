"""The wire format carries plain data only, and refuses or strips anything else."""
import io
import math

import pytest
import torch

from autograder import wire


def test_round_trip_of_nested_values():
    value = {"a": (torch.arange(6).reshape(2, 3), 1.5, -2, True, None, "s"),
             "b": [torch.tensor(3.0, dtype=torch.float64), {"c": float("nan")}],
             "inf": float("-inf")}
    back = wire.loads(wire.dumps(value))
    assert torch.equal(back["a"][0], value["a"][0]) and isinstance(back["a"], tuple)
    assert back["a"][1:] == (1.5, -2, True, None, "s")
    assert back["b"][0].dtype == torch.float64 and back["b"][0].item() == 3.0
    assert math.isnan(back["b"][1]["c"]) and back["inf"] == float("-inf")


def test_tensor_subclass_is_stripped_to_a_plain_tensor():
    class Liar(torch.Tensor):
        def __eq__(self, other):  # noqa: D105
            return True

    t = torch.zeros(3).as_subclass(Liar)
    back = wire.loads(wire.dumps(t))
    assert type(back) is torch.Tensor
    assert not torch.equal(back, torch.ones(3))


@pytest.mark.parametrize("bad", [object(), {1: 2}, {"__tensor__": "x"}, lambda: 0,
                                 type("F", (float,), {"__eq__": lambda s, o: True})(1.0)])
def test_refuses_values_that_are_not_plain_data(bad):
    with pytest.raises(wire.WireError):
        wire.dumps(bad)


def test_refuses_deep_nesting_and_forged_references():
    deep = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.dumps(deep)
    forged = wire.dumps({"x": 1}).replace(b'{"x": 1}', b'{"__tensor__": "t9"}')
    forged = forged[:0] + len(b'{"__tensor__": "t9"}').to_bytes(8, "big") + forged[8:]
    with pytest.raises(wire.WireError):
        wire.loads(forged)


def test_truncated_and_garbage_messages_raise_wire_errors():
    data = wire.dumps({"t": torch.ones(100)})
    for cut in (3, 12, len(data) - 5):
        with pytest.raises(wire.WireError):
            wire.read_message(io.BytesIO(data[:cut]))
    with pytest.raises(wire.WireError):
        wire.loads(b"\x00" * 7 + b"\x05" + b"notjs" + b"\x00" * 8)


def test_pickle_never_used():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(wire.WireError):
        wire.dumps({"x": Evil()})


def test_the_tensor_blob_is_what_the_safetensors_library_writes_and_reads():
    from safetensors.torch import load, save

    tensors = {"t0": torch.randn(3, 4), "t1": torch.tensor(2.5, dtype=torch.float64),
               "t2": torch.zeros(0, 5), "t3": torch.tensor([True, False, True]),
               "t4": torch.randn(2, 3).to(torch.bfloat16), "t5": torch.arange(-3, 4).to(torch.int8),
               "t6": torch.arange(7), "t7": torch.randn(5).half(),
               "t8": torch.arange(9).to(torch.uint8), "t9": torch.arange(4).to(torch.int16),
               "t10": torch.arange(4).to(torch.int32)}
    assert set(wire.SAFETENSORS_DTYPES) == set(wire.DTYPES)
    blob = wire.safetensors_bytes(tensors)
    back = load(blob)
    assert set(back) == set(tensors)
    for key, t in tensors.items():
        assert back[key].dtype == t.dtype and back[key].shape == t.shape, key
        assert torch.equal(back[key], t), key
    assert load(save(tensors)).keys() == back.keys()


@pytest.mark.parametrize("layout", ["coo", "csr", "csc"])
def test_a_sparse_tensor_travels_dense(layout):
    """A correct answer returned as a sparse tensor is graded by its values."""
    dense = torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]])
    sparse = {"coo": dense.to_sparse, "csr": dense.to_sparse_csr,
              "csc": dense.to_sparse_csc}[layout]()
    back = wire.loads(wire.dumps({"y": sparse}))["y"]
    assert back.layout == torch.strided and torch.equal(back, dense)


def test_a_nested_tensor_is_refused_with_its_own_reason():
    nested = torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])
    with pytest.raises(wire.WireError) as err:
        wire.encode([nested])
    assert err.value.code == "nested"


@pytest.mark.parametrize("copy", [True, False])
def test_an_expanded_one_element_tensor_travels(copy):
    """``x.mean().expand(1)`` is contiguous with a 0 stride: its bytes are still written (a
    right answer returned as such a view must not become "cannot be graded")."""
    for t in (torch.tensor(2.5).expand(1), torch.tensor([[7]]).expand(1, 1),
              torch.tensor(True).expand(1, 1, 1), torch.tensor(1.5).expand(4)):
        back = wire.loads(wire.dumps({"v": t}, copy=copy))["v"]
        assert torch.equal(back, t) and back.dtype == t.dtype
