OK_FORMAT = True

test = {   'name': 'q7',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> block = ResidualBlock(4, 8, stride=2).eval()\n'
                                               '>>> assert block(torch.randn(2, 4, 8, 8)).shape == (2, 8, 4, 4)\n'
                                               '>>> assert ResidualBlock(4, 4).downsample is None\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
