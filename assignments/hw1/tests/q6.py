OK_FORMAT = True

test = {   'name': 'q6',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> layer = nn.Linear(4, 3)\n'
                                               '>>> x = torch.randn(5, 4)\n'
                                               '>>> assert torch.allclose(linear_forward(x, layer.weight.detach(), layer.bias.detach()), layer(x).detach(), atol=1e-06)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> W1, b1, W2, b2 = (torch.randn(3, 4), torch.randn(3), torch.randn(2, 3), torch.randn(2))\n'
                                               '>>> x = torch.randn(5, 4)\n'
                                               '>>> assert torch.allclose(mlp_forward(x, [W1, W2], [b1, b2]), torch.sigmoid(x @ W1.T + b1) @ W2.T + b2, atol=1e-06)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
