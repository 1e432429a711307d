"""Assignment 5 end to end: the solved notebook, the stub, a corpus of typical mistakes and a
correct but differently written solution, graded in one batch (question 9 trains a tiny DDPM in
every submission: its calibration over many seeds is in test_hw5_training.py)."""
from __future__ import annotations

import pytest

from . import corpus

# Typical mistakes: (question, old code in the master solution, new code). Each is one edit of
# the solved notebook (the first code cell holding ``old``) and must cost points on its question
# and nowhere else: every master solution is self-contained, so a mistake does not propagate.
MISTAKES = [
    # q1: the cosine schedule returns 1 - alpha_bar_t instead of beta_t (alpha_bar vs alpha)
    ("q1", "betas = 1 - f[1:] / f[:-1]", "betas = 1 - f[1:] / f[0]"),
    # q1: the cosine schedule without the clip at max_beta (beta_T = 1 at T = 1)
    ("q1", "return torch.clamp(betas, max=max_beta).to(torch.float32)",
     "return betas.to(torch.float32)"),
    # q2: one forward step scales the noise by the variance beta_t, not the std (sqrt missing)
    ("q2", "return torch.sqrt(1 - beta_t) * x_prev + torch.sqrt(beta_t) * noise",
     "return torch.sqrt(1 - beta_t) * x_prev + beta_t * noise"),
    # q3: alpha_t where alpha_bar_t belongs (the closed form uses the cumulative product)
    ("q3", "signal = torch.cumprod(1 - betas, dim=0)[t]  # alpha_bar_t, (B,)",
     "signal = (1 - betas)[t]  # alpha_bar_t, (B,)"),
    # q3: off-by-one diffusion index: t read as the paper's 1-based step
    ("q3", "signal = torch.cumprod(1 - betas, dim=0)[t]",
     "signal = torch.cumprod(1 - betas, dim=0)[t - 1]"),
    # q4: alpha_bar_{t-1} as alpha_bar[t - 1], which wraps to alpha_bar_T at t = 0
    ("q4", "beta_t, ab_t, ab_prev = betas[t], abar[t], abar_prev[t]",
     "beta_t, ab_t, ab_prev = betas[t], abar[t], abar[t - 1]"),
    # q5: the eps-parameterised mean divided by sqrt(alpha_bar_t) instead of sqrt(alpha_t)
    ("q5", "return (xt - beta_t / torch.sqrt(one_minus_abar) * eps_hat) / torch.sqrt(1 - beta_t)",
     "return (xt - beta_t / torch.sqrt(one_minus_abar) * eps_hat) / torch.sqrt(1 - one_minus_abar)"),
    # q5: lambda_t without the 2 of the Gaussian KL
    ("q5", "return betas ** 2 / (2 * sigma2 * alphas * (1 - abars))",
     "return betas ** 2 / (sigma2 * alphas * (1 - abars))"),
    # q6: x_t built without the square roots (variances used as scales)
    ("q6", "x_noisy = torch.sqrt(keep) * x0 + torch.sqrt(1 - keep) * noise",
     "x_noisy = keep * x0 + (1 - keep) * noise"),
    # q7: noise added at the last sampling step too (z != 0 at t = 1)
    ("q7", "        if i > 0:\n            if variance", "        if i >= 0:\n            if variance"),
    # q7: the loop stops one step early (off by one: the step at index 0 is never taken)
    ("q7", "for i in range(T - 1, -1, -1):", "for i in range(T - 1, 0, -1):"),
    # q8: wrong guidance sign (pushes towards the unconditional prediction)
    ("q8", "return eps_cond + w * (eps_cond - eps_uncond)",
     "return eps_cond - w * (eps_cond - eps_uncond)"),
    # q8: w used as diffusers' guidance_scale s = 1 + w
    ("q8", "return eps_cond + w * (eps_cond - eps_uncond)",
     "return eps_uncond + w * (eps_cond - eps_uncond)"),
    # q9: t drawn only from the first quarter of the steps: the network never learns to denoise
    # pure noise
    ("q9", "t = torch.randint(0, T, (batch_size,)", "t = torch.randint(0, T // 4, (batch_size,)"),
    # q9: the network regresses x_0 instead of the noise, then is sampled as an eps-model
    ("q9", "loss = F.mse_loss(model(x_t, t), eps)", "loss = F.mse_loss(model(x_t, t), x0)"),
    # q9: the time steps drawn from the global random state, not from the seed's generator: two
    # trainings with the same seed differ
    ("q9", "t = torch.randint(0, T, (batch_size,), generator=gen, device=device)",
     "t = torch.randint(0, T, (batch_size,), device=device)"),
    # q6: the model's prediction under torch.no_grad() (an evaluation habit): the right loss,
    # but no gradient reaches the model's parameters
    ("q6", "    eps_pred = a[t] * x_noisy + b[t]",
     "    with torch.no_grad():\n        eps_pred = a[t] * x_noisy + b[t]"),
]

