OK_FORMAT = True

test = {   'name': 'q3',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> z = torch.tensor([-1000.0, -2.0, 0.0, 3.0, 1000.0])\n'
                                               '>>> s = sigmoid(z)\n'
                                               '>>> assert torch.isfinite(s).all() and torch.allclose(s, torch.sigmoid(z))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> p = torch.tensor([0.9, 0.2, 0.6])\n'
                                               '>>> y = torch.tensor([1.0, 0.0, 1.0])\n'
                                               '>>> assert torch.allclose(bce_loss(p, y), F.binary_cross_entropy(p, y))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3]])\n'
                                               '>>> y = torch.tensor([1.0, 0.0, 1.0])\n'
                                               '>>> w = torch.tensor([0.2, -0.4], requires_grad=True)\n'
                                               '>>> b = torch.tensor(0.1, requires_grad=True)\n'
                                               '>>> F.binary_cross_entropy(torch.sigmoid(X @ w + b), y).backward()\n'
                                               '>>> dw, db = logistic_grad(X, y, w.detach(), b.detach())\n'
                                               '>>> assert torch.allclose(dw, w.grad, atol=1e-06) and torch.allclose(db, b.grad, atol=1e-06)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
