OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> Ws = [torch.randn(4, 3, requires_grad=True), torch.randn(2, 4, requires_grad=True)]\n'
                                               '>>> bs = [torch.randn(4, requires_grad=True), torch.randn(2, requires_grad=True)]\n'
                                               '>>> x, y = (torch.randn(6, 3), torch.randn(6, 2))\n'
                                               '>>> out = torch.sigmoid(x @ Ws[0].T + bs[0]) @ Ws[1].T + bs[1]\n'
                                               '>>> (0.5 * ((out - y) ** 2).sum() / 6).backward()\n'
                                               '>>> gW, gb = mlp_backward(x, y, [W.detach() for W in Ws], [b.detach() for b in bs])\n'
                                               '>>> assert all((torch.allclose(g, W.grad, atol=1e-05) for g, W in zip(gW, Ws)))\n'
                                               '>>> assert all((torch.allclose(g, b.grad, atol=1e-05) for g, b in zip(gb, bs)))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
