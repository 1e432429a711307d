"""Classic architectures as shape tables (lecture: "Review: LeNet-5", "Review: AlexNet",
"Review: VGG"). A layer is (name, kind, out_channels, kernel, stride, padding); the table walks
the spatial size through conv_output_size."""
from .param_counts import conv_output_size, receptive_field

ALEXNET = [  # 227×227×3 input (Krizhevsky et al. 2012, as in the slides)
    ("conv1", "conv", 96, 11, 4, 0), ("pool1", "pool", 96, 3, 2, 0),
    ("conv2", "conv", 256, 5, 1, 2), ("pool2", "pool", 256, 3, 2, 0),
    ("conv3", "conv", 384, 3, 1, 1), ("conv4", "conv", 384, 3, 1, 1),
    ("conv5", "conv", 256, 3, 1, 1), ("pool3", "pool", 256, 3, 2, 0),
]
LENET5 = [  # 32×32×1 input (LeCun et al. 1998)
    ("C1", "conv", 6, 5, 1, 0), ("S2", "pool", 6, 2, 2, 0),
    ("C3", "conv", 16, 5, 1, 0), ("S4", "pool", 16, 2, 2, 0), ("C5", "conv", 120, 5, 1, 0),
]


def shape_table(layers, size: int, channels: int) -> list[tuple[str, int, int, int]]:
    """[(layer, channels, height, width)] after each layer, input first."""
    table = [("input", channels, size, size)]
    for name, kind, out_ch, k, s, p in layers:
        size = conv_output_size(size, k, s, p)
        channels = out_ch if kind == "conv" else channels
        table.append((name, channels, size, size))
    return table


def alexnet_shapes():
    return shape_table(ALEXNET, 227, 3)  # 227 → 55 → 27 → 27 → 13 → 13 → 13 → 13 → 6


def lenet5_shapes():
    return shape_table(LENET5, 32, 1)  # 32 → 28 → 14 → 10 → 5 → 1


def vgg_stack_receptive_field(n_convs: int, kernel: int = 3) -> int:
    """n stacked k×k stride-1 convs see 1 + n(k − 1) pixels: three 3×3 = one 7×7."""
    return receptive_field([(kernel, 1)] * n_convs)


def vgg_stack_params(n_convs: int, channels: int, kernel: int = 3) -> int:
    """Weights of n stacked k×k C→C convs (no bias): n·k²·C², e.g. 27C² for three 3×3 vs 49C²."""
    return n_convs * kernel * kernel * channels * channels
