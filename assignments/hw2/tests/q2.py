OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> x, w, b = (torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3), torch.randn(4))\n'
                                               '>>> assert torch.allclose(conv2d(x, w, b), F.conv2d(x, w, b), atol=1e-05)\n'
                                               '>>> assert torch.allclose(conv2d(x, w, b, stride=2, padding=1), F.conv2d(x, w, b, stride=2, padding=1), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
