"""The unit-5 specs (``autograder/specs/unit5/``): cases are well formed, reproducible from the
seed, carried by the wire format, and their reference outputs are finite; and the grader's real
check ladder (``autograder.grade.checks.compare``) with each case's tolerances

* passes independently written *correct* student solutions, written the way students write
  them (in the inputs' dtype, float32 included, by the slide formulas or by library calls):
  this is what calibrates the tolerances;
* fails common *mistakes* on at least one case: this shows the cases can tell them apart.
"""
from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.fixtures import FixtureCase
from autograder.grade.checks import compare
from autograder import wire
from autograder.specs.unit5 import SPECS

SPEC = {s.name: s for s in SPECS}
ROWS = [f"U5.{i}" for i in range(1, 12)]
SEEDS = (0, 1, 20260318)


def _fixture(spec, case) -> FixtureCase:
    tol = case.tolerance or spec.tolerance
    expected = spec.expected(case)
    dtype = next((t.dtype for t in _tensors(expected) if t.is_floating_point()), None)
    rtol, atol = tol.for_dtype(dtype)
    return FixtureCase(question="q", spec=spec.name, name=case.name, call=spec.call,
                       hidden=case.hidden, points=case.points, rtol=rtol, atol=atol,
                       exact_dtype=spec.exact_dtype,
                       inputs={"args": case.args, "kwargs": case.kwargs}, expected=expected)


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def _same(a, b) -> bool:
    return wire.dumps(a) == wire.dumps(b)


def _results(spec, fn, seed=0):
    """[(case name, passed, message)] of a student function ``fn`` over the spec's cases."""
    out = []
    for case in spec.cases(seed):
        fx = _fixture(spec, case)
        try:
            got = fn(*_clone(case.args), **_clone(case.kwargs))
        except Exception as e:  # a mistake may crash on an edge case: that is a failure
            out.append((case.name, False, f"raised {type(e).__name__}: {e}"))
            continue
        verdict = compare(got, fx.expected, spec.name, fx)
        out.append((case.name, verdict.passed, verdict.message))
    return out


# ---------------------------------------------------------------- structure
def test_every_row_has_specs_and_names_are_unique():
    assert {s.id for s in SPECS} == set(ROWS)
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names))
    for s in SPECS:
        assert s.call == "function" and 1 <= s.points <= 3 and inspect.getdoc(s.reference)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_cases_reproducible_wire_safe_and_finite(spec):
    for seed in SEEDS:
        cases = spec.cases(seed)
        again = spec.cases(seed)
        assert 3 <= len(cases) <= 6
        assert any(not c.hidden for c in cases) and any(c.hidden for c in cases)
        assert [c.name for c in cases] == [c.name for c in again]
        for c, c2 in zip(cases, again):
            assert isinstance(c.args, tuple) and isinstance(c.kwargs, dict)
            payload = {"args": c.args, "kwargs": c.kwargs}
            assert _same(payload, {"args": c2.args, "kwargs": c2.kwargs}), c.name
            back = wire.loads(wire.dumps(payload))
            assert _same(back, payload)
            before = _clone(payload)
            expected = spec.expected(c)
            assert _same(payload, before), f"{c.name}: the reference modified its inputs"
            assert _same(expected, spec.expected(c2)), f"{c.name}: not deterministic"
            assert _same(wire.loads(wire.dumps(expected)), expected)
            for t in _tensors(expected):
                assert not t.requires_grad, f"{spec.name}/{c.name}: output carries a graph"
                if t.is_floating_point():
                    assert torch.isfinite(t).all(), f"{spec.name}/{c.name} not finite"


def test_different_seeds_give_different_inputs():
    for spec in SPECS:
        if spec.name in {"pixelcnn_mask", "linear_beta_schedule", "cosine_beta_schedule"}:
            continue  # inputs are fixed edge cases, not random draws
        a, b = spec.cases(0), spec.cases(1)
        assert not all(_same(x.args, y.args) for x, y in zip(a, b)), spec.name


# ---------------------------------------------------------------- correct student solutions
def _bce_d(real, fake):
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def _gan_step_autograd(wd, bd, Wg, bg, x, z, lr):
    wd, bd = wd.clone().requires_grad_(), bd.clone().requires_grad_()
    fake = (z @ Wg.T + bg).detach()
    loss = _bce_d(x @ wd + bd, fake @ wd + bd)
    gw, gb = torch.autograd.grad(loss, (wd, bd))
    wd, bd = (wd - lr * gw).detach(), (bd - lr * gb).detach()
    Wg, bg = Wg.clone().requires_grad_(), bg.clone().requires_grad_()
    s = (z @ Wg.T + bg) @ wd + bd
    loss_g = F.binary_cross_entropy_with_logits(s, torch.ones_like(s))
    gW, gB = torch.autograd.grad(loss_g, (Wg, bg))
    return wd, bd, (Wg - lr * gW).detach(), (bg - lr * gB).detach()


