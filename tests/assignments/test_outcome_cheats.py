"""Shortcuts for the outcome-judged questions, each rejected by its judge.

An outcome question returns what the lecture's method produces (the weights of a fixed
architecture) and the grader evaluates it on data it never hands out. Each shortcut below is
what a student could return instead of doing the method: the old return values (samples or
labels from memorised, resampled or fitted data, non-network predictors) no longer have the
right type, and weights produced by shortcuts (untrained networks, networks trained on
something else or with another objective) fail the held-out checks. Every one must fail every
case it is tried on.
"""
from __future__ import annotations

import pytest
import torch

from autograder.specs import get_spec
from autograder.specs import unit4
from autograder.specs import unit5_hw4 as hw4spec
from autograder.specs import unit5_hw5 as hw5spec
from reference import cnn, diffusion


def _one_thread(fn, jobs: list) -> list:
    """``fn`` over ``jobs`` in this process on one thread, as in the sandbox (no fork: a forked
    worker can hang on a thread pool this process has used), the thread count restored."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [row for job in jobs for row in fn(job)]
    finally:
        torch.set_num_threads(threads)


def _rejected_everywhere(judge, cases, make_value) -> list[str]:
    """The messages of the judge on every case; asserts none passes."""
    messages = []
    for case in cases:
        ok, message = judge(make_value(case), case)
        assert not ok, (case.name, message)
        messages.append(message)
    return messages


# ---------------------------------------------------------------- hw5 q9: ddpm_train_and_sample
HW5 = get_spec("ddpm_train_and_sample")
HW5_SEED = 2


def _eps_net(x: torch.Tensor, betas: torch.Tensor, seed: int, steps: int = 1500,
             t_high: int | None = None) -> dict:
    """EpsNet trained with Algorithm 1 on ``x`` (whatever it is), as the notebook's solution."""
    gen = torch.Generator().manual_seed(seed)
    T = betas.shape[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = hw5spec.EpsNet(T)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    for _ in range(steps):
        x0 = x[torch.randint(0, x.shape[0], (256,), generator=gen)]
        t = torch.randint(0, t_high or T, (256,), generator=gen)
        loss = diffusion.l_simple_loss(model, x0, t, torch.randn(256, 2, generator=gen), betas)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return dict(model.state_dict())


def _gaussian_fit(x: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    chol = torch.linalg.cholesky(torch.cov(x.T.double()))
    return (x.double().mean(0) + torch.randn(n, 2, generator=gen, dtype=torch.float64)
            @ chol.T).float()


def _hw5_cheat(job: tuple[int, str]) -> list[tuple[str, str, bool, str]]:
    seed, cheat = job
    out = []
    for case in HW5.cases(seed):
        x, betas, s = case.args
        gen = torch.Generator().manual_seed(s)
        if cheat == "fitted_gaussian_data":
            weights = _eps_net(_gaussian_fit(x, x.shape[0], gen), betas, s)
        elif cheat == "memorised_16_points":
            weights = _eps_net(x[:16], betas, s)
        elif cheat == "other_data":  # a net trained on the data reflected through the origin
            weights = _eps_net(-x, betas, s)
        elif cheat == "small_t_only":  # learns to denoise slightly noised data only
            weights = _eps_net(x, betas, s, t_high=betas.shape[0] // 4)
        elif cheat == "under_trained":
            weights = _eps_net(x, betas, s, steps=100)
        else:
            raise ValueError(cheat)
        ok, message = HW5.judge(weights, case)
        out.append((cheat, case.name, ok, message))
    return out


HW5_TRAINED_CHEATS = ["fitted_gaussian_data", "memorised_16_points", "other_data",
                      "small_t_only", "under_trained"]


def test_hw5_networks_trained_by_shortcuts_are_rejected():
    results = _one_thread(_hw5_cheat, [(HW5_SEED, c) for c in HW5_TRAINED_CHEATS])
    assert len(results) == 2 * len(HW5_TRAINED_CHEATS)
    passed = [(cheat, name, message) for cheat, name, ok, message in results if ok]
    assert not passed, passed


def _untrained(case):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return dict(hw5spec.EpsNet(case.secret["betas"].shape[0]).state_dict())


def _zero_output(case):  # predicts eps = 0 everywhere: Algorithm 2 then only rescales x_T
    weights = _untrained(case)
    weights["net.6.weight"] = torch.zeros_like(weights["net.6.weight"])
    weights["net.6.bias"] = torch.zeros_like(weights["net.6.bias"])
    return weights


def _resampled_training_data(case):
    x = case.secret["x_train"]
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, x.shape[0], (hw5spec.N_SAMPLES,), generator=gen)
    return x[idx] + 0.02 * torch.randn(hw5spec.N_SAMPLES, 2, generator=gen)


def _kernel_density_samples(case):
    x = case.secret["x_train"]
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, x.shape[0], (hw5spec.N_SAMPLES,), generator=gen)
    return x[idx] + 0.15 * torch.randn(hw5spec.N_SAMPLES, 2, generator=gen)


def _gaussian_samples(case):
    return _gaussian_fit(case.secret["x_train"], hw5spec.N_SAMPLES, torch.Generator())


@pytest.mark.parametrize("make_value, says", [
    (_untrained, "held-out L_simple"),
    (_zero_output, "held-out L_simple"),
    (_resampled_training_data, "not Tensor"),
    (_kernel_density_samples, "not Tensor"),
    (_gaussian_samples, "not Tensor"),
], ids=["untrained", "zero_output", "resampled_training_data", "kernel_density_samples",
        "gaussian_samples"])
def test_hw5_values_that_are_not_a_trained_network_are_rejected(make_value, says):
    messages = _rejected_everywhere(HW5.judge, HW5.cases(HW5_SEED), make_value)
    assert all(says in m for m in messages), messages


# ---------------------------------------------------------------- hw4 q10: train_vae_2d
HW4 = get_spec("train_vae_2d")
HW4_SEED = 5


def _vae_weights(encoder, decoder) -> dict:
    return {"encoder": dict(encoder.state_dict()), "decoder": dict(decoder.state_dict())}


def _decoder_without_encoder(x: torch.Tensor, seed: int, objective: str) -> dict:
    """A Decoder2D trained as a sampler alone (energy distance to minibatches, or as a GAN's
    generator), returned with a fresh encoder: the generative half, without the ELBO."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder, decoder = hw4spec.Encoder2D(), hw4spec.Decoder2D()
        critic = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.LeakyReLU(0.2),
                                     torch.nn.Linear(64, 64), torch.nn.LeakyReLU(0.2),
                                     torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(decoder.parameters(), lr=3e-3)
    opt_critic = torch.optim.Adam(critic.parameters(), lr=3e-3)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(1000):
        real = x[torch.randint(0, x.shape[0], (256,), generator=gen)]
        fake = decoder(torch.randn(256, 2, generator=gen)) + \
            torch.exp(0.5 * decoder.logvar) * torch.randn(256, 2, generator=gen)
        if objective == "energy_distance":
            loss = 2 * torch.cdist(real, fake).mean() - torch.cdist(fake, fake).sum() / (256 * 255)
        else:
            d_loss = bce(critic(real), torch.ones(256, 1)) + \
                bce(critic(fake.detach()), torch.zeros(256, 1))
            opt_critic.zero_grad()
            d_loss.backward()
            opt_critic.step()
            loss = bce(critic(fake), torch.ones(256, 1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _vae_weights(encoder, decoder)


def _hw4_cheat(job: tuple[int, str]) -> list[tuple[str, str, bool, str]]:
    seed, cheat = job
    out = []
    for case in HW4.cases(seed):
        x, s = case.args
        weights = _decoder_without_encoder(x, s, cheat)
        ok, message = HW4.judge(weights, case)
        out.append((cheat, case.name, ok, message))
    return out


def test_hw4_decoders_trained_without_the_elbo_are_rejected():
    cheats = ["energy_distance", "gan"]
    results = _one_thread(_hw4_cheat, [(HW4_SEED, c) for c in cheats])
    assert len(results) == 3 * len(cheats)
    passed = [(cheat, name, message) for cheat, name, ok, message in results if ok]
    assert not passed, passed
    assert all("held-out ELBO" in message for *_, message in results)


def _fresh_vae(case):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return _vae_weights(hw4spec.Encoder2D(), hw4spec.Decoder2D())


def _collapsed_gaussian(case):
    """The moment-matched (diagonal) Gaussian as a VAE: the encoder outputs the prior, the
    decoder ignores z."""
    x, _ = case.args
    weights = _fresh_vae(case)
    for name in ("net.4.weight", "net.4.bias"):
        weights["encoder"][name] = torch.zeros_like(weights["encoder"][name])
    weights["decoder"]["net.4.weight"] = torch.zeros_like(weights["decoder"]["net.4.weight"])
    weights["decoder"]["net.4.bias"] = x.mean(0)
    weights["decoder"]["logvar"] = x.var(0).log()
    return weights


def _decoder_only(case):  # the old return value
    return _fresh_vae(case)["decoder"]


def _resampled_training_data(case):
    x, _ = case.args
    return x[torch.randint(0, x.shape[0], (4000,), generator=torch.Generator().manual_seed(0))]


@pytest.mark.parametrize("make_value, says", [
    (_fresh_vae, "held-out ELBO"),
    (_collapsed_gaussian, ""),  # by the ELBO (ring, blobs) or by the energy distance (moons)
    (_decoder_only, 'expected {"encoder"'),
    (_resampled_training_data, 'expected {"encoder"'),
], ids=["untrained", "collapsed_gaussian", "decoder_only", "resampled_training_data"])
def test_hw4_values_that_are_not_a_trained_vae_are_rejected(make_value, says):
    messages = _rejected_everywhere(HW4.judge, HW4.cases(HW4_SEED), make_value)
    assert all(says in m for m in messages), messages


# ---------------------------------------------------------------- hw2 q6: train_cnn
HW2 = get_spec("train_cnn")
HW2_SEED = 1


def _cifar_trained(x, y, seed, params=None, epochs=3) -> dict:
    """CifarCNN from the seed's fresh initialisation, trained as the notebook's solution on
    (x, y), only ``params`` (names' prefixes) updated when given."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cnn.CifarCNN(10)
    trained = [p for n, p in model.named_parameters()
               if params is None or n.startswith(params)]
    opt = torch.optim.Adam(trained, lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=gen)
        for idx in order.split(32):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return dict(model.state_dict())


def _hw2_cheat(job: tuple[int, str]) -> list[tuple[str, str, bool, str]]:
    seed, cheat = job
    out = []
    for case in HW2.cases(seed):
        x, y, s = case.args
        if cheat == "last_layer_only":  # a linear classifier on random conv features
            weights = _cifar_trained(x, y, s, params="fc3", epochs=6)
        elif cheat == "frozen_convolutions":  # an MLP on random convolutions of another seed
            weights = _cifar_trained(x, y, s + 1, params="fc", epochs=6)
        elif cheat == "shuffled_labels":
            perm = torch.randperm(y.shape[0], generator=torch.Generator().manual_seed(0))
            weights = _cifar_trained(x, y[perm], s)
        elif cheat == "permuted_classes":  # trained on something else: the labels relabelled
            weights = _cifar_trained(x, (y + 1) % 10, s)
        else:
            raise ValueError(cheat)
        ok, message = HW2.judge(weights, case)
        out.append((cheat, case.name, ok, message))
    return out


def test_hw2_networks_trained_by_shortcuts_are_rejected():
    cheats = ["last_layer_only", "frozen_convolutions", "shuffled_labels", "permuted_classes"]
    results = _one_thread(_hw2_cheat, [(HW2_SEED, c) for c in cheats])
    assert len(results) == len(cheats)
    passed = [(cheat, name, message) for cheat, name, ok, message in results if ok]
    assert not passed, passed
    says = {cheat: message for cheat, _, _, message in results}
    assert "equal the fresh initialisation" in says["last_layer_only"], says
    assert says["frozen_convolutions"].startswith("conv1, conv2 still hold a default "
                                                  "initialisation"), says


def _nearest_class_mean_labels(case):
    """The old return value: labels, here of the training images by nearest class mean (a
    classifier that is optimal on this data and no CNN)."""
    x, y, _ = case.args
    means = torch.stack([x[y == k].mean(0) for k in range(10)])
    return torch.cdist(x.flatten(1), means.flatten(1)).argmin(1)


def _fresh_of_the_seed(case):
    return dict(unit4.fresh_cifar_state(case.args[2], 10))


def _another_architecture(case):  # an MLP's weights under CifarCNN's names
    weights = _fresh_of_the_seed(case)
    weights["fc1.weight"] = torch.zeros(120, 3 * 32 * 32)
    return weights


@pytest.mark.parametrize("make_value, says", [
    (_nearest_class_mean_labels, "not Tensor"),
    (_fresh_of_the_seed, "equal the fresh initialisation"),
    (_another_architecture, "fc1.weight has shape"),
], ids=["nearest_class_mean_labels", "untrained", "another_architecture"])
def test_hw2_values_that_are_not_a_trained_cifar_cnn_are_rejected(make_value, says):
    messages = _rejected_everywhere(HW2.judge, HW2.cases(HW2_SEED), make_value)
    assert all(says in m for m in messages), messages


def test_a_default_initialisation_is_recognised_whatever_its_seed():
    default_initialised = unit4.default_initialised
    layers = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    for seed in (0, 7, 12345):
        torch.manual_seed(seed)
        assert default_initialised(dict(cnn.CifarCNN(10).state_dict())) == layers
    case = HW2.cases(HW2_SEED)[0]
    x, y, s = case.args
    assert default_initialised(_cifar_trained(x, y, s)) == []
    assert default_initialised(_cifar_trained(x, y, s + 1, params="fc", epochs=1)) == \
        ["conv1", "conv2"]
