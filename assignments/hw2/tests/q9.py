OK_FORMAT = True

test = {   'name': 'q9',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> x = torch.randn(2, 3, 8, 8)\n'
                                               '>>> out = patch_embed(x, 4, torch.randn(5, 48), torch.zeros(5), torch.zeros(5), torch.zeros(5, 5))\n'
                                               '>>> assert out.shape == (2, 5, 5) and torch.equal(out[:, 0], torch.zeros(2, 5))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
