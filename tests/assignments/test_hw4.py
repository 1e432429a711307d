"""Assignment 4 end to end: the solved notebook, the stub, a corpus of typical mistakes and a
correct but differently written solution, graded in one batch (question 10 trains a tiny VAE in
every submission: its calibration over many seeds is in test_hw4_training.py)."""
from __future__ import annotations

import pytest

from . import corpus

# Typical mistakes: (question, old code in the master solution, new code). Each is one edit of
# the solved notebook (the first code cell holding ``old``) and must cost points on its question
# and nowhere else: every master solution is self-contained, so a mistake does not propagate.
MISTAKES = [
    # q1: the discriminator's labels swapped (real scored as 0, fake as 1)
    ("q1", "return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
     "return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()"),
    # q1: the saturating generator loss: minimise log(1 - D(G(z))) instead of -log D(G(z))
    ("q1", "return F.softplus(-fake_logits).mean()", "return -F.softplus(fake_logits).mean()"),
    # q1: log(sigmoid(.)) instead of the logits form: -inf / nan once sigmoid rounds to 0 or 1
    ("q1", "return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
     "return -(torch.log(torch.sigmoid(real_logits)).mean()\n"
     "             + torch.log(1 - torch.sigmoid(fake_logits)).mean())"),
    # q1: the generator loss as -log(sigmoid(l)): exact in float32 only down to l = -104
    ("q1", "return F.softplus(-fake_logits).mean()",
     "return -torch.log(torch.sigmoid(fake_logits)).mean()"),
    # q2: the generator's step through the discriminator before its update (stale D)
    ("q2", "fake_logits = (z @ gw.T + gb) @ new_w + new_b",
     "fake_logits = (z @ gw.T + gb) @ w + b"),
    # q2: the discriminator ascends its loss (a sign slip in the update)
    ("q2", "new_w, new_b = (w - lr * grad_w).detach(), (b - lr * grad_b).detach()",
     "new_w, new_b = (w + lr * grad_w).detach(), (b + lr * grad_b).detach()"),
    # q3: the optimal discriminator as p_g / (p_data + p_g)
    ("q3", "torch.where(total > 0, p_data / safe,", "torch.where(total > 0, p_g / safe,"),
    # q3: p log(p / m) instead of xlogy: 0 log 0 gives nan where a distribution has zeros
    ("q3", "kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)",
     "kl_pm = (p * torch.log(p / m)).sum(-1)"),
    # q4: the WGAN critic's loss with the sign flipped (it would minimise the distance)
    ("q4", "return critic_fake.mean() - critic_real.mean()",
     "return critic_real.mean() - critic_fake.mean()"),
    # q5: the squared gradient norm where the norm belongs
    ("q5", "return ((grad.norm(dim=1) - 1) ** 2).mean()",
     "return (((grad ** 2).sum(dim=1) - 1) ** 2).mean()"),
    # q5: the interpolation weights on the wrong ends
    ("q5", "x_hat = (e * x_real + (1 - e) * x_fake)", "x_hat = ((1 - e) * x_real + e * x_fake)"),
    # q6: the log-variance used as the standard deviation
    ("q6", "return mu + torch.exp(0.5 * logvar) * eps", "return mu + logvar * eps"),
    # q7: the KL without the 1/2
    ("q7", "return -0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar)).sum(dim=1)",
     "return -(1 + logvar - mu ** 2 - torch.exp(logvar)).sum(dim=1)"),
    # q7: the KL summed over the batch instead of the latent dimensions
    ("q7", "return -0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar)).sum(dim=1)",
     "return -0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar)).sum(dim=0)"),
    # q8: the KL added instead of subtracted
    ("q8", "return log_px - kl", "return log_px + kl"),
    # q8: the Bernoulli reconstruction term averaged over the pixels instead of summed
    ("q8", 'reduction="none").sum(dim=1)', 'reduction="none").mean(dim=1)'),
    # q9: x_i = 1 when u_i > p_i: P(x_i = 1) = 1 - p_i
    ("q9", "return (u < p).to(eps.dtype)", "return (u > p).to(eps.dtype)"),
    # q10: the KL term dropped: an autoencoder, whose latent codes do not follow the prior
    ("q10", "loss = (beta * kl - log_px).mean()", "loss = (-log_px).mean()"),
    # q10: the log-variance used as the standard deviation in training
    ("q10", "z = mu + torch.exp(0.5 * logvar) * eps", "z = mu + logvar * eps"),
    # q10: no zero_grad: Adam follows the running sum of every gradient so far
    ("q10", "        opt.zero_grad()\n", ""),
    # q5: the input gradient without create_graph=True: the right value, but the penalty no
    # longer depends on the critic's weights, so it cannot train the critic
    ("q5", "create_graph=True)", ")"),
    # q6: the noise drawn inside from the global random state instead of taking the given eps
    ("q6", "return mu + torch.exp(0.5 * logvar) * eps",
     "return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)"),
    # q10: the initial weights drawn from the global random state, not from the seed: two
    # trainings with the same seed differ
    ("q10", "        torch.manual_seed(seed)\n        encoder, decoder", "        encoder, decoder"),
    # q1: the generator's loss returned as a Python number (.item()): the right value, but the
    # generator cannot be trained through it
    ("q1", "return F.softplus(-fake_logits).mean()", "return F.softplus(-fake_logits).mean().item()"),
    # q6: the sample built from .data: the right z, but no gradient reaches the encoder's mu and
    # logvar, which is what the trick is for
    ("q6", "return mu + torch.exp(0.5 * logvar) * eps",
     "return mu.data + torch.exp(0.5 * logvar.data) * eps"),
]

