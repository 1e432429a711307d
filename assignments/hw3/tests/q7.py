OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> pe = sinusoidal_positional_encoding(10, 16)\n'
                                               '>>> assert pe.shape == (10, 16) and pe.dtype == torch.float32\n'
                                               '>>> assert torch.allclose(pe[0], torch.tensor([0.0, 1.0] * 8))\n'
                                               '>>> assert abs(float(pe[3, 0]) - math.sin(3)) < 1e-06 and abs(float(pe[3, 5]) - math.cos(3 / 10000 ** (4 / 16))) < 1e-06\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> ln = nn.LayerNorm(6)\n'
                                               '>>> x = torch.randn(2, 3, 6)\n'
                                               '>>> assert torch.allclose(layer_norm(x, ln.weight.detach() + 0.5, ln.bias.detach() - 1), F.layer_norm(x, (6,), ln.weight.detach() + 0.5, '
                                               'ln.bias.detach() - 1), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)\n'
                                               '>>> params = {name: value.detach() for name, value in layer.state_dict().items()}\n'
                                               '>>> x = torch.randn(2, 5, 8)\n'
                                               '>>> out = transformer_encoder_block(x, params, 2)\n'
                                               '>>> assert out.shape == (2, 5, 8)\n'
                                               '>>> assert torch.allclose(out, layer(x).detach(), atol=1e-05)\n'
                                               '>>> causal = torch.ones(5, 5, dtype=torch.bool).tril()\n'
                                               '>>> assert torch.allclose(transformer_encoder_block(x, params, 2, mask=causal), layer(x, src_mask=~causal).detach(), atol=1e-05)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
