"""Unit 5 adversarial models (syllabus rows U5.1-U5.3): the GAN objective and training step,
WGAN, CycleGAN and conditional generators."""
from __future__ import annotations

import torch

from reference import cyclegan, gan, wgan

from ..base import Case, SpecList
from ..draw import F32, F64, hidden, public, rand, randint, randn

SPECS = SpecList()


def _dist(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    """Random probability vectors along the last axis."""
    return torch.softmax(randn(gen, *shape, dtype=F64) * 1.5, dim=-1).to(dtype)


# ---------------------------------------------------------------- U5.1 GAN objective
@SPECS.add("U5.1", "gan_discriminator_loss", gan.gan_discriminator_loss, points=2,
           grad_wrt=(0, 1))
def _cases_d_loss(gen):
    return [
        public("batch4", randn(gen, 4) * 2, randn(gen, 4) * 2),
        hidden("batch1", randn(gen, 1) * 2, randn(gen, 1) * 2),
        hidden("unequal_sizes", randn(gen, 7), randn(gen, 3)),
        hidden("extreme_logits", torch.tensor([40.0, -40.0, 25.0, -90.0]),
               torch.tensor([-60.0, 35.0, 0.5, 90.0])),
        # beyond float32's sigmoid: sigmoid(-120) underflows to 0, log(sigmoid(l)) gives -inf
        hidden("logits_beyond_float32_sigmoid", torch.tensor([-120.0, 3.0, -300.0]),
               torch.tensor([150.0, -2.0, 110.0, 400.0])),
        hidden("float64", randn(gen, 6, dtype=F64) * 3, randn(gen, 6, dtype=F64) * 3),
    ]


@SPECS.add("U5.1", "gan_generator_loss", gan.gan_generator_loss, grad_wrt=(0,))
def _cases_g_loss(gen):
    return [
        public("batch4", randn(gen, 4) * 2),
        hidden("batch1", randn(gen, 1) * 2),
        hidden("extreme_logits", torch.tensor([-80.0, -30.0, 30.0, 80.0, 0.0])),
        # -log(sigmoid(l)) is exact in float32 only down to l = -104 (then sigmoid underflows)
        hidden("logits_beyond_float32_sigmoid", torch.tensor([-104.5, -120.0, -300.0, 2.0])),
        hidden("float64", randn(gen, 9, dtype=F64) * 3),
    ]


@SPECS.add("U5.1", "optimal_discriminator", gan.optimal_discriminator)
def _cases_opt_d(gen):
    p5, q5 = _dist(gen, 5), _dist(gen, 5)
    pz = torch.tensor([0.5, 0.0, 0.3, 0.2])
    qz = torch.tensor([0.0, 0.4, 0.3, 0.3])
    return [
        public("k5", p5, q5),
        hidden("equal", p5, p5.clone()),
        hidden("disjoint_support", pz, qz),
        hidden("batched", _dist(gen, 3, 6), _dist(gen, 3, 6)),
    ]


@SPECS.add("U5.1", "jsd", gan.jsd)
def _cases_jsd(gen):
    pz = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=F64)
    qz = torch.tensor([0.0, 0.0, 0.25, 0.75], dtype=F64)
    p, q = _dist(gen, 4, dtype=F64), _dist(gen, 4, dtype=F64)
    return [
        public("k4", p, q),
        hidden("identical", p, p.clone()),
        hidden("disjoint_support", pz, qz),
        hidden("partial_zeros", torch.tensor([0.7, 0.3, 0.0], dtype=F64),
               torch.tensor([0.2, 0.3, 0.5], dtype=F64)),
        hidden("batched", _dist(gen, 3, 5, dtype=F64), _dist(gen, 3, 5, dtype=F64)),
    ]


def _gan_step_case(gen, name, B, d, k, lr, hidden, dtype=F32):
    args = (randn(gen, d, dtype=dtype), randn(gen, dtype=dtype) * 0.5,
            randn(gen, d, k, dtype=dtype) * 0.7, randn(gen, d, dtype=dtype) * 0.3,
            randn(gen, B, d, dtype=dtype) + 1.0, randn(gen, B, k, dtype=dtype), lr)
    return Case(name, args=args, hidden=hidden)


@SPECS.add("U5.1", "gan_train_step", gan.gan_train_step, points=3, repeat=True)
def _cases_gan_step(gen):
    return [
        _gan_step_case(gen, "b8_d2_k3", 8, 2, 3, 0.1, hidden=False),
        _gan_step_case(gen, "batch1", 1, 2, 2, 0.5, hidden=True),
        _gan_step_case(gen, "d5_k4", 16, 5, 4, 0.05, hidden=True),
        _gan_step_case(gen, "float64", 6, 3, 2, 0.2, hidden=True, dtype=F64),
    ]


