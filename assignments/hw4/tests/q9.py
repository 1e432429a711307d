OK_FORMAT = True

test = {   'name': 'q9',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> eps = torch.tensor([[0.0, 0.0], [1.0, -1.0]])\n'
                                               '>>> W, b = (torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), torch.zeros(3))\n'
                                               '>>> p = sample_prior(eps, W, b)\n'
                                               '>>> assert p.shape == (2, 3) and torch.allclose(p[0], torch.full((3,), 0.5))\n'
                                               '>>> assert torch.allclose(p[1], torch.sigmoid(torch.tensor([1.0, -2.0, 0.0])))\n'
                                               '>>> u = torch.tensor([[0.4, 0.6, 0.5], [0.8, 0.1, 0.2]])\n'
                                               '>>> x = sample_prior(eps, W, b, u=u)\n'
                                               '>>> assert x.dtype == eps.dtype and x.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
