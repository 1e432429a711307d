"""Independent recomputations of every quiz generator's answer from its drawn parameters:
plain math and PyTorch built-ins only, never :mod:`reference`.

Each oracle returns the expected answer: a number (numeric, and the value of the correct MC
option), a bool (true/false), a tuple of numbers (short answers) or a set of option texts (MA).
"""
from __future__ import annotations

import functools
import math
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

D = torch.float64


def sig(z):
    return 1 / (1 + math.exp(-z))


def pla(p):
    w, x, y = p["w"], p["x"], p["y"]
    if y * sum(a * b for a, b in zip(w, x)) <= 0:
        return tuple(a + y * b for a, b in zip(w, x))
    return tuple(w)


def bce(p, y):
    return -sum(yi * math.log(pi) + (1 - yi) * math.log(1 - pi) for pi, yi in zip(p, y)) / len(p)


def n_params(m):
    return sum(t.numel() for t in m.parameters())


@functools.lru_cache(maxsize=None)
def _rf(layers):
    n = 200
    x = torch.zeros(1, 1, n, dtype=D, requires_grad=True)
    h = x
    for k, s in layers:
        h = F.conv1d(h, torch.ones(1, 1, k, dtype=D), stride=s)
    h[0, 0, h.shape[-1] // 2].backward()
    cols = (x.grad[0, 0] != 0).nonzero()
    return int(cols.max() - cols.min() + 1)


def rf_by_gradient(layers):
    """Receptive field measured: ones-weight convs (one spatial axis; square kernels act the
    same on both), the span of input pixels with a gradient from a centre output unit."""
    return _rf(tuple(tuple(l) for l in layers))


def layer_stack(p):
    mods, c = [], p["C"]
    for _, kind, out, k, s, pad in p["layers"]:
        if kind == "conv":
            mods.append(nn.Conv2d(c, out, k, s, pad, device="meta"))
            c = out
        else:
            mods.append(nn.MaxPool2d(k, s, pad))
    return nn.Sequential(*mods)


ALEX = [nn.Conv2d(3, 96, 11, 4), nn.MaxPool2d(3, 2), nn.Conv2d(96, 256, 5, 1, 2),
        nn.MaxPool2d(3, 2), nn.Conv2d(256, 384, 3, 1, 1), nn.Conv2d(384, 384, 3, 1, 1),
        nn.Conv2d(384, 256, 3, 1, 1), nn.MaxPool2d(3, 2)]


def alexnet(p):
    h = torch.empty(1, 3, 227, 227, device="meta")
    for m in ALEX[:p["index"]]:
        h = m.to("meta")(h)
    return tuple(h.shape[1:])


def conv_out(n, k, s, p):
    return nn.Conv2d(1, 1, k, s, p, device="meta")(torch.empty(1, 1, n, n, device="meta")).shape[-1]


def alpha_bars(T, b0=1e-4, b1=0.02):
    return torch.cumprod(1 - torch.linspace(b0, b1, T, dtype=D), 0)  # [t-1] = ᾱ_t


def cos_ab(t, T, s=0.008):
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return f(t / T) / f(0)


def kl(mu, s, mp=0.0, sp=1.0):
    return float(kl_divergence(Normal(torch.tensor(mu, dtype=D), torch.tensor(s, dtype=D)),
                               Normal(torch.tensor(mp, dtype=D), torch.tensor(sp, dtype=D))))


def posterior(p):
    T, t = p["T"], p["t"]
    ab = alpha_bars(T)
    beta = float(torch.linspace(1e-4, 0.02, T, dtype=D)[t - 1])
    a_t, a_prev = float(ab[t - 1]), (float(ab[t - 2]) if t > 1 else 1.0)
    mean = (math.sqrt(a_prev) * beta * p.get("x0", 0) + math.sqrt(1 - beta) * (1 - a_prev)
            * p.get("xt", 0)) / (1 - a_t)
    return mean, beta * (1 - a_prev) / (1 - a_t)


def attn(s, d_k):
    return torch.softmax(torch.tensor(s, dtype=D) / math.sqrt(d_k), 0)


def probs_dstar(pd, pg):
    return [a / (a + b) for a, b in zip(pd, pg)]


def stacks_rf(p):
    return {" → ".join(f"{k}×{k}/s{s}" for k, s in c) for c in p["stacks"]
            if rf_by_gradient([tuple(l) for l in c]) == p["target"]}


ORACLES = {
    "u1_pla_update": pla,
    "u1_pla_update_component": lambda p: pla(p)[p["i"]],
    "u1_perceptron_predict": lambda p: sum(a * b for a, b in zip(p["w"], p["x"])) - p["threshold"] >= 0,
    "u1_sigmoid": lambda p: sig(sum(a * b for a, b in zip(p["w"], p["x"])) + p["b"]),
    "u1_bce": lambda p: float(F.binary_cross_entropy(torch.tensor(p["p"], dtype=D),
                                                     torch.tensor(p["y"], dtype=D))),
    "u1_bce_mc": lambda p: bce(p["p"], p["y"]),
    "u1_ce_grad": lambda p: sig(p["z"]) - p["y"],
    "u1_se_grad": lambda p: 2 * (sig(p["z"]) - p["y"]) * sig(p["z"]) * (1 - sig(p["z"])),
    "u1_ce_vs_se_tf": lambda p: abs(sig(p["z"]) - p["y"]) > abs(
        2 * (sig(p["z"]) - p["y"]) * sig(p["z"]) * (1 - sig(p["z"]))),
    "u1_square_loss": lambda p: sum((sum(a * b for a, b in zip(x, p["w"])) - y) ** 2
                                    for x, y in zip(p["X"], p["y"])) / len(p["y"]),
    "u2_linear_forward": lambda p: sum(a * b for a, b in zip(p["W"][p["i"]], p["x"])) + p["b"][p["i"]],
    "u2_conv_output_size": lambda p: conv_out(p["n"], p["k"], p["s"], p["p"]),
    "u2_conv_output_mc": lambda p: conv_out(p["n"], p["k"], p["s"], p["p"]),
    "u2_pool_output_size": lambda p: F.max_pool2d(torch.zeros(1, 1, p["n"], p["n"]), p["k"], p["s"]).shape[-1],
    "u2_conv_params": lambda p: n_params(nn.Conv2d(p["cin"], p["cout"], p["k"], bias=p["bias"], device="meta")),
    "u2_conv_params_mc": lambda p: n_params(nn.Conv2d(p["cin"], p["cout"], p["k"], groups=p["g"], device="meta")),
    "u2_receptive_field": lambda p: rf_by_gradient([tuple(l) for l in p["layers"]]),
    "u2_vgg_rf_ma": stacks_rf,
    "u2_vgg_params": lambda p: n_params(nn.Sequential(*[nn.Conv2d(p["c"], p["c"], 3, bias=False, device="meta")
                                                        for _ in range(p["n"])])),
    "u2_local_vs_conv_mc": lambda p: p["side"] ** 2 * p["field"] ** 2,
    "u2_shape_stack": lambda p: tuple(layer_stack(p)(torch.empty(p["B"], p["C"], p["n"], p["n"], device="meta")).shape),
    "u2_alexnet_shape": alexnet,
    "u3_attention_weight": lambda p: float(attn(p["scores"], p["d_k"])[p["j"]]),
    "u3_attention_mc": lambda p: float(attn(p["scores"], p["d_k"])[0]),
    "u3_attention_tf": lambda p: float(attn(p["scores"], p["d_k"])[0]) > 0.7,
    "u3_sdpa_output": lambda p: float(F.scaled_dot_product_attention(
        torch.tensor([[p["q"]]], dtype=D), torch.tensor([p["K"]], dtype=D),
        torch.tensor([p["V"]], dtype=D)[..., None])[0, 0, 0]),
    "u3_mha_params": lambda p: n_params(nn.MultiheadAttention(p["E"], p["h"], device="meta")),
    "u3_mha_params_mc": lambda p: n_params(nn.MultiheadAttention(p["E"], p["h"], device="meta")),
    "u3_bert_rates": lambda p: [p["p"] * p["m"], p["p"] * p["r"],
                                p["p"] * (1 - p["m"] - p["r"])][p["which"]],
    "u3_bert_mc": lambda p: p["p"] * 0.8,
    "u3_skipgram_pairs": lambda p: sum(1 for i in range(p["T"]) for j in range(p["T"])
                                       if i != j and abs(i - j) <= p["window"]),
    "u3_bag_of_words": lambda p: tuple(Counter(p["docs"][p["d"]])[w]
                                       for w in sorted(set(p["docs"][0]) | set(p["docs"][1]))),
    "u3_vocab_size": lambda p: sum(1 for c in Counter(w for d in p["docs"] for w in d).values()
                                   if c >= p["min_count"]),
    "u3_positional_encoding": lambda p: (math.sin if p["i"] % 2 == 0 else math.cos)(
        p["pos"] / 10000 ** ((p["i"] - p["i"] % 2) / p["d"])),
    "u4_vit_shape": lambda p: tuple(F.unfold(torch.zeros(p["B"], p["C"], p["n"], p["n"]), p["p"], stride=p["p"])
                                    .transpose(1, 2).shape),
    "u4_vit_tokens": lambda p: nn.Conv2d(3, 8, p["p"], p["p"], device="meta")(
        torch.empty(1, 3, p["n"], p["n"], device="meta")).flatten(2).shape[-1] + 1,
    "u4_gan_dstar": lambda p: p["p_data"] / (p["p_data"] + p["p_g"]),
    "u4_gan_dstar_mc": lambda p: p["p_data"] / (p["p_data"] + p["p_g"]),
    "u4_gan_max_value": lambda p: sum(a * math.log(d) + b * math.log(1 - d)
                                      for a, b, d in zip(p["p"], p["q"], probs_dstar(p["p"], p["q"]))),
    "u4_jsd": lambda p: 0.5 * sum(a * math.log(2 * a / (a + b)) + b * math.log(2 * b / (a + b))
                                  for a, b in zip(p["p"], p["q"])),
    "u4_gan_ma": lambda p: {f"x{i + 1}" for i, (a, b) in enumerate(zip(p["p_data"], p["p_g"])) if a > b},
    "u4_wasserstein": lambda p: sum(abs(a - b) for a, b in zip(sorted(p["x"]), sorted(p["y"]))) / len(p["x"]),
    "u4_gaussian_kl": lambda p: kl(p["mu"], p["sigma"]),
    "u4_gaussian_kl_mc": lambda p: kl(p["mu"], p["sigma"]),
    "u4_kl_asymmetry_tf": lambda p: kl(p["mu"], p["sigma"]) > kl(0.0, 1.0, p["mu"], p["sigma"]),
    "u4_reparameterize": lambda p: p["mu"] + math.exp(p["logvar"] / 2) * p["eps"],
    "u5_alpha_bar_linear": lambda p: float(alpha_bars(p["T"], p["b0"], p["b1"])[p["t"] - 1]),
    "u5_alpha_bar_mc": lambda p: float(alpha_bars(p["T"], p["b0"], p["b1"])[p["t"] - 1]),
    "u5_alpha_bar_cosine": lambda p: cos_ab(p["t"], p["T"]),
    "u5_schedule_tf": lambda p: cos_ab(p["t"], p["T"]) > float(alpha_bars(p["T"])[p["t"] - 1]),
    "u5_posterior_mean": lambda p: posterior(p)[0],
    "u5_posterior_variance": lambda p: posterior(p)[1],
    "u5_q_sample": lambda p: (math.sqrt(float(alpha_bars(p["T"])[p["t"] - 1])) * p["x0"]
                              + math.sqrt(1 - float(alpha_bars(p["T"])[p["t"] - 1])) * p["eps"]),
    "u5_x0_from_eps": lambda p: ((p["xt"] - math.sqrt(1 - float(alpha_bars(p["T"])[p["t"] - 1])) * p["eps"])
                                 / math.sqrt(float(alpha_bars(p["T"])[p["t"] - 1]))),
    "u5_cfg": lambda p: (1 + p["w"]) * p["ec"] - p["w"] * p["eu"],
    "u5_cfg_mc": lambda p: (1 + p["w"]) * p["ec"] - p["w"] * p["eu"],
    "u5_dit_shape": lambda p: (p["B"], (p["n"] // p["p"]) ** 2, p["p"] ** 2 * p["C"]),
    "u5_diffusion_lm_mask": lambda p: sum(u < p["t"] for u in p["u"]),
}


def gd(p):
    w = float(p["w0"])
    for _ in range(p["steps"]):
        w -= p["lr"] * (p["a"] * w - p["b"])
    return w


def mlp2(p):
    x = torch.tensor(p["x"], dtype=D)
    h = torch.sigmoid(F.linear(x, torch.tensor(p["W1"], dtype=D), torch.tensor(p["b1"], dtype=D)))
    return float(F.linear(h, torch.tensor(p["W2"], dtype=D), torch.tensor(p["b2"], dtype=D))[0])


def rnn2(p):
    cell = nn.RNNCell(1, 1).double()
    with torch.no_grad():
        cell.weight_ih.fill_(p["wih"]), cell.weight_hh.fill_(p["whh"])
        cell.bias_ih.fill_(p["b"]), cell.bias_hh.fill_(0.0)
        h = torch.tensor([[p["h0"]]], dtype=D)
        for x in p["xs"]:
            h = cell(torch.tensor([[x]], dtype=D), h)
    return float(h)


def pool(p):
    x = torch.tensor(p["x"], dtype=D)[None, None]
    f = {"max": lambda t: F.max_pool2d(t, 2), "average": lambda t: F.avg_pool2d(t, 2),
         "L2": lambda t: F.lp_pool2d(t, 2, 2)}[p["mode"]]
    return float(f(x)[0, 0, p["i"], p["j"]])


ORACLES.update({"u1_gradient_descent": gd, "u2_mlp_forward": mlp2, "u2_rnn": rnn2,
                "u2_max_pool_value": pool})
