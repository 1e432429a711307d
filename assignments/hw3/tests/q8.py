OK_FORMAT = True

test = {   'name': 'q8',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> ids = torch.tensor([[2, 10, 11, 12, 13, 14, 3, 0]])\n'
                                               '>>> special = (ids == 2) | (ids == 3) | (ids == 0)\n'
                                               '>>> u_select = torch.tensor([[0.0, 0.1, 0.9, 0.05, 0.12, 0.5, 0.0, 0.0]])\n'
                                               '>>> u_replace = torch.tensor([[0.5, 0.3, 0.5, 0.85, 0.95, 0.1, 0.5, 0.5]])\n'
                                               '>>> u_random = torch.tensor([[0.0, 0.9, 0.0, 0.3, 0.7, 0.0, 0.0, 0.0]])\n'
                                               '>>> corrupted, labels = bert_mask_tokens(ids, special, 4, u_select, u_replace, u_random, torch.full((1, 8), 42))\n'
                                               '>>> assert corrupted.tolist() == [[2, 4, 11, 42, 13, 14, 3, 0]]\n'
                                               '>>> assert labels.tolist() == [[-100, 10, -100, 12, 13, -100, -100, -100]]\n'
                                               '>>> assert ids.tolist() == [[2, 10, 11, 12, 13, 14, 3, 0]]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> g = torch.Generator().manual_seed(0)\n'
                                               '>>> ids = torch.randint(5, 1000, (200, 100), generator=g)\n'
                                               '>>> noise = [torch.rand(200, 100, generator=g) for _ in range(3)]\n'
                                               '>>> corrupted, labels = bert_mask_tokens(ids, torch.zeros(200, 100, dtype=torch.bool), 4, *noise, torch.randint(1000, 2000, (200, 100), generator=g))\n'
                                               '>>> n = ids.numel()\n'
                                               '>>> assert abs((labels != -100).sum() / n - 0.15) < 0.01\n'
                                               '>>> assert abs((corrupted == 4).sum() / n - 0.12) < 0.01\n'
                                               '>>> assert abs((corrupted >= 1000).sum() / n - 0.015) < 0.004\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
