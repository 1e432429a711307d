OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> assert conv_output_size(227, 11, 4, 0) == 55\n'
                                               '>>> assert conv_output_size(32, 3, 1, 1) == 32\n'
                                               '>>> assert conv_param_count(3, 6, 5) == sum((p.numel() for p in nn.Conv2d(3, 6, 5).parameters()))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
