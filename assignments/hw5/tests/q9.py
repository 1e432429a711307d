OK_FORMAT = True

test = {   'name': 'q9',
    'points': 5,
    'suites': [   {   'cases': [   {   'code': '>>> gen = torch.Generator().manual_seed(0)\n'
                                               '>>> corners = torch.tensor([[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]])\n'
                                               '>>> stds, weights = (torch.full((4,), 0.3), torch.ones(4))\n'
                                               '>>> x_train = mixture_of_gaussians(gen, 2000, corners, stds, weights)\n'
                                               '>>> held_out = mixture_of_gaussians(gen, 2000, corners, stds, weights)\n'
                                               '>>> betas = linear_beta_schedule(50, 0.001, 0.2)\n'
                                               '>>> state = ddpm_train_and_sample(x_train, betas, seed=1)\n'
                                               '>>> assert isinstance(state, dict) and all((isinstance(v, torch.Tensor) for v in state.values()))\n'
                                               ">>> model = EpsNet(50, state['net.0.weight'].shape[0])\n"
                                               '>>> _ = model.load_state_dict({k: v.cpu().float() for k, v in state.items()})\n'
                                               '>>> again = ddpm_train_and_sample(x_train, betas, seed=1)\n'
                                               '>>> assert all((torch.allclose(state[k], again[k], atol=1e-05) for k in state))\n'
                                               '>>> ratio = l_simple_ratio(model, held_out, betas, corners, stds, weights, seed=2)\n'
                                               '>>> assert ratio <= 1.15, ratio\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
