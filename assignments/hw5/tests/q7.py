OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.tensor([0.3], dtype=torch.float64)\n'
                                               '>>> x_T = torch.randn(3, 2, dtype=torch.float64)\n'
                                               '>>> a, b = (torch.full((1, 2), 0.5, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64))\n'
                                               '>>> x0 = ddpm_sample(x_T, torch.randn(1, 3, 2, dtype=torch.float64), betas, a, b)\n'
                                               '>>> expected = (x_T - 0.3 / math.sqrt(0.3) * 0.5 * x_T) / math.sqrt(0.7)\n'
                                               '>>> assert x0.shape == (3, 2) and torch.allclose(x0, expected)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10)\n'
                                               '>>> x_T, noises = (torch.randn(4, 2), torch.randn(10, 4, 2))\n'
                                               '>>> a, b = (0.3 * torch.randn(10, 2), 0.3 * torch.randn(10, 2))\n'
                                               '>>> out = ddpm_sample(x_T, noises, betas, a, b)\n'
                                               '>>> noises_changed = noises.clone()\n'
                                               '>>> noises_changed[0] = 100.0\n'
                                               '>>> assert torch.allclose(out, ddpm_sample(x_T, noises_changed, betas, a, b))\n'
                                               ">>> assert not torch.allclose(out, ddpm_sample(x_T, noises, betas, a, b, variance='fixed_large'))\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