# Points each mistake (by index) loses on its question, from the cases it fails (measured once;
# a change of the cases or of the partial-credit arithmetic shows up here); the outcome question q10 is judged by its cases only
POINTS_LOST = {
    0: 2.0, 1: 1.0, 2: 0.666667, 3: 0.2, 4: 3.0, 5: 3.0, 6: 1.125, 7: 0.6, 8: 1.0, 9: 3.0, 10: 3.0,
    11: 2.0, 12: 1.6, 13: 1.6, 14: 3.0, 15: 1.8, 16: 1.0, 20: 3.0, 21: 1.5, 23: 1.0, 24: 2.0,
}
OUTCOME_QUESTION = "q10"


# A correct solution written differently: every graded cell replaced (keyed by the cell's first
# function or class): BCE-with-logits against label tensors, the GAN step's gradients by hand,
# the JSD through torch.where, torch.func for the input gradient, torch.distributions for the
# KL and the log-likelihoods, torch.where for the binary sample, and a training function that
# reuses the student's own reparameterize / elbo / gaussian_kl with the given networks at other
# widths, epochs of shuffled minibatches and a step-decayed learning rate. It must keep full
# marks.
ALTERNATIVE = {
    "gan_discriminator_loss": '''
def gan_discriminator_loss(real_logits, fake_logits):
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def gan_generator_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
''',
    "gan_train_step": '''
def gan_train_step(d_weight, d_bias, g_weight, g_bias, x_real, z, lr):
    # dL_D/da = sigma(a) - label; dL_G/dG(z) = -(1 - sigma(a)) w / B
    x_fake = z @ g_weight.T + g_bias
    r = torch.sigmoid(x_real @ d_weight + d_bias) - 1
    f = torch.sigmoid(x_fake @ d_weight + d_bias)
    w = d_weight - lr * (r @ x_real / len(r) + f @ x_fake / len(f))
    b = d_bias - lr * (r.mean() + f.mean())
    up = -(1 - torch.sigmoid(x_fake @ w + b))[:, None] * w[None, :] / z.shape[0]
    return w, b, g_weight - lr * up.T @ z, g_bias - lr * up.sum(0)
''',
    "optimal_discriminator": '''
def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    return torch.where(total == 0, 0.5, p_data / total.clamp_min(torch.finfo(total.dtype).tiny))


def jsd(p, q):
    m = (p + q) / 2
    def kl(a):
        return torch.where(a > 0, a * (a.log() - m.log()), torch.zeros_like(a)).sum(-1)
    return (kl(p) + kl(q)) / 2
''',
    "wgan_critic_loss": '''
def wgan_critic_loss(critic_real, critic_fake):
    return -(critic_real.mean() - critic_fake.mean())


def wgan_generator_loss(critic_fake):
    return critic_fake.mean().neg()
''',
    "gradient_penalty": '''
def gradient_penalty(x_real, x_fake, eps, w1, b1, w2):
    def critic(x):
        return torch.tanh(w1 @ x + b1) @ w2
    x_hat = x_fake + eps[:, None] * (x_real - x_fake)
    grads = torch.func.vmap(torch.func.grad(critic))(x_hat)
    return (torch.linalg.vector_norm(grads, dim=-1) - 1).pow(2).mean()
''',
    "reparameterize": '''
def reparameterize(mu, logvar, eps):
    return torch.addcmul(mu, logvar.exp().sqrt(), eps)
''',
    "gaussian_kl": '''
def gaussian_kl(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(logvar / 2))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, prior).sum(-1)
''',
    "elbo": '''
def elbo(x, decoder_out, mu, logvar, decoder="bernoulli", decoder_logvar=None):
    if decoder == "gaussian":
        std = torch.exp(0.5 * torch.as_tensor(decoder_logvar).to(decoder_out))
        log_px = torch.distributions.Normal(decoder_out, std).log_prob(x)
    else:
        log_px = torch.distributions.Bernoulli(logits=decoder_out).log_prob(x)
    return log_px.sum(-1) - gaussian_kl(mu, logvar)
''',
    "sample_prior": '''
def sample_prior(eps, dec_weight, dec_bias, u=None):
    p = F.linear(eps, dec_weight, dec_bias).sigmoid()
    return p if u is None else torch.where(u < p, torch.ones_like(p), torch.zeros_like(p))
''',
    "train_vae_2d": '''
def train_vae_2d(x_train, seed):
    dev = x_train.device
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        enc, dec = Encoder2D(hidden=128).to(dev), Decoder2D(hidden=96).to(dev)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=5e-3)
    decay = torch.optim.lr_scheduler.StepLR(opt, step_size=400, gamma=0.5)
    step, n = 0, x_train.shape[0]
    for epoch in range(100):
        for idx in torch.randperm(n, generator=g, device=dev).split(128):
            x = x_train[idx]
            mu, logvar = enc(x)
            z = reparameterize(mu, logvar, torch.randn(mu.shape, generator=g, device=dev))
            kl = gaussian_kl(mu, logvar)
            log_px = elbo(x, dec(z), mu, logvar, "gaussian", dec.logvar) + kl
            beta = min(1.0, step / 500)
            loss = -(log_px - beta * kl).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            decay.step()
            step += 1
    return {"encoder": dict(enc.state_dict()), "decoder": dict(dec.state_dict())}
''',
}

