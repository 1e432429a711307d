"""Unit 3 GPT and Image GPT (syllabus rows U3.12-U3.13): causal language modelling, decoding,
the tiny GPT module, prompts, and next-pixel prediction over a colour palette."""
from __future__ import annotations

import torch

from reference import gpt, image_gpt

from ..base import Case, SpecList, Tolerance
from ..draw import clear_max, hidden, public, rand, randint, randn

SPECS = SpecList()


# ---------------------------------------------------------------- U3.12 GPT
@SPECS.add("U3.12", "causal_mask", gpt.causal_mask)
def _cases_causal_mask(gen):
    return [public("t4", 4), hidden("t1", 1), hidden("t7", 7), hidden("t64", 64)]


@SPECS.add("U3.12", "gpt_causal_lm_loss", gpt.gpt_causal_lm_loss, points=2, grad_wrt=(0,))
def _cases_lm_loss(gen):
    padded = randint(gen, 0, 50, 3, 16)
    padded[0, 9:] = -100
    padded[2, -1] = -100
    return [
        public("b2_t8", 2 * randn(gen, 2, 8, 50), randint(gen, 0, 50, 2, 8)),
        hidden("t2_b1", randn(gen, 1, 2, 10), randint(gen, 0, 10, 1, 2)),
        hidden("ignored_padding", randn(gen, 3, 16, 50), padded),
        hidden("long", randn(gen, 2, 64, 100), randint(gen, 0, 100, 2, 64)),
        hidden("other_ignore_index", randn(gen, 2, 5, 7), torch.tensor([[1, 2, 3, 0, 0],
                                                                        [4, 5, 6, 6, 0]]),
               ignore_index=0),
    ]


def _clear_logits(gen, B, V, scale=2.0):
    while True:
        logits = scale * randn(gen, B, V)
        if all(clear_max(row, 1e-3) for row in logits):
            return logits


@SPECS.add("U3.12", "greedy_next_token", gpt.greedy_next_token)
def _cases_greedy(gen):
    return [
        public("b3_v10", _clear_logits(gen, 3, 10)),
        hidden("b1_v2", _clear_logits(gen, 1, 2)),
        hidden("large_vocab", _clear_logits(gen, 4, 500)),
    ]


def _clear_sample(gen, B, V, temperature, top_k, scale=2.0):
    """(logits, u) such that every u is well away from a CDF step."""
    logits = scale * randn(gen, B, V)
    cdf = gpt.next_token_probs(logits.double(), temperature, top_k).cumsum(-1)
    u = torch.empty(B)
    for b in range(B):
        while True:
            x = float(rand(gen))
            if bool(((cdf[b] - x * cdf[b, -1]).abs() > 1e-4).all()):
                u[b] = x
                break
    return logits, u


@SPECS.add("U3.12", "sample_next_token", gpt.sample_next_token, points=2, repeat=True)
def _cases_sample(gen):
    return [
        public("t1_no_topk", *_clear_sample(gen, 3, 10, 1.0, None)),
        hidden("temperature_0.5", *_clear_sample(gen, 4, 20, 0.5, None), temperature=0.5),
        hidden("top_k_3", *_clear_sample(gen, 4, 20, 1.0, 3), top_k=3),
        hidden("hot_top_k", *_clear_sample(gen, 2, 50, 2.0, 10), temperature=2.0, top_k=10),
        hidden("top_k_1", *_clear_sample(gen, 3, 12, 0.7, 1), temperature=0.7, top_k=1),
        hidden("b1_top_k_full", *_clear_sample(gen, 1, 6, 1.3, 6), temperature=1.3, top_k=6),
    ]


def _gpt_case(gen, name, B, T, hidden=True, **config):
    init = dict(vocab_size=50, block_size=32, n_layer=1, n_head=2, n_embd=16)
    init.update(config)
    with torch.device("meta"):  # shapes only: the values are drawn from gen below
        shapes = {k: v.shape for k, v in gpt.GPT(**init).state_dict().items()}
    state = {}
    for key, shape in shapes.items():
        if key == "lm_head.weight":
            continue
        if ".ln_" in key:
            state[key] = (1.0 if key.endswith("weight") else 0.0) + 0.1 * randn(gen, *shape)
        elif key.endswith("bias"):
            state[key] = 0.05 * randn(gen, *shape)
        else:
            state[key] = 0.2 * randn(gen, *shape)
    state["lm_head.weight"] = state["transformer.wte.weight"].clone()  # tied
    idx = randint(gen, 0, init["vocab_size"], B, T)
    return Case(name, args=(idx,), init=init, state=state, hidden=hidden)


@SPECS.add("U3.12", "GPT", gpt.gpt_forward, call="module",
           tolerance=Tolerance(rtol=1e-4, atol=1e-4), points=3)
def _cases_gpt(gen):
    return [
        _gpt_case(gen, "one_layer_b2_t8", 2, 8, hidden=False),
        _gpt_case(gen, "t1", 1, 1),
        _gpt_case(gen, "full_block_two_layers", 2, 32, n_layer=2),
        _gpt_case(gen, "four_heads_hs6", 3, 11, n_head=4, n_embd=24, vocab_size=37),
    ]


DOCS = ["The cat sat on the mat.", "Rain fell all night over the quiet town.",
        "Precipitation forms as smaller droplets coalesce via collision with other rain drops "
        "or ice crystals within a cloud."]
