OK_FORMAT = True

test = {   'name': 'q6',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10, dtype=torch.float64)\n'
                                               '>>> x0, noise = (torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64))\n'
                                               '>>> t = torch.tensor([0, 3, 7, 9])\n'
                                               '>>> zeros = torch.zeros(10, 2, dtype=torch.float64)\n'
                                               '>>> loss = l_simple(x0, t, noise, betas, zeros, zeros)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, (noise ** 2).mean())\n'
                                               '>>> loss_b = l_simple(x0, t, noise, betas, zeros, zeros + 1)\n'
                                               '>>> assert torch.allclose(loss_b, ((noise - 1) ** 2).mean())\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
