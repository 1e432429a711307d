"""U5.5 Variational auto-encoder and U5.6 hierarchical VAE (lecture "Variational Auto-Encoder",
"VAE: Formulation", "Solution: Hierarchical VAEs"; Kingma & Welling, 2014, "Auto-Encoding
Variational Bayes", appendix B for the closed-form KL).

Encoder q(z|x) = N(mu, diag(sigma^2)) with ``logvar = log sigma^2``; prior p(z) = N(0, I).

* reparameterisation: ``z = mu + sigma * eps``, eps ~ N(0, I) passed in;
* ``KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)``;
* ELBO ``L(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)``, here with the one-sample
  estimate of the reconstruction term at the z the decoder was run on. Decoders: Bernoulli
  (logits, x in {0, 1}) or Gaussian (mean and log-variance, including the -1/2 log 2 pi term);
* sampling: z ~ p(z) (passed in), decode.

Hierarchical VAE (slides, T latent layers z_1 ... z_L, z_1 next to x):

    p(x, z_{1:L}) = p(z_L) p(x|z_1) prod_{l=1}^{L-1} p(z_l | z_{l+1}),   p(z_L) = N(0, I)
    q(z_{1:L}|x)  = q(z_1|x) prod_{l=2}^{L} q(z_l | z_{l-1})

all conditionals diagonal Gaussians. With z_{1:L} drawn from q (reparameterised), the one-sample
ELBO estimate is ``log p(x|z_1) + log p(z_{1:L}) - log q(z_{1:L}|x)``. For L = 1 its expectation
over eps is the U5.5 ELBO. Sums run over every non-batch dimension; results are (B,) in nats.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def _sum_nonbatch(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(1) if t.dim() > 1 else t


# ---------------------------------------------------------------- U5.5
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """``z = mu + exp(logvar / 2) * eps``; all (B, d) (any equal shapes)."""
    assert mu.shape == logvar.shape == eps.shape
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(logvar)) || N(0, I))`` summed over the latent dims: (B, d) -> (B,)."""
    assert mu.shape == logvar.shape and mu.dim() >= 2
    return _sum_nonbatch(-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()))


def gaussian_kl_general(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor,
                        logvar_p: torch.Tensor) -> torch.Tensor:
    """Elementwise ``KL(N(mu_q, s_q^2) || N(mu_p, s_p^2))
    = 1/2 (logvar_p - logvar_q + (s_q^2 + (mu_q - mu_p)^2) / s_p^2 - 1)`` (no sum)."""
    return 0.5 * (logvar_p - logvar_q
                  + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1)


def gaussian_kl_scalar(mu: float, sigma: float, mu_p: float = 0.0, sigma_p: float = 1.0) -> float:
    """``KL(N(mu, sigma^2) || N(mu_p, sigma_p^2))`` for numbers (quiz helper), in nats."""
    assert sigma > 0 and sigma_p > 0
    return (math.log(sigma_p / sigma) + (sigma ** 2 + (mu - mu_p) ** 2) / (2 * sigma_p ** 2)
            - 0.5)


def gaussian_log_prob(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise ``log N(z; mu, exp(logvar))``."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar))


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """``sum_i x_i log p_i + (1 - x_i) log(1 - p_i)``, p = sigmoid(logits), per sample (B,)
    (= minus BCE-with-logits summed)."""
    assert x.shape == logits.shape
    return -_sum_nonbatch(F.binary_cross_entropy_with_logits(logits, x.to(logits.dtype),
                                                             reduction="none"))


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor,
                            logvar: torch.Tensor | float) -> torch.Tensor:
    """``sum_i log N(x_i; mean_i, exp(logvar_i))`` per sample (B,); logvar broadcasts."""
    assert x.shape == mean.shape
    logvar = torch.as_tensor(logvar, dtype=mean.dtype, device=mean.device)
    return _sum_nonbatch(gaussian_log_prob(x, mean, logvar).expand_as(x))


