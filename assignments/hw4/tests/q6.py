OK_FORMAT = True

test = {   'name': 'q6',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> mu = torch.tensor([[0.0, 1.0], [2.0, -1.0]])\n'
                                               '>>> logvar = torch.tensor([[0.0, math.log(4.0)], [math.log(0.25), 0.0]])\n'
                                               '>>> eps = torch.tensor([[1.0, 1.0], [2.0, -3.0]])\n'
                                               '>>> assert torch.allclose(reparameterize(mu, logvar, eps), torch.tensor([[1.0, 3.0], [3.0, -4.0]]))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> mu, logvar = (torch.randn(3, 4, requires_grad=True), torch.randn(3, 4, requires_grad=True))\n'
                                               '>>> z = reparameterize(mu, logvar, torch.randn(3, 4))\n'
                                               '>>> z.sum().backward()\n'
                                               '>>> assert torch.allclose(mu.grad, torch.ones(3, 4)) and logvar.grad is not None\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
