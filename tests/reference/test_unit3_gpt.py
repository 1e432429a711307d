"""Oracles for unit 3, GPT and Image GPT: a tiny randomly initialised ``transformers``
GPT2LMHeadModel (its loss, logits and greedy ``generate``), ``transformers``' logits warpers,
brute-force inverse-CDF sampling and pixel quantisation, and ``scipy``'s k-means."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from reference import gpt, image_gpt

transformers = pytest.importorskip("transformers")


def _gpt2(vocab_size=50, n_layer=1, seed=0):
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(n_layer=n_layer, n_head=2, n_embd=16, vocab_size=vocab_size,
                                  n_positions=32, resid_pdrop=0.0, embd_pdrop=0.0,
                                  attn_pdrop=0.0, bos_token_id=None, eos_token_id=None)
    return transformers.GPT2LMHeadModel(cfg).eval()


def _to_nanogpt_state(hf: nn.Module) -> dict[str, torch.Tensor]:
    """GPT-2's Conv1D weights are (in, out): transpose them into nn.Linear's (out, in)."""
    state = {}
    for k, v in hf.state_dict().items():
        if k.endswith(".attn.bias") or k.endswith(".attn.masked_bias"):
            continue  # causal-mask buffers of older transformers versions
        if any(k.endswith(s) for s in ("attn.c_attn.weight", "attn.c_proj.weight",
                                       "mlp.c_fc.weight", "mlp.c_proj.weight")):
            v = v.t()
        state[k] = v.clone()
    return state


# ---- U3.12 GPT ----------------------------------------------------------------------------


@pytest.mark.oracle("U3.12")
def test_causal_mask_is_the_subsequent_mask():
    for T in (1, 2, 7):
        m = gpt.causal_mask(T)
        blocked = nn.Transformer.generate_square_subsequent_mask(T) == float("-inf")
        assert torch.equal(m, ~blocked)
    assert gpt.causal_mask(3).tolist() == [[True, False, False], [True, True, False],
                                           [True, True, True]]


@pytest.mark.oracle("U3.12")
@pytest.mark.parametrize("B,T,pad", [(2, 10, False), (1, 2, False), (3, 32, True)])
def test_causal_lm_loss_matches_gpt2(B, T, pad):
    model = _gpt2(seed=T)
    g = torch.Generator().manual_seed(T)
    ids = torch.randint(50, (B, T), generator=g)
    labels = ids.clone()
    if pad:  # right padding: HF ignores label -100
        labels[0, T // 2:] = -100
        labels[1, -1] = -100
    with torch.no_grad():
        out = model(input_ids=ids, labels=labels)
    got = gpt.gpt_causal_lm_loss(out.logits, labels)
    assert abs(got.item() - out.loss.item()) < 1e-5
    # and by hand: mean of −log softmax(logits[t])[ids[t+1]]
    logp = out.logits.log_softmax(-1)
    terms = [-logp[b, t, labels[b, t + 1]].item() for b in range(B) for t in range(T - 1)
             if labels[b, t + 1] != -100]
    assert abs(got.item() - sum(terms) / len(terms)) < 1e-5


@pytest.mark.oracle("U3.12")
@pytest.mark.parametrize("n_layer,B,T", [(1, 2, 9), (2, 1, 1), (2, 3, 32)])
def test_tiny_gpt_matches_gpt2_logits(n_layer, B, T):
    hf = _gpt2(n_layer=n_layer, seed=10 + n_layer)
    with torch.no_grad():  # non-trivial LayerNorm affines and biases
        for name, p in hf.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                p.add_(0.2 * torch.randn_like(p))
    init = dict(vocab_size=50, block_size=32, n_layer=n_layer, n_head=2, n_embd=16)
    ids = torch.randint(50, (B, T), generator=torch.Generator().manual_seed(T))
    with torch.no_grad():
        want = hf(input_ids=ids).logits
    got = gpt.gpt_forward(init, _to_nanogpt_state(hf), ids)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    model = gpt.GPT(gpt.GPTConfig(**init))
    assert set(model.state_dict()) == set(_to_nanogpt_state(hf))  # the same parameter names


@pytest.mark.oracle("U3.12")
def test_greedy_generate_matches_gpt2_generate():
    hf = _gpt2(seed=3)
    prompt = torch.randint(50, (2, 4), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want = hf.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                           max_new_tokens=8, pad_token_id=0)

        def logits_fn(idx):
            return hf(input_ids=idx).logits

        got = gpt.generate(logits_fn, prompt, 8)
    assert torch.equal(got, want)
    mine = gpt.GPT(vocab_size=50, block_size=32, n_layer=1, n_head=2, n_embd=16)
    mine.load_state_dict(_to_nanogpt_state(hf))
    assert torch.equal(gpt.generate(mine.eval(), prompt, 8, block_size=32), want)


@pytest.mark.oracle("U3.12")
@pytest.mark.parametrize("temperature,top_k", [(1.0, None), (0.7, 5), (1.5, 1), (2.0, 50)])
def test_next_token_probs_match_transformers_warpers(temperature, top_k):
    from transformers.generation.logits_process import (TemperatureLogitsWarper,
                                                        TopKLogitsWarper)
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(4))
    warped = TemperatureLogitsWarper(temperature)(None, logits.clone())
    if top_k is not None:
        warped = TopKLogitsWarper(top_k)(None, warped)
    torch.testing.assert_close(gpt.next_token_probs(logits, temperature, top_k),
                               warped.softmax(-1), rtol=1e-6, atol=1e-7)


@pytest.mark.oracle("U3.12")
def test_sample_next_token_inverts_the_cdf_by_hand():
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(6, 12, generator=g, dtype=torch.float64)
    u = torch.rand(6, generator=g, dtype=torch.float64)
    for temperature, top_k in [(1.0, None), (0.5, 3), (3.0, 12)]:
        probs = gpt.next_token_probs(logits, temperature, top_k)
        got = gpt.sample_next_token(logits, u, temperature, top_k)
        for b in range(6):
            acc, pick = 0.0, None
            for i, p in enumerate(probs[b].tolist()):
                acc += p
                if acc > u[b].item() * probs[b].sum().item():
                    pick = i
                    break
            assert got[b].item() == pick
            assert probs[b, pick] > 0
    # greedy = argmax; top-k = 1 samples the argmax whatever the noise
    assert torch.equal(gpt.greedy_next_token(logits), logits.argmax(-1))
    assert torch.equal(gpt.sample_next_token(logits, u, 1.0, top_k=1), logits.argmax(-1))


@pytest.mark.oracle("U3.12")
def test_sample_next_token_frequencies():
    """n = 100000 uniform draws for one distribution over 6 tokens: each token's frequency is
    within t = sqrt(ln(2/δ)/(2n)) = 0.0092 of its probability (Hoeffding, δ = 1e-7 per token,
    6e-7 < 1e-6 in all)."""
    n = 100_000
    logits = torch.tensor([[2.0, 0.5, -1.0, 1.0, 0.0, -3.0]])
    g = torch.Generator().manual_seed(6)
    u = torch.rand(n, generator=g)
    tokens = gpt.sample_next_token(logits.expand(n, 6), u, temperature=0.8, top_k=4)
    freq = torch.bincount(tokens, minlength=6).double() / n
    probs = gpt.next_token_probs(logits, 0.8, 4)[0].double()
    t = math.sqrt(math.log(2 / 1e-7) / (2 * n))
    assert (freq - probs).abs().max() < t
    assert freq[2] == 0 and freq[5] == 0  # outside the top 4: never sampled


@pytest.mark.oracle("U3.12")
def test_zero_shot_prompt_formats():
    assert gpt.format_qa_prompt("Tom has a cat.", "What does Tom have?") == \
        "Tom has a cat.\nQ: What does Tom have?\nA:"
    assert gpt.format_tldr_prompt("A long article.") == "A long article.\nTL;DR:"


# ---- U3.13 Image GPT ----------------------------------------------------------------------


@pytest.mark.oracle("U3.13")
def test_quantize_hand_image_and_raster_order():
    palette = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # a 2x3 image: black, white, red / blue, dark red, light grey
    img = torch.tensor([[[0.1, 0.9, 0.8], [0.0, 0.6, 0.8]],
                        [[0.0, 0.9, 0.1], [0.1, 0.1, 0.7]],
                        [[0.1, 0.9, 0.1], [0.9, 0.0, 0.9]]])[None]  # (1, 3, 2, 3)
    codes = image_gpt.quantize_pixels(img, palette)
    assert codes.tolist() == [[[0, 1, 2], [3, 2, 1]]]
    seq = image_gpt.image_to_sequence(img, palette)
    assert seq.tolist() == [[0, 1, 2, 3, 2, 1]]  # row by row, left to right
    back = image_gpt.sequence_to_image(seq, palette, 2, 3)
    assert torch.equal(back, palette[codes].permute(0, 3, 1, 2))


@pytest.mark.oracle("U3.13")
def test_quantize_matches_brute_force():
    g = torch.Generator().manual_seed(7)
    imgs = torch.rand(2, 3, 5, 4, generator=g)
    palette = torch.rand(9, 3, generator=g)
    codes = image_gpt.quantize_pixels(imgs, palette)
    for b in range(2):
        for i in range(5):
            for j in range(4):
                px = imgs[b, :, i, j].tolist()
                d = [sum((px[c] - palette[k, c].item()) ** 2 for c in range(3)) for k in range(9)]
                assert codes[b, i, j].item() == d.index(min(d))


@pytest.mark.oracle("U3.13")
def test_image_gpt_loss_is_gpt2_loss_on_the_pixel_sequence():
    K = 8
    model = _gpt2(vocab_size=K, seed=8)
    g = torch.Generator().manual_seed(8)
    palette = torch.rand(K, 3, generator=g)
    imgs = torch.rand(3, 3, 4, 5, generator=g)
    seq = image_gpt.image_to_sequence(imgs, palette)
    assert seq.shape == (3, 20)
    with torch.no_grad():
        out = model(input_ids=seq, labels=seq)
    got = image_gpt.image_gpt_loss(out.logits, imgs, palette)
    assert abs(got.item() - out.loss.item()) < 1e-5


@pytest.mark.oracle("U3.13")
def test_kmeans_palette_matches_scipy():
    vq = pytest.importorskip("scipy.cluster.vq")
    g = torch.Generator().manual_seed(9)
    centres = torch.tensor([[0.1, 0.1, 0.1], [0.9, 0.2, 0.2], [0.2, 0.8, 0.3], [0.5, 0.5, 0.9]])
    pixels = (centres[torch.randint(4, (400,), generator=g)]
              + 0.08 * torch.randn(400, 3, generator=g)).double()
    init = pixels[:4].clone()
    got = image_gpt.kmeans_palette(pixels, init, iters=10)
    want, _ = vq.kmeans2(pixels.numpy(), init.numpy(), iter=10, minit="matrix")
    torch.testing.assert_close(got, torch.from_numpy(want), rtol=1e-10, atol=1e-10)
    # an initial centroid far from every pixel gets none and stays put
    init2 = torch.cat([init[:3], torch.tensor([[9.0, 9.0, 9.0]], dtype=torch.float64)])
    got2 = image_gpt.kmeans_palette(pixels, init2, iters=3)
    assert got2[3].tolist() == [9.0, 9.0, 9.0]
    with pytest.warns(UserWarning):
        want2, _ = vq.kmeans2(pixels.numpy(), init2.numpy(), iter=3, minit="matrix")
    torch.testing.assert_close(got2, torch.from_numpy(want2), rtol=1e-10, atol=1e-10)
