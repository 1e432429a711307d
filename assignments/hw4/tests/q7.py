OK_FORMAT = True

test = {   'name': 'q7',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> assert torch.equal(gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))\n'
                                               '>>> kl = gaussian_kl(torch.tensor([[1.0]]), torch.tensor([[math.log(2.0)]]))\n'
                                               '>>> assert kl.shape == (1,) and abs(float(kl) - (-0.5 * math.log(2.0) + 1.0)) < 1e-06\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> mu, logvar = (torch.randn(2, 3, dtype=torch.float64), 0.5 * torch.randn(2, 3, dtype=torch.float64))\n'
                                               '>>> q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n'
                                               '>>> z = q.sample((200000,))\n'
                                               '>>> mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)\n'
                                               '>>> assert torch.allclose(gaussian_kl(mu, logvar), mc, atol=0.03)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
