OK_FORMAT = True

test = {   'name': 'q12',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 3.5]])\n>>> assert greedy_next_token(logits).tolist() == [1, 2]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> logits = torch.log(torch.tensor([[0.2, 0.5, 0.3]])).repeat(3, 1)\n'
                                               '>>> u = torch.tensor([0.1, 0.65, 0.75])\n'
                                               '>>> tokens = sample_next_token(logits, u)\n'
                                               '>>> assert tokens.dtype == torch.long and tokens.tolist() == [0, 1, 2]\n'
                                               '>>> assert sample_next_token(logits, u, top_k=2).tolist() == [1, 2, 2]\n'
                                               '>>> assert sample_next_token(logits, u, top_k=1).tolist() == [1, 1, 1]\n'
                                               '>>> assert sample_next_token(logits, u, temperature=0.01).tolist() == [1, 1, 1]\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
