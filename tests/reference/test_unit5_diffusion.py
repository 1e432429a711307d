"""Oracle tests for U5.7 (forward process), U5.8 (posterior and loss) and U5.9 (sampling).

Oracle: ``diffusers.DDPMScheduler`` (``clip_sample=False``; ``variance_type`` 'fixed_small' =
beta~_t or 'fixed_large' = beta_t; ``prediction_type`` 'epsilon', or 'sample' to read off the
true posterior mean mu~_t(x_t, x_0) from ``step``). Its timesteps are 0-based exactly like ours.
``step`` draws its noise with ``randn_tensor``; the tests replace that function in the
scheduler's module with one returning the noise we pass to the reference, so the comparison is
exact. The scheduler builds float32 tables (``alphas_cumprod``); our reference builds its
coefficient tables in float64 (in float32, ``1 - alpha_bar_1`` with ``beta_1 = 1e-4`` keeps only
~3 digits). So the oracle is the scheduler with its tables recomputed in float64 exactly as its
constructor does (``1 - betas``, cumprod; the step formulas stay diffusers'), and the reference
must match it to ~1e-12 on float64 inputs and to float32 rounding (a few 1e-7 relative) on
float32 inputs.

Statistical tests (6 standard errors, N >= 1e5 draws, false-fail chance about 2e-9 each by the
CLT; a sample variance is compared within 6 of its standard errors sqrt(2 / (N - 1)) var):
the forward chain of single steps has the closed-form marginal, and the sampler's output for
a linear eps-model has the mean and variance propagated exactly through Algorithm 2.
"""
from __future__ import annotations

import math

import pytest
import torch

pytest.importorskip("diffusers")
import diffusers.schedulers.scheduling_ddpm as ddpm_module  # noqa: E402
from diffusers import DDPMScheduler  # noqa: E402

from reference import diffusion as d  # noqa: E402

F64 = torch.float64
SIGMAS = 6.0


def _scheduler(T, dtype=torch.float32, schedule="linear", prediction="epsilon",
               variance="fixed_small", betas=None, **kw) -> DDPMScheduler:
    """A DDPMScheduler; with dtype float64 its tables are rebuilt in float64 from ``betas``
    (default: the float64 linear schedule, or its own float32 betas for other schedules)."""
    s = DDPMScheduler(num_train_timesteps=T, beta_schedule=schedule, clip_sample=False,
                      prediction_type=prediction, variance_type=variance, **kw)
    if dtype == F64:
        if betas is None:
            betas = (d.linear_beta_schedule(T, s.config.beta_start, s.config.beta_end, dtype=F64)
                     if schedule == "linear" else s.betas)
        betas = betas.to(F64)
        s.betas = betas
        s.alphas = 1.0 - betas
        s.alphas_cumprod = torch.cumprod(s.alphas, dim=0)
        s.one = torch.tensor(1.0, dtype=F64)
    return s


@pytest.fixture
def inject_noise(monkeypatch):
    """``inject_noise(fn)``: the scheduler's ``randn_tensor(shape, ...)`` returns ``fn()``."""
    def install(fn):
        def fake(shape, generator=None, device=None, dtype=None, layout=None):
            z = fn()
            assert tuple(z.shape) == tuple(shape)
            return z.to(dtype=dtype) if dtype is not None else z
        monkeypatch.setattr(ddpm_module, "randn_tensor", fake)
    return install


# ---------------------------------------------------------------- U5.7
@pytest.mark.oracle("U5.7")
@pytest.mark.parametrize("T", [1, 10, 1000])
def test_schedules_match_ddpm_scheduler(T):
    lin = DDPMScheduler(num_train_timesteps=T)
    assert torch.equal(d.linear_beta_schedule(T), lin.betas)
    assert torch.equal(d.alphas(lin.betas), lin.alphas)
    # diffusers accumulates its cumprod in float32, we in float64: equal to float32 accumulation
    assert torch.allclose(d.alpha_bar(lin.betas), lin.alphas_cumprod, rtol=1e-5, atol=0)
    assert torch.equal(d.alpha_bar(lin.betas),
                       _scheduler(T, F64, betas=lin.betas).alphas_cumprod.float())
    custom = DDPMScheduler(num_train_timesteps=T, beta_start=5e-4, beta_end=0.05)
    assert torch.equal(d.linear_beta_schedule(T, 5e-4, 0.05), custom.betas)
    cos = DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2")
    assert torch.allclose(d.cosine_beta_schedule(T), cos.betas, rtol=1e-6, atol=0)
    assert torch.allclose(d.alpha_bar(cos.betas), cos.alphas_cumprod, rtol=1e-5, atol=0)


