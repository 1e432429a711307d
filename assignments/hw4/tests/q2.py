OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> d, k, B, lr = (2, 3, 8, 0.1)\n'
                                               '>>> dw, db = (torch.randn(d), torch.tensor(0.2))\n'
                                               '>>> gw, gb = (torch.randn(d, k) * 0.7, torch.randn(d) * 0.3)\n'
                                               '>>> x_real, z = (torch.randn(B, d) + 1.0, torch.randn(B, k))\n'
                                               '>>> inputs = [t.clone() for t in (dw, db, gw, gb)]\n'
                                               '>>> new_dw, new_db, new_gw, new_gb = gan_train_step(dw, db, gw, gb, x_real, z, lr)\n'
                                               '>>> assert all((torch.equal(a, b) for a, b in zip(inputs, (dw, db, gw, gb))))\n'
                                               '>>> assert new_dw.shape == (d,) and new_db.shape == () and (new_gw.shape == (d, k)) and (new_gb.shape == (d,))\n'
                                               '>>> x_fake = z @ gw.T + gb\n'
                                               '>>> s_real, s_fake = (torch.sigmoid(x_real @ dw + db), torch.sigmoid(x_fake @ dw + db))\n'
                                               '>>> grad_w = ((s_real - 1)[:, None] * x_real).mean(0) + (s_fake[:, None] * x_fake).mean(0)\n'
                                               '>>> grad_b = (s_real - 1).mean() + s_fake.mean()\n'
                                               '>>> assert torch.allclose(new_dw, dw - lr * grad_w, atol=1e-06)\n'
                                               '>>> assert torch.allclose(new_db, db - lr * grad_b, atol=1e-06)\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> _ = torch.manual_seed(1)\n'
                                               '>>> dw, db = (torch.randn(2), torch.tensor(-0.1))\n'
                                               '>>> gw, gb = (torch.randn(2, 2), torch.randn(2))\n'
                                               '>>> x_real, z = (torch.randn(5, 2), torch.randn(5, 2))\n'
                                               '>>> new_dw, new_db, new_gw, new_gb = gan_train_step(dw, db, gw, gb, x_real, z, 0.5)\n'
                                               '>>> a = (z @ gw.T + gb) @ new_dw + new_db\n'
                                               '>>> upstream = -(1 - torch.sigmoid(a))[:, None] * new_dw[None, :] / 5\n'
                                               '>>> assert torch.allclose(new_gw, gw - 0.5 * upstream.T @ z, atol=1e-06)\n'
                                               '>>> assert torch.allclose(new_gb, gb - 0.5 * upstream.sum(0), atol=1e-06)\n'
                                               '>>> assert not new_gw.requires_grad and (not new_dw.requires_grad)\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
