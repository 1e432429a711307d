OK_FORMAT = True

test = {   'name': 'q8',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> x = torch.tensor([[1.0, 0.0, 1.0]])\n'
                                               '>>> logits = torch.tensor([[2.0, -1.0, 0.0]])\n'
                                               '>>> mu, logvar = (torch.zeros(1, 2), torch.zeros(1, 2))\n'
                                               '>>> log_px = (torch.log(torch.sigmoid(logits)) * x + torch.log(1 - torch.sigmoid(logits)) * (1 - x)).sum(1)\n'
                                               '>>> assert torch.allclose(elbo(x, logits, mu, logvar), log_px)\n'
                                               '>>> mu2 = torch.tensor([[1.0, 0.0]])\n'
                                               '>>> assert torch.allclose(elbo(x, logits, mu2, logvar), log_px - 0.5)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> x = torch.tensor([[0.5, -1.0], [2.0, 0.0]], dtype=torch.float64)\n'
                                               '>>> mean = torch.tensor([[0.0, -1.0], [1.0, 1.0]], dtype=torch.float64)\n'
                                               '>>> mu, logvar = (torch.zeros(2, 1, dtype=torch.float64), torch.zeros(2, 1, dtype=torch.float64))\n'
                                               ">>> out = elbo(x, mean, mu, logvar, decoder='gaussian', decoder_logvar=0.0)\n"
                                               '>>> expected = torch.distributions.Normal(mean, 1.0).log_prob(x).sum(1)\n'
                                               '>>> assert out.shape == (2,) and out.dtype == torch.float64 and torch.allclose(out, expected)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
