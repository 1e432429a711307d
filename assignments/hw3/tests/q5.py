OK_FORMAT = True

test = {   'name': 'q5',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> w = attention_weights_from_scores(torch.tensor([112.0, 96.0]), 64)\n>>> assert torch.allclose(w, torch.tensor([0.88, 0.12]), atol=0.005)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> q, k, v = (torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5))\n'
                                               '>>> out, weights = scaled_dot_product_attention(q, k, v)\n'
                                               '>>> assert out.shape == (2, 3, 4, 5) and weights.shape == (2, 3, 4, 6)\n'
                                               '>>> assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 4), atol=1e-06)\n'
                                               '>>> assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> q, k, v = (torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8))\n'
                                               '>>> causal = torch.ones(5, 5, dtype=torch.bool).tril()\n'
                                               '>>> out, weights = scaled_dot_product_attention(q, k, v, mask=causal)\n'
                                               '>>> assert torch.all(weights[:, ~causal] == 0)\n'
                                               '>>> assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, attn_mask=causal), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> x, w_q, w_k, w_v = (torch.randn(2, 4, 6), torch.randn(3, 6), torch.randn(3, 6), torch.randn(5, 6))\n'
                                               '>>> out, weights = self_attention(x, w_q, w_k, w_v)\n'
                                               '>>> assert out.shape == (2, 4, 5) and weights.shape == (2, 4, 4)\n'
                                               '>>> ref = F.scaled_dot_product_attention(x @ w_q.T, x @ w_k.T, x @ w_v.T)\n'
                                               '>>> assert torch.allclose(out, ref, atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