# Points each mistake (by index) loses on its question, from the cases it fails (measured once;
# a change of the cases or of the partial-credit arithmetic shows up here); the outcome question q9 is judged by its cases only
POINTS_LOST = {
    0: 0.75, 1: 1.0, 2: 1.0, 3: 3.0, 4: 3.0, 5: 1.2, 6: 1.2, 7: 1.5, 8: 2.0, 9: 0.6, 10: 3.0,
    11: 1.5, 12: 2.0, 16: 2.0,
}
OUTCOME_QUESTION = "q9"


# A correct solution written differently: every graded cell replaced (keyed by the cell's first
# function or class): Python-float schedules, a loop for alpha_bar, einsum, the posterior through
# alpha_bar ratios (as diffusers), mu_theta through x0_hat, Algorithm 2 through the posterior,
# the other form of the guidance mix, and a training function that reuses the student's own
# q_sample with the given network at another width (AdamW at a constant rate, smaller batches,
# more steps, its parameters returned by name). It must keep full marks.
ALTERNATIVE = {
    "linear_beta_schedule": '''
def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02, device=None):
    step = (beta_end - beta_start) / max(T - 1, 1)
    return torch.tensor([beta_start + i * step for i in range(T)], dtype=torch.float32,
                        device=device)


def cosine_beta_schedule(T, s=0.008, max_beta=0.999, device=None):
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    betas = [min(1 - f(t / T) / f((t - 1) / T), max_beta) for t in range(1, T + 1)]
    return torch.tensor(betas, dtype=torch.float32, device=device)
''',
    "alpha_bar": '''
def alpha_bar(betas):
    out, running = [], 1.0
    for beta in betas.tolist():
        running *= 1.0 - beta
        out.append(running)
    return torch.tensor(out, dtype=betas.dtype, device=betas.device)


def q_sample_step(x_prev, t, noise, betas):
    beta = betas.gather(0, t).view(-1, *[1] * (x_prev.ndim - 1))
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * noise
''',
    "q_sample": '''
def q_sample(x0, t, noise, betas):
    ab = alpha_bar(betas)[t]
    return (torch.einsum("b,b...->b...", ab.sqrt(), x0)
            + torch.einsum("b,b...->b...", (1 - ab).sqrt(), noise))
''',
    "posterior_mean_variance": '''
def posterior_mean_variance(x0, xt, t, betas):
    ab = alpha_bar(betas)
    ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
    a, ap = ab[t], ab_prev[t]
    current_alpha = a / ap
    current_beta = 1 - current_alpha
    view = lambda v: v.view(-1, *[1] * (xt.ndim - 1))
    mean = (view(ap.sqrt() * current_beta / (1 - a)) * x0
            + view(current_alpha.sqrt() * (1 - ap) / (1 - a)) * xt)
    return mean, (1 - ap) / (1 - a) * current_beta
''',
    "predict_mean_from_eps": '''
def predict_mean_from_eps(xt, t, eps_hat, betas):
    ab = alpha_bar(betas)[t].view(-1, *[1] * (xt.ndim - 1))
    x0_hat = (xt - (1 - ab).sqrt() * eps_hat) / ab.sqrt()
    return posterior_mean_variance(x0_hat, xt, t, betas)[0]


def lambda_weights(betas, variance="fixed_large"):
    ab = alpha_bar(betas)
    if variance == "fixed_large":
        return betas / (2 * (1 - betas) * (1 - ab))
    ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
    return betas ** 2 / (2 * (1 - ab_prev) / (1 - ab) * betas * (1 - betas) * (1 - ab))
''',
    "l_simple": '''
def l_simple(x0, t, noise, betas, a, b):
    xt = q_sample(x0, t, noise, betas)
    return F.mse_loss(a[t] * xt + b[t], noise)
''',
    "ddpm_sample": '''
def ddpm_sample(x_T, noises, betas, a, b, variance="fixed_small"):
    ab = alpha_bar(betas)
    x = x_T
    for i in reversed(range(len(betas))):
        t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        x0_hat = (x - (1 - ab[i]).sqrt() * (a[i] * x + b[i])) / ab[i].sqrt()
        mean, var = posterior_mean_variance(x0_hat, x, t, betas)
        if i == 0:
            x = mean
        else:
            if variance == "fixed_large":
                var = betas[t]
            x = mean + var.sqrt()[:, None] * noises[i]
    return x
''',
    "classifier_free_guidance": '''
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return (1 + w) * eps_cond - w * eps_uncond
''',
    "EpsNet": '''
class EpsNet(nn.Module):
    """The given network, as given."""

    def __init__(self, T, width=128):
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(3, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 2))

    def forward(self, x, t):
        time = (2 * t.to(x.dtype) / self.T - 1).unsqueeze(1)
        return self.net(torch.cat([x, time], dim=1))


def ddpm_train_and_sample(x_train, betas, seed):
    dev = x_train.device
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    T = len(betas)
    betas = betas.to(dev)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = EpsNet(T, width=96).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    for step in range(2500):
        x0 = x_train[torch.randint(len(x_train), (128,), generator=g, device=dev)]
        t = torch.randint(T, (128,), generator=g, device=dev)
        noise = torch.randn(x0.shape, generator=g, device=dev)
        loss = F.mse_loss(model(q_sample(x0, t, noise, betas), t), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return {name: p.detach() for name, p in model.named_parameters()}
''',
}

