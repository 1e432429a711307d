OK_FORMAT = True

test = {   'name': 'q8',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> m = InceptionModule(192, 64, 96, 128, 16, 32, 32)\n>>> assert m(torch.randn(1, 192, 28, 28)).shape == (1, 256, 28, 28)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