# ---------------------------------------------------------------- U5.2 WGAN
@SPECS.add("U5.2", "wgan_critic_loss", wgan.wgan_critic_loss, grad_wrt=(0, 1))
def _cases_critic(gen):
    return [
        public("batch4", randn(gen, 4) * 3, randn(gen, 4) * 3),
        hidden("batch1", randn(gen, 1), randn(gen, 1)),
        hidden("unequal_sizes", randn(gen, 9) + 2, randn(gen, 4) - 1),
        hidden("large_scores", randn(gen, 5) * 1e3, randn(gen, 5) * 1e3),
    ]


@SPECS.add("U5.2", "wgan_generator_loss", wgan.wgan_generator_loss, grad_wrt=(0,))
def _cases_wgan_g(gen):
    return [
        public("batch4", randn(gen, 4) * 3),
        hidden("batch1", randn(gen, 1)),
        hidden("float64", randn(gen, 7, dtype=F64)),
    ]


def _gp_case(gen, name, B, d, h, hidden, eps=None, dtype=F32):
    real = randn(gen, B, d, dtype=dtype) + 1
    fake = randn(gen, B, d, dtype=dtype) - 1
    e = rand(gen, B, dtype=dtype) if eps is None else eps.to(dtype)
    return Case(name, args=(real, fake, e, randn(gen, h, d, dtype=dtype),
                            randn(gen, h, dtype=dtype), randn(gen, h, dtype=dtype) * 0.8),
                hidden=hidden)


# the penalty trains the critic: it must stay differentiable in the critic's weights
@SPECS.add("U5.2", "gradient_penalty", wgan.gradient_penalty_mlp, points=2, grad_wrt=(3, 4, 5))
def _cases_gp(gen):
    return [
        _gp_case(gen, "b4_d2_h8", 4, 2, 8, hidden=False),
        _gp_case(gen, "batch1", 1, 3, 5, hidden=True),
        _gp_case(gen, "eps_0_and_1", 4, 2, 6, hidden=True, eps=torch.tensor([0.0, 1.0, 0.0, 1.0])),
        _gp_case(gen, "d16_float64", 6, 16, 10, hidden=True, dtype=F64),
    ]


@SPECS.add("U5.2", "wgan_clip_weights", wgan.wgan_clip_weights)
def _cases_clip(gen):
    return [
        public("two_tensors", [randn(gen, 3, 2) * 0.02, randn(gen, 3) * 0.02], 0.01),
        hidden("inside_range", [randn(gen, 4) * 1e-3], 0.01),
        hidden("four_tensors_c05",
               [randn(gen, 2, 2), randn(gen, 2), randn(gen, 1, 2), randn(gen, 1)], 0.5),
    ]


@SPECS.add("U5.2", "wasserstein_1d", wgan.wasserstein_1d, points=2)
def _cases_w1(gen):
    tied_x = torch.tensor([0.0, 1.0, 1.0, 2.0, 5.0])
    tied_y = torch.tensor([1.0, 1.0, 3.0])
    return [
        public("n8_m8", randn(gen, 8), randn(gen, 8) + 0.5),
        hidden("unequal_sizes", randn(gen, 11) * 2, randn(gen, 4)),
        hidden("single_points", torch.tensor([0.3]), torch.tensor([-1.2])),
        hidden("ties", tied_x, tied_y),
        hidden("identical", tied_x, tied_x.flip(0)),
        hidden("float64_n200", randn(gen, 200, dtype=F64), randn(gen, 150, dtype=F64) * 2 + 1),
    ]


# ---------------------------------------------------------------- U5.3 CycleGAN / conditional
@SPECS.add("U5.3", "cycle_consistency_loss", cyclegan.cycle_consistency_loss_linear)
def _cases_cycle(gen):
    def case(name, B, dx, dy, lam, hidden):
        return Case(name, args=(randn(gen, B, dx), randn(gen, B + 1, dy),
                                randn(gen, dy, dx) * 0.6, randn(gen, dx, dy) * 0.6),
                    kwargs={"lam": lam}, hidden=hidden)

    eye = torch.eye(3)
    return [
        case("b4_dx3_dy2", 4, 3, 2, 10.0, hidden=False),
        case("batch1", 1, 2, 2, 10.0, hidden=True),
        case("lam1_dx4_dy5", 5, 4, 5, 1.0, hidden=True),
        hidden("inverse_maps_zero_loss", randn(gen, 3, 3), randn(gen, 3, 3), 2 * eye, 0.5 * eye,
               lam=10.0),
    ]


@SPECS.add("U5.3", "conditional_generator_input", cyclegan.conditional_generator_input,
           repeat=True)
def _cases_cond_input(gen):
    return [
        public("b4_c10", randn(gen, 4, 3), randint(gen, 0, 10, 4), 10),
        hidden("batch1_c2", randn(gen, 1, 5), torch.tensor([1]), 2),
        hidden("edge_labels", randn(gen, 3, 2), torch.tensor([0, 6, 0]), 7),
        hidden("float64", randn(gen, 2, 4, dtype=F64), torch.tensor([2, 1]), 3),
    ]