@pytest.mark.oracle("U5.7")
def test_scalar_alpha_bar_helpers():
    T = 1000
    ab64 = torch.cumprod(1 - torch.linspace(1e-4, 0.02, T, dtype=F64), 0)
    sched = DDPMScheduler(num_train_timesteps=T)
    for t in (1, 2, 500, 999, 1000):  # paper steps
        assert d.alpha_bar_linear(t, T) == pytest.approx(float(ab64[t - 1]), rel=1e-12)
        assert d.alpha_bar_linear(t, T) == pytest.approx(float(sched.alphas_cumprod[t - 1]),
                                                         rel=1e-4)
    assert d.alpha_bar_linear(0, T) == 1.0
    cos = torch.cumprod(1 - d.cosine_beta_schedule(T, dtype=F64), 0)
    for t in (1, 10, 500, 990):  # before max_beta clipping matters
        assert d.alpha_bar_cosine(t, T) == pytest.approx(float(cos[t - 1]), rel=1e-9)


@pytest.mark.oracle("U5.7")
def test_q_sample_matches_add_noise():
    gen = torch.Generator().manual_seed(0)
    for T, shape, t in [(10, (3, 2), [0, 4, 9]), (1000, (2, 3, 4, 4), [0, 999]),
                        (1000, (1, 5), [500])]:
        sched = _scheduler(T)
        x0, noise = torch.randn(shape, generator=gen), torch.randn(shape, generator=gen)
        t = torch.tensor(t)
        want = sched.add_noise(x0, noise, t)  # float32 tables
        assert torch.allclose(d.q_sample(x0, t, noise, sched.betas), want, rtol=1e-5, atol=1e-6)
        s64 = _scheduler(T, F64)
        want64 = s64.add_noise(x0.double(), noise.double(), t)
        assert torch.allclose(d.q_sample(x0.double(), t, noise.double(), s64.betas), want64,
                              rtol=1e-13, atol=1e-13)
        assert torch.allclose(d.q_sample(x0, t, noise, sched.betas).double(), want64,
                              rtol=1e-6, atol=1e-6)


@pytest.mark.oracle("U5.7")
def test_chain_of_single_steps_has_the_closed_form_marginal():
    """x_t from t single steps q(x_s | x_{s-1}) ~ N(sqrt(ab_t) x_0, 1 - ab_t): 100k chains."""
    T, N, x0 = 50, 100_000, 1.7
    sched = _scheduler(T, F64)
    gen = torch.Generator().manual_seed(1)
    x = torch.full((N, 1), x0, dtype=F64)
    for i in range(T):
        x = d.q_sample_step(x, torch.full((N,), i), torch.randn(N, 1, generator=gen, dtype=F64),
                            sched.betas)
        if i in (0, 9, 49):
            ab = float(sched.alphas_cumprod[i])
            mean, var = math.sqrt(ab) * x0, 1 - ab
            assert abs(float(x.mean()) - mean) <= SIGMAS * math.sqrt(var / N)
            assert abs(float(x.var()) - var) <= SIGMAS * math.sqrt(2 / (N - 1)) * var


# ---------------------------------------------------------------- U5.8
def _step_mean(sched, inject_noise, model_output, t, x):
    """diffusers' step without noise: the mean of p(x_{t-1} | x_t)."""
    inject_noise(lambda: torch.zeros_like(x))
    return sched.step(model_output, t, x).prev_sample


