"""Parameter counts and sizes of convolutional layers (lecture: "Fully Connected Layer",
"Locally Connected Layer", "Convolutional Layer").

For a 200×200 image and 40K hidden units: fully connected ≈ 2B weights; locally connected with
10×10 receptive fields ≈ 4M; convolutional with 100 shared 10×10 filters = 10K.
"""


def fully_connected_params(n_in: int, n_hidden: int, bias: bool = False) -> int:
    return n_in * n_hidden + (n_hidden if bias else 0)


def locally_connected_params(n_hidden: int, field: int, bias: bool = False) -> int:
    """Every hidden unit has its own field×field weights."""
    return n_hidden * field * field + (n_hidden if bias else 0)


def conv_shared_params(n_filters: int, field: int, in_channels: int = 1, bias: bool = False) -> int:
    """Filters shared across positions: parameters do not grow with the image."""
    return n_filters * (field * field * in_channels + (1 if bias else 0))


def conv_param_count(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                     groups: int = 1) -> int:
    """Parameters of nn.Conv2d(in, out, k, groups=groups, bias=bias)."""
    assert in_channels % groups == 0 and out_channels % groups == 0
    return out_channels * (in_channels // groups) * kernel_size ** 2 + (out_channels if bias else 0)


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, the output side of a conv or pooling layer."""
    out = (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    assert out >= 1, "the kernel does not fit"
    return out


def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Receptive field of a stack of (kernel, stride) layers, first layer first:
    r ← r + (k − 1)·j, j ← j·s, starting from r = 1, j = 1."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r
