OK_FORMAT = True

test = {   'name': 'q10',
    'points': 5,
    'suites': [   {   'cases': [   {   'code': '>>> gen = torch.Generator().manual_seed(0)\n'
                                               '>>> centre = torch.tensor([1.5, -1.0])\n'
                                               '>>> x_train = ring(gen, 2000, centre, 2.0, 0.15)\n'
                                               '>>> held_out = ring(gen, 4000, centre, 2.0, 0.15)\n'
                                               '>>> weights = train_vae_2d(x_train, seed=1)\n'
                                               ">>> assert type(weights) is dict and 'logvar' in weights and ('net.0.weight' in weights)\n"
                                               ">>> assert torch.equal(weights['logvar'], train_vae_2d(x_train, seed=1)['logvar'])\n"
                                               ">>> decoder = Decoder2D(weights['net.0.weight'].shape[1], weights['net.0.weight'].shape[0])\n"
                                               '>>> _ = decoder.load_state_dict(weights)\n'
                                               '>>> samples = sample_decoder(decoder, 4000, torch.Generator().manual_seed(2))\n'
                                               '>>> distance = energy_distance(samples, held_out)\n'
                                               '>>> baseline = energy_distance(gaussian_baseline(x_train, 4000, torch.Generator().manual_seed(3)), held_out)\n'
                                               '>>> assert distance <= 0.7 * baseline, f"energy distance {distance:.4f} > 0.7 x the Gaussian\'s {baseline:.4f}"\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