def _gp_analytic(real, fake, eps, w1, b1, w2):
    xh = eps[:, None] * real + (1 - eps[:, None]) * fake
    h = torch.tanh(xh @ w1.T + b1)
    grad = (w2 * (1 - h ** 2)) @ w1
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def _w1_quantiles(x, y):
    # integral over u in (0, 1) of |F_x^{-1}(u) - F_y^{-1}(u)|, piecewise constant
    xs, ys = torch.sort(x).values, torch.sort(y).values
    n, m = len(xs), len(ys)
    cuts = torch.unique(torch.cat([torch.arange(n + 1, dtype=torch.float64) / n,
                                   torch.arange(m + 1, dtype=torch.float64) / m]))
    mid = (cuts[1:] + cuts[:-1]) / 2
    qx = xs[(mid * n).floor().long().clamp(max=n - 1)]
    qy = ys[(mid * m).floor().long().clamp(max=m - 1)]
    return ((qx - qy).abs() * (cuts[1:] - cuts[:-1]).to(x.dtype)).sum()


def _mask_loops(k, mask_type):
    m = torch.zeros(k, k)
    for r in range(k):
        for c in range(k):
            if r < k // 2 or (r == k // 2 and (c < k // 2 or (c == k // 2 and mask_type == "B"))):
                m[r, c] = 1.0
    return m


def _elbo_student(x, out, mu, logvar, decoder="bernoulli", decoder_logvar=None):
    if decoder == "bernoulli":
        p = torch.sigmoid(out)
        rec = -F.binary_cross_entropy(p, x, reduction="none").sum(1)
    else:
        lv = torch.as_tensor(decoder_logvar, dtype=x.dtype)
        rec = torch.distributions.Normal(out, torch.exp(0.5 * lv)).log_prob(x).sum(1)
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
    return rec - kl


def _hvae_student(x, out, zs, q_mus, q_lvs, p_mus, p_lvs, decoder="bernoulli",
                  decoder_logvar=None):
    N = torch.distributions.Normal
    if decoder == "bernoulli":
        total = torch.distributions.Bernoulli(logits=out).log_prob(x).sum(1)
    else:
        total = N(out, math.exp(0.5 * decoder_logvar)).log_prob(x).sum(1)
    total = total + N(0.0, 1.0).log_prob(zs[-1]).sum(1)
    for z, m, lv in zip(zs, p_mus, p_lvs):
        total = total + N(m, torch.exp(0.5 * lv)).log_prob(z).sum(1)
    for z, m, lv in zip(zs, q_mus, q_lvs):
        total = total - N(m, torch.exp(0.5 * lv)).log_prob(z).sum(1)
    return total


# float32 students: tables in the inputs' dtype, slide formulas
def _ab(betas):
    return torch.cumprod(1 - betas, 0)


def _bshape(v, x):
    return v.reshape(-1, *([1] * (x.dim() - 1)))


