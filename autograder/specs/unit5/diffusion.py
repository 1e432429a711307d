"""Unit 5 diffusion (syllabus rows U5.7-U5.9): the forward process, the posterior and the
training loss, DDPM sampling."""
from __future__ import annotations

import torch

from reference import diffusion

from ..base import Case, SpecList, Tolerance
from ..draw import F32, F64, hidden, public, rand, randn

SPECS = SpecList()


# ---------------------------------------------------------------- U5.7 forward process
# Conditioning policy for U5.7-U5.9: in float32, 1 - alpha_bar_t with beta_1 = 1e-4 keeps only
# ~3 significant digits at small t, so any correct float32 formula can be off by ~4e-4 relative
# there. Cases that include small t (1 - alpha_bar_t < 0.05) are float64, where every correct
# formula agrees to ~1e-12; float32 cases use larger t.
SCHEDULE_TOL = Tolerance(rtol=1e-5, atol=1e-6)
COSINE_TOL = Tolerance(rtol=1e-5, atol=5e-6)
ALPHA_BAR_TOL = Tolerance(rtol=2e-5, atol=1e-6)


@SPECS.add("U5.7", "linear_beta_schedule", diffusion.linear_beta_schedule,
           tolerance=SCHEDULE_TOL)
def _cases_linear(gen):
    return [
        public("T10", 10, 1e-4, 0.02),
        hidden("T1000_ddpm", 1000, 1e-4, 0.02),
        hidden("T2", 2, 1e-3, 0.02),
        hidden("T50_custom", 50, 5e-4, 0.05),
    ]


@SPECS.add("U5.7", "cosine_beta_schedule", diffusion.cosine_beta_schedule, tolerance=COSINE_TOL)
def _cases_cosine(gen):
    # in float32, f(t/T) near t = T is tiny and 1 - f(t/T)/f((t-1)/T) carries absolute errors up
    # to ~3e-5 at T = 1000 whatever the formula, on betas near 0.5; the first betas are ~4e-5,
    # known to ~1e-7. The T = 1000 case is graded relative to each beta: a float32 formula uses a
    # quarter of rtol 5e-4 + atol 5e-7, a schedule without the offset s is off 75 times over
    return [
        public("T10", 10),
        Case("T1000", args=(1000,), tolerance=Tolerance(rtol=5e-4, atol=5e-7)),
        hidden("T1_clipped", 1),
        hidden("T100_s0", 100, s=0.0),
    ]


@SPECS.add("U5.7", "alpha_bar", diffusion.alpha_bar, tolerance=ALPHA_BAR_TOL)
def _cases_alpha_bar(gen):
    return [
        public("linear_T10", diffusion.linear_beta_schedule(10)),
        hidden("linear_T1000", diffusion.linear_beta_schedule(1000)),
        hidden("cosine_T1000", diffusion.cosine_beta_schedule(1000)),
        hidden("T1", torch.tensor([0.3])),
        hidden("random_float64", rand(gen, 20, dtype=F64) * 0.2),
    ]


def _betas(T, schedule, dtype):
    """The schedule computed in float32, then cast (as a student's notebook gets it)."""
    betas = diffusion.linear_beta_schedule(T) if schedule == "linear" else \
        diffusion.cosine_beta_schedule(T)
    return betas.to(dtype)


def _x_t_noise_case(gen, name, T, shape, t, hidden, schedule="linear", dtype=F32):
    """A case ``(x (B, ...), t (B,), noise (B, ...), betas (T,))``."""
    return Case(name, args=(randn(gen, *shape, dtype=dtype), torch.as_tensor(t, dtype=torch.long),
                            randn(gen, *shape, dtype=dtype), _betas(T, schedule, dtype)),
                hidden=hidden)


@SPECS.add("U5.7", "q_sample_step", diffusion.q_sample_step, repeat=True)
def _cases_q_sample(gen):
    c = _x_t_noise_case
    return [
        c(gen, "T10_b3", 10, (3, 2), [0, 4, 9], hidden=False, dtype=F64),
        c(gen, "T1000_first_last", 1000, (2, 3), [0, 999], hidden=True, dtype=F64),
        c(gen, "batch1_image_float32", 1000, (1, 3, 4, 4), [500], hidden=True),
        c(gen, "cosine_images_float32", 100, (4, 1, 2, 2), [20, 33, 66, 99], hidden=True,
          schedule="cosine"),
        c(gen, "T50_float64", 50, (5, 2), [49, 0, 10, 25, 1], hidden=True, dtype=F64),
    ]


SPECS.add("U5.7", "q_sample", diffusion.q_sample, points=2, repeat=True,
          tolerance=ALPHA_BAR_TOL)(_cases_q_sample)


# ---------------------------------------------------------------- U5.8 posterior and loss
def _post_case(gen, name, T, shape, t, hidden, schedule="linear", dtype=F32):
    return Case(name, args=(randn(gen, *shape, dtype=dtype), randn(gen, *shape, dtype=dtype),
                            torch.as_tensor(t, dtype=torch.long), _betas(T, schedule, dtype)),
                hidden=hidden)


@SPECS.add("U5.8", "posterior_mean_variance", diffusion.posterior_mean_variance, points=2,
           tolerance=ALPHA_BAR_TOL)
