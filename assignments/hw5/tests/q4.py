OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10, dtype=torch.float64)\n'
                                               '>>> x0, xt = (torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64))\n'
                                               '>>> mean, var = posterior_mean_variance(x0, xt, torch.tensor([0, 0]), betas)\n'
                                               '>>> assert mean.shape == (2, 3) and var.shape == (2,)\n'
                                               '>>> assert torch.allclose(mean, x0) and torch.allclose(var, torch.zeros(2, dtype=torch.float64))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> betas = torch.tensor([0.1, 0.2, 0.5], dtype=torch.float64)\n'
                                               '>>> x0, xt = (torch.tensor([[1.0]], dtype=torch.float64), torch.tensor([[2.0]], dtype=torch.float64))\n'
                                               '>>> mean, var = posterior_mean_variance(x0, xt, torch.tensor([2]), betas)\n'
                                               '>>> ab, ab_prev = (0.36, 0.72)\n'
                                               '>>> expected = math.sqrt(ab_prev) * 0.5 / (1 - ab) * 1.0 + math.sqrt(0.5) * (1 - ab_prev) / (1 - ab) * 2.0\n'
                                               '>>> assert abs(float(mean) - expected) < 1e-12\n'
                                               '>>> assert abs(float(var) - (1 - ab_prev) / (1 - ab) * 0.5) < 1e-12\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
