OK_FORMAT = True

test = {   'name': 'q8',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> rnn = nn.RNN(3, 4)\n'
                                               '>>> x, h0 = (torch.randn(5, 2, 3), torch.randn(2, 4))\n'
                                               '>>> out, hT = rnn_forward(x, h0, rnn.weight_ih_l0.detach(), rnn.weight_hh_l0.detach(), rnn.bias_ih_l0.detach(), rnn.bias_hh_l0.detach())\n'
                                               '>>> ref_out, ref_h = rnn(x, h0.unsqueeze(0))\n'
                                               '>>> assert torch.allclose(out, ref_out.detach(), atol=1e-06) and torch.allclose(hT, ref_h[0].detach(), atol=1e-06)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
