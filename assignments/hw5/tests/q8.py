OK_FORMAT = True

test = {   'name': 'q8',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> c, u = (torch.randn(2, 4), torch.randn(2, 4))\n'
                                               '>>> assert torch.allclose(classifier_free_guidance(c, u, 0.0), c)\n'
                                               '>>> assert torch.allclose(classifier_free_guidance(c, u, 1.0), 2 * c - u)\n'
                                               '>>> assert classifier_free_guidance(c, u, 3.0).shape == (2, 4)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
