OK_FORMAT = True

test = {   'name': 'q3',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> p_data = torch.tensor([0.5, 0.3, 0.2, 0.0])\n'
                                               '>>> p_g = torch.tensor([0.1, 0.3, 0.2, 0.4])\n'
                                               '>>> d_star = optimal_discriminator(p_data, p_g)\n'
                                               '>>> assert torch.allclose(d_star, torch.tensor([5 / 6, 0.5, 0.5, 0.0]))\n'
                                               '>>> assert optimal_discriminator(torch.rand(3, 5), torch.rand(3, 5)).shape == (3, 5)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> p = torch.tensor([0.5, 0.3, 0.2, 0.0], dtype=torch.float64)\n'
                                               '>>> q = torch.tensor([0.1, 0.3, 0.2, 0.4], dtype=torch.float64)\n'
                                               '>>> d_star = optimal_discriminator(p, q)\n'
                                               '>>> v_star = (torch.xlogy(p, d_star) + torch.xlogy(q, 1 - d_star)).sum()\n'
                                               '>>> assert torch.allclose(v_star, -2 * math.log(2) + 2 * jsd(p, q))\n'
                                               '>>> assert abs(float(jsd(p, p))) < 1e-12\n'
                                               '>>> disjoint = jsd(torch.tensor([1.0, 0.0], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64))\n'
                                               '>>> assert abs(float(disjoint) - math.log(2)) < 1e-12\n'
                                               '>>> assert jsd(torch.softmax(torch.randn(3, 4), -1), torch.softmax(torch.randn(3, 4), -1)).shape == (3,)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
