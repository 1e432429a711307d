OK_FORMAT = True

test = {   'name': 'q9',
    'points': 5,
    'suites': [   {   'cases': [   {   'code': '>>> gen = torch.Generator().manual_seed(0)\n'
                                               '>>> corners = torch.tensor([[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]])\n'
                                               '>>> stds, weights = (torch.full((4,), 0.3), torch.ones(4))\n'
                                               '>>> x_train = mixture_of_gaussians(gen, 2000, corners, stds, weights)\n'
                                               '>>> held_out = mixture_of_gaussians(gen, 2000, corners, stds, weights)\n'
                                               '>>> betas = linear_beta_schedule(50, 0.001, 0.2)\n'
                                               '>>> samples = ddpm_train_and_sample(x_train, betas, 2000, seed=1)\n'
                                               '>>> assert samples.shape == (2000, 2) and samples.is_floating_point()\n'
                                               '>>> assert bool(torch.isfinite(samples).all())\n'
                                               '>>> assert torch.allclose(samples, ddpm_train_and_sample(x_train, betas, 2000, seed=1), atol=0.0001)\n'
                                               '>>> precision, recall = precision_recall(held_out, samples)\n'
                                               '>>> assert precision >= 0.85 and recall >= 0.9, (precision, recall)\n'
                                               '>>> distance = energy_distance(samples, held_out)\n'
                                               '>>> assert distance <= 0.1, distance\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
