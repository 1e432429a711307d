OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> net = CifarCNN()\n>>> assert net(torch.randn(4, 3, 32, 32)).shape == (4, 10)\n>>> assert sum((p.numel() for p in net.parameters())) == 62006\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