STUDENT_SECONDS = 60  # the budget: a submission's graded calls on a CPU, all together


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    return corpus.grade_corpus(course, built, tmp_path_factory, "hw5", MISTAKES, ALTERNATIVE)


def _name(i: int) -> str:
    return corpus.mistake_name(MISTAKES, i)


def test_corpus_covers_every_question(course):
    corpus.check_covers_every_question(course, "hw5", MISTAKES)


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_each_mistake_edits_the_cell_of_its_question(course, tmp_path, i):
    corpus.check_edit_lands_in_its_question(course, tmp_path, "hw5", MISTAKES[i])


def test_solution_gets_full_marks_and_stub_zero(graded, course):
    corpus.check_solution_full_marks_and_stub_zero(graded, course, "hw5")
    assert graded["solved"].max_score == 25


def test_solution_fits_the_time_budget(graded):
    solved = graded["solved"]
    q9 = next(q for q in solved.questions if q.name == "q9")
    print(f"solved: {corpus.student_seconds(solved):.1f} s in graded calls, "
          f"{solved.seconds:.1f} s in all; q9 {sum(c.seconds for c in q9.cases):.1f} s")
    assert corpus.student_seconds(solved) < STUDENT_SECONDS
    assert all("L_simple" in c.message and "precision" in c.message
               for c in q9.cases)  # the outcome shows its numbers


def test_differently_written_solution_keeps_full_marks(graded):
    corpus.check_alternative_full_marks(graded)


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_a_mistake_loses_points_on_its_question_only(graded, i):
    corpus.check_mistake_costs_its_question_only(graded, MISTAKES, i)


def test_every_mistake_off_the_outcome_question_has_its_points_pinned():
    assert set(POINTS_LOST) == {i for i, m in enumerate(MISTAKES) if m[0] != OUTCOME_QUESTION}


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_a_mistake_loses_exactly_the_points_of_the_cases_it_fails(graded, i):
    corpus.check_mistake_loses_pinned_points(graded, MISTAKES, i, POINTS_LOST)


# mistakes (by index) that fail on a rung past the value: random numbers drawn off the function's
# inputs (the repeated first case disagrees), a right value training cannot backpropagate through
RUNG_OF = {15: "repeat", 16: "gradient"}


@pytest.mark.parametrize("i", sorted(RUNG_OF), ids=_name)
def test_a_mistake_fails_on_its_rung(graded, i):
    corpus.check_fails_on_rung(graded[_name(i)], MISTAKES[i][0], RUNG_OF[i])