def _q_sample_student(x0, t, noise, betas):
    ab = _bshape(_ab(betas)[t], x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def _posterior_student(x0, xt, t, betas):
    ab = _ab(betas)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    b, a, ap = betas[t], ab[t], ab_prev[t]
    mean = (_bshape(ap.sqrt() * b / (1 - a), x0) * x0
            + _bshape((1 - b).sqrt() * (1 - ap) / (1 - a), x0) * xt)
    return mean, (1 - ap) / (1 - a) * b


def _posterior_diffusers_style(x0, xt, t, betas):
    # DDPMScheduler.step with prediction_type="sample": via alpha_bar ratios
    ab = _ab(betas)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    a, ap = ab[t], ab_prev[t]
    cur_alpha = a / ap
    cur_beta = 1 - cur_alpha
    c0 = ap.sqrt() * cur_beta / (1 - a)
    ct = cur_alpha.sqrt() * (1 - ap) / (1 - a)
    return _bshape(c0, x0) * x0 + _bshape(ct, x0) * xt, (1 - ap) / (1 - a) * cur_beta


def _pred_mean_student(xt, t, eps, betas):
    b, a = _bshape(betas[t], xt), _bshape(_ab(betas)[t], xt)
    return (xt - b / (1 - a).sqrt() * eps) / (1 - b).sqrt()


def _pred_mean_via_x0(xt, t, eps, betas):
    ab = _ab(betas)
    a = _bshape(ab[t], xt)
    x0 = (xt - (1 - a).sqrt() * eps) / a.sqrt()
    return _posterior_diffusers_style(x0, xt, t, betas)[0]


def _lambda_student(betas, variance="fixed_large"):
    s2 = betas if variance == "fixed_large" else None
    return betas ** 2 / (2 * s2 * (1 - betas) * (1 - _ab(betas)))


def _l_simple_student(x0, t, noise, betas, a, b):
    xt = _q_sample_student(x0, t, noise, betas)
    return F.mse_loss(a[t] * xt + b[t], noise)


def _ddpm_student(x_T, noises, betas, a, b, variance="fixed_small"):
    alphas, ab = 1 - betas, _ab(betas)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    x = x_T
    for t in range(len(betas) - 1, -1, -1):
        eps = a[t] * x + b[t]
        x = (x - (1 - alphas[t]) / torch.sqrt(1 - ab[t]) * eps) / torch.sqrt(alphas[t])
        if t > 0:
            var = (betas[t] if variance == "fixed_large"
                   else (1 - ab_prev[t]) / (1 - ab[t]) * betas[t])
            x = x + var.sqrt() * noises[t]
    return x


def _ddpm_diffusers_style(x_T, noises, betas, a, b, variance="fixed_small"):
    x = x_T
    for t in range(len(betas) - 1, -1, -1):
        ab = _ab(betas)
        x0 = (x - (1 - ab[t]).sqrt() * (a[t] * x + b[t])) / ab[t].sqrt()
        t_ = torch.full((x.shape[0],), t)
        mean, var = _posterior_diffusers_style(x0, x, t_, betas)
        if t > 0:
            if variance == "fixed_large":
                var = torch.full_like(var, float(1 - ab[t] / ab[t - 1]))
            x = mean + var.sqrt()[:, None] * noises[t]
        else:
            x = mean
    return x


def _cosine_f32(T, s=0.008, max_beta=0.999):
    u = torch.arange(T + 1, dtype=torch.float32) / T
    f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)


def _temb_diffusers(t, dim, max_period=10000.0):
    from diffusers.models.embeddings import get_timestep_embedding
    return get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0,
                                  max_period=max_period)


def _lm_loss_student(logits, x0, xt, t, mask_id):
    L = x0.shape[1]
    logp = torch.log_softmax(logits, -1).gather(-1, x0[..., None]).squeeze(-1)
    return (-(logp * (xt == mask_id)).sum(1) / t / L).mean()


def _unmask_student(xt, logits, t, s, u, gumbel, mask_id):
    out = xt.clone()
    reveal = (xt == mask_id) & (u < (1 - s / t)[:, None])
    out[reveal] = (logits + gumbel).argmax(-1)[reveal]
    return out


def _confidence_student(xt, logits, k, mask_id):
    out = xt.clone()
    p = torch.softmax(logits, -1)
    for b in range(xt.shape[0]):
        idx = [i for i in range(xt.shape[1]) if xt[b, i] == mask_id]
        idx.sort(key=lambda i: -float(p[b, i].max()))
        for i in idx[:k]:
            out[b, i] = int(p[b, i].argmax())
    return out


