OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> mha = nn.MultiheadAttention(8, 2, batch_first=True)\n'
                                               '>>> x = torch.randn(2, 5, 8)\n'
                                               '>>> p = [mha.in_proj_weight.detach(), mha.in_proj_bias.detach(), mha.out_proj.weight.detach(), mha.out_proj.bias.detach()]\n'
                                               '>>> out, weights = multi_head_attention(x, *p, 2)\n'
                                               '>>> ref_out, ref_weights = mha(x, x, x)\n'
                                               '>>> assert out.shape == (2, 5, 8) and weights.shape == (2, 5, 5)\n'
                                               '>>> assert torch.allclose(out, ref_out.detach(), atol=1e-05) and torch.allclose(weights, ref_weights.detach(), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> mha = nn.MultiheadAttention(12, 3, batch_first=True)\n'
                                               '>>> x = torch.randn(2, 6, 12)\n'
                                               '>>> p = [mha.in_proj_weight.detach(), mha.in_proj_bias.detach(), mha.out_proj.weight.detach(), mha.out_proj.bias.detach()]\n'
                                               '>>> causal = torch.ones(6, 6, dtype=torch.bool).tril()\n'
                                               '>>> out, weights = multi_head_attention(x, *p, 3, mask=causal, average_weights=False)\n'
                                               '>>> ref_out, ref_weights = mha(x, x, x, attn_mask=~causal, average_attn_weights=False)\n'
                                               '>>> assert weights.shape == (2, 3, 6, 6)\n'
                                               '>>> assert torch.allclose(out, ref_out.detach(), atol=1e-05) and torch.allclose(weights, ref_weights.detach(), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
