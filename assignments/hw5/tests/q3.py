OK_FORMAT = True

test = {   'name': 'q3',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10, dtype=torch.float64)\n'
                                               '>>> x0, eps = (torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64))\n'
                                               '>>> t0 = torch.zeros(3, dtype=torch.long)\n'
                                               '>>> assert torch.allclose(q_sample(x0, t0, eps, betas), math.sqrt(1 - 0.0001) * x0 + 0.01 * eps)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 1000)\n'
                                               '>>> x0 = torch.randn(4000, 1, 2, 2)\n'
                                               '>>> xt = q_sample(x0, torch.full((4000,), 999), torch.randn_like(x0), betas)\n'
                                               '>>> assert xt.shape == x0.shape and xt.dtype == x0.dtype\n'
                                               '>>> assert abs(float(xt.std()) - 1.0) < 0.05\n'
                                               '>>> assert abs(float((xt * x0).mean())) < 0.05\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
