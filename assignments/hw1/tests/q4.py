OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> z = torch.tensor([-8.0, 0.0, 2.0])\n'
                                               '>>> y = torch.tensor([1.0, 1.0, 0.0])\n'
                                               '>>> ce, se = ce_and_se_grads(z, y)\n'
                                               '>>> assert ce.shape == se.shape == z.shape\n'
                                               '>>> assert abs(float(ce[0])) > 100 * abs(float(se[0]))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