@pytest.mark.oracle("U5.8")
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_posterior_mean_variance_matches_scheduler(inject_noise, dtype):
    gen = torch.Generator().manual_seed(2)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-11, atol=1e-11)
    for T, schedule in [(10, "linear"), (1000, "linear"), (50, "squaredcos_cap_v2")]:
        betas = DDPMScheduler(num_train_timesteps=T, beta_schedule=schedule).betas.to(dtype)
        sched = _scheduler(T, F64, schedule=schedule, prediction="sample", betas=betas)
        for t in sorted({0, 1, T // 2, T - 2, T - 1}):
            x0 = torch.randn(2, 3, generator=gen, dtype=dtype)
            xt = torch.randn(2, 3, generator=gen, dtype=dtype)
            mean, var = d.posterior_mean_variance(x0, xt, torch.tensor([t, t]), betas)
            assert mean.dtype == var.dtype == dtype
            want = _step_mean(sched, inject_noise, x0.double(), t, xt.double())
            assert torch.allclose(mean.double(), want, **tol)
            want_var = sched._get_variance(t)  # clamped at 1e-20 where beta~ = 0
            assert torch.allclose(var.double(), want_var.expand(2), rtol=tol["rtol"], atol=1e-19)
    # paper step 1 (index 0): the posterior is a point mass at x_0
    assert torch.equal(d.posterior_variance(d.linear_beta_schedule(10))[:1], torch.zeros(1))
    m, s2 = d.posterior_mean_variance_scalar(0.5, -1.0, 1, 1000)
    assert m == pytest.approx(0.5, abs=1e-12) and s2 == 0.0
    sched = _scheduler(1000, F64, prediction="sample")
    m, s2 = d.posterior_mean_variance_scalar(0.5, -1.0, 400, 1000)
    want = _step_mean(sched, inject_noise, torch.tensor([[0.5]], dtype=F64), 399,
                      torch.tensor([[-1.0]], dtype=F64))
    assert m == pytest.approx(float(want), rel=1e-12)
    assert s2 == pytest.approx(float(sched._get_variance(399)), rel=1e-12)


@pytest.mark.oracle("U5.8")
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_eps_mean_matches_scheduler_step(inject_noise, dtype):
    gen = torch.Generator().manual_seed(3)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    for T in (10, 1000):
        betas = DDPMScheduler(num_train_timesteps=T).betas.to(dtype)
        sched = _scheduler(T, F64, betas=betas)
        for t in (0, 1, T // 2, T - 1):
            xt = torch.randn(3, 2, generator=gen, dtype=dtype)
            eps = torch.randn(3, 2, generator=gen, dtype=dtype)
            got = d.predict_mean_from_eps(xt, torch.full((3,), t), eps, betas)
            want = _step_mean(sched, inject_noise, eps.double(), t, xt.double())
            assert got.dtype == dtype and torch.allclose(got.double(), want, **tol)
            x0_hat = sched.step(eps.double(), t, xt.double()).pred_original_sample
            got_x0 = d.predict_x0_from_eps(xt, torch.full((3,), t), eps, betas)
            assert torch.allclose(got_x0.double(), x0_hat, rtol=tol["rtol"], atol=1e-5)


@pytest.mark.oracle("U5.8")
@pytest.mark.parametrize("variance", ["fixed_large", "fixed_small"])
def test_lambda_turns_eps_error_into_the_kl_term(inject_noise, variance):
    """L_{t-1} = ||mu~(x_t, x_0) - mu_theta(x_t, eps_hat)||^2 / (2 sigma_t^2)
    = lambda_t ||eps - eps_hat||^2 when x_t = q_sample(x_0, eps); mu~ and mu_theta from
    diffusers' step (prediction 'sample' with x_0, and 'epsilon' with eps_hat)."""
    T = 100
    gen = torch.Generator().manual_seed(4)
    s_x0 = _scheduler(T, F64, prediction="sample", variance=variance)
    s_eps = _scheduler(T, F64, prediction="epsilon", variance=variance)
    lam = d.lambda_weights(s_eps.betas, variance)
    for t in (0, 1, 50, 99):
        x0, eps, eps_hat = (torch.randn(1, 4, generator=gen, dtype=F64) for _ in range(3))
        xt = s_x0.add_noise(x0, eps, torch.tensor([t]))
        mu_true = _step_mean(s_x0, inject_noise, x0, t, xt)
        mu_model = _step_mean(s_eps, inject_noise, eps_hat, t, xt)
        sigma2 = float(s_eps._get_variance(t))
        if variance == "fixed_small" and t == 0:
            assert math.isinf(float(lam[0]))
            continue
        kl_term = float(((mu_true - mu_model) ** 2).sum()) / (2 * sigma2)
        assert float(lam[t]) * float(((eps - eps_hat) ** 2).sum()) == pytest.approx(kl_term,
                                                                                rel=1e-9)
    if variance == "fixed_large":
        assert float(lam[0]) == pytest.approx(1 / (2 * (1 - float(s_eps.betas[0]))), rel=1e-12)


@pytest.mark.oracle("U5.8")
def test_l_simple_matches_add_noise_and_mse():
    gen = torch.Generator().manual_seed(5)
    for T, B, D in [(10, 4, 2), (1000, 3, 3), (1, 2, 2)]:
        sched = _scheduler(T)
        x0, noise = torch.randn(B, D, generator=gen), torch.randn(B, D, generator=gen)
        t = torch.randint(0, T, (B,), generator=gen)
        a, b = torch.randn(T, D, generator=gen), torch.randn(T, D, generator=gen)
        xt = sched.add_noise(x0, noise, t)
        want = torch.nn.functional.mse_loss(a[t] * xt + b[t], noise)
        got = d.l_simple(x0, t, noise, sched.betas, a, b)
        assert float(got) == pytest.approx(float(want), rel=1e-5, abs=1e-6)
        perfect = d.l_simple_loss(lambda x, tt: noise, x0, t, noise, sched.betas)
        assert float(perfect) == 0.0


# ---------------------------------------------------------------- U5.9
def _diffusers_sample(sched, a, b, x_T, noises):
    """Algorithm 2 with diffusers' step: eps_theta(x, t) = a[t] x + b[t], noise injected."""
    x = x_T
    for t in sched.timesteps.tolist():  # T-1, ..., 0
        eps = a[t] * x + b[t]
        ddpm_module.randn_tensor = lambda shape, generator=None, device=None, dtype=None, \
            layout=None, _z=noises[t]: _z.to(dtype)
        x = sched.step(eps, t, x).prev_sample
    return x


@pytest.mark.oracle("U5.9")
@pytest.mark.parametrize("variance", ["fixed_small", "fixed_large"])
@pytest.mark.parametrize("T", [1, 10, 1000])
def test_ddpm_sample_matches_scheduler_loop(monkeypatch, T, variance):
    monkeypatch.setattr(ddpm_module, "randn_tensor", ddpm_module.randn_tensor)  # restored after
    gen = torch.Generator().manual_seed(6 + T)
    B, D = 3, 2
    for dtype, tol in [(F64, dict(rtol=1e-9, atol=1e-9)),
                       (torch.float32, dict(rtol=1e-4, atol=1e-4))]:
        sched = _scheduler(T, dtype, variance=variance)
        a, b = d.optimal_linear_eps(sched.betas, torch.randn(D, generator=gen, dtype=dtype),
                                    0.5 + torch.rand(D, generator=gen, dtype=dtype))
        a = a + 0.05 * torch.randn(T, D, generator=gen, dtype=dtype)
        b = b + 0.05 * torch.randn(T, D, generator=gen, dtype=dtype)
        x_T = torch.randn(B, D, generator=gen, dtype=dtype)
        noises = torch.randn(T, B, D, generator=gen, dtype=dtype)
        got = d.ddpm_sample(x_T, noises, sched.betas, a, b, variance)
        want = _diffusers_sample(sched, a, b, x_T, noises)
        assert torch.allclose(got, want, **tol)
        # z = 0 at the last step: noises[0] is never used
        other = noises.clone()
        other[0] = 100.0
        assert torch.equal(d.ddpm_sample(x_T, other, sched.betas, a, b, variance), got)


def _propagate(betas, a, b, T):
    """Exact mean and variance of Algorithm 2's output for 1-D eps(x, t) = a_t x + b_t, from
    x_T ~ N(0, 1): x_{t-1} = c_t x_t + e_t + sigma_t z with sigma_t^2 = beta~_t, z = 0 at t = 1."""
    ab = torch.cumprod(1 - betas, 0)
    sigma2 = (1 - torch.cat([torch.ones(1, dtype=F64), ab[:-1]])) / (1 - ab) * betas
    mean, var = 0.0, 1.0
    for t in reversed(range(T)):
        k = betas[t] / torch.sqrt(1 - ab[t])
        c = (1 - k * a[t]) / torch.sqrt(1 - betas[t])
        e = -k * b[t] / torch.sqrt(1 - betas[t])
        mean, var = float(c * mean + e), float(c ** 2 * var + (sigma2[t] if t > 0 else 0.0))
    return mean, var


@pytest.mark.oracle("U5.9")
def test_ddpm_sampler_distribution_for_a_linear_model():
    """For eps_theta(x, t) = a_t x + b_t the sampler is an affine Gaussian recursion, so the
    output mean and variance follow exactly from x_{t-1} = c_t x_t + e_t + sigma_t z. With the
    optimal a, b for data N(m, s^2) and T = 1000 the output is close to the data distribution;
    100k draws of the sampler (T = 100, perturbed a, b) match the exact moments."""
    m, s = torch.tensor([1.5], dtype=F64), torch.tensor([0.4], dtype=F64)
    betas = d.linear_beta_schedule(1000, dtype=F64)
    a, b = d.optimal_linear_eps(betas, m, s)
    mean, var = _propagate(betas, a[:, 0], b[:, 0], 1000)
    assert mean == pytest.approx(1.5, abs=0.01) and math.sqrt(var) == pytest.approx(0.4, rel=0.02)
    T, N = 100, 100_000
    betas = d.linear_beta_schedule(T, 1e-3, 0.2, dtype=F64)
    a, b = d.optimal_linear_eps(betas, m, s)
    a, b = a * 1.1, b - 0.05  # not the optimum: the exact moments still predict the sampler
    mean, var = _propagate(betas, a[:, 0], b[:, 0], T)
    gen = torch.Generator().manual_seed(7)
    x = d.ddpm_sample(torch.randn(N, 1, generator=gen, dtype=F64),
                      torch.randn(T, N, 1, generator=gen, dtype=F64), betas, a, b)
    assert abs(float(x.mean()) - mean) <= SIGMAS * math.sqrt(var / N)
    assert abs(float(x.var()) - var) <= SIGMAS * math.sqrt(2 / (N - 1)) * var
