"""U5.7 forward process, U5.8 posterior and loss, U5.9 ancestral sampling of DDPM (lecture
"Diffusion Process", "Learning the Denoising Model", "Parameterizing the Denoising Model",
"Simplified Training Objective", "Summary: Training and Sampling"; Ho et al., 2020, "Denoising
Diffusion Probabilistic Models", Algorithms 1 and 2; cosine schedule: Nichol & Dhariwal, 2021).

Index convention (read this first)
----------------------------------
The paper numbers diffusion steps ``t = 1, ..., T`` (x_0 is data, x_T is noise). Tensors are
0-based: ``betas`` has shape (T,) and ``betas[i]`` is the paper's ``beta_{i+1}``. Every function
here takes the **0-based index** ``t`` (an int64 tensor of shape (B,), or an int where stated),
exactly like ``diffusers.DDPMScheduler`` timesteps, so

    paper step t  <->  tensor index t - 1;   alpha_bar[i] = prod_{s <= i} (1 - betas[s])
    q_sample(x0, i, ...) returns the paper's x_{i+1};  posterior_mean_variance(x0, x, i, ...)
    is q(x_i | x_{i+1}, x_0) in paper terms, with alpha_bar_{paper 0} = 1 at index i = 0.

Formulas (paper notation)
-------------------------
    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),   alpha_t = 1 - beta_t
    q(x_t | x_0)     = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),  alpha_bar_t = prod alpha_s
    mu~_t(x_t, x_0)  = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
                       + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t
    beta~_t          = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t          (beta~_1 = 0)
    mu_theta         = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_t)
    lambda_t         = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t))
    L_simple         = E || eps - eps_theta(sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, t)
                            ||^2,  t ~ U{1..T}, eps ~ N(0, I)
    Algorithm 2      x_{t-1} = mu_theta(x_t, t) + sigma_t z,  z = 0 at t = 1

``sigma_t^2`` is ``beta~_t`` ("fixed_small", diffusers' default) or ``beta_t`` ("fixed_large").
Schedule coefficients (alpha_bar, 1 - alpha_bar, the posterior coefficients, ...) are computed
in float64 and cast to the data's dtype only at the end: in float32, ``1 - alpha_bar_1`` with
``beta_1 = 1e-4`` keeps only about 3 significant digits, so a float32 table would put an error of
~4e-4 relative into mu~ at t = 1. The result has the dtype and device of the data argument.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t (B, ...), t (B,)) -> eps


# ---------------------------------------------------------------- U5.7 schedules
def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02,
                         dtype: torch.dtype = torch.float32,
                         device: torch.device | str | None = None) -> torch.Tensor:
    """DDPM's linear schedule: ``beta_1 = beta_start, ..., beta_T = beta_end``; (T,)."""
    assert T >= 1 and 0 < beta_start <= beta_end < 1
    return torch.linspace(beta_start, beta_end, T, dtype=dtype, device=device)


def cosine_alpha_bar_fn(u: float | torch.Tensor, s: float = 0.008):
    """Nichol & Dhariwal's ``f(u) = cos^2((u + s) / (1 + s) * pi / 2)`` at u = t / T."""
    if isinstance(u, torch.Tensor):
        return torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2


def cosine_beta_schedule(T: int, s: float = 0.008, max_beta: float = 0.999,
                         dtype: torch.dtype = torch.float32,
                         device: torch.device | str | None = None) -> torch.Tensor:
    """Cosine schedule: ``alpha_bar_t = f(t/T) / f(0)``, ``beta_t = min(1 - f(t/T)/f((t-1)/T),
    max_beta)``; computed in float64, returned in ``dtype``; (T,)."""
    assert T >= 1
    u = torch.arange(T + 1, dtype=torch.float64) / T  # (T + 1,)
    f = cosine_alpha_bar_fn(u, s)
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta).to(dtype=dtype, device=device)


def alphas(betas: torch.Tensor) -> torch.Tensor:
    """``alpha_t = 1 - beta_t``; (T,)."""
    return 1 - betas