STUDENT_SECONDS = 60  # the budget: a submission's graded calls on a CPU, all together

# A second correct solution, for every graded function but the training question's: float64
# inside (cast back at the end), Python loops over rows, elements and latent dimensions (over
# tensors, so that the losses training goes through keep their graph), and the gradient penalty
# one example at a time (its graph kept). It must keep full marks.
ALTERNATIVE_FLOAT64_LOOPS = {
    "gan_discriminator_loss": """
def gan_discriminator_loss(real_logits, fake_logits):
    real, fake = real_logits.double(), fake_logits.double()
    return (F.softplus(-real).mean() + F.softplus(fake).mean()).to(real_logits.dtype)


def gan_generator_loss(fake_logits):
    total = fake_logits.new_zeros((), dtype=torch.float64)
    for v in fake_logits.double():  # one 0-d tensor at a time: the sum keeps its graph
        total = total + torch.logaddexp(torch.zeros_like(v), -v)  # softplus(-v) = log(1 + e^-v)
    return (total / fake_logits.numel()).to(fake_logits.dtype)
""",
    "gan_train_step": """
def gan_train_step(d_weight, d_bias, g_weight, g_bias, x_real, z, lr):
    dtype = d_weight.dtype
    dw, db, gw, gb, xr, zz = (torch.as_tensor(t).double()
                              for t in (d_weight, d_bias, g_weight, g_bias, x_real, z))
    x_fake = zz @ gw.T + gb
    r = torch.sigmoid(xr @ dw + db) - 1
    f = torch.sigmoid(x_fake @ dw + db)
    w = dw - lr * (r @ xr / len(r) + f @ x_fake / len(f))
    b = db - lr * (r.mean() + f.mean())
    up = -(1 - torch.sigmoid(x_fake @ w + b))[:, None] * w[None, :] / zz.shape[0]
    return tuple(t.to(dtype) for t in (w, b, gw - lr * up.T @ zz, gb - lr * up.sum(0)))
""",
    "optimal_discriminator": """
def optimal_discriminator(p_data, p_g):
    out = torch.empty(p_data.numel(), dtype=p_data.dtype)
    pairs = zip(p_data.double().flatten().tolist(), p_g.double().flatten().tolist())
    for i, (a, b) in enumerate(pairs):
        out[i] = 0.5 if a + b == 0 else a / (a + b)
    return out.reshape(p_data.shape)


def jsd(p, q):
    rows_p = p.double().reshape(-1, p.shape[-1]).tolist()
    rows_q = q.double().reshape(-1, q.shape[-1]).tolist()
    out = []
    for row_p, row_q in zip(rows_p, rows_q):
        total = 0.0
        for a, b in zip(row_p, row_q):
            m = (a + b) / 2
            total += (a * math.log(a / m) if a > 0 else 0.0) + (b * math.log(b / m) if b > 0 else 0.0)
        out.append(total / 2)
    return torch.tensor(out, dtype=p.dtype).reshape(p.shape[:-1])
""",
    "wgan_critic_loss": """
def wgan_critic_loss(critic_real, critic_fake):
    return (critic_fake.double().mean() - critic_real.double().mean()).to(critic_real.dtype)


def wgan_generator_loss(critic_fake):
    total = critic_fake.new_zeros((), dtype=torch.float64)
    for v in critic_fake.double():
        total = total - v
    return (total / len(critic_fake)).to(critic_fake.dtype)
""",
    "gradient_penalty": """
def gradient_penalty(x_real, x_fake, eps, w1, b1, w2):
    W1, B1, W2 = w1.double(), b1.double(), w2.double()
    terms = []
    with torch.enable_grad():
        for i in range(x_real.shape[0]):
            e = eps[i].double()
            x = (e * x_real[i].double() + (1 - e) * x_fake[i].double()).detach()
            x.requires_grad_(True)
            score = torch.tanh(W1 @ x + B1) @ W2
            (grad,) = torch.autograd.grad(score, x, create_graph=True)
            terms.append((grad.norm() - 1) ** 2)
    return torch.stack(terms).mean().to(x_real.dtype)
""",
    "reparameterize": """
def reparameterize(mu, logvar, eps):
    return (mu.double() + torch.exp(0.5 * logvar.double()) * eps.double()).to(mu.dtype)
""",
    "gaussian_kl": """
def gaussian_kl(mu, logvar):
    kl = torch.zeros(mu.shape[:-1], dtype=torch.float64)
    for j in range(mu.shape[-1]):
        m, lv = mu[..., j].double(), logvar[..., j].double()
        kl = kl + 0.5 * (m ** 2 + lv.exp() - 1 - lv)
    return kl.to(mu.dtype)
""",
    "elbo": """
def elbo(x, decoder_out, mu, logvar, decoder="bernoulli", decoder_logvar=None):
    xd, out = x.double(), decoder_out.double()
    if decoder == "gaussian":
        lv = torch.as_tensor(decoder_logvar).double()
        log_px = (-0.5 * (math.log(2 * math.pi) + lv + (xd - out) ** 2 / lv.exp())).sum(-1)
    else:
        log_px = (xd * F.logsigmoid(out) + (1 - xd) * F.logsigmoid(-out)).sum(-1)
    m, lv = mu.double(), logvar.double()
    kl = 0.5 * (m ** 2 + lv.exp() - 1 - lv).sum(-1)
    return (log_px - kl).to(x.dtype)
""",
    "sample_prior": """
def sample_prior(eps, dec_weight, dec_bias, u=None):
    p = torch.sigmoid(F.linear(eps, dec_weight, dec_bias))
    if u is None:
        return p
    out = torch.zeros_like(p)
    for i in range(p.shape[0]):
        out[i] = (u[i] < p[i]).to(p.dtype)
    return out
""",
}


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    return corpus.grade_corpus(course, built, tmp_path_factory, "hw4", MISTAKES, ALTERNATIVE,
                               {"float64_loops": ALTERNATIVE_FLOAT64_LOOPS})


