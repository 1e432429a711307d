OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)\n'
                                               '>>> b = torch.tensor([1.0, -1.0], dtype=torch.float64)\n'
                                               '>>> w = gradient_descent_quadratic(A, b, torch.zeros(2, dtype=torch.float64), 0.1, 500)\n'
                                               '>>> assert torch.allclose(w, torch.linalg.solve(A, b))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
