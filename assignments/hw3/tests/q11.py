OK_FORMAT = True

test = {   'name': 'q11',
    'points': 2,
    'suites': [   {   'cases': [   {'code': '>>> assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]\n', 'hidden': False, 'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> logits, ids = (torch.randn(2, 4, 6), torch.randint(0, 6, (2, 4)))\n'
                                               '>>> slow = sum((-torch.log_softmax(logits[b, t], dim=0)[ids[b, t + 1]] for b in range(2) for t in range(3))) / 6\n'
                                               '>>> loss = gpt_causal_lm_loss(logits, ids)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, slow, atol=1e-05)\n'
                                               '>>> ids[1, 2:] = -100\n'
                                               '>>> slow = (sum((-torch.log_softmax(logits[0, t], dim=0)[ids[0, t + 1]] for t in range(3))) - torch.log_softmax(logits[1, 0], dim=0)[ids[1, 1]]) / 4\n'
                                               '>>> assert torch.allclose(gpt_causal_lm_loss(logits, ids), slow, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