CORRECT = {
    "gan_discriminator_loss": [_bce_d],
    "gan_generator_loss": [lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f)),
                           lambda f: -F.logsigmoid(f).mean()],
    "optimal_discriminator": [lambda p, q: p / (p + q)],
    "jsd": [lambda p, q: 0.5 * (torch.xlogy(p, 2 * p / (p + q)).sum(-1)
                                + torch.xlogy(q, 2 * q / (p + q)).sum(-1))],
    "gan_train_step": [_gan_step_autograd],
    "wgan_critic_loss": [lambda r, f: -(r.mean() - f.mean())],
    "wgan_generator_loss": [lambda f: -f.mean()],
    "gradient_penalty": [_gp_analytic],
    "wgan_clip_weights": [lambda ps, c: [torch.clamp(p, min=-c, max=c) for p in ps]],
    "wasserstein_1d": [_w1_quantiles],
    "cycle_consistency_loss": [
        lambda x, y, G, Fw, lam=10.0: lam * (F.l1_loss(x @ G.T @ Fw.T, x)
                                             + F.l1_loss(y @ Fw.T @ G.T, y))],
    "conditional_generator_input": [
        lambda z, y, k: torch.cat([z, torch.eye(k, dtype=z.dtype)[y]], 1)],
    "pixelcnn_mask": [_mask_loops],
    "masked_conv2d": [lambda x, w, b, mt: F.conv2d(x, w * _mask_loops(w.shape[-1], mt), b,
                                                   padding=w.shape[-1] // 2)],
    "pixelcnn_log_likelihood": [
        lambda lg, x: -F.cross_entropy(lg, x, reduction="none").flatten(1).sum(1)],
    "reparameterize": [lambda mu, lv, e: mu + torch.sqrt(torch.exp(lv)) * e],
    "gaussian_kl": [lambda mu, lv: torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, torch.exp(0.5 * lv)),
        torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)],
    "elbo": [_elbo_student],
    "sample_prior": [lambda e, W, b, u=None: (torch.sigmoid(e @ W.T + b) if u is None
                                              else (u < torch.sigmoid(e @ W.T + b)).to(e.dtype))],
    "hierarchical_elbo": [_hvae_student],
    "linear_beta_schedule": [lambda T, s, e: s + (e - s) * torch.arange(T) / max(T - 1, 1)],
    "cosine_beta_schedule": [_cosine_f32],
    "alpha_bar": [_ab, lambda b: torch.exp(torch.cumsum(torch.log1p(-b), 0))],
    "q_sample_step": [lambda x, t, n, b: _bshape((1 - b[t]).sqrt(), x) * x
                      + _bshape(b[t].sqrt(), x) * n],
    "q_sample": [_q_sample_student],
    "posterior_mean_variance": [_posterior_student, _posterior_diffusers_style],
    "predict_mean_from_eps": [_pred_mean_student, _pred_mean_via_x0],
    "lambda_weights": [_lambda_student],
    "l_simple": [_l_simple_student],
    "ddpm_sample": [_ddpm_student, _ddpm_diffusers_style],
    "classifier_free_guidance": [lambda c, u, w: u + (1 + w) * (c - u)],
    "latent_scale_factor": [lambda z: 1 / torch.sqrt(z.var())],
    "dit_patchify": [lambda x, p: F.unfold(x, p, stride=p).reshape(
        x.shape[0], x.shape[1], p, p, -1).permute(0, 4, 2, 3, 1).reshape(
        x.shape[0], -1, p * p * x.shape[1])],
    "dit_unpatchify": [lambda tok, p, c: torch.einsum(
        "nhwpqc->nchpwq", tok.reshape(tok.shape[0], int(tok.shape[1] ** 0.5),
                                      int(tok.shape[1] ** 0.5), p, p, c)).reshape(
        tok.shape[0], c, int(tok.shape[1] ** 0.5) * p, -1)],
    "adaln_modulate": [lambda x, sh, sc: x + x * sc[:, None] + sh[:, None]],
    "timestep_embedding": [_temb_diffusers],
    "diffusion_lm_mask": [lambda x, t, u, m: x.masked_fill(u < t[:, None], m)],
    "diffusion_lm_loss": [_lm_loss_student],
    "diffusion_lm_unmask_step": [_unmask_student],
    "diffusion_lm_confidence_step": [_confidence_student],
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_student_solutions_pass_every_case(name):
    assert set(CORRECT) == {s.name for s in SPECS}
    for seed in SEEDS:
        for fn in CORRECT[name]:
            failed = [(c, m) for c, ok, m in _results(SPEC[name], fn, seed) if not ok]
            assert not failed, f"seed {seed}: {failed}"


