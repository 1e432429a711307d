OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], dtype=torch.float64)\n'
                                               '>>> y = torch.tensor([1.0, 3.0, 5.0], dtype=torch.float64)\n'
                                               '>>> w = linear_regression_closed_form(X, y)\n'
                                               '>>> assert torch.allclose(w, torch.tensor([1.0, 2.0], dtype=torch.float64))\n'
                                               '>>> assert square_loss(X, y, w).shape == ()\n'
                                               '>>> assert abs(float(square_loss(X, y, w))) < 1e-12\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], dtype=torch.float64)\n'
                                               '>>> y = torch.tensor([1.0, 3.0, 5.0], dtype=torch.float64)\n'
                                               '>>> w = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)\n'
                                               '>>> ((X @ w - y) ** 2).mean().backward()\n'
                                               '>>> assert torch.allclose(square_loss_grad(X, y, w.detach()), w.grad)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
