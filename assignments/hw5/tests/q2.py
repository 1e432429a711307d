OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> betas = torch.tensor([0.1, 0.2, 0.5], dtype=torch.float64)\n'
                                               '>>> assert torch.allclose(alpha_bar(betas), torch.tensor([0.9, 0.72, 0.36], dtype=torch.float64))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> betas = torch.tensor([0.1, 0.2, 0.5], dtype=torch.float64)\n'
                                               '>>> x = torch.ones(2, 3, dtype=torch.float64)\n'
                                               '>>> out = q_sample_step(x, torch.tensor([0, 2]), torch.zeros_like(x), betas)\n'
                                               '>>> assert out.shape == (2, 3)\n'
                                               '>>> assert torch.allclose(out[0], torch.full((3,), math.sqrt(0.9), dtype=torch.float64))\n'
                                               '>>> assert torch.allclose(out[1], torch.full((3,), math.sqrt(0.5), dtype=torch.float64))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
