OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> protos = torch.randn(2, 3, 1, 1) * 2\n'
                                               '>>> y = torch.randint(0, 2, (64,))\n'
                                               '>>> X = protos[y] + 0.5 * torch.randn(64, 3, 32, 32)\n'
                                               '>>> weights = train_cnn(X[:48], y[:48], 0)\n'
                                               '>>> assert type(weights) is dict\n'
                                               '>>> model = CifarCNN(2)\n'
                                               '>>> _ = model.load_state_dict({k: v.cpu() for k, v in weights.items()})\n'
                                               '>>> _ = torch.manual_seed(0)\n'
                                               '>>> fresh = CifarCNN(2).state_dict()\n'
                                               '>>> assert all((not torch.equal(weights[k].cpu(), fresh[k]) for k in fresh))\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     accuracy = (model(X[48:]).argmax(dim=1) == y[48:]).float().mean()\n'
                                               '>>> assert accuracy >= 0.6, accuracy\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
