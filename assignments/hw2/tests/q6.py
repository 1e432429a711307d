OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> protos = torch.randn(2, 3, 1, 1) * 2\n'
                                               '>>> y = torch.randint(0, 2, (64,))\n'
                                               '>>> X = protos[y] + 0.5 * torch.randn(64, 3, 32, 32)\n'
                                               '>>> pred = train_cnn(X[:48], y[:48], X[48:], 0)\n'
                                               '>>> assert pred.shape == (16,) and pred.dtype == torch.int64\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
