OK_FORMAT = True

test = {   'name': 'q1',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> real, fake = (torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.0]))\n'
                                               '>>> expected = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())\n'
                                               '>>> loss = gan_discriminator_loss(real, fake)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, expected)\n'
                                               '>>> assert torch.allclose(gan_discriminator_loss(torch.zeros(4), torch.zeros(4)), torch.tensor(2 * math.log(2.0)))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> fake = torch.tensor([-3.0, 0.0, 1.5])\n'
                                               '>>> loss = gan_generator_loss(fake)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, -torch.log(torch.sigmoid(fake)).mean())\n'
                                               '>>> assert torch.isfinite(gan_generator_loss(torch.tensor([-100.0]))).all()\n'
                                               '>>> assert torch.isfinite(gan_discriminator_loss(torch.tensor([-100.0]), torch.tensor([100.0])))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