# ---------------------------------------------------------------- mistakes
MISTAKES = {
    "gan_discriminator_loss": [
        lambda r, f: -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean()),
        lambda r, f: _bce_d(f, r)],  # labels swapped
    "gan_generator_loss": [lambda f: -F.softplus(f).mean()],  # minimax form
    "optimal_discriminator": [lambda p, q: q / (p + q)],
    "jsd": [lambda p, q: torch.xlogy(p, p).sum(-1) - torch.xlogy(p, q).sum(-1),
            lambda p, q: 0.5 * (torch.xlogy(p, 2 * p / (p + q)).sum(-1)
                                + torch.xlogy(q, 2 * q / (p + q)).sum(-1)) / math.log(2)],
    "gan_train_step": [lambda wd, bd, Wg, bg, x, z, lr: _gan_step_autograd(wd, bd, Wg, bg, x, z,
                                                                           -lr)],
    "wgan_critic_loss": [lambda r, f: r.mean() - f.mean()],
    "gradient_penalty": [lambda r, f, e, w1, b1, w2: _gp_analytic(f, r, e, w1, b1, w2),
                         lambda r, f, e, *w: _gp_analytic(r, f, e, *w) ** 0.5],
    "wasserstein_1d": [lambda x, y: (torch.sort(x).values[:min(len(x), len(y))]
                                     - torch.sort(y).values[:min(len(x), len(y))]).abs().mean()],
    "cycle_consistency_loss": [
        lambda x, y, G, Fw, lam=10.0: (F.l1_loss(x @ G.T @ Fw.T, x)
                                       + F.l1_loss(y @ Fw.T @ G.T, y))],
    "conditional_generator_input": [lambda z, y, k: torch.cat([torch.eye(k)[y].to(z.dtype), z], 1)],
    "pixelcnn_mask": [lambda k, mt: _mask_loops(k, "B" if mt == "A" else "A")],
    "pixelcnn_log_likelihood": [
        lambda lg, x: torch.log(torch.softmax(lg, 1)).gather(1, x[:, None]).flatten(1).sum(1)],
    "reparameterize": [lambda mu, lv, e: mu + torch.exp(lv) * e],
    "gaussian_kl": [lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - lv.exp()).mean(1)],
    "elbo": [lambda *a, **k: _elbo_student(*a, **k) + 2 * vae_kl(a[2], a[3])],
    "hierarchical_elbo": [lambda x, out, zs, qm, ql, pm, pl, **k: _hvae_student(
        x, out, zs, qm, ql, [torch.zeros_like(m) for m in pm], [torch.zeros_like(m) for m in pl],
        **k)],
    "linear_beta_schedule": [lambda T, s, e: torch.linspace(s, e, T + 1)[1:]],
    "alpha_bar": [lambda b: torch.cumprod(b, 0)],
    "q_sample": [lambda x0, t, n, b: _q_sample_student(x0, (t - 1).clamp(min=0), n, b),
                 lambda x0, t, n, b: _bshape(_ab(b)[t], x0) * x0
                 + _bshape(1 - _ab(b)[t], x0) * n],
    "q_sample_step": [lambda x, t, n, b: _q_sample_student(x, t, n, b)],
    "posterior_mean_variance": [lambda x0, xt, t, b: _posterior_student(x0, xt, (t + 1).clamp(
        max=len(b) - 1), b)],
    "predict_mean_from_eps": [lambda xt, t, e, b: _pred_mean_student(xt, t, -e, b)],
    "l_simple": [lambda x0, t, n, b, a, c: ((a[t] * _q_sample_student(x0, t, n, b) + c[t] - n) ** 2
                                            ).sum(1).mean()],
    "ddpm_sample": [
        lambda xT, ns, b, a, c, variance="fixed_small": _ddpm_student(
            xT, torch.cat([ns[1:], ns[:1]]), b, a, c, variance),  # noise index off by one
        lambda xT, ns, b, a, c, variance="fixed_small": _ddpm_student(
            xT, ns, b, a, c, "fixed_large" if variance == "fixed_small" else "fixed_small")],
    "classifier_free_guidance": [lambda c, u, w: u + w * (c - u)],
    "latent_scale_factor": [lambda z: 1 / z.std(unbiased=False)],
    "dit_patchify": [lambda x, p: F.unfold(x, p, stride=p).transpose(1, 2)],
    "adaln_modulate": [lambda x, sh, sc: x * sc[:, None] + sh[:, None]],
    "timestep_embedding": [lambda t, d: _temb_diffusers(t, d).roll(d // 2, dims=1)],
    "diffusion_lm_mask": [lambda x, t, u, m: x.masked_fill(u > t[:, None], m)],
    "diffusion_lm_loss": [lambda lg, x0, xt, t, m: _lm_loss_student(lg, x0, xt, torch.ones_like(t),
                                                                    m)],
    "diffusion_lm_unmask_step": [lambda xt, lg, t, s, u, g, m: _unmask_student(xt, lg, t, t - s,
                                                                               u, g, m)],
    "diffusion_lm_confidence_step": [lambda xt, lg, k, m: _confidence_student(xt, -lg, k, m)],
}


def vae_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_common_mistakes_fail_some_case(name):
    for fn in MISTAKES[name]:
        results = _results(SPEC[name], fn, seed=0)
        assert not all(ok for _, ok, _ in results), f"{name}: a mistake passes every case"
