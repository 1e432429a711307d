OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> X = torch.tensor([[1.0, 2.0], [-1.0, -3.0], [0.5, -0.5]])\n'
                                               '>>> assert perceptron_predict(X, torch.tensor([1.0, 1.0]), 0.0).tolist() == [1.0, -1.0, 1.0]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> X = torch.tensor([[1.0, 2.0, 1.0], [1.0, -2.0, -1.0], [1.0, 3.0, 2.0], [1.0, -1.0, -3.0]])\n'
                                               '>>> y = torch.tensor([1.0, -1.0, 1.0, -1.0])\n'
                                               '>>> w = pla_train(X, y, torch.zeros(3), 100)\n'
                                               '>>> assert torch.all(torch.sign(X @ w) == y)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
