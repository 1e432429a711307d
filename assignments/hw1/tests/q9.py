OK_FORMAT = True

test = {   'name': 'q9',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> ae = AutoEncoder(8, 6, 2)\n'
                                               '>>> x = torch.randn(4, 8)\n'
                                               '>>> assert ae(x).shape == (4, 8)\n'
                                               '>>> assert reconstruction_loss(x, ae(x)).shape == ()\n'
                                               ">>> assert set(ae.state_dict()) == {'encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias', 'decoder.0.weight', 'decoder.0.bias', "
                                               "'decoder.2.weight', 'decoder.2.bias'}\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
