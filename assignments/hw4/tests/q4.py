OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> real, fake = (torch.tensor([3.0, 1.0, 2.0]), torch.tensor([-1.0, 0.5]))\n'
                                               '>>> loss = wgan_critic_loss(real, fake)\n'
                                               '>>> assert loss.shape == () and torch.allclose(loss, torch.tensor(-0.25 - 2.0))\n'
                                               '>>> assert torch.allclose(wgan_generator_loss(fake), torch.tensor(0.25))\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
