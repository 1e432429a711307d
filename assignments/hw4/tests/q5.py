OK_FORMAT = True

test = {   'name': 'q5',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> w1 = torch.tensor([[0.001, 0.0], [0.0, 0.001]])\n'
                                               '>>> b1, w2 = (torch.zeros(2), torch.tensor([3000.0, 4000.0]))\n'
                                               '>>> x_real, x_fake = (torch.randn(4, 2), torch.randn(4, 2))\n'
                                               '>>> gp = gradient_penalty(x_real, x_fake, torch.rand(4), w1, b1, w2)\n'
                                               '>>> assert gp.shape == () and abs(float(gp.detach()) - 16.0) < 0.001\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> B, d, h = (4, 2, 8)\n'
                                               '>>> x_real, x_fake, eps = (torch.randn(B, d) + 1, torch.randn(B, d) - 1, torch.rand(B))\n'
                                               '>>> w1, b1, w2 = (torch.randn(h, d), torch.randn(h), torch.randn(h))\n'
                                               '>>> x_hat = eps[:, None] * x_real + (1 - eps[:, None]) * x_fake\n'
                                               '>>> grad = (1 - torch.tanh(x_hat @ w1.T + b1) ** 2) * w2 @ w1\n'
                                               '>>> expected = ((grad.norm(dim=1) - 1) ** 2).mean()\n'
                                               '>>> assert torch.allclose(gradient_penalty(x_real, x_fake, eps, w1, b1, w2), expected, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
