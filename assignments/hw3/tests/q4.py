OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> E = torch.tensor([[1.0, 0.0], [0.0, 1.0], [5.0, 0.2], [-1.0, 0.1]])\n'
                                               '>>> assert cosine_nearest(torch.tensor([2.0, 0.0]), E, k=2).tolist() == [0, 2]\n'
                                               '>>> assert cosine_nearest(torch.tensor([2.0, 0.0]), E, exclude=[0], k=2).tolist() == [2, 1]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': ">>> vocab = ['Rome', 'Italy', 'Berlin', 'Germany', 'Paris', 'France', 'banana']\n"
                                               '>>> E = torch.tensor([[0.3, 1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0], [0.3, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.5], [0.3, 0.0, 0.0, 1.0, '
                                               '0.0], [0.0, 0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 0.0, 0.0, 1.0]])\n'
                                               ">>> assert analogy(E, vocab, 'Rome', 'Italy', 'Berlin') == 'Germany'\n"
                                               ">>> assert analogy(E, vocab, 'Germany', 'Berlin', 'France') == 'Paris'\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
