"""Independent recomputations of every quiz generator's answer from its drawn parameters:
plain math and PyTorch built-ins (``torch.nn`` modules, ``torch.nn.functional``, autograd,
``torch.distributions``) only, never :mod:`reference`.

Each oracle returns the expected answer: a number (numeric, and the value of the correct MC
option), a bool (true/false), a tuple of numbers (short answers), a set of option texts (MA) or
a word (MC over words).
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


def t(x):
    return torch.tensor(x, dtype=D)


def sig(z):
    return 1 / (1 + math.exp(-z))


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def n_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def meta(cls, *args, **kw):
    return cls(*args, device="meta", **kw)


# ---------------------------------------------------------------- U1
def pla(p):
    w, x, y = p["w"], p["x"], p["y"]
    return tuple(a + y * b for a, b in zip(w, x)) if y * dot(w, x) <= 0 else tuple(w)


def bce(p, y):
    return -sum(yi * math.log(pi) + (1 - yi) * math.log(1 - pi) for pi, yi in zip(p, y)) / len(p)


def square_loss_autograd(p):
    w = t(p["w"]).requires_grad_()
    loss = F.mse_loss(t(p["X"]) @ w, t(p["y"]))
    loss.backward()
    return float(loss.detach()), w.grad.tolist()


def lstsq_slope(p):
    X = t([[1.0, x] for x in p["xs"]])
    return float(torch.linalg.lstsq(X, t(p["y"])[:, None]).solution[1, 0])


def logistic_grad_b(p):
    b = t(p["b"]).requires_grad_()
    z = t(p["X"])[:, 0] * p["w"] + b
    F.binary_cross_entropy_with_logits(z, t(p["y"])).backward()
    return float(b.grad)


def ce_se(p):
    z = t(p["z"]).requires_grad_()
    F.binary_cross_entropy_with_logits(z, t(float(p["y"]))).backward()
    ce = float(z.grad)
    z2 = t(p["z"]).requires_grad_()
    ((torch.sigmoid(z2) - p["y"]) ** 2).backward()
    return ce, float(z2.grad)


def gd(p, steps=None):
    w = t(float(p["w0"])).requires_grad_()
    opt = torch.optim.SGD([w], lr=p["lr"])
    for _ in range(p["steps"] if steps is None else steps):
        opt.zero_grad()
        (0.5 * p["a"] * w ** 2 - p["b"] * w).backward()
        opt.step()
    return float(w.detach())


# ---------------------------------------------------------------- U2
def mlp2(p):
    x = t(p["x"])
    h = torch.sigmoid(F.linear(x, t(p["W1"]), t(p["b1"])))
    return float(F.linear(h, t(p["W2"]), t(p["b2"]))[0])


def tiny_autograd(p):
    w1, b1, w2, b2 = (t(p[k]).requires_grad_() for k in ("w1", "b1", "w2", "b2"))
    yhat = w2 * torch.sigmoid(w1 * p["x"] + b1) + b2
    (0.5 * (yhat - p["y"]) ** 2).backward()
    return {"w1": float(w1.grad), "b1": float(b1.grad), "w2": float(w2.grad)}


def rnn2(p):
    cell = nn.RNNCell(1, 1).double()
    with torch.no_grad():
        cell.weight_ih.fill_(p["wih"]), cell.weight_hh.fill_(p["whh"])
        cell.bias_ih.fill_(p["b"]), cell.bias_hh.fill_(0.0)
        h = t([[p["h0"]]])
        for x in p["xs"]:
            h = cell(t([[x]]), h)
    return float(h)


def rnn_shape(p):
    with torch.no_grad():
        out, _ = nn.RNN(p["D"], p["H"])(torch.zeros(p["T"], p["B"], p["D"]))
    return tuple(out.shape)


def autoencoder_params(p):
    d_in, d_h, d_c = p["d_in"], p["d_h"], p["d_c"]
    return n_params(*(meta(nn.Linear, a, b) for a, b in [(d_in, d_h), (d_h, d_c), (d_c, d_h), (d_h, d_in)]))


# ---------------------------------------------------------------- U3
def cooccurrence(p):
    seq, w = p["seq"], p["window"]
    return sum(1 for i, x in enumerate(seq) for j, y in enumerate(seq)
               if i != j and abs(i - j) <= w and x == p["a"] and y == p["b"])


def analogy_word(p):
    E, words = t(p["E"]), p["words"]
    q = E[2] - E[0] + E[1]
    sims = [float(F.cosine_similarity(q, E[i], dim=0)) for i in range(3, len(words))]
    return words[3 + max(range(len(sims)), key=sims.__getitem__)]


def elmo_mix(p):
    s = torch.softmax(t(p["w"]), 0)
    return p["gamma"] * float((s * t(p["h"])).sum())


def attn(s, d_k):
    return torch.softmax(t(s) / math.sqrt(d_k), 0)


def layer_norm(p):
    return float(F.layer_norm(t([float(v) for v in p["x"]]), (4,))[p["i"]])


def nsp_segments(p):
    return tuple([0] * (p["la"] + 2) + [1] * (p["lb"] + 1))


def qa_span(p):
    best = max(((p["ps"][s] * p["pe"][e], s, e) for s in range(5) for e in range(s, min(5, s + p["L"]))),
               key=lambda x: x[0])
    return best[1], best[2]


def gpt_prob(p, token=None):
    logits = t(p["logits"]) / p["temperature"]
    if p["k"] is not None:
        kth = sorted(logits.tolist(), reverse=True)[p["k"] - 1]
        logits = torch.where(logits >= kth, logits, t(-math.inf))
    probs = torch.softmax(logits, 0)
    return float(probs[p["j"] if token is None else token])


def image_gpt(p):
    return tuple(min(range(len(p["palette"])), key=lambda k: abs(x - p["palette"][k]))
                 for x in p["pixels"])


# ---------------------------------------------------------------- U4
def conv_out(n, k, s, p):
    return nn.Conv2d(1, 1, k, s, p, device="meta")(torch.empty(1, 1, n, n, device="meta")).shape[-1]


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


def stacks_rf(p):
    return {" → ".join(f"{k}×{k}/s{s}" for k, s in c) for c in p["stacks"]
            if rf_by_gradient([tuple(l) for l in c]) == p["target"]}


def layer_stack(p):
    mods, c = [], p["C"]
    for _, kind, out, k, s, pad in p["layers"]:
        if kind == "conv":
            mods.append(nn.Conv2d(c, out, k, s, pad, device="meta"))
            c = out
        else:
            mods.append(nn.MaxPool2d(k, s, pad))
    return nn.Sequential(*mods)


def conv_value(p):
    out = F.relu(F.conv2d(t(p["x"])[None, None], t(p["w"])[None, None], t([float(p["b"])])))
    return float(out[0, 0, p["i"], p["j"]])


def pool(p, mode=None, stride=2):
    x = t(p["x"])[None, None]
    f = {"max": lambda v: F.max_pool2d(v, 2, stride), "average": lambda v: F.avg_pool2d(v, 2, stride),
         "L2": lambda v: F.lp_pool2d(v, 2, 2, stride)}[mode or p["mode"]]
    return float(f(x)[0, 0, p["i"], p["j"]])


def cifar_flatten(p):
    net = nn.Sequential(nn.Conv2d(3, p["c1"], 5, device="meta"), nn.MaxPool2d(2),
                        nn.Conv2d(p["c1"], p["c2"], 5, device="meta"), nn.MaxPool2d(2), nn.Flatten())
    return net(torch.empty(1, 3, p["n"], p["n"], device="meta")).shape[1]


CIFAR = {"conv1": (nn.Conv2d, 3, 6, 5), "conv2": (nn.Conv2d, 6, 16, 5), "fc1": (nn.Linear, 400, 120),
         "fc2": (nn.Linear, 120, 84)}


def cifar_params(p):
    cls, *args = CIFAR.get(p["layer"], (nn.Linear, 84, p["k"]))
    return n_params(meta(cls, *args))


def accuracy_question(p):
    y, pred, c = torch.tensor(p["y"]), torch.tensor(p["pred"]), p["c"]
    if p["which"] == "accuracy":
        return float((y == pred).double().mean())
    if p["which"] == "diag":
        return int(((y == c) & (pred == c)).sum())
    return int(((y == c) & (pred != c)).sum())


ALEX = [nn.Conv2d(3, 96, 11, 4), nn.MaxPool2d(3, 2), nn.Conv2d(96, 256, 5, 1, 2),
        nn.MaxPool2d(3, 2), nn.Conv2d(256, 384, 3, 1, 1), nn.Conv2d(384, 384, 3, 1, 1),
        nn.Conv2d(384, 256, 3, 1, 1), nn.MaxPool2d(3, 2)]
LENET = [nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.MaxPool2d(2), nn.Conv2d(16, 120, 5)]


def stack_shape(mods, size, channels, upto):
    h = torch.empty(1, channels, size, size, device="meta")
    for m in mods[:upto]:
        h = m.to("meta")(h)
    return tuple(h.shape[1:])


class Inception(nn.Module):  # torchvision-style, written out here
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pp):
        super().__init__()
        self.b1 = nn.Conv2d(cin, c1, 1)
        self.b2 = nn.Sequential(nn.Conv2d(cin, c3r, 1), nn.Conv2d(c3r, c3, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(cin, c5r, 1), nn.Conv2d(c5r, c5, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, pp, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def inception_shape(p):
    with torch.device("meta"):
        m = Inception(p["cin"], *p["ch"])
        return tuple(m(torch.empty(1, p["cin"], p["n"], p["n"])).shape[1:])


def inception_params(p):
    with torch.device("meta"):
        return n_params(Inception(p["cin"], *p["ch"]))


def resnet_params(p):
    cin, cout = p["cin"], p["cout"]
    with torch.device("meta"):
        return n_params(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout),
                        nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
                        nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))


def resnext_params(p):
    c, w, g = p["channels"], p["width"], p["g"]
    with torch.device("meta"):
        return n_params(nn.Conv2d(c, w, 1, bias=False), nn.Conv2d(w, w, 3, padding=1, groups=g, bias=False),
                        nn.Conv2d(w, c, 1, bias=False))


def dense_channels(p):
    feats = [torch.empty(1, p["cin"], 4, 4, device="meta")]
    for i in range(p["L"]):
        conv = nn.Conv2d(p["cin"] + i * p["k"], p["k"], 3, padding=1, device="meta")
        feats.append(conv(torch.cat(feats, 1)))
    return torch.cat(feats, 1).shape[1]


def vit_tokens(p):
    emb = nn.Conv2d(1, 8, p["p"], p["p"], device="meta")(torch.empty(1, 1, p["n"], p["n"], device="meta"))
    return emb.flatten(2).shape[-1] + 1 + int(p["deit"])


def swin_windows(p):
    x = torch.empty(p["B"], p["H"], p["H"], 3, device="meta")
    return x.unfold(1, p["M"], p["M"]).unfold(2, p["M"], p["M"]).flatten(0, 2).shape[0]


# ---------------------------------------------------------------- U5
def probs_dstar(pd, pg):
    return [a / (a + b) for a, b in zip(pd, pg)]


def gan_max_value(p):
    d = probs_dstar(p["p"], p["q"])
    return sum(a * math.log(x) + b * math.log(1 - x) for a, b, x in zip(p["p"], p["q"], d))


def w1_by_scipy_free_formula(p):
    return sum(abs(a - b) for a, b in zip(sorted(p["x"]), sorted(p["y"]))) / len(p["x"])


def cycle(p):
    g, f, lam = p["g"], p["f"], p["lam"]
    x, y = t(p["x"]), t(p["y"])
    return lam * float(F.l1_loss(f * (g * x), x) + F.l1_loss(g * (f * y), y))


def pixelcnn_mask(k, kind):
    c = k // 2
    return {(r, col) for r in range(k) for col in range(k)
            if r < c or (r == c and (col < c or (kind == "B" and col == c)))}


def kl(mu, s, mp=0.0, sp=1.0):
    return float(kl_divergence(Normal(t(mu), t(s)), Normal(t(mp), t(sp))))


def alpha_bars(T, b0=1e-4, b1=0.02):
    return torch.cumprod(1 - torch.linspace(b0, b1, T, dtype=D), 0)  # [t-1] = ᾱ_t


def cos_ab(t_, T, s=0.008):
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return f(t_ / T) / f(0)


def schedule(T, t_):
    ab = alpha_bars(T)
    beta = float(torch.linspace(1e-4, 0.02, T, dtype=D)[t_ - 1])
    return beta, float(ab[t_ - 1]), (float(ab[t_ - 2]) if t_ > 1 else 1.0)


def posterior(p):
    beta, a_t, a_prev = schedule(p["T"], p["t"])
    mean = (math.sqrt(a_prev) * beta * p.get("x0", 0) + math.sqrt(1 - beta) * (1 - a_prev)
            * p.get("xt", 0)) / (1 - a_t)
    return mean, beta * (1 - a_prev) / (1 - a_t)


def mu_theta(p):
    beta, a_t, _ = schedule(p["T"], p["t"])
    return (p["xt"] - beta / math.sqrt(1 - a_t) * p["eps"]) / math.sqrt(1 - beta)


def ddpm_step(p):
    beta, _, _ = schedule(p["T"], p["t"])
    return mu_theta(p) + (math.sqrt(beta) * p["z"] if p["t"] > 1 else 0.0)


def latent_scale(p):
    z = t(p["z"])
    return float(z[p["i"]] / torch.std(z, correction=1))


def diffusion_lm_loss(p):
    return sum(-math.log(q) for q in p["probs"]) / (p["t"] * p["L"])


# ---------------------------------------------------------------- the table
ORACLES = {
    # U1
    "u1_pla_update": pla,
    "u1_pla_update_component": lambda p: pla(p)[p["i"]],
    "u1_perceptron_predict": lambda p: dot(p["w"], p["x"]) - p["threshold"] >= 0,
    "u1_square_loss": lambda p: square_loss_autograd(p)[0],
    "u1_square_loss_grad": lambda p: square_loss_autograd(p)[1][p["j"]],
    "u1_least_squares_slope": lstsq_slope,
    "u1_sigmoid": lambda p: sig(dot(p["w"], p["x"]) + p["b"]),
    "u1_bce": lambda p: float(F.binary_cross_entropy(t(p["p"]), t([float(v) for v in p["y"]]))),
    "u1_bce_mc": lambda p: bce(p["p"], p["y"]),
    "u1_logistic_grad_b": logistic_grad_b,
    "u1_ce_grad": lambda p: ce_se(p)[0],
    "u1_se_grad": lambda p: ce_se(p)[1],
    "u1_ce_vs_se_tf": lambda p: abs(ce_se(p)[0]) > abs(ce_se(p)[1]),
    "u1_gradient_descent": gd,
    "u1_gradient_descent_mc": lambda p: gd(p, steps=1),
    # U2
    "u2_linear_forward": lambda p: dot(p["W"][p["i"]], p["x"]) + p["b"][p["i"]],
    "u2_mlp_forward": mlp2,
    "u2_backprop_grad": lambda p: tiny_autograd(p)[p["which"]],
    "u2_backprop_mc": lambda p: tiny_autograd(p)["w1"],
    "u2_rnn": rnn2,
    "u2_rnn_shape": rnn_shape,
    "u2_autoencoder_params": autoencoder_params,
    "u2_reconstruction_loss": lambda p: float(F.mse_loss(t(p["xh"]), t(p["x"]))),
    # U3
    "u3_bag_of_words": lambda p: tuple(Counter(p["docs"][p["d"]])[w]
                                       for w in sorted(set(p["docs"][0]) | set(p["docs"][1]))),
    "u3_vocab_size": lambda p: sum(1 for c in Counter(w for d in p["docs"] for w in d).values()
                                   if c >= p["min_count"]),
    "u3_one_hot": lambda p: tuple(F.one_hot(torch.tensor(p["vocab"].index(p["word"])),
                                            len(p["vocab"])).tolist()),
    "u3_glove_weight": lambda p: min(1.0, (p["x"] / p["x_max"]) ** p["alpha"]),
    "u3_cooccurrence": cooccurrence,
    "u3_skipgram_pairs": lambda p: sum(1 for i in range(p["T"]) for j in range(p["T"])
                                       if i != j and abs(i - j) <= p["window"]),
    "u3_cbow_examples": lambda p: (p["T"] - 2 * p["window"], 2 * p["window"]),
    "u3_analogy_mc": analogy_word,
    "u3_elmo_mix": elmo_mix,
    "u3_attention_weight": lambda p: float(attn(p["scores"], p["d_k"])[p["j"]]),
    "u3_attention_mc": lambda p: float(attn(p["scores"], p["d_k"])[0]),
    "u3_attention_tf": lambda p: float(attn(p["scores"], p["d_k"])[0]) > 0.7,
    "u3_sdpa_output": lambda p: float(F.scaled_dot_product_attention(
        t([[p["q"]]]), t([p["K"]]), t([p["V"]])[..., None])[0, 0, 0]),
    "u3_mha_params": lambda p: n_params(nn.MultiheadAttention(p["E"], p["h"], device="meta")),
    "u3_mha_params_mc": lambda p: n_params(nn.MultiheadAttention(p["E"], p["h"], device="meta")),
    "u3_positional_encoding": lambda p: (math.sin if p["i"] % 2 == 0 else math.cos)(
        p["pos"] / 10000 ** ((p["i"] - p["i"] % 2) / p["d"])),
    "u3_layer_norm": layer_norm,
    "u3_bert_rates": lambda p: [p["p"] * p["m"], p["p"] * p["r"], p["p"] * (1 - p["m"] - p["r"])][p["which"]],
    "u3_bert_mc": lambda p: p["p"] * 0.8,
    "u3_nsp_segments": nsp_segments,
    "u3_qa_span": qa_span,
    "u3_gpt_next_token_prob": gpt_prob,
    "u3_gpt_temperature_mc": lambda p: gpt_prob({**p, "j": max(range(4), key=p["logits"].__getitem__)}),
    "u3_causal_mask_count": lambda p: p["n"] * (p["n"] + 1) // 2,
    "u3_image_gpt_sequence": image_gpt,
    # U4
    "u4_conv_params": lambda p: n_params(nn.Conv2d(p["cin"], p["cout"], p["k"], bias=p["bias"], device="meta")),
    "u4_local_vs_conv_mc": lambda p: p["side"] ** 2 * p["field"] ** 2,
    "u4_fc_vs_conv_tf": lambda p: p["side"] ** 4 > p["ratio"] * p["nf"] * p["field"] ** 2,
    "u4_conv_output_size": lambda p: conv_out(p["n"], p["k"], p["s"], p["p"]),
    "u4_conv_output_mc": lambda p: conv_out(p["n"], p["k"], p["s"], p["p"]),
    "u4_conv_value": conv_value,
    "u4_shape_stack": lambda p: tuple(layer_stack(p)(torch.empty(p["B"], p["C"], p["n"], p["n"], device="meta")).shape),
    "u4_pool_output_size": lambda p: F.max_pool2d(torch.zeros(1, 1, p["n"], p["n"]), p["k"], p["s"]).shape[-1],
    "u4_pool_value": pool,
    "u4_pool_mc": lambda p: pool(p, "L2"),
    "u4_cifar_flatten": cifar_flatten,
    "u4_cifar_layer_params": cifar_params,
    "u4_accuracy": accuracy_question,
    "u4_receptive_field": lambda p: rf_by_gradient([tuple(l) for l in p["layers"]]),
    "u4_vgg_rf_ma": stacks_rf,
    "u4_vgg_params": lambda p: n_params(*[nn.Conv2d(p["c"], p["c"], 3, bias=False, device="meta")
                                          for _ in range(p["n"])]),
    "u4_alexnet_shape": lambda p: stack_shape(ALEX, 227, 3, p["index"]),
    "u4_lenet_shape": lambda p: stack_shape(LENET, 32, 1, p["index"]),
    "u4_inception_channels": inception_shape,
    "u4_inception_params": inception_params,
    "u4_resnet_params_mc": resnet_params,
    "u4_grouped_conv_mc": resnext_params,
    "u4_dense_channels": dense_channels,
    "u4_vit_shape": lambda p: tuple(F.unfold(torch.zeros(p["B"], p["C"], p["n"], p["n"]), p["p"], stride=p["p"])
                                    .transpose(1, 2).shape),
    "u4_vit_tokens": vit_tokens,
    "u4_swin_windows": swin_windows,
    # U5
    "u5_gan_dstar": lambda p: p["p_data"] / (p["p_data"] + p["p_g"]),
    "u5_gan_dstar_mc": lambda p: p["p_data"] / (p["p_data"] + p["p_g"]),
    "u5_gan_max_value": gan_max_value,
    "u5_jsd": lambda p: 0.5 * sum(a * math.log(2 * a / (a + b)) + b * math.log(2 * b / (a + b))
                                  for a, b in zip(p["p"], p["q"])),
    "u5_gan_ma": lambda p: {f"x{i + 1}" for i, (a, b) in enumerate(zip(p["p_data"], p["p_g"])) if a > b},
    "u5_wasserstein": w1_by_scipy_free_formula,
    "u5_wgan_critic_loss": lambda p: sum(p["fake"]) / 3 - sum(p["real"]) / 3,
    "u5_cycle_loss": cycle,
    "u5_conditional_input": lambda p: (p["B"], p["dz"] + p["K"]),
    "u5_pixelcnn_mask_count": lambda p: len(pixelcnn_mask(p["k"], p["kind"])),
    "u5_pixelcnn_mask_ma": lambda p: {f"(row {r}, col {c})" for r, c in map(tuple, p["cells"])
                                      if (r, c) in pixelcnn_mask(5, p["kind"])},
    "u5_bits_per_dim": lambda p: p["nll"] / (p["side"] ** 2 * math.log(2)),
    "u5_gaussian_kl": lambda p: kl(p["mu"], p["sigma"]),
    "u5_gaussian_kl_mc": lambda p: kl(p["mu"], p["sigma"]),
    "u5_kl_asymmetry_tf": lambda p: kl(p["mu"], p["sigma"]) > kl(0.0, 1.0, p["mu"], p["sigma"]),
    "u5_reparameterize": lambda p: p["mu"] + math.exp(p["logvar"] / 2) * p["eps"],
    "u5_hvae_kl": lambda p: kl(p["mq"], p["sq"], p["mp"], p["sp"]),
    "u5_alpha_bar_linear": lambda p: float(alpha_bars(p["T"], p["b0"], p["b1"])[p["t"] - 1]),
    "u5_alpha_bar_mc": lambda p: float(alpha_bars(p["T"], p["b0"], p["b1"])[p["t"] - 1]),
    "u5_alpha_bar_cosine": lambda p: cos_ab(p["t"], p["T"]),
    "u5_schedule_tf": lambda p: cos_ab(p["t"], p["T"]) > float(alpha_bars(p["T"])[p["t"] - 1]),
    "u5_q_sample": lambda p: (math.sqrt(schedule(p["T"], p["t"])[1]) * p["x0"]
                              + math.sqrt(1 - schedule(p["T"], p["t"])[1]) * p["eps"]),
    "u5_posterior_mean": lambda p: posterior(p)[0],
    "u5_posterior_variance": lambda p: posterior(p)[1],
    "u5_x0_from_eps": lambda p: ((p["xt"] - math.sqrt(1 - schedule(p["T"], p["t"])[1]) * p["eps"])
                                 / math.sqrt(schedule(p["T"], p["t"])[1])),
    "u5_mu_theta": mu_theta,
    "u5_ddpm_step": ddpm_step,
    "u5_cfg": lambda p: (1 + p["w"]) * p["ec"] - p["w"] * p["eu"],
    "u5_cfg_mc": lambda p: (1 + p["w"]) * p["ec"] - p["w"] * p["eu"],
    "u5_dit_shape": lambda p: (p["B"], (p["n"] // p["p"]) ** 2, p["p"] ** 2 * p["C"]),
    "u5_latent_scale": latent_scale,
    "u5_diffusion_lm_mask": lambda p: sum(u < p["t"] for u in p["u"]),
    "u5_diffusion_lm_loss": diffusion_lm_loss,
}
