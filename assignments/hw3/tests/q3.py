OK_FORMAT = True

test = {   'name': 'q3',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> w_in, w_out = (0.5 * torch.randn(10, 4), 0.5 * torch.randn(10, 4))\n'
                                               '>>> c, o = (torch.tensor([1, 2, 3]), torch.tensor([4, 5, 1]))\n'
                                               '>>> slow = sum((-torch.log(torch.softmax(w_out @ w_in[ci], dim=0)[oi]) for ci, oi in zip(c, o))) / 3\n'
                                               '>>> loss = skipgram_softmax_loss(c, o, w_in, w_out)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, slow, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> w_in, w_out = (0.5 * torch.randn(10, 4), 0.5 * torch.randn(10, 4))\n'
                                               '>>> ctx, centre = (torch.tensor([[1, 2], [3, 3]]), torch.tensor([0, 9]))\n'
                                               '>>> h = torch.stack([(w_in[1] + w_in[2]) / 2, w_in[3]])\n'
                                               '>>> slow = -torch.log_softmax(h @ w_out.T, dim=1)[[0, 1], [0, 9]].mean()\n'
                                               '>>> assert torch.allclose(cbow_softmax_loss(ctx, centre, w_in, w_out), slow, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> w_in, w_out = (0.5 * torch.randn(10, 4), 0.5 * torch.randn(10, 4))\n'
                                               '>>> c, o, negs = (torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([[5, 6, 7], [8, 9, 0]]))\n'
                                               '>>> slow = sum((-torch.log(torch.sigmoid(w_out[o[n]] @ w_in[c[n]])) - sum((torch.log(torch.sigmoid(-w_out[k] @ w_in[c[n]])) for k in negs[n])) for n '
                                               'in range(2))) / 2\n'
                                               '>>> loss = negative_sampling_loss(c, o, negs, w_in, w_out)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, slow, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