def decoder_log_likelihood(x: torch.Tensor, decoder_out: torch.Tensor, decoder: str = "bernoulli",
                           decoder_logvar: torch.Tensor | float | None = None) -> torch.Tensor:
    """``log p(x|z)`` per sample (B,): 'bernoulli' (decoder_out = logits) or 'gaussian'
    (decoder_out = mean, with ``decoder_logvar``)."""
    if decoder == "bernoulli":
        assert decoder_logvar is None, "a Bernoulli decoder has no variance"
        return bernoulli_log_likelihood(x, decoder_out)
    if decoder == "gaussian":
        assert decoder_logvar is not None, "a Gaussian decoder needs decoder_logvar"
        return gaussian_log_likelihood(x, decoder_out, decoder_logvar)
    raise ValueError(f"unknown decoder {decoder!r}")


def elbo(x: torch.Tensor, decoder_out: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
         decoder: str = "bernoulli", decoder_logvar: torch.Tensor | float | None = None,
         ) -> torch.Tensor:
    """Per-sample ELBO ``log p(x|z) - KL(q(z|x) || N(0, I))``, shape (B,).

    x: (B, ...) data; decoder_out: decoder output at z = reparameterize(mu, logvar, eps), same
    shape as x; mu, logvar: (B, d) encoder outputs. The training loss is ``-elbo(...).mean()``.
    """
    return decoder_log_likelihood(x, decoder_out, decoder, decoder_logvar) - gaussian_kl(mu, logvar)


def sample_prior(eps: torch.Tensor, dec_weight: torch.Tensor, dec_bias: torch.Tensor,
                 u: torch.Tensor | None = None) -> torch.Tensor:
    """Generate with a Bernoulli decoder ``p = sigmoid(z @ dec_weight.T + dec_bias)`` from prior
    draws ``z = eps`` ~ N(0, I): eps (N, d), dec_weight (D, d), dec_bias (D,).

    Without ``u``, returns the Bernoulli means p (N, D); with uniforms u (N, D) in [0, 1), returns
    binary samples ``(u < p)`` in eps's dtype.
    """
    assert eps.dim() == 2 and dec_weight.shape[1] == eps.shape[1]
    p = torch.sigmoid(eps @ dec_weight.T + dec_bias)
    if u is None:
        return p
    assert u.shape == p.shape
    return (u < p).to(eps.dtype)


# ---------------------------------------------------------------- U5.6
def hierarchical_elbo(x: torch.Tensor, decoder_out: torch.Tensor, zs: list[torch.Tensor],
                      q_mus: list[torch.Tensor], q_logvars: list[torch.Tensor],
                      p_mus: list[torch.Tensor], p_logvars: list[torch.Tensor],
                      decoder: str = "bernoulli",
                      decoder_logvar: torch.Tensor | float | None = None) -> torch.Tensor:
    """One-sample ELBO estimate of a hierarchical VAE with L latent layers, shape (B,).

    zs[l]                    z_{l+1}, drawn from q (index 0 is z_1, next to x), (B, d_{l+1})
    q_mus[l], q_logvars[l]   Gaussian of q(z_{l+1} | z_l) (q(z_1 | x) for l = 0)      L of them
    p_mus[l], p_logvars[l]   Gaussian of p(z_{l+1} | z_{l+2}), l = 0 .. L-2          L-1 of them
    p(z_L) = N(0, I); decoder_out parameterises p(x | z_1) as in :func:`elbo`.

    ``log p(x|z_1) + log N(z_L; 0, I) + sum_{l<L} log p(z_l|z_{l+1}) - sum_l log q(z_l|.)``
    """
    L = len(zs)
    assert L >= 1 and len(q_mus) == len(q_logvars) == L
    assert len(p_mus) == len(p_logvars) == L - 1
    total = decoder_log_likelihood(x, decoder_out, decoder, decoder_logvar)
    top = zs[-1]
    total = total + _sum_nonbatch(gaussian_log_prob(top, torch.zeros_like(top),
                                                    torch.zeros_like(top)))
    for l in range(L - 1):
        total = total + _sum_nonbatch(gaussian_log_prob(zs[l], p_mus[l], p_logvars[l]))
    for l in range(L):
        total = total - _sum_nonbatch(gaussian_log_prob(zs[l], q_mus[l], q_logvars[l]))
    return total
