OK_FORMAT = True

test = {   'name': 'q5',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10, dtype=torch.float64)\n'
                                               '>>> x0, eps = (torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64))\n'
                                               '>>> t = torch.tensor([1, 5, 9])\n'
                                               '>>> ab = torch.cumprod(1 - betas, 0)[t][:, None]\n'
                                               '>>> xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps\n'
                                               '>>> ab_prev = torch.cumprod(1 - betas, 0)[t - 1][:, None]\n'
                                               '>>> b = betas[t][:, None]\n'
                                               '>>> mu_tilde = ab_prev.sqrt() * b / (1 - ab) * x0 + (1 - b).sqrt() * (1 - ab_prev) / (1 - ab) * xt\n'
                                               '>>> assert torch.allclose(predict_mean_from_eps(xt, t, eps, betas), mu_tilde)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> betas = torch.linspace(0.0001, 0.02, 10, dtype=torch.float64)\n'
                                               ">>> lam = lambda_weights(betas, 'fixed_large')\n"
                                               '>>> assert lam.shape == (10,)\n'
                                               '>>> assert abs(float(lam[0]) - 1 / (2 * (1 - 0.0001))) < 1e-09\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
