OK_FORMAT = True

test = {   'name': 'q10',
    'points': 5,
    'suites': [   {   'cases': [   {   'code': '>>> gen = torch.Generator().manual_seed(0)\n'
                                               '>>> centre = torch.tensor([1.5, -1.0])\n'
                                               '>>> x_train = ring(gen, 2000, centre, 2.0, 0.15)\n'
                                               '>>> held_out = ring(gen, 4000, centre, 2.0, 0.15)\n'
                                               '>>> weights = train_vae_2d(x_train, seed=1)\n'
                                               ">>> assert type(weights) is dict and set(weights) == {'encoder', 'decoder'}\n"
                                               ">>> assert all((type(w) is dict for w in weights.values())) and 'logvar' in weights['decoder']\n"
                                               '>>> again = train_vae_2d(x_train, seed=1)\n'
                                               ">>> assert torch.equal(weights['decoder']['logvar'], again['decoder']['logvar'])\n"
                                               ">>> w_enc, w_dec = (weights['encoder']['net.0.weight'], weights['decoder']['net.0.weight'])\n"
                                               '>>> encoder = Encoder2D(w_dec.shape[1], w_enc.shape[0])\n'
                                               '>>> decoder = Decoder2D(w_dec.shape[1], w_dec.shape[0])\n'
                                               ">>> _ = encoder.load_state_dict({k: v.cpu() for k, v in weights['encoder'].items()})\n"
                                               ">>> _ = decoder.load_state_dict({k: v.cpu() for k, v in weights['decoder'].items()})\n"
                                               '>>> with torch.no_grad():\n'
                                               '...     mu, logvar = encoder(held_out)\n'
                                               '...     z = reparameterize(mu, logvar, torch.randn(mu.shape, generator=torch.Generator().manual_seed(4)))\n'
                                               "...     elbos = elbo(held_out, decoder(z), mu, logvar, decoder='gaussian', decoder_logvar=decoder.logvar)\n"
                                               '>>> gap = float(ring_log_density(held_out, centre, 2.0, 0.15).mean() - elbos.double().mean())\n'
                                               '>>> assert gap <= 1.5, f"held-out ELBO {gap:.3f} nats per point below the data\'s log-density"\n'
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
