OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> pairs = skipgram_pairs(torch.tensor([4, 7, 1, 9, 2]), 1)\n'
                                               '>>> assert pairs.dtype == torch.long\n'
                                               '>>> assert pairs.tolist() == [[4, 7], [7, 4], [7, 1], [1, 7], [1, 9], [9, 1], [9, 2], [2, 9]]\n'
                                               '>>> assert skipgram_pairs(torch.tensor([4, 7, 1]), 2).tolist() == [[4, 7], [4, 1], [7, 4], [7, 1], [1, 4], [1, 7]]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> contexts, centres = cbow_pairs(torch.tensor([4, 7, 1, 9, 2]), 1)\n'
                                               '>>> assert contexts.tolist() == [[4, 1], [7, 9], [1, 2]] and centres.tolist() == [7, 1, 9]\n'
                                               '>>> contexts, centres = cbow_pairs(torch.tensor([4, 7, 1, 9, 2]), 2)\n'
                                               '>>> assert contexts.tolist() == [[4, 7, 9, 2]] and centres.tolist() == [1]\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
