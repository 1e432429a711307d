OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> b = linear_beta_schedule(10)\n'
                                               '>>> assert b.shape == (10,) and b.dtype == torch.float32\n'
                                               '>>> assert abs(float(b[0]) - 0.0001) < 1e-09 and abs(float(b[-1]) - 0.02) < 1e-08\n'
                                               '>>> assert torch.allclose(b[1:] - b[:-1], torch.full((9,), 0.0199 / 9), atol=1e-07)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> c = cosine_beta_schedule(10)\n'
                                               '>>> assert c.shape == (10,) and c.dtype == torch.float32\n'
                                               '>>> assert bool((c > 0).all()) and bool((c <= torch.tensor(0.999)).all())\n'
                                               '>>> f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2\n'
                                               '>>> alpha_bar_5 = torch.prod(1 - c[:5].double())\n'
                                               '>>> assert abs(float(alpha_bar_5) - f(0.5) / f(0.0)) < 1e-05\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