QUESTIONS = ["Where did the cat sit?", "When did the rain fall?",
             "Where do water droplets collide with ice crystals to form precipitation?"]


@SPECS.add("U3.12", "format_qa_prompt", gpt.format_qa_prompt)
def _cases_qa_prompt(gen):
    return [
        public("cat", DOCS[0], QUESTIONS[0]),
        hidden("slide_squad", DOCS[2], QUESTIONS[2]),
        hidden("empty_document", "", QUESTIONS[1]),
    ]


@SPECS.add("U3.12", "format_tldr_prompt", gpt.format_tldr_prompt)
def _cases_tldr_prompt(gen):
    return [public("cat", DOCS[0]), hidden("rain", DOCS[1]),
            hidden("two_lines", DOCS[2] + "\n" + DOCS[1])]


# ---------------------------------------------------------------- U3.13 Image GPT
def _clear_pixels(gen, B, H, W, palette):
    """Images whose every pixel is clearly nearest one palette colour."""
    C = palette.size(1)
    img = rand(gen, B, C, H, W)
    while True:
        px = img.permute(0, 2, 3, 1)  # (B, H, W, C)
        d2 = ((px[..., None, :] - palette) ** 2).sum(-1).double()  # (B, H, W, K)
        two = torch.topk(-d2, 2, dim=-1).values if palette.size(0) > 1 else None
        bad = (two[..., 0] - two[..., 1]).abs() < 1e-4 if two is not None else \
            torch.zeros(B, H, W, dtype=torch.bool)
        if not bad.any():
            return img
        img = img.permute(0, 2, 3, 1).clone()
        img[bad] = rand(gen, int(bad.sum()), C)
        img = img.permute(0, 3, 1, 2).contiguous()


HAND_PALETTE = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
HAND_IMAGE = torch.tensor([[[0.1, 0.9, 0.8], [0.0, 0.6, 0.8]],
                           [[0.0, 0.9, 0.1], [0.1, 0.1, 0.7]],
                           [[0.1, 0.9, 0.1], [0.9, 0.0, 0.9]]])[None]  # (1, 3, 2, 3)


@SPECS.add("U3.13", "quantize_pixels", image_gpt.quantize_pixels)
def _cases_quantize(gen):
    p8, p16, p1 = rand(gen, 8, 3), rand(gen, 16, 3), rand(gen, 1, 3)
    return [
        public("hand_2x3", HAND_IMAGE, HAND_PALETTE),
        hidden("rgb_8_colours", _clear_pixels(gen, 2, 5, 4, p8), p8),
        hidden("one_colour", rand(gen, 1, 3, 2, 2), p1),
        hidden("grey_palette", _clear_pixels(gen, 1, 8, 8, torch.linspace(0, 1, 5)[:, None]),
               torch.linspace(0, 1, 5)[:, None]),
        hidden("larger", _clear_pixels(gen, 3, 8, 8, p16), p16),
    ]


@SPECS.add("U3.13", "image_to_sequence", image_gpt.image_to_sequence)
def _cases_image_to_sequence(gen):
    p8 = rand(gen, 8, 3)
    return [
        public("hand_2x3", HAND_IMAGE, HAND_PALETTE),
        hidden("non_square", _clear_pixels(gen, 2, 3, 7, p8), p8),
        hidden("one_pixel", _clear_pixels(gen, 1, 1, 1, p8), p8),
    ]


@SPECS.add("U3.13", "image_gpt_loss", image_gpt.image_gpt_loss, points=2)
def _cases_igpt_loss(gen):
    p8 = rand(gen, 8, 3)
    return [
        public("hand_2x3", randn(gen, 1, 6, 4), HAND_IMAGE, HAND_PALETTE),
        hidden("b2_4x4", 2 * randn(gen, 2, 16, 8), _clear_pixels(gen, 2, 4, 4, p8), p8),
        hidden("one_row", randn(gen, 1, 5, 8), _clear_pixels(gen, 1, 1, 5, p8), p8),
        hidden("8x8", randn(gen, 2, 64, 8), _clear_pixels(gen, 2, 8, 8, p8), p8),
    ]


def _clustered(gen, K, n_per, C=3, spread=0.04):
    centres = torch.stack([torch.tensor([(k * 0.618) % 1.0, (k * 0.381) % 1.0, k / K])
                           for k in range(K)])[:, :C]
    idx = randint(gen, 0, K, K * n_per)
    idx[:K] = torch.arange(K)  # every cluster has points, the first of each at the front
    return centres[idx] + spread * randn(gen, K * n_per, C)


@SPECS.add("U3.13", "kmeans_palette", image_gpt.kmeans_palette,
           tolerance=Tolerance(rtol=1e-5, atol=1e-5))
def _cases_kmeans(gen):
    px4 = _clustered(gen, 4, 30)
    px6 = _clustered(gen, 6, 40)
    px3 = _clustered(gen, 3, 20)
    far = torch.cat([px3[:2], torch.tensor([[5.0, 5.0, 5.0]])])
    return [
        public("four_clusters", px4, px4[:4].clone(), 5),
        hidden("six_clusters", px6, px6[:6] + 0.05 * randn(gen, 6, 3), 10),
        hidden("zero_iterations", px4, px4[:4].clone(), 0),
        hidden("empty_cluster_stays", px3, far, 4),
        hidden("float64", px3.double(), px3[:3].double(), 3),
    ]
