OK_FORMAT = True

test = {   'name': 'q3',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> x = torch.randn(2, 3, 8, 8)\n'
                                               '>>> assert torch.equal(max_pool2d(x, 2), F.max_pool2d(x, 2))\n'
                                               '>>> assert torch.allclose(avg_pool2d(x, 3, 1), F.avg_pool2d(x, 3, 1), atol=1e-06)\n'
                                               '>>> assert torch.allclose(l2_pool2d(x, 2), F.lp_pool2d(x, 2, 2), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