def _cases_posterior(gen):
    # In float32, 1 - alpha_bar_1 with beta_1 = 1e-4 keeps ~3 significant digits, so the slide
    # formula is off by ~4e-4 (relative) at small t whatever the care taken: cases with small t
    # are float64, where every correct formula agrees to ~1e-12.
    return [
        _post_case(gen, "T10_b3", 10, (3, 2), [1, 5, 9], hidden=False, dtype=F64),
        _post_case(gen, "t_index0_variance0", 1000, (2, 2), [0, 0], hidden=True, dtype=F64),
        _post_case(gen, "T1000_last_float32", 1000, (2, 1, 3, 3), [999, 998], hidden=True),
        _post_case(gen, "cosine_batch1_float32", 50, (1, 4), [25], hidden=True,
                   schedule="cosine"),
        _post_case(gen, "T100_float64", 100, (4, 2), [0, 1, 50, 99], hidden=True, dtype=F64),
    ]


@SPECS.add("U5.8", "predict_mean_from_eps", diffusion.predict_mean_from_eps,
           tolerance=ALPHA_BAR_TOL)
def _cases_pred_mean(gen):
    c = _x_t_noise_case  # (x_t, t, eps_hat, betas)
    return [
        c(gen, "T10_b3", 10, (3, 2), [1, 5, 9], hidden=False, dtype=F64),
        c(gen, "t_index0", 1000, (2, 2), [0, 0], hidden=True, dtype=F64),
        c(gen, "T1000_last_float32", 1000, (2, 1, 3, 3), [999, 998], hidden=True),
        c(gen, "cosine_batch1_float32", 50, (1, 4), [49], hidden=True, schedule="cosine"),
        c(gen, "T100_float64", 100, (4, 2), [0, 1, 50, 99], hidden=True, dtype=F64),
    ]


@SPECS.add("U5.8", "lambda_weights", diffusion.lambda_weights, tolerance=ALPHA_BAR_TOL)
def _cases_lambda(gen):
    # float64 betas: lambda_1 = beta_1^2 / (2 beta_1 alpha_1 (1 - alpha_bar_1)) cancels badly in
    # float32 (see _cases_posterior)
    return [
        public("T10_large", diffusion.linear_beta_schedule(10, dtype=F64), "fixed_large"),
        hidden("T1000_large", diffusion.linear_beta_schedule(1000, dtype=F64), "fixed_large"),
        hidden("T1_large", diffusion.linear_beta_schedule(1, dtype=F64), "fixed_large"),
        hidden("cosine_T100_large", diffusion.cosine_beta_schedule(100, dtype=F64),
               "fixed_large"),
        hidden("random_betas", rand(gen, 30, dtype=F64) * 0.3 + 1e-3, "fixed_large"),
    ]


def _lsimple_case(gen, name, T, B, D, t, hidden, dtype=F32):
    betas = diffusion.linear_beta_schedule(T).to(dtype)
    return Case(name, args=(randn(gen, B, D, dtype=dtype), torch.as_tensor(t, dtype=torch.long),
                            randn(gen, B, D, dtype=dtype), betas,
                            randn(gen, T, D, dtype=dtype) * 0.5,
                            randn(gen, T, D, dtype=dtype) * 0.5), hidden=hidden)


@SPECS.add("U5.8", "l_simple", diffusion.l_simple, points=2, tolerance=ALPHA_BAR_TOL,
           grad_wrt=(4, 5))
def _cases_lsimple(gen):
    return [
        _lsimple_case(gen, "T10_b4", 10, 4, 2, [0, 3, 7, 9], hidden=False, dtype=F64),
        _lsimple_case(gen, "batch1_t_last_float32", 1000, 1, 2, [999], hidden=True),
        _lsimple_case(gen, "T1000_first_last", 1000, 3, 3, [0, 999, 500], hidden=True,
                      dtype=F64),
        _lsimple_case(gen, "float64_T1", 1, 2, 2, [0, 0], hidden=True, dtype=F64),
    ]


# ---------------------------------------------------------------- U5.9 sampling
def _sample_case(gen, name, T, B, D, hidden, variance="fixed_small", optimal=True,
                 dtype=F32, tol=None):
    betas = diffusion.linear_beta_schedule(T).to(dtype)
    if optimal:  # near the exact eps-predictor for Gaussian data: values stay O(1)
        a, b = diffusion.optimal_linear_eps(betas, randn(gen, D, dtype=dtype),
                                            0.5 + rand(gen, D, dtype=dtype))
        a = a + 0.05 * randn(gen, T, D, dtype=dtype)
        b = b + 0.05 * randn(gen, T, D, dtype=dtype)
    else:
        a, b = randn(gen, T, D, dtype=dtype) * 0.3, randn(gen, T, D, dtype=dtype) * 0.3
    return Case(name, args=(randn(gen, B, D, dtype=dtype), randn(gen, T, B, D, dtype=dtype),
                            betas, a, b), kwargs={"variance": variance}, hidden=hidden,
                tolerance=tol)


LOOP_TOL = Tolerance(rtol=1e-4, atol=1e-4)  # 1000 steps of float32 rounding


@SPECS.add("U5.9", "ddpm_sample", diffusion.ddpm_sample, points=3, repeat=True,
           tolerance=Tolerance(rtol=2e-5, atol=2e-5))
def _cases_ddpm_sample(gen):
    return [
        _sample_case(gen, "T10_b4", 10, 4, 2, hidden=False, optimal=False),
        _sample_case(gen, "T1_no_noise", 1, 3, 2, hidden=True, optimal=False),
        _sample_case(gen, "T1000_batch1", 1000, 1, 2, hidden=True, tol=LOOP_TOL),
        _sample_case(gen, "T1000_fixed_large", 1000, 3, 2, hidden=True, variance="fixed_large",
                     tol=LOOP_TOL),
        _sample_case(gen, "T100_float64", 100, 2, 3, hidden=True, dtype=F64),
    ]