def alpha_bar(betas: torch.Tensor) -> torch.Tensor:
    """``alpha_bar[i] = prod_{s=0}^{i} (1 - betas[s])`` (the paper's alpha_bar_{i+1}); (T,) in
    betas' dtype (accumulated in float64)."""
    assert betas.dim() == 1
    return torch.cumprod(1 - betas.to(torch.float64), dim=0).to(betas.dtype)


def alpha_bar_prev(betas: torch.Tensor) -> torch.Tensor:
    """``alpha_bar`` shifted by one with the paper's ``alpha_bar_0 = 1`` first; (T,)."""
    ab = alpha_bar(betas)
    return torch.cat([torch.ones_like(ab[:1]), ab[:-1]])


def _f64(betas: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """betas on x's device in float64: every coefficient table is built in float64."""
    assert betas.dim() == 1
    return betas.to(device=x.device, dtype=torch.float64)


def _at(coef: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``coef[t]`` in x's dtype, reshaped to broadcast against x: (T,), (B,) -> (B, 1, ..., 1)."""
    assert t.dim() == 1 and t.shape[0] == x.shape[0], "t must be (B,) indices"
    assert not t.is_floating_point(), "t holds integer indices"
    T = coef.shape[0]
    assert bool(((t >= 0) & (t < T)).all()), f"t must be 0-based indices in [0, {T})"
    return coef[t.to(coef.device)].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def q_sample_step(x_prev: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
                  betas: torch.Tensor) -> torch.Tensor:
    """One forward step ``x_{t} = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) noise``: with index i,
    maps the paper's x_i to x_{i+1} using ``betas[i]``. x_prev, noise (B, ...), t (B,)."""
    assert x_prev.shape == noise.shape
    b = _f64(betas, x_prev)
    return _at(torch.sqrt(1 - b), t, x_prev) * x_prev + _at(torch.sqrt(b), t, x_prev) * noise


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
             betas: torch.Tensor) -> torch.Tensor:
    """Closed form ``x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise``; index i gives
    the paper's x_{i+1} (as ``DDPMScheduler.add_noise``). x0, noise (B, ...), t (B,)."""
    assert x0.shape == noise.shape
    ab = alpha_bar(_f64(betas, x0))
    return _at(torch.sqrt(ab), t, x0) * x0 + _at(torch.sqrt(1 - ab), t, x0) * noise


# ---------------------------------------------------------------- U5.8 posterior and loss
def posterior_mean_variance(x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor,
                            betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I)``. x0, xt (B, ...); t (B,) 0-based.

    Returns ``(mean, variance)``: mean (B, ...) like xt, variance (B,) in xt's dtype (one number
    per sample, 0 at index 0 where the paper's alpha_bar_0 = 1).
    """
    assert x0.shape == xt.shape
    b = _f64(betas, xt)
    ab, ab_prev = alpha_bar(b), alpha_bar_prev(b)
    coef_x0 = torch.sqrt(ab_prev) * b / (1 - ab)  # (T,)
    coef_xt = torch.sqrt(1 - b) * (1 - ab_prev) / (1 - ab)  # (T,)
    var = (1 - ab_prev) / (1 - ab) * b  # (T,) beta~
    mean = _at(coef_x0, t, xt) * x0 + _at(coef_xt, t, xt) * xt
    return mean, _at(var, t, xt).reshape(-1)


def posterior_variance(betas: torch.Tensor) -> torch.Tensor:
    """``beta~_t`` for every step; (T,) in betas' dtype, first entry 0."""
    b = betas.to(torch.float64)
    return ((1 - alpha_bar_prev(b)) / (1 - alpha_bar(b)) * b).to(betas.dtype)


def sigma_squared(betas: torch.Tensor, variance: str = "fixed_small") -> torch.Tensor:
    """The reverse-process variances sigma_t^2: beta~_t ('fixed_small') or beta_t
    ('fixed_large'); (T,)."""
    if variance == "fixed_small":
        return posterior_variance(betas)
    if variance == "fixed_large":
        return betas.clone()
    raise ValueError(f"unknown variance {variance!r}")


def predict_mean_from_eps(xt: torch.Tensor, t: torch.Tensor, eps_hat: torch.Tensor,
                          betas: torch.Tensor) -> torch.Tensor:
    """``mu_theta = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_t)``; (B, ...)."""
    assert xt.shape == eps_hat.shape
    b = _f64(betas, xt)
    ab = alpha_bar(b)
    coef_x = 1 / torch.sqrt(1 - b)  # (T,)
    coef_eps = b / (torch.sqrt(1 - ab) * torch.sqrt(1 - b))  # (T,)
    return _at(coef_x, t, xt) * xt - _at(coef_eps, t, xt) * eps_hat


def predict_x0_from_eps(xt: torch.Tensor, t: torch.Tensor, eps_hat: torch.Tensor,
                        betas: torch.Tensor) -> torch.Tensor:
    """``x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t)`` (DDPM eq. 15)."""
    ab = alpha_bar(_f64(betas, xt))
    return _at(1 / torch.sqrt(ab), t, xt) * xt - _at(torch.sqrt(1 / ab - 1), t, xt) * eps_hat


def lambda_weights(betas: torch.Tensor, variance: str = "fixed_large") -> torch.Tensor:
    """``lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t))``, the weight that turns
    ``||eps - eps_theta||^2`` into ``L_{t-1}``; (T,) in betas' dtype. With 'fixed_small'
    lambda_1 = inf (beta~_1 = 0); with 'fixed_large' lambda_1 = 1 / (2 alpha_1)."""
    b = betas.to(torch.float64)
    s2 = sigma_squared(b, variance)
    return (b ** 2 / (2 * s2 * (1 - b) * (1 - alpha_bar(b)))).to(betas.dtype)


def toy_eps_model(a: torch.Tensor, b: torch.Tensor) -> EpsModel:
    """The tiny deterministic 'network' the graded specs use: ``eps_theta(x, t) = a[t] * x +
    b[t]`` elementwise, a and b of shape (T, *feature_shape). (For Gaussian data this family
    contains the exact optimum, see :func:`optimal_linear_eps`.)"""
    assert a.shape == b.shape

    def model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert x.shape[1:] == a.shape[1:]
        ti = t.to(a.device)
        return (a[ti].to(device=x.device, dtype=x.dtype) * x
                + b[ti].to(device=x.device, dtype=x.dtype))

    return model


def optimal_linear_eps(betas: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(a, b)`` with ``E[eps | x_t] = a[t] x_t + b[t]`` when x_0 ~ N(mean, diag std^2):
    ``a_t = sqrt(1 - ab_t) / (ab_t std^2 + 1 - ab_t)``, ``b_t = -a_t sqrt(ab_t) mean``;
    mean, std (D,) -> a, b (T, D)."""
    ab = alpha_bar(betas.to(device=mean.device, dtype=mean.dtype)).unsqueeze(1)  # (T, 1)
    a = torch.sqrt(1 - ab) / (ab * std ** 2 + 1 - ab)
    return a, -a * torch.sqrt(ab) * mean


def l_simple_loss(model: EpsModel, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
                  betas: torch.Tensor) -> torch.Tensor:
    """Algorithm 1's objective with t and eps given: ``mean || eps - eps_theta(x_t, t) ||^2``,
    the mean over batch *and* elements (``F.mse_loss``); 0-d tensor."""
    xt = q_sample(x0, t, noise, betas)
    return (noise - model(xt, t)).pow(2).mean()


def l_simple(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, betas: torch.Tensor,
             a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """:func:`l_simple_loss` with the toy model ``eps_theta(x, t) = a[t] * x + b[t]``."""
    return l_simple_loss(toy_eps_model(a, b), x0, t, noise, betas)


# ---------------------------------------------------------------- U5.9 Algorithm 2
def _reverse_coefficients(betas: torch.Tensor, variance: str) -> torch.Tensor:
    """(T, 3) float64 table of Algorithm 2's ``1/sqrt(alpha_t)``, ``beta_t / (sqrt(alpha_t)
    sqrt(1 - alpha_bar_t))`` and ``sigma_t`` (0 at index 0: no noise at the last step)."""
    b = betas.to(torch.float64)
    coef_x = 1 / torch.sqrt(1 - b)
    coef_eps = b / (torch.sqrt(1 - alpha_bar(b)) * torch.sqrt(1 - b))
    sigma = torch.sqrt(sigma_squared(b, variance))
    sigma[0] = 0.0
    return torch.stack([coef_x, coef_eps, sigma], dim=1)


def ddpm_step(xt: torch.Tensor, t: int, eps_hat: torch.Tensor, betas: torch.Tensor,
              z: torch.Tensor | None, variance: str = "fixed_small") -> torch.Tensor:
    """One reverse step from the paper's x_{t+1} to x_t at 0-based index ``t`` (an int):
    ``x_t = (x - beta / sqrt(1 - alpha_bar) eps_hat) / sqrt(alpha) + sigma z``, with no noise at
    index 0 (paper t = 1), where z is ignored (may be None)."""
    assert xt.shape == eps_hat.shape and 0 <= t < betas.shape[0]
    coef_x, coef_eps, sigma = _reverse_coefficients(betas, variance)[t].tolist()
    x = coef_x * xt - coef_eps * eps_hat  # mu_theta(x_t, t)
    if t == 0:
        return x
    assert z is not None and z.shape == xt.shape
    return x + sigma * z


def ddpm_sample_loop(model: EpsModel, x_T: torch.Tensor, noises: torch.Tensor,
                     betas: torch.Tensor, variance: str = "fixed_small") -> torch.Tensor:
    """Algorithm 2 from x_T (B, ...) with all noise passed in: ``noises`` (T, B, ...), where
    ``noises[i]`` is the z of the step at index i (paper t = i + 1) and ``noises[0]`` is never
    used (z = 0 at the last step). Indices run T-1, ..., 0; returns x_0."""
    T = betas.shape[0]
    assert noises.shape == (T, *x_T.shape)
    table = _reverse_coefficients(betas, variance).tolist()  # T rows of 3 floats
    x = x_T
    for i in reversed(range(T)):
        t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        coef_x, coef_eps, sigma = table[i]
        x = coef_x * x - coef_eps * model(x, t)
        if i > 0:
            x = x + sigma * noises[i]
    return x


def ddpm_sample(x_T: torch.Tensor, noises: torch.Tensor, betas: torch.Tensor, a: torch.Tensor,
                b: torch.Tensor, variance: str = "fixed_small") -> torch.Tensor:
    """:func:`ddpm_sample_loop` with the toy model ``eps_theta(x, t) = a[t] * x + b[t]``."""
    return ddpm_sample_loop(toy_eps_model(a, b), x_T, noises, betas, variance)


# ---------------------------------------------------------------- scalar helpers (quiz)
def linear_beta(t: int, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> float:
    """The paper's beta_t (t in 1..T) of the linear schedule, float64."""
    assert 1 <= t <= T
    return beta_start if T == 1 else beta_start + (t - 1) * (beta_end - beta_start) / (T - 1)


def alpha_bar_linear(t: int, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> float:
    """The paper's alpha_bar_t (t in 0..T; alpha_bar_0 = 1) of the linear schedule, float64."""
    assert 0 <= t <= T
    return math.prod(1 - linear_beta(s, T, beta_start, beta_end) for s in range(1, t + 1))


def alpha_bar_cosine(t: int, T: int, s: float = 0.008) -> float:
    """The paper's alpha_bar_t = f(t/T) / f(0) of the cosine schedule (before beta clipping)."""
    assert 0 <= t <= T
    return cosine_alpha_bar_fn(t / T, s) / cosine_alpha_bar_fn(0.0, s)


def posterior_mean_variance_scalar(x0: float, xt: float, t: int, T: int,
                                   beta_start: float = 1e-4, beta_end: float = 0.02,
                                   ) -> tuple[float, float]:
    """``(mu~_t, beta~_t)`` for numbers, paper step t in 1..T, linear schedule, float64."""
    assert 1 <= t <= T
    beta = linear_beta(t, T, beta_start, beta_end)
    ab = alpha_bar_linear(t, T, beta_start, beta_end)
    ab_prev = alpha_bar_linear(t - 1, T, beta_start, beta_end)
    mean = (math.sqrt(ab_prev) * beta / (1 - ab) * x0
            + math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab) * xt)
    return mean, (1 - ab_prev) / (1 - ab) * beta