def _name(i: int) -> str:
    return corpus.mistake_name(MISTAKES, i)


def test_corpus_covers_every_question(course):
    corpus.check_covers_every_question(course, "hw4", MISTAKES)


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_each_mistake_edits_the_cell_of_its_question(course, tmp_path, i):
    corpus.check_edit_lands_in_its_question(course, tmp_path, "hw4", MISTAKES[i])


def test_solution_gets_full_marks_and_stub_zero(graded, course):
    corpus.check_solution_full_marks_and_stub_zero(graded, course, "hw4")
    assert graded["solved"].max_score == 28


def test_solution_fits_the_time_budget(graded):
    solved = graded["solved"]
    q10 = next(q for q in solved.questions if q.name == "q10")
    print(f"solved: {corpus.student_seconds(solved):.1f} s in graded calls, "
          f"{solved.seconds:.1f} s in all; q10 {sum(c.seconds for c in q10.cases):.1f} s")
    assert corpus.student_seconds(solved) < STUDENT_SECONDS
    assert all("held-out ELBO" in c.message and "energy distance" in c.message
               for c in q10.cases)  # the outcome shows its numbers


def test_differently_written_solution_keeps_full_marks(graded):
    corpus.check_alternative_full_marks(graded)


def test_float64_and_loops_solution_keeps_full_marks(graded):
    corpus.check_alternative_full_marks(graded, "alternative_float64_loops")


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
RUNG_OF = {21: "repeat", 22: "repeat", 23: "gradient", 24: "gradient"}


@pytest.mark.parametrize("i", sorted(RUNG_OF), ids=_name)
def test_a_mistake_fails_on_its_rung(graded, i):
    corpus.check_fails_on_rung(graded[_name(i)], MISTAKES[i][0], RUNG_OF[i])
